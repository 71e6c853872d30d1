"""New heat production whose capacity is a decision: electric boilers and air-source and seawater heat
pumps at network nodes (`dhopt.production_inputs`, Danish Energy Agency figures).

Per unit u and hour t: heat H_ut <= capacity C_u <= max_MW, electricity P_ut = H_ut / COP_ut (COP or
boiler efficiency). The heat enters the nodal balance at the unit's node, the electricity the grid
import limit and the CO2; the cost (a I + F) C_u + sum_t w_t (p_t / COP_ut + v_u) H_ut is in the objective.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_production(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.production = pyo.Block()
    cop = inputs.unit_cop.to_numpy()
    column = {u: i for i, u in enumerate(inputs.unit_cop.columns)}
    b.U = pyo.Set(initialize=list(inputs.units.index), doc="new heat-production units (technology@node)")
    b.capacity_MW = pyo.Var(b.U, within=pyo.NonNegativeReals, doc="capacity built [MW heat]")
    b.heat_MW = pyo.Var(b.U, m.T, within=pyo.NonNegativeReals, doc="heat output [MW]")

    @b.Constraint(b.U, m.T)
    def heat_limit(b, u, t):  # H_ut <= C_u
        return b.heat_MW[u, t] <= b.capacity_MW[u]

    @b.Expression(b.U, m.T)
    def electricity_MW(b, u, t):  # P_ut = H_ut / COP_ut
        return b.heat_MW[u, t] / float(cop[t, column[u]])

    set_production_bounds(b, inputs)
    return b


def set_production_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """Capacity <= the unit's largest size [MW]."""
    largest = inputs.units["max_MW"].to_dict()
    for u in b.U:
        b.capacity_MW[u].setub(float(largest[u]))
