"""Annual cost [EUR/yr]: annualised investment plus weighted hourly operating cost.

cost = sum_s (a_hp I_hp + F_hp) H_s + sum_k (a_st I_st + F_st) E_k + sum_(pipe,dn) A_(pipe,dn) y
     + sum_t w_t [ sum_s (p_t / COP_st + v_hp) H_st + sum_p c_pt q_pt + pi sum_n u_nt ]
with a the annuity factor, w_t the hours of the year that step t stands for, p_t the electricity
price including grid tariff and c_pt plant fuel, O&M, CO2 and electricity cost.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from dhopt.inputs import Inputs
from dhopt.physics import annuity_factor


def cost_variables(m: pyo.ConcreteModel) -> tuple[list, list]:
    """The variables of the investment and of the operating cost, in the order of `cost_coefficients`."""
    investment = [*m.campus.hp_capacity_MW.values(), *m.storage.capacity_MWh.values(), *m.pipes.build.values()]
    operation = [
        var[key, t]
        for t in m.T
        for var, keys in ((m.campus.hp_heat_MW, m.campus.S), (m.plants.heat_MW, m.plants.P), (m.unmet_MW, m.D))
        for key in keys
    ]
    return investment, operation


def heat_pump_cost_EUR_per_MWh(inputs: Inputs) -> np.ndarray:
    """Operating cost of a MWh of heat-pump heat, time x source: electricity / COP_t + variable O&M."""
    price = inputs.electricity_EUR_per_MWh.to_numpy()[:, None]
    return price / inputs.cop.to_numpy() + inputs.case.spec.heat_pump.variable_om_EUR_per_MWh


def cost_coefficients(m: pyo.ConcreteModel, inputs: Inputs) -> tuple[np.ndarray, np.ndarray, float]:
    """Investment coefficients [EUR/yr per MW, MWh or pipe], operating ones [EUR/yr per MW] and the
    constant [EUR/yr] of the annual cost, for the variables of `cost_variables` (see the module doc)."""
    spec = inputs.case.spec
    rate = spec.economics.discount_rate
    hp, st = spec.heat_pump, spec.storage
    hp_annual = annuity_factor(rate, hp.lifetime_yr) * hp.investment_EUR_per_MW + hp.fixed_om_EUR_per_MW_yr
    st_annual = annuity_factor(rate, st.lifetime_yr) * st.investment_EUR_per_MWh + st.fixed_om_EUR_per_MWh_yr
    pipe_annual = inputs.options["annual_cost_EUR"]
    investment = np.concatenate(
        [
            np.full(len(m.campus.S), hp_annual),
            np.full(len(m.storage.K), st_annual),
            pipe_annual.loc[list(m.pipes.O)].to_numpy(dtype=float) if len(m.pipes.O) else np.zeros(0),
        ]
    )
    weight = np.asarray(inputs.weight_h, dtype=float)[:, None]
    sources = inputs.sources.index.get_indexer(list(m.campus.S))
    plants = inputs.plants.index.get_indexer(list(m.plants.P))
    hp_cost = heat_pump_cost_EUR_per_MWh(inputs)[:, sources]
    plant_cost = inputs.plant_cost_EUR_per_MWh.to_numpy()[:, plants]
    unmet_cost = np.full((len(weight), len(m.D)), spec.demand.unmet_penalty_EUR_per_MWh)
    operation = weight * np.hstack([hp_cost, plant_cost, unmet_cost])  # time x (sources, plants, demand nodes)
    # candidate pipes that are the only way to demand (connect_all) or built by the design: a constant
    return investment, operation.ravel(), float(inputs.forced_cost_EUR)


def set_cost(m: pyo.ConcreteModel, inputs: Inputs, variables: tuple[list, list] | None = None) -> None:
    """(Re)write `m.investment_EUR` and `m.operation_EUR` from `inputs`; `variables`: `cost_variables(m)`."""
    investment_vars, operation_vars = variables or cost_variables(m)
    investment, operation, constant = cost_coefficients(m, inputs)
    m.investment_EUR.set_value(
        LinearExpression(constant=constant, linear_coefs=investment.tolist(), linear_vars=investment_vars)
    )
    m.operation_EUR.set_value(
        LinearExpression(constant=0.0, linear_coefs=operation.tolist(), linear_vars=operation_vars)
    )


def add_objective(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    m.investment_EUR = pyo.Expression(doc="annualised investment and fixed O&M [EUR/yr]")
    m.operation_EUR = pyo.Expression(doc="operating cost of the year [EUR/yr]")
    set_cost(m, inputs)
    m.cost = pyo.Objective(expr=m.investment_EUR + m.operation_EUR, sense=pyo.minimize)
