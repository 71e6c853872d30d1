"""Data-center campuses and their booster heat pumps.

Recoverable heat Q_src,t = IT load x utilisation_t x recovered share [MW]. A heat pump lifts part
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
    hp = inputs.case.spec.heat_pump
    heat = inputs.source_heat_MW.to_numpy()
    cop = inputs.cop.to_numpy()
    direct_ok = inputs.direct_ok.to_numpy()
    column = {s: i for i, s in enumerate(sources.index)}
    hp_max = sources["hp_max_MW"].to_dict()

    b.S = pyo.Set(initialize=list(sources.index), doc="data-center campuses")
    b.hp_capacity_MW = pyo.Var(b.S, bounds=lambda b, s: (0.0, hp_max[s]), doc="heat-pump capacity [MW heat]")
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

    @b.Constraint(b.S, m.T)
    def source_limit(b, s, t):  # H_t (1 - 1/COP_t) + D_t <= Q_src,t
        i = column[s]
        return (1.0 - 1.0 / cop[t, i]) * b.hp_heat_MW[s, t] + b.direct_MW[s, t] <= float(heat[t, i])

    @b.Expression(b.S, m.T)
    def electricity_MW(b, s, t):  # P_t = H_t / COP_t
        return b.hp_heat_MW[s, t] / float(cop[t, column[s]])

    if hp.unit_size_MW:
        _add_units(m, b, hp.unit_size_MW, hp.min_part_load, hp_max)
    return b


def _add_units(m, b, unit_MW: float, min_part_load: float, hp_max: dict) -> None:
    """Capacity in whole units; each running unit produces between min part load and full load."""
    most = {s: math.ceil(hp_max[s] / unit_MW - 1e-9) for s in b.S}
    b.units = pyo.Var(b.S, within=pyo.NonNegativeIntegers, bounds=lambda b, s: (0, most[s]), doc="units built")
    b.units_on = pyo.Var(
        b.S, m.T, within=pyo.NonNegativeIntegers, bounds=lambda b, s, t: (0, most[s]), doc="units running"
    )
    b.hp_capacity_MW.setub(None)
    for s in b.S:
        b.hp_capacity_MW[s].setub(most[s] * unit_MW)

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
