"""The objective: annual cost [EUR/yr] (annualised investment plus weighted hourly operating cost),
or annual CO2 [t/yr]; and the annual CO2 cap.

cost = sum_s (a_hp I_hp + F_hp) H_s + sum_k (a_st I_st + F_st) E_k + sum_(pipe,dn) A_(pipe,dn) y + P x
     + sum_u A_u C_u + sum_j (A_j E_j + B_j z_j) + sum_c (A_pv P_c + A_E E_c + A_B B_c + A_G G_c)
     + pi U_forced + sum_t w_t [ sum_s (p_t / COP_st + v_hp) H_st + sum_p c_pt q_pt + pi sum_n u_nt
                   + sum_u (p_t / COP_ut + v_u) h_ut + sum_c (p_t m_ct + c_g g_ct + v_x x_ct - p^x_t s_ct) ]
co2  = sum_t w_t [ sum_s g H_st / COP_st + sum_p (k_p + g e_p) q_pt + sum_u g h_ut / COP_ut
                   + sum_c (g m_ct + k_g g_ct) ]  <= cap + x
with, for a campus c with its own electricity (`dhopt.model.power`), its PV, battery energy and power and
backup capacities at their annual costs A, grid import m at p_t, grid export s earning p^x_t (spot minus
export fee; no CO2 credit), backup electricity g at c_g (fuel, O&M,
CO2 price) emitting k_g, IT curtailed x at the value of lost compute v_x; its heat pumps' electricity is
then in its own balance, not in the p_t / COP_st and g / COP_st terms.
with a the annuity factor, w_t the hours of the year that step t stands for, p_t the electricity
price including grid tariff, c_pt plant fuel, O&M, CO2 and electricity cost, g the grid emission
factor, k_p a plant's emission factor, e_p its electricity per heat (e-boilers), x >= 0 the tonnes
above the cap at P EUR/t; new units u (capacity C_u, heat h_ut, annual cost per MW A_u) and pits j
(capacity E_j, built z_j, annual cost per MWh A_j and per pit B_j); U_forced the heat demand trees cannot
receive (`dhopt.trees.forced_unmet_MWh`) [MWh/yr]. Minimising CO2, the objective is
co2 + x + M (U_forced + sum_t w_t sum_n u_nt), with M large enough that no demand is left unmet to save CO2 (`dhopt.inputs.with_co2_weights`).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from dhopt.inputs import Inputs
from dhopt.model.fleet import MOVE_EUR_PER_MWH
from dhopt.model.power import CAPACITIES as POWER_CAPACITIES
from dhopt.model.power import OPERATION as POWER_OPERATION
from dhopt.trees import forced_unmet_MWh


def cost_variables(m: pyo.ConcreteModel) -> tuple[list, list]:
    """The variables of the investment (with the CO2 excess, if capped) and of the operating cost,
    in the order of `cost_coefficients`."""
    investment = [*m.campus.hp_capacity_MW.values(), *m.storage.capacity_MWh.values(), *m.pipes.build.values()]
    investment += [*m.production.capacity_MW.values(), *m.pits.capacity_MWh.values(), *m.pits.built.values()]
    investment += [getattr(m.power, name)[c] for name in POWER_CAPACITIES for c in m.power.C]
    investment += list(m.fleet.hp_capacity_MW.values())
    if m.find_component("co2_excess_t") is not None:
        investment.append(m.co2_excess_t)
    hourly = [(m.campus.hp_heat_MW, m.campus.S), (m.plants.heat_MW, m.plants.P), (m.unmet_MW, m.D)]
    hourly += [(m.production.heat_MW, m.production.U)]
    hourly += [(m.power.component(name), m.power.C) for name in POWER_OPERATION if m.power.component(name) is not None]
    hourly += [(m.fleet.building_MW, m.fleet.U), (m.fleet.export_MW, m.fleet.U), (m.fleet.moved_in_MW, m.fleet.M)]
    operation = [var[key, t] for t in m.T for var, keys in hourly for key in keys]
    return investment, operation


def heat_pump_cost_EUR_per_MWh(inputs: Inputs) -> np.ndarray:
    """Operating cost of a MWh of heat-pump heat, time x source: electricity / COP_t + variable O&M; a
    campus with its own electricity pays its electricity through its power balance (`dhopt.model.power`)."""
    price = inputs.electricity_EUR_per_MWh.to_numpy()[:, None] * _on_grid(inputs)
    return price / inputs.cop.to_numpy() + inputs.scalars.hp_variable_om_EUR_per_MWh


def unit_cost_EUR_per_MWh(inputs: Inputs) -> np.ndarray:
    """Operating cost of a MWh of a new unit's heat, time x unit: electricity / COP_t + variable O&M."""
    price = inputs.electricity_EUR_per_MWh.to_numpy()[:, None]
    vom = inputs.unit_cost["variable_om_EUR_per_MWh"].reindex(inputs.unit_cop.columns).to_numpy(dtype=float)
    return price / inputs.unit_cop.to_numpy() + vom[None, :]


