"""Valid inequalities that tighten the pipe-design MILP without changing its optimum.

Tree cuts. In every feasible design, each connected set of built pipes holds a producer (or
storage): demand and losses are covered from inside it. Rooting a spanning tree of each such set
at a producer gives every other node on it exactly one parent pipe, and a node that is a parent
has a parent itself unless it is a root. The cuts give the LP relaxation that structure with
continuous arc variables a_(e->n) in [0, 1], "pipe e is the parent pipe of its end n":

    a_(e->u) + a_(e->v) <= sum_dn y_(e,dn)               a pipe is the parent of at most one end
    sum_(e at n) a_(e->n) <= 1                            one parent per node
    a_(e->m) <= sum_(e' at n, e' != e) a_(e'->n)          n a parent of m (through e) has a parent
    sum_(e at n) a_(e->n) >= 1 - U_n / D_n                a served demand node has a parent

for nodes n that cannot be a root: without producer, storage or existing pipe (an existing pipe
may be the parent). U_n / D_n is the share of n's demand left unmet over the horizon
(sum_t w_t u_nt / sum_t w_t d_nt): taken as 0 with ``connect_all``, where every consumer is connected
(as the reduction's forced sole feeds already assume); up to 1 (unserved) otherwise.

Without them the LP builds slivers y = f / Q_max of the largest DN; with them, each demand node
pays for a whole pipe and pipes that feed nothing are no parent, so the relaxation pays for
(nearly) a whole spanning tree. The arcs are rooted trees, not flow directions, so they stay valid
when flows reverse between hours.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_tree_cuts(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    """The tree cuts of the module doc in block `m.tree` (nothing without candidate pipes)."""
    pipes = inputs.pipes
    candidate = [e for e in m.pipes.C if pipes.at[e, "status"] == "candidate"]
    if not candidate:
        return
    existing = pipes[pipes["status"] == "existing"]
    roots = (
        set(inputs.sources["node"])
        | set(inputs.plants["node"])
        | set(m.storage.K)
        | set(existing["from_node"])
        | set(existing["to_node"])
        | (set(inputs.tree_zones["host"]) if inputs.tree_zones is not None else set())  # ends of existing pipes too
    )
    ends = {e: (pipes.at[e, "from_node"], pipes.at[e, "to_node"]) for e in candidate}
    arcs = [(e, n) for e in candidate for n in ends[e]]
    parents = defaultdict(list)  # node -> pipes that may be its parent
    for e, n in arcs:
        parents[n].append(e)
    children = [(e, n, m_) for e, (u, v) in ends.items() for n, m_ in ((u, v), (v, u)) if n not in roots]  # e: n -> m_

    b = m.tree = pyo.Block()
    b.A = pyo.Set(initialize=arcs, dimen=2, doc="(pipe, end): the pipe may be the end's parent")
    b.parent = pyo.Var(b.A, bounds=(0.0, 1.0), doc="pipe e is the parent pipe of node n [-]")
    built = m.pipes.one_dn  # its body: sum_dn y_(e,dn), 1 if the pipe is built
    b.built = pyo.Constraint(candidate, rule=lambda b, e: sum(b.parent[e, n] for n in ends[e]) <= built[e].body)
    b.one_parent = pyo.Constraint(list(parents), rule=lambda b, n: sum(b.parent[e, n] for e in parents[n]) <= 1)

    @b.Constraint(range(len(children)))
    def rooted(b, i):  # n is the parent of m through e: n has a parent of its own
        e, n, m_ = children[i]
        return b.parent[e, m_] <= sum(b.parent[other, n] for other in parents[n] if other != e)

    served = [n for n in m.D if n not in roots and parents[n]]
    b.served = pyo.Constraint(
        served, rule=lambda b, n: sum(b.parent[e, n] for e in parents[n]) >= _served_share(m, inputs, n)
    )


def _served_share(m: pyo.ConcreteModel, inputs: Inputs, node) -> pyo.Expression | float:
    """1 with ``connect_all``; else 1 - sum_t w_t u_nt / sum_t w_t d_nt, the share of demand met."""
    if inputs.scalars.connect_all:
        return 1.0
    weight = inputs.weight_h
    demand = inputs.demand_MW[node].to_numpy()
    total_MWh = float((weight * demand).sum())
    return 1.0 - sum(float(weight[t] / total_MWh) * m.unmet_MW[node, t] for t in m.T if demand[t] > 0)
