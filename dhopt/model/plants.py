"""Existing producers (waste-to-energy, boilers) dispatched by marginal cost.

must_run <= q_t <= capacity [MW]: a waste incinerator delivers its must-run heat every hour. A phase-out
(`[phase_out]`) caps the heat of its plants together, sum_t w_t sum_(p capped) q_pt <= cap [MWh/yr]
(`m.plant_cap`, its limit a parameter re-solvable in place); a plant forbidden has capacity 0.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_plants(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.plants = pyo.Block()
    b.P = pyo.Set(initialize=list(inputs.plants.index), doc="existing plants")
    b.heat_MW = pyo.Var(b.P, m.T, doc="heat output [MW]")
    set_plant_bounds(b, inputs)
    cap = inputs.scalars.plant_cap_MWh
    if cap is not None:
        capped = list(inputs.plants.index[inputs.plants["capped"]])
        weight = [float(w) for w in inputs.weight_h]
        m.plant_cap_MWh = pyo.Param(mutable=True, initialize=cap, doc="annual heat of the capped plants [MWh/yr]")
        m.plant_cap = pyo.Constraint(
            expr=sum(weight[t] * b.heat_MW[p, t] for p in capped for t in m.T) <= m.plant_cap_MWh
        )
    return b


def set_plant_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """must_run_p <= q_pt <= capacity_p [MW]."""
    low = inputs.plants["must_run_MW"].to_dict()
    high = inputs.plants["capacity_MW"].to_dict()
    for (p, _), q in b.heat_MW.items():
        q.setlb(low[p])
        q.setub(high[p])
