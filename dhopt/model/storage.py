"""Thermal storage whose capacity is a decision: steel tanks (`m.storage`, at nodes) and pit thermal
storage (`m.pits`, PTES, one per site with a fixed cost when built), one formulation for both.

Level e_t = (1 - lambda) e_{t-1} + c_t - d_t with 1-hour steps; charge c_t and discharge
d_t <= E / charge_hours.

Over consecutive hours the level is cyclic over the horizon (e_{-1} = e_{T-1}) and 0 <= e_t <= E.
Over typical days (Kotzur et al. 2018, inter-period linking) e_t is the level relative to the start
of its typical day (e = 0 before its first hour); the day-to-day state s_d follows the real order
of the days, s_{d+1} = (1 - lambda)^24 s_d + e_end(c_d), cyclic over the year, and the absolute
level stays within bounds through each typical day's lowest and highest relative level:
s_d + min_h e(c_d) >= 0, s_d + max_h e(c_d) <= E (decay within a day neglected in these bounds).
A pit's capacity E <= max_MWh y with y in {0, 1} whether it is built (its fixed cost, DEA sheet 140).
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs


def add_storage(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    """Steel tanks at `inputs.storage_sites` (nodes), with the case's loss and power ratio."""
    b = m.storage = pyo.Block()
    sites = list(inputs.storage_sites.index)
    b.K = pyo.Set(initialize=sites, doc="storage sites (nodes)")
    b.capacity_MWh = pyo.Var(b.K, within=pyo.NonNegativeReals, doc="storage capacity [MWh]")
    set_storage_bounds(b, inputs)
    scalars = inputs.scalars
    _add_store(m, b, inputs, dict.fromkeys(sites, scalars.storage_keep_per_h), scalars.storage_power_per_MWh)
    return b


def add_pit_storage(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    """Pit thermal storage at `inputs.pits` (ids ptes@node), each with its own loss and power ratio."""
    b = m.pits = pyo.Block()
    pits = inputs.pits
    b.K = pyo.Set(initialize=list(pits.index), doc="pit storage sites")
    b.capacity_MWh = pyo.Var(b.K, within=pyo.NonNegativeReals, doc="pit capacity [MWh]")
    b.built = pyo.Var(b.K, within=pyo.Binary, doc="pit built (its fixed cost)")
    largest = pits["max_MWh"].to_dict()

    @b.Constraint(b.K)
    def built_limit(b, k):  # E <= max_MWh y
        return b.capacity_MWh[k] <= float(largest[k]) * b.built[k]

    set_pit_bounds(b, inputs)
    power = pits["power_per_MWh"].to_dict()
    _add_store(m, b, inputs, pits["keep_per_h"].to_dict(), lambda k: power[k])
    return b


def _add_store(m, b: pyo.Block, inputs: Inputs, keep: dict, power) -> None:
    """Level, charge and discharge of the stores of `b` (its set K and capacity_MWh): `keep` per store,
    `power` a number or a function of the store [MW/MWh]."""
    power_of = power if callable(power) else (lambda k: power)
    period = inputs.period_hours or len(inputs.weight_h)
    linked = inputs.period_sequence is not None

    b.level_MWh = pyo.Var(
        b.K, m.T, within=pyo.Reals if linked else pyo.NonNegativeReals, doc="stored heat at the end of the hour [MWh]"
    )
    b.charge_MW = pyo.Var(b.K, m.T, within=pyo.NonNegativeReals, doc="charging [MW]")
    b.discharge_MW = pyo.Var(b.K, m.T, within=pyo.NonNegativeReals, doc="discharging [MW]")

    @b.Constraint(b.K, m.T)
    def charge_limit(b, k, t):  # c_t <= E / charge_hours
        return b.charge_MW[k, t] <= power_of(k) * b.capacity_MWh[k]

    @b.Constraint(b.K, m.T)
    def discharge_limit(b, k, t):  # d_t <= E / charge_hours
        return b.discharge_MW[k, t] <= power_of(k) * b.capacity_MWh[k]

    @b.Constraint(b.K, m.T)
    def energy_balance(b, k, t):  # e_t = (1 - lambda) e_{t-1} + c_t - d_t
        flow = b.charge_MW[k, t] - b.discharge_MW[k, t]
        if t % period == 0 and linked:  # relative level: empty before the typical day starts
            return b.level_MWh[k, t] == flow
        previous = b.level_MWh[k, t + period - 1 if t % period == 0 else t - 1]
        return b.level_MWh[k, t] == keep[k] * previous + flow

    if linked:
        _link_periods(m, b, inputs, {k: v**period for k, v in keep.items()}, period)
    else:

        @b.Constraint(b.K, m.T)
        def level_limit(b, k, t):  # e_t <= E
            return b.level_MWh[k, t] <= b.capacity_MWh[k]


def set_storage_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """Storage capacity <= the site's largest tank [MWh]."""
    for k in b.K:
        b.capacity_MWh[k].setub(float(inputs.storage_sites[k]))


def set_pit_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """Pit capacity <= the site's largest pit [MWh]."""
    largest = inputs.pits["max_MWh"].to_dict()
    for k in b.K:
        b.capacity_MWh[k].setub(float(largest[k]))


def _link_periods(m, b, inputs: Inputs, keep_per_period: dict, period: int) -> None:
    """Day-to-day state of charge over the real sequence of days (Kotzur et al. 2018); `keep_per_period`
    per store."""
    sequence = [int(c) for c in inputs.period_sequence]
    typical = range(len(inputs.weight_h) // period)
    b.P = pyo.Set(initialize=list(typical), doc="typical periods")
    b.Q = pyo.RangeSet(0, len(sequence), doc="boundaries between the periods of the horizon")
    b.state_MWh = pyo.Var(b.K, b.Q, within=pyo.NonNegativeReals, doc="stored heat at the start of each period [MWh]")
    b.period_max_MWh = pyo.Var(b.K, b.P, within=pyo.NonNegativeReals, doc="highest relative level in a period")
    b.period_min_MWh = pyo.Var(b.K, b.P, within=pyo.NonPositiveReals, doc="lowest relative level in a period")

    @b.Constraint(b.K, m.T)
    def below_max(b, k, t):
        return b.level_MWh[k, t] <= b.period_max_MWh[k, t // period]

    @b.Constraint(b.K, m.T)
    def above_min(b, k, t):
        return b.level_MWh[k, t] >= b.period_min_MWh[k, t // period]

    @b.Constraint(b.K, b.Q)
    def state_balance(b, k, q):  # s_{d+1} = (1 - lambda)^24 s_d + e_end(c_d); s_D = s_0
        if q == len(sequence):
            return b.state_MWh[k, q] == b.state_MWh[k, 0]
        end = sequence[q] * period + period - 1
        return b.state_MWh[k, q + 1] == keep_per_period[k] * b.state_MWh[k, q] + b.level_MWh[k, end]

    @b.Constraint(b.K, b.Q)
    def state_low(b, k, q):
        if q == len(sequence):
            return pyo.Constraint.Skip
        return b.state_MWh[k, q] + b.period_min_MWh[k, sequence[q]] >= 0

    @b.Constraint(b.K, b.Q)
    def state_high(b, k, q):
        if q == len(sequence):
            return pyo.Constraint.Skip
        return b.state_MWh[k, q] + b.period_max_MWh[k, sequence[q]] <= b.capacity_MWh[k]
