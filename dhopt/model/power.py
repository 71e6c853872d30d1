"""A campus's own electricity: PV, battery, backup generator, grid import and curtailable IT load.

For every campus c of `Inputs.power` and step t [MW, MWh; one-hour steps]:

    pv_ct <= Y_t P_c                        Y_t the pvlib AC yield per MWp (`dhopt.solar`); the rest is spilled
    e_ct = k e_c,t-1 + eta_ch ch_ct - dis_ct / eta_dis      cyclic over the horizon, or over each typical day
    e_ct <= E_c,  ch_ct <= B_c,  dis_ct <= B_c,  g_ct <= G_c,  0 <= m_ct <= M_c,  0 <= x_ct <= IT_ct
    pv_ct + dis_ct + g_ct + m_ct = PUE (IT_ct - x_ct) + hp_ct + ch_ct + s_ct     (electricity balance)
    s_ct <= pv_ct + dis_ct (+ g_ct if the backup may export),   sum_c s_ct <= X_t    (export)
    g_ct <= PUE (IT_ct - x_ct) + hp_ct + ch_ct                 (backup not exported: it serves the campus)

with P, E, B, G the PV [MWp], battery energy [MWh] and power [MW] and backup [MW] capacities (sized or
given), m the grid import (M = 0 off-grid), x the IT load curtailed, hp the heat pumps' electricity and
s the electricity sold to the grid, all campuses together at most the export limit X_t (0 off-grid;
the row `export_limit`, a mutable parameter; s and its rows exist only when X_t > 0 in some step).

Export earns p^x_t = spot_t - fee_t while import costs p_t = spot_t + tariff_t, fee and tariff >= 0
(`dhopt.inputs`), so p^x_t <= p_t: importing and exporting in the same hour never pays (lowering both
by d changes the cost by -d (p_t - p^x_t) <= 0 and loosens both grid limits), which keeps the LP free
of same-hour arbitrage without binaries. Storing grid electricity to sell it later stays allowed (a
battery's arbitrage over time). Electricity is fungible, so a backup that may not export can still
serve the campus while PV is sold, or charge the battery that sells: that pays only when p^x_t exceeds
its cost c_g (c_g / (eta_ch eta_dis) through the battery); forbidding it outright needs a binary per
hour, so the hours it happens are reported (`backup_while_exporting_h`, `dhopt.power_kpis`).
The servers' heat follows the IT load served: the campus's recoverable heat becomes
share x (IT_ct - x_ct) (`dhopt.model.campus`). A battery over typical days cycles within each day.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs

CAPACITIES = ("pv_capacity_MWp", "battery_energy_MWh", "battery_power_MW", "backup_capacity_MW")
"""The sized capacities of the block, in the order of their annual costs (`Inputs.power_cost`)."""
OPERATION = ("import_MW", "backup_MW", "curtailed_MW", "export_MW")
"""The hourly variables with an operating cost: grid import, backup electricity, IT curtailed and, when the
case exports (`Inputs.exports`), grid export (a revenue)."""


def add_power(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    """The power block over (campus, step); built after the campus block, whose heat it ties to the IT served."""
    b = m.power = pyo.Block()
    sites = inputs.power
    pv_yield = inputs.pv_yield_MW_per_MWp.to_numpy()
    it = inputs.it_load_MW.to_numpy()
    col = {c: i for i, c in enumerate(sites.index)}
    period = inputs.period_hours or len(inputs.weight_h)

    b.C = pyo.Set(initialize=list(sites.index), doc="campuses with their own electricity")
    for name, doc in zip(CAPACITIES, ("PV [MWp]", "battery energy [MWh]", "battery power [MW]", "backup [MW]")):
        setattr(b, name, pyo.Var(b.C, within=pyo.NonNegativeReals, doc=f"capacity built: {doc}"))
    hourly = {
        "pv_MW": "PV output used [MW]",
        "charge_MW": "battery charging [MW]",
        "discharge_MW": "battery discharging [MW]",
        "level_MWh": "battery energy at the end of the step [MWh]",
        "backup_MW": "backup generation [MW]",
        "import_MW": "grid import [MW]",
        "curtailed_MW": "IT load not served [MW]",
    }
    if inputs.exports:
        hourly["export_MW"] = "grid export [MW]"
    for name, doc in hourly.items():
        setattr(b, name, pyo.Var(b.C, m.T, within=pyo.NonNegativeReals, doc=doc))
    set_power_bounds(b, inputs)

    b.pv_limit = pyo.Constraint(
        b.C, m.T, rule=lambda b, c, t: b.pv_MW[c, t] <= float(pv_yield[t, col[c]]) * b.pv_capacity_MWp[c]
    )
    b.charge_limit = pyo.Constraint(b.C, m.T, rule=lambda b, c, t: b.charge_MW[c, t] <= b.battery_power_MW[c])
    b.discharge_limit = pyo.Constraint(b.C, m.T, rule=lambda b, c, t: b.discharge_MW[c, t] <= b.battery_power_MW[c])
    b.level_limit = pyo.Constraint(b.C, m.T, rule=lambda b, c, t: b.level_MWh[c, t] <= b.battery_energy_MWh[c])
    b.backup_limit = pyo.Constraint(b.C, m.T, rule=lambda b, c, t: b.backup_MW[c, t] <= b.backup_capacity_MW[c])

    keep, charge_eff, discharge_eff = (
        sites[n].to_dict() for n in ("keep_per_h", "charge_efficiency", "discharge_efficiency")
    )

    @b.Constraint(b.C, m.T)
    def battery_balance(b, c, t):  # e_t = k e_{t-1} + eta_ch ch_t - dis_t / eta_dis, cyclic per period
        previous = b.level_MWh[c, t + period - 1 if t % period == 0 else t - 1]
        flow = charge_eff[c] * b.charge_MW[c, t] - b.discharge_MW[c, t] / discharge_eff[c]
        return b.level_MWh[c, t] == keep[c] * previous + flow

    pue = sites["pue"].to_dict()

    def on_site(b, c, t):  # PUE (IT - x) + hp + ch: the campus's own use [MW]
        served = float(it[t, col[c]]) - b.curtailed_MW[c, t]
        return pue[c] * served + m.campus.electricity_MW[c, t] + b.charge_MW[c, t]

    @b.Constraint(b.C, m.T)
    def electricity_balance(b, c, t):  # pv + dis + g + m = PUE (IT - x) + hp + ch + s
        supply = b.pv_MW[c, t] + b.discharge_MW[c, t] + b.backup_MW[c, t] + b.import_MW[c, t]
        return supply == on_site(b, c, t) + (b.export_MW[c, t] if inputs.exports else 0.0)

    if inputs.exports:
        add_export(m, b, inputs, on_site)

    _tie_heat(m, b, inputs)
    return b


def _tie_heat(m: pyo.ConcreteModel, b: pyo.Block, inputs: Inputs) -> None:
    """The servers' heat follows the IT load served: recoverable = share x (IT_ct - x_ct) [MW]."""
    share, it = inputs.power["recovered_share"].to_dict(), inputs.it_load_MW
    for c in b.C:
        load = it[c].to_numpy()
        for t in m.T:
            m.campus.recoverable_MW[c, t].set_value(share[c] * (float(load[t]) - b.curtailed_MW[c, t]))


