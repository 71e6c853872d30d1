"""Heat balance at every node and hour [MW].

inflow - outflow + heat pumps + direct exchange + plants + new units + fleet units' heat at their
    hosts + discharge - charge (tanks and pits) + unmet = demand + losses,
(at the host of a demand tree, `dhopt.trees`, its load minus the heat the tree cannot receive),
with the loss of each pipe (U L [(T_s - T_g) + (T_r - T_g)]) charged half to each end; for a
candidate pipe the loss of the DN built; for an upgraded existing pipe what the new DN loses beyond
the installed one (which stays in the fixed loss). Unmet heat is a costly slack, never a silent
infeasibility; it may exceed the demand only by the losses of pipes no heat then flows through.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyomo.environ as pyo

from dhopt.inputs import Inputs, installed_options
from dhopt.trees import host_series


def _members(frame, column: str) -> dict[str, list[str]]:
    grouped = defaultdict(list)
    for item, node in frame[column].items():
        grouped[node].append(item)
    return grouped


def add_balance(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    demand = inputs.demand_MW.to_numpy()
    node_column = {n: i for i, n in enumerate(inputs.demand_MW.columns)}
    drive = inputs.loss_drive_K.to_numpy()
    fixed_loss = inputs.fixed_loss_MW_per_K.to_dict()
    pipes = inputs.pipes
    incoming = _members(pipes, "to_node")
    outgoing = _members(pipes, "from_node")
    sources = _members(inputs.sources, "node")
    plants = _members(inputs.plants, "node")
    units = _members(inputs.units, "node")
    pits = _members(inputs.pits, "node")
    fleet = _members(inputs.fleet, "node")
    storage = set(m.storage.K)
    candidate_loss = defaultdict(list)  # node -> [(pipe, dn, half loss per K)]
    options = inputs.options
    installed_loss = options.loc[installed_options(options, pipes), "loss_MW_per_K"].droplevel("dn").to_dict()
    for (pipe, dn), loss_per_K in options["loss_MW_per_K"].items():
        if (pipe, dn) in m.pipes.O:
            extra = loss_per_K - installed_loss.get(pipe, 0.0)  # an upgrade: beyond the installed DN's fixed loss
            candidate_loss[pipes.at[pipe, "from_node"]].append((pipe, dn, 0.5 * extra))
            candidate_loss[pipes.at[pipe, "to_node"]].append((pipe, dn, 0.5 * extra))

    demand_nodes = [n for n in m.N if n in node_column and demand[:, node_column[n]].max() > 0]
    m.D = pyo.Set(initialize=demand_nodes, doc="nodes with demand")
    # Per node, once: the load series [MW] and the (coefficient, variable-by-time) terms of its balance.
    zeros = np.zeros(len(drive))
    load = {n: (demand[:, node_column[n]] if n in node_column else zeros) + fixed_loss.get(n, 0.0) * drive for n in m.N}
    forced = host_series(inputs, "forced")  # a demand tree's heat it cannot receive (`dhopt.trees`)
    load |= {n: load[n] - forced[n] for n in forced}
    # at most the whole load: a zone nothing can reach (a reference without its only producer) gets no
    # heat, and its pipes then lose none (`dhopt.results.kpis` counts the part above demand so); the host
    # of a demand tree: its own load and what its tree may leave unmet
    most = load | host_series(inputs, "slack")
    m.unmet_MW = pyo.Var(m.D, m.T, bounds=lambda m, n, t: (0.0, float(most[n][t])), doc="heat not delivered [MW]")
    flow, campus, plant_heat = m.pipes.flow_MW, m.campus, m.plants.heat_MW
    terms = {}
    for n in m.N:
        node_terms = [(1.0, flow, e) for e in incoming[n]] + [(-1.0, flow, e) for e in outgoing[n]]
        node_terms += [(1.0, campus.hp_heat_MW, s) for s in sources[n]] + [
            (1.0, campus.direct_MW, s) for s in sources[n]
        ]
        node_terms += [(1.0, plant_heat, p) for p in plants[n]]
        node_terms += [(1.0, var, u) for u in fleet[n] for var in (m.fleet.building_MW, m.fleet.export_MW)]
        node_terms += [(1.0, m.production.heat_MW, u) for u in units[n]]
        node_terms += [term for k in pits[n] for term in ((1.0, m.pits.discharge_MW, k), (-1.0, m.pits.charge_MW, k))]
        if n in storage:
            node_terms += [(1.0, m.storage.discharge_MW, n), (-1.0, m.storage.charge_MW, n)]
        if n in m.D:
            node_terms.append((1.0, m.unmet_MW, n))
        terms[n] = node_terms

    @m.Constraint(m.N, m.T)
    def heat_balance(m, n, t):
        supply = sum(sign * var[key, t] for sign, var, key in terms[n])
        losses = sum(half * float(drive[t]) * m.pipes.build[e, dn] for e, dn, half in candidate_loss[n])
        return supply - losses == float(load[n][t])

    electric = inputs.plant_electricity_per_heat
    electric = electric[electric > 0].to_dict()

    on_grid = [s for s in m.campus.S if s not in m.power.C]  # a campus with its own power: its import

    @m.Expression(m.T)
    def electricity_MW(m, t):  # heat pumps + electric boilers + new units + campuses' import + fleet [MW]
        return (
            sum(m.campus.electricity_MW[s, t] for s in on_grid)
            + sum(share * m.plants.heat_MW[p, t] for p, share in electric.items())
            + sum(m.production.electricity_MW[u, t] for u in m.production.U)
            + sum(m.power.import_MW[c, t] for c in m.power.C)
            + sum(m.fleet.electricity_MW[u, t] for u in m.fleet.U)
        )

    limit = inputs.import_limit_MW
    if limit is not None:
        m.import_limit_MW = pyo.Param(
            m.T, mutable=True, initialize=dict(enumerate(limit.to_numpy(dtype=float))), doc="import limit [MW]"
        )
        m.grid_limit = pyo.Constraint(m.T, rule=lambda m, t: m.electricity_MW[t] <= m.import_limit_MW[t])
