"""Annual cost [EUR/yr]: annualised investment plus weighted hourly operating cost.

cost = sum_s (a_hp I_hp + F_hp) H_s + sum_k (a_st I_st + F_st) E_k + sum_(pipe,dn) A_(pipe,dn) y
     + sum_t w_t [ sum_s (p_t / COP_st + v_hp) H_st + sum_p c_pt q_pt + pi sum_n u_nt ]
with a the annuity factor, w_t the hours of the year that step t stands for, p_t the electricity
price including grid tariff and c_pt plant fuel, O&M, CO2 and electricity cost.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs
from dhopt.physics import annuity_factor


def add_objective(m: pyo.ConcreteModel, inputs: Inputs) -> None:
    spec = inputs.case.spec
    rate = spec.economics.discount_rate
    hp, st = spec.heat_pump, spec.storage
    hp_annual = annuity_factor(rate, hp.lifetime_yr) * hp.investment_EUR_per_MW + hp.fixed_om_EUR_per_MW_yr
    st_annual = annuity_factor(rate, st.lifetime_yr) * st.investment_EUR_per_MWh + st.fixed_om_EUR_per_MWh_yr
    pipe_annual = inputs.options["annual_cost_EUR"].to_dict()
    weight = inputs.weight_h
    price = inputs.electricity_EUR_per_MWh.to_numpy()
    cop = inputs.cop.to_numpy()
    source_column = {s: i for i, s in enumerate(inputs.sources.index)}
    plant_cost = inputs.plant_cost_EUR_per_MWh.to_numpy()
    plant_column = {p: i for i, p in enumerate(inputs.plants.index)}
    penalty = spec.demand.unmet_penalty_EUR_per_MWh

    m.investment_EUR = pyo.Expression(
        expr=sum(hp_annual * m.campus.hp_capacity_MW[s] for s in m.campus.S)
        + sum(st_annual * m.storage.capacity_MWh[k] for k in m.storage.K)
        + sum(pipe_annual[o] * m.pipes.build[o] for o in m.pipes.O)
        + inputs.forced_cost_EUR  # candidate pipes that are the only way to demand (connect_all)
    )
    m.operation_EUR = pyo.Expression(
        expr=sum(
            float(weight[t])
            * (
                sum(
                    (float(price[t] / cop[t, source_column[s]]) + hp.variable_om_EUR_per_MWh)
                    * m.campus.hp_heat_MW[s, t]
                    for s in m.campus.S
                )
                + sum(float(plant_cost[t, plant_column[p]]) * m.plants.heat_MW[p, t] for p in m.plants.P)
                + sum(penalty * m.unmet_MW[n, t] for n in m.D)
            )
            for t in m.T
        )
    )
    m.cost = pyo.Objective(expr=m.investment_EUR + m.operation_EUR, sense=pyo.minimize)
