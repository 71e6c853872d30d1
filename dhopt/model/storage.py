"""Thermal storage (hot-water tanks) whose capacity is a decision.

Level e_t = (1 - lambda) e_{t-1} + c_t - d_t with 1-hour steps, cyclic over the horizon
(e_{-1} = e_{T-1}), or over each typical period when the inputs are typical days; e_t <= E;
charge c_t and discharge d_t <= E / charge_hours.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_storage(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.storage = pyo.Block()
    spec = inputs.case.spec.storage
    sites = inputs.storage_sites
    keep = 1.0 - spec.loss_per_hour
    power_share = 1.0 / spec.charge_hours
    period = inputs.period_hours or len(inputs.weight_h)

    b.K = pyo.Set(initialize=list(sites.index), doc="storage sites (nodes)")
    b.capacity_MWh = pyo.Var(b.K, bounds=lambda b, k: (0.0, float(sites[k])), doc="storage capacity [MWh]")
    b.level_MWh = pyo.Var(b.K, m.T, within=pyo.NonNegativeReals, doc="stored heat at the end of the hour [MWh]")
    b.charge_MW = pyo.Var(b.K, m.T, within=pyo.NonNegativeReals, doc="charging [MW]")
    b.discharge_MW = pyo.Var(b.K, m.T, within=pyo.NonNegativeReals, doc="discharging [MW]")

    @b.Constraint(b.K, m.T)
    def level_limit(b, k, t):  # e_t <= E
        return b.level_MWh[k, t] <= b.capacity_MWh[k]

    @b.Constraint(b.K, m.T)
    def charge_limit(b, k, t):  # c_t <= E / charge_hours
        return b.charge_MW[k, t] <= power_share * b.capacity_MWh[k]

    @b.Constraint(b.K, m.T)
    def discharge_limit(b, k, t):  # d_t <= E / charge_hours
        return b.discharge_MW[k, t] <= power_share * b.capacity_MWh[k]

    @b.Constraint(b.K, m.T)
    def energy_balance(b, k, t):  # e_t = (1 - lambda) e_{t-1} + c_t - d_t, cyclic
        previous = b.level_MWh[k, t + period - 1 if t % period == 0 else t - 1]
        return b.level_MWh[k, t] == keep * previous + b.charge_MW[k, t] - b.discharge_MW[k, t]

    return b
