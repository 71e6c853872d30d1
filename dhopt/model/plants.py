"""Existing producers (waste-to-energy, boilers) dispatched by marginal cost.

must_run <= q_t <= capacity [MW]: a waste incinerator delivers its must-run heat every hour.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_plants(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.plants = pyo.Block()
    b.P = pyo.Set(initialize=list(inputs.plants.index), doc="existing plants")
    b.heat_MW = pyo.Var(b.P, m.T, doc="heat output [MW]")
    set_plant_bounds(b, inputs)
    return b


def set_plant_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """must_run_p <= q_pt <= capacity_p [MW]."""
    low = inputs.plants["must_run_MW"].to_dict()
    high = inputs.plants["capacity_MW"].to_dict()
    for (p, _), q in b.heat_MW.items():
        q.setlb(low[p])
        q.setub(high[p])
