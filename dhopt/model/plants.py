"""Existing producers (waste-to-energy, boilers) dispatched by marginal cost.

must_run <= q_t <= capacity [MW]: a waste incinerator delivers its must-run heat every hour.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_plants(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.plants = pyo.Block()
    plants = inputs.plants
    low = plants["must_run_MW"].to_dict()
    high = plants["capacity_MW"].to_dict()
    b.P = pyo.Set(initialize=list(plants.index), doc="existing plants")
    b.heat_MW = pyo.Var(b.P, m.T, bounds=lambda b, p, t: (low[p], high[p]), doc="heat output [MW]")
    return b