def fleet_el_per_heat(m: pyo.ConcreteModel, inputs: Inputs) -> np.ndarray:
    """Electricity per heat of the fleet's heat to the hosts and into the network, and 0 for the compute
    moved, time x (2 x unit + units whose compute may move) [-]."""
    moved = np.zeros((len(inputs.weight_h), len(m.fleet.M)))
    building, network = inputs.fleet_el_per_heat_building.to_numpy(), inputs.fleet_el_per_heat_network.to_numpy()
    return np.hstack([building, network, moved])


def fleet_cost_EUR_per_MWh(m: pyo.ConcreteModel, inputs: Inputs) -> np.ndarray:
    """Operating cost of a MWh of fleet heat, time x (2 x unit): p_t e_ut + v_u where a heat pump lifts it;
    then of a MWh of compute moved, the tie-break `MOVE_EUR_PER_MWH`."""
    per_heat = fleet_el_per_heat(m, inputs)
    vom = np.tile(inputs.fleet["variable_om_EUR_per_MWh"].to_numpy(dtype=float), 2)
    vom = np.r_[vom, np.full(len(m.fleet.M), MOVE_EUR_PER_MWH)][None, :]
    moved = np.r_[np.zeros(2 * len(inputs.fleet)), np.ones(len(m.fleet.M))][None, :]
    return inputs.electricity_EUR_per_MWh.to_numpy()[:, None] * per_heat + vom * ((per_heat > 0) + moved)


def _on_grid(inputs: Inputs) -> np.ndarray:
    """1 for a campus whose heat pumps buy from the grid directly, 0 for one with its own power side."""
    return (~inputs.sources.index.isin(inputs.power.index)).astype(float)[None, :]


def _operation(
    m: pyo.ConcreteModel,
    inputs: Inputs,
    hp: np.ndarray,
    plant: np.ndarray,
    unmet: float,
    unit: np.ndarray,
    power: np.ndarray,
    fleet: np.ndarray,
) -> np.ndarray:
    """w_t x [hp (time x source), plant (time x plant), unmet, unit (time x unit), power (time x
    `POWER_OPERATION` x campus), fleet (time x (2 x unit))] in the order of `cost_variables`' operation."""
    weight = np.asarray(inputs.weight_h, dtype=float)[:, None]
    sources = inputs.sources.index.get_indexer(list(m.campus.S))
    plants = inputs.plants.index.get_indexer(list(m.plants.P))
    units = inputs.unit_cop.columns.get_indexer(list(m.production.U))
    unmet_block = np.full((len(weight), len(m.D)), unmet)
    return (weight * np.hstack([hp[:, sources], plant[:, plants], unmet_block, unit[:, units], power, fleet])).ravel()


def _power_operation(
    inputs: Inputs, import_per_MWh: np.ndarray, per_campus: list[np.ndarray], export_per_MWh: np.ndarray
) -> np.ndarray:
    """time x (import, backup, curtailed[, export]) x campus (`POWER_OPERATION`): grid import and, when the
    case exports, export at `import_per_MWh` and `export_per_MWh` (time), the others constant per campus
    (`per_campus`: backup, curtailed)."""
    steps, campuses = len(inputs.weight_h), len(inputs.power)
    blocks = [np.outer(import_per_MWh, np.ones(campuses))]
    blocks += [np.broadcast_to(np.asarray(v, dtype=float), (steps, campuses)) for v in per_campus]
    if inputs.exports:
        blocks.append(np.outer(export_per_MWh, np.ones(campuses)))
    return np.hstack(blocks) if campuses else np.zeros((steps, 0))


