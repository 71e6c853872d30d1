"""Valid inequalities that tighten the pipe-design MILP without changing its optimum.

Connection cut: with ``connect_all`` every consumer is to be served, so a node with demand, no
producer or storage of its own and no existing pipe must have at least one candidate pipe built:
sum_(e incident to n) sum_dn y_(e,dn) >= 1. The flow limits alone let the LP relaxation build a
sliver of the largest DN (y = f / Q_max) and pay a sliver of its cost; the cut makes every such
node pay at least one whole pipe, which is what lifts the relaxation's bound towards the optimum.
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_connection_cuts(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    if not inputs.case.spec.demand.connect_all or not len(m.pipes.O):
        return
    pipes = inputs.pipes
    own_supply = set(inputs.sources["node"]) | set(inputs.plants["node"]) | set(m.storage.K)
    existing, candidate_options = set(), defaultdict(list)
    for e, dn in m.pipes.O:
        for node in (pipes.at[e, "from_node"], pipes.at[e, "to_node"]):
            candidate_options[node].append((e, dn))
    for e in pipes.index[pipes["status"] == "existing"]:
        existing.update((pipes.at[e, "from_node"], pipes.at[e, "to_node"]))
    nodes = [n for n in m.D if n not in own_supply and n not in existing and candidate_options[n]]
    m.pipes.connect = pyo.Constraint(
        nodes,
        rule=lambda b, n: sum(b.build[e, dn] for e, dn in candidate_options[n]) >= 1,
        doc="a consumer node without supply or existing pipe is connected by at least one built pipe",
    )
