"""Data-center campuses and their booster heat pumps.

Recoverable heat Q_src,t = IT load x utilisation_t x recovered share [MW]; for a campus with its own
electricity (`dhopt.model.power`) Q_src,t = recovered share x IT load served, curtailment less. A heat pump lifts part
of it to supply temperature: heat out H = source heat + electricity, electricity = H / COP_t, so
the source heat drawn is H (1 - 1/COP_t). When the source is hotter than supply + approach,
heat can also be fed directly (D). What is neither lifted nor fed directly is rejected by the
campus's dry coolers: H (1 - 1/COP_t) + D <= Q_src,t.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_campus(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.campus = pyo.Block()
    sources = inputs.sources
    heat = inputs.source_heat_MW.to_numpy()
    cop = inputs.cop.to_numpy()
    direct_ok = inputs.direct_ok.to_numpy()
    column = {s: i for i, s in enumerate(sources.index)}

    b.S = pyo.Set(initialize=list(sources.index), doc="data-center campuses")
    b.hp_capacity_MW = pyo.Var(b.S, within=pyo.NonNegativeReals, doc="heat-pump capacity [MW heat]")
    b.hp_heat_MW = pyo.Var(b.S, m.T, within=pyo.NonNegativeReals, doc="heat-pump heat output [MW]")
    b.direct_MW = pyo.Var(
        b.S,
        m.T,
        bounds=lambda b, s, t: (0.0, float(heat[t, column[s]]) if direct_ok[t, column[s]] else 0.0),
        doc="source heat fed directly through a heat exchanger [MW]",
    )

    @b.Constraint(b.S, m.T)
    def hp_limit(b, s, t):  # H_t <= capacity
        return b.hp_heat_MW[s, t] <= b.hp_capacity_MW[s]

    b.recoverable_MW = pyo.Expression(
        b.S, m.T, rule=lambda b, s, t: float(heat[t, column[s]]), doc="recoverable heat Q_src,t [MW]"
    )  # a campus with its own electricity: share x IT served, set by `dhopt.model.power`

    @b.Constraint(b.S, m.T)
    def source_limit(b, s, t):  # H_t (1 - 1/COP_t) + D_t <= Q_src,t
        return (1.0 - 1.0 / cop[t, column[s]]) * b.hp_heat_MW[s, t] + b.direct_MW[s, t] <= b.recoverable_MW[s, t]

    @b.Expression(b.S, m.T)
    def electricity_MW(b, s, t):  # P_t = H_t / COP_t
        return b.hp_heat_MW[s, t] / float(cop[t, column[s]])

    if inputs.scalars.hp_unit_MW:
        _add_units(m, b, inputs.scalars.hp_unit_MW, inputs.scalars.hp_min_part_load)
    set_campus_bounds(b, inputs)
    return b


def set_campus_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """Heat-pump capacity <= the campus's largest heat pump [MW]; with units, at most ceil(max / unit) units."""
    hp_max = inputs.sources["hp_max_MW"].to_dict()
    unit_MW = inputs.scalars.hp_unit_MW
    for s in b.S:
        if unit_MW:
            most = math.ceil(hp_max[s] / unit_MW - 1e-9)
            b.units[s].setub(most)
            for t in b.parent_block().T:
                b.units_on[s, t].setub(most)
            b.hp_capacity_MW[s].setub(most * unit_MW)
        else:
            b.hp_capacity_MW[s].setub(hp_max[s])


def _add_units(m, b, unit_MW: float, min_part_load: float) -> None:
    """Capacity in whole units; each running unit produces between min part load and full load."""
    b.units = pyo.Var(b.S, within=pyo.NonNegativeIntegers, doc="units built")
    b.units_on = pyo.Var(b.S, m.T, within=pyo.NonNegativeIntegers, doc="units running")

    @b.Constraint(b.S)
    def capacity_in_units(b, s):
        return b.hp_capacity_MW[s] == unit_MW * b.units[s]

    @b.Constraint(b.S, m.T)
    def on_limit(b, s, t):
        return b.units_on[s, t] <= b.units[s]

    @b.Constraint(b.S, m.T)
    def full_load(b, s, t):
        return b.hp_heat_MW[s, t] <= unit_MW * b.units_on[s, t]

    @b.Constraint(b.S, m.T)
    def part_load(b, s, t):
        return b.hp_heat_MW[s, t] >= min_part_load * unit_MW * b.units_on[s, t]