def _power_capacity_cost(inputs: Inputs) -> np.ndarray:
    """Annual cost per unit of each power capacity [EUR/yr per MWp, MWh, MW], in `cost_variables`' order."""
    columns = ("pv_annual_EUR_per_MWp", "battery_annual_EUR_per_MWh", "battery_annual_EUR_per_MW")
    return inputs.power_cost[[*columns, "backup_annual_EUR_per_MW"]].to_numpy(dtype=float).T.ravel()


def cost_coefficients(m: pyo.ConcreteModel, inputs: Inputs) -> tuple[np.ndarray, np.ndarray, float]:
    """Investment coefficients [EUR/yr per MW, MWh, pipe or t above the cap], operating ones [EUR/yr
    per MW] and the constant [EUR/yr] of the annual cost, for the variables of `cost_variables`."""
    scalars = inputs.scalars
    pipe_annual = inputs.options["annual_cost_EUR"]
    investment = np.concatenate(
        [
            np.full(len(m.campus.S), scalars.hp_annual_EUR_per_MW),
            np.full(len(m.storage.K), scalars.storage_annual_EUR_per_MWh),
            pipe_annual.loc[list(m.pipes.O)].to_numpy(dtype=float) if len(m.pipes.O) else np.zeros(0),
            inputs.unit_cost["annual_EUR_per_MW"].reindex(list(m.production.U)).to_numpy(dtype=float),
            inputs.pit_cost["annual_EUR_per_MWh"].reindex(list(m.pits.K)).to_numpy(dtype=float),
            inputs.pit_cost["fixed_annual_EUR"].reindex(list(m.pits.K)).to_numpy(dtype=float),
            _power_capacity_cost(inputs),
            inputs.fleet["annual_EUR_per_MW"].to_numpy(dtype=float),
            [scalars.co2_excess_EUR_per_t] if m.find_component("co2_excess_t") is not None else [],
        ]
    )
    cost = inputs.power_cost
    power = _power_operation(
        inputs,
        inputs.electricity_EUR_per_MWh.to_numpy(),
        [cost["backup_EUR_per_MWh"], cost["lost_compute_EUR_per_MWh"]],
        -inputs.export_price_EUR_per_MWh.to_numpy(),  # a revenue
    )
    operation = _operation(
        m, inputs, heat_pump_cost_EUR_per_MWh(inputs), inputs.plant_cost_EUR_per_MWh.to_numpy(),
        scalars.unmet_penalty_EUR_per_MWh, unit_cost_EUR_per_MWh(inputs), power, fleet_cost_EUR_per_MWh(m, inputs),
    )  # fmt: skip
    # candidate pipes that are the only way to demand (connect_all) or built by the design, and the heat
    # demand trees cannot receive (`dhopt.trees`): constants
    constant = float(inputs.forced_cost_EUR) + scalars.unmet_penalty_EUR_per_MWh * forced_unmet_MWh(inputs)
    return investment, operation, constant


def co2_operation(m: pyo.ConcreteModel, inputs: Inputs, unmet_t_per_MWh: float = 0.0) -> np.ndarray:
    """CO2 coefficients [t/yr per MW] of the operating variables of `cost_variables` (unmet heat weighted
    `unmet_t_per_MWh`): heat pumps g / COP_t, plants k_p + g e_p."""
    g = inputs.scalars.grid_co2_t_per_MWh
    steps = len(inputs.weight_h)
    plant = inputs.plants["co2_t_per_MWh"].to_numpy(dtype=float) + g * inputs.plant_electricity_per_heat.reindex(
        inputs.plants.index
    ).to_numpy(dtype=float)
    units = g / inputs.unit_cop.to_numpy()
    power = _power_operation(inputs, np.full(steps, g), [inputs.power["backup_co2_t_per_MWh"], 0.0], np.zeros(steps))
    hp = g * _on_grid(inputs) / inputs.cop.to_numpy()
    fleet = g * fleet_el_per_heat(m, inputs)
    return _operation(m, inputs, hp, np.tile(plant, (steps, 1)), unmet_t_per_MWh, units, power, fleet)