def add_export(m: pyo.ConcreteModel, b: pyo.Block, inputs: Inputs, on_site) -> None:
    """Export from PV and battery (and the backup where the case lets it), the backup else bound to the
    campus's own use `on_site(b, c, t)`, and all campuses' export <= X_t (`export_limit`, mutable)."""
    exportable = inputs.power["backup_exportable"].to_dict()

    @b.Constraint(b.C, m.T)
    def export_source(b, c, t):  # s <= pv + dis (+ g)
        backup = b.backup_MW[c, t] if exportable[c] else 0.0
        return b.export_MW[c, t] <= b.pv_MW[c, t] + b.discharge_MW[c, t] + backup

    @b.Constraint(b.C, m.T)
    def backup_on_site(b, c, t):  # g <= PUE (IT - x) + hp + ch
        return pyo.Constraint.Skip if exportable[c] else b.backup_MW[c, t] <= on_site(b, c, t)

    limit = inputs.export_limit_MW.to_numpy(dtype=float)
    b.export_limit_MW = pyo.Param(m.T, mutable=True, initialize=dict(enumerate(limit)), doc="export limit [MW]")
    b.export_limit = pyo.Constraint(m.T, rule=lambda b, t: sum(b.export_MW[c, t] for c in b.C) <= b.export_limit_MW[t])


def set_power_bounds(b: pyo.Block, inputs: Inputs) -> None:
    """Capacities between their given or largest values [MWp, MWh, MW]; grid import <= its limit (0
    off-grid) [MW]; curtailment <= the IT load where the case values lost compute, else 0 [MW]."""
    sites = inputs.power
    it = inputs.it_load_MW
    for name, low, high in zip(
        CAPACITIES,
        ("pv_min_MWp", "battery_min_MWh", "battery_min_MW", "backup_min_MW"),
        ("pv_max_MWp", "battery_max_MWh", "battery_max_MW", "backup_max_MW"),
    ):
        var = getattr(b, name)
        for c in b.C:
            var[c].setlb(float(sites.at[c, low]))
            var[c].setub(float(sites.at[c, high]))
    for c in b.C:
        limit = float(sites.at[c, "import_max_MW"])
        curtailable = min(float(sites.at[c, "curtailable"]), 1.0)
        load = it[c].to_numpy()
        for t in b.parent_block().T:
            b.import_MW[c, t].setub(None if limit == float("inf") else limit)
            b.curtailed_MW[c, t].setub(curtailable * float(load[t]))
