"""A fleet: small data-center units in buildings, one logical data center (`dhopt.fleet_inputs`).

For unit u (host building n) and step t [MW]:

    r x_ut >= (1 - e^b_ut) b_ut + (1 - e^n_ut) q_ut     heat drawn from the servers (the rest is rejected)
    b_ut <= d_ut                                         the host first, behind the meter: no pipe, no loss
    [e^b_ut > 0] b_ut + [e^n_ut > 0] q_ut <= C_u <= C_max,u       the unit's small heat pump
    0 <= x_ut <= X_u,   sum_u x_ut = D_t                 the fleet's compute demand, placed hourly
    x_ut >= (1 - f) D_t X_u / sum_v X_v                  only the flexible share f may move
with x the IT load placed on the unit (capacity X_u, recovered share r), b the heat to the host (demand
d), q the surplus into the network at the host's node (0 without export), e = 1/COP (0: direct exchange)
and electricity e^b b + e^n q. Deferrable compute keeps each day's sum_t x_ut = sum_t D_t instead of each
hour's, with sum_u x_ut <= sum_u X_u. The compute moved onto a unit, m_ut >= x_ut - x0_ut with x0_ut its
share D_t X_u / sum X, costs `MOVE_EUR_PER_MWH`: among equally good plans, the one that moves least. Both b and q enter the heat balance at the host's node
(`dhopt.model.balance`); the costs are in `dhopt.model.objective`.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from dhopt.inputs import Inputs

HOURS_PER_DAY = 24
MOVE_EUR_PER_MWH = 0.01
"""Tie-break cost of a MWh of compute moved onto a unit [EUR/MWh IT]: without it, a plan that moves compute for
nothing costs the same as one that does not, and the hours and MW moved would be the solver's choice."""


def add_fleet(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.fleet = pyo.Block()
    fleet = inputs.fleet
    b.U = pyo.Set(initialize=list(fleet.index), doc="fleet units")
    demand = inputs.fleet_demand_MW.to_numpy()
    e_b = inputs.fleet_el_per_heat_building.to_numpy()
    e_n = inputs.fleet_el_per_heat_network.to_numpy()
    col = {u: i for i, u in enumerate(fleet.index)}
    export = fleet["export"].astype(bool).to_dict()
    b.hp_capacity_MW = pyo.Var(b.U, within=pyo.NonNegativeReals, doc="small heat-pump capacity [MW heat]")
    b.building_MW = pyo.Var(
        b.U, m.T, bounds=lambda b, u, t: (0.0, float(demand[t, col[u]])), doc="heat to the host [MW]"
    )
    b.export_MW = pyo.Var(
        b.U, m.T, bounds=lambda b, u, t: (0.0, None if export[u] else 0.0), doc="heat into the network [MW]"
    )
    _add_compute(m, b, inputs)
    share = fleet["recovered_share"].to_dict()

    @b.Constraint(b.U, m.T)
    def source_limit(b, u, t):  # (1 - e^b) b + (1 - e^n) q <= r x
        i = col[u]
        drawn = (1.0 - e_b[t, i]) * b.building_MW[u, t] + (1.0 - e_n[t, i]) * b.export_MW[u, t]
        return drawn <= share[u] * b.it_MW[u, t]

    @b.Constraint(b.U, m.T)
    def hp_limit(b, u, t):  # heat-pump heat <= C
        lifted = [var[u, t] for var, e in ((b.building_MW, e_b), (b.export_MW, e_n)) if e[t, col[u]] > 0]
        return sum(lifted) <= b.hp_capacity_MW[u] if lifted else pyo.Constraint.Skip

    @b.Expression(b.U, m.T)
    def electricity_MW(b, u, t):  # e^b b + e^n q
        i = col[u]
        return float(e_b[t, i]) * b.building_MW[u, t] + float(e_n[t, i]) * b.export_MW[u, t]

    set_fleet_bounds(b, inputs)
    return b


def _add_compute(m: pyo.ConcreteModel, b: pyo.Block, inputs: Inputs) -> None:
    """The IT load on each unit: fixed at its share of the demand, or placed by the model (module docstring)."""
    it_max = inputs.fleet["it_MW"].to_numpy(dtype=float)
    compute = inputs.fleet_compute_MW.to_numpy(dtype=float)
    fixed_share = 1.0 - inputs.scalars.fleet_flexible_share
    base = np.outer(compute, it_max / it_max.sum()) if len(it_max) else np.zeros((len(compute), 0))
    col = {u: i for i, u in enumerate(inputs.fleet.index)}
    free = inputs.scalars.fleet_flexible_share > 0 and len(it_max) > 0
    low = fixed_share * base if free else base
    b.it_MW = pyo.Var(
        b.U,
        m.T,
        bounds=lambda b, u, t: (float(low[t, col[u]]), float(it_max[col[u]]) if free else float(base[t, col[u]])),
        doc="IT load placed on the unit [MW IT]",
    )
    b.M = pyo.Set(initialize=list(b.U) if free else [], doc="fleet units whose compute may move")
    b.moved_in_MW = pyo.Var(b.M, m.T, within=pyo.NonNegativeReals, doc="IT load above the unit's share [MW IT]")
    if not free:
        return
    b.moved = pyo.Constraint(b.M, m.T, rule=lambda b, u, t: b.moved_in_MW[u, t] >= b.it_MW[u, t] - base[t, col[u]])
    if inputs.scalars.fleet_deferrable:
        period = inputs.period_hours or HOURS_PER_DAY
        days = sorted({t // period for t in m.T})
        b.day = pyo.Constraint(
            days,
            rule=lambda b, d: (
                sum(b.it_MW[u, t] for u in b.U for t in range(d * period, min((d + 1) * period, len(compute))))
                == float(compute[d * period : (d + 1) * period].sum())
            ),
        )
        b.compute = pyo.Constraint(m.T, rule=lambda b, t: sum(b.it_MW[u, t] for u in b.U) <= float(it_max.sum()))
    else:
        b.compute = pyo.Constraint(m.T, rule=lambda b, t: sum(b.it_MW[u, t] for u in b.U) == float(compute[t]))


def set_fleet_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """Heat-pump capacity <= the unit's largest useful size (all its heat lifted at the worst COP) [MW]."""
    largest = inputs.fleet["hp_max_MW"].to_dict()
    for u in b.U:
        b.hp_capacity_MW[u].setub(float(largest[u]))