def objective_coefficients(m: pyo.ConcreteModel, inputs: Inputs) -> tuple[np.ndarray, np.ndarray, float]:
    """The active objective's coefficients for `cost_variables`: the annual cost, or when minimising
    CO2 [t/yr] the CO2 of operation, 1 per tonne above the cap and M per MWh unmet."""
    if not inputs.scalars.minimise_co2:
        return cost_coefficients(m, inputs)
    capped = m.find_component("co2_excess_t") is not None
    sized = len(m.campus.S) + len(m.storage.K) + len(m.pipes.O) + len(m.production.U) + 2 * len(m.pits.K)
    sized += len(POWER_CAPACITIES) * len(m.power.C) + len(m.fleet.U)
    investment = np.concatenate([np.zeros(sized), [1.0] if capped else []])  # 1 per tonne above the cap
    unmet_t = inputs.scalars.unmet_co2_t_per_MWh
    return investment, co2_operation(m, inputs, unmet_t), unmet_t * forced_unmet_MWh(inputs)


def set_cost(m: pyo.ConcreteModel, inputs: Inputs, variables: tuple[list, list] | None = None) -> None:
    """(Re)write `m.investment_EUR`, `m.operation_EUR` and, minimising CO2, `m.co2_objective` from
    `inputs`; `variables`: `cost_variables(m)`."""
    investment_vars, operation_vars = variables or cost_variables(m)
    investment, operation, constant = cost_coefficients(m, inputs)
    pipes = float(inputs.forced_cost_EUR)  # investment; the rest of the constant is unmet heat (operation)
    m.investment_EUR.set_value(
        LinearExpression(constant=pipes, linear_coefs=investment.tolist(), linear_vars=investment_vars)
    )
    m.operation_EUR.set_value(
        LinearExpression(constant=constant - pipes, linear_coefs=operation.tolist(), linear_vars=operation_vars)
    )
    if inputs.scalars.minimise_co2:
        investment, operation, constant = objective_coefficients(m, inputs)
        m.co2_objective.expr = LinearExpression(
            constant=constant,
            linear_coefs=investment.tolist() + operation.tolist(),
            linear_vars=list(investment_vars) + list(operation_vars),
        )


def add_co2_cap(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    """`m.co2_t` (annual CO2 of operation [t/yr]) and, with a cap, co2_t - x <= cap with x >= 0 the
    tonnes above it (`m.co2_excess_t`, costed in the objective); built when capped or minimising CO2."""
    scalars = inputs.scalars
    if scalars.co2_cap_t is None and not scalars.minimise_co2:
        return
    _, operation_vars = cost_variables(m)
    coefficients = co2_operation(m, inputs)
    emitting = np.flatnonzero(coefficients)
    m.co2_t = pyo.Expression(
        expr=LinearExpression(
            constant=0.0,
            linear_coefs=coefficients[emitting].tolist(),
            linear_vars=[operation_vars[i] for i in emitting],
        ),
        doc="annual CO2 of plants and grid electricity [t/yr]",
    )
    if scalars.co2_cap_t is not None:
        m.co2_cap_t = pyo.Param(mutable=True, initialize=scalars.co2_cap_t, doc="annual CO2 cap [t/yr]")
        m.co2_excess_t = pyo.Var(within=pyo.NonNegativeReals, doc="annual CO2 above the cap [t/yr]")
        m.co2_cap = pyo.Constraint(expr=m.co2_t - m.co2_excess_t <= m.co2_cap_t)


def add_objective(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    """`m.cost` [EUR/yr], active unless minimising CO2 (`m.co2_objective` [t/yr] then)."""
    m.investment_EUR = pyo.Expression(doc="annualised investment and fixed O&M, plus CO2 above the cap [EUR/yr]")
    m.operation_EUR = pyo.Expression(doc="operating cost of the year [EUR/yr]")
    m.cost = pyo.Objective(expr=m.investment_EUR + m.operation_EUR, sense=pyo.minimize)
    if inputs.scalars.minimise_co2:
        m.cost.deactivate()
        m.co2_objective = pyo.Objective(expr=0.0, sense=pyo.minimize)
    set_cost(m, inputs)
