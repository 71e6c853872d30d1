"""Annual figures of the campuses' own electricity (`dhopt.model.power`), from the result dataset.

Sums over time are weighted by `weight_h` (per year). The levelised cost of compute energy is every
power-side cost over the IT energy served,

    LCOCE = [sum_c (A_pv P_c + A_E E_c + A_B B_c + A_G G_c) + sum_t w_t sum_c (p_t m_ct + c_g g_ct - p^x_t s_ct)]
            / sum_t w_t IT_served,t

[EUR/MWh IT]; the electricity of the heat pumps is in it (the power side supplies it). The export
revenue sum_t w_t p^x_t s_ct is the campus's (it owns its power side, outside the heat contract) and is
netted in the power-side cost. The value of lost compute, v_x x_ct, is a penalty of the objective,
reported apart (`lost_compute_EUR`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dhopt.inputs import Inputs

RUNNING_MW = 1e-6  # a generator or a curtailment below this does not count as an hour of it [MW]


def _balance_residual_MW(ds: xr.Dataset, inputs: Inputs) -> float:
    """Largest |supply - demand| of the electricity balance over campuses and steps [MW]."""
    sites = ds["power_site"].values
    pue = xr.DataArray(inputs.power.loc[sites, "pue"].to_numpy(), dims="power_site")
    hp = ds["hp_electricity_MW"].sel(source=sites).rename(source="power_site")
    supply = ds["pv_MW"] + ds["battery_discharge_MW"] + ds["backup_MW"] + ds["grid_import_MW"]
    demand = pue * ds["it_served_MW"] + hp + ds["battery_charge_MW"] + ds["grid_export_MW"]
    return float(np.abs(supply - demand).max()) if supply.size else 0.0


def power_kpis(ds: xr.Dataset, inputs: Inputs) -> dict[str, float]:
    """Capacities, energies [MWh/yr], hours [h/yr], costs and the export revenue [EUR/yr], LCOCE [EUR/MWh IT]
    and CO2 [t/yr]."""
    w = ds["weight_h"]
    sites = ds["power_site"].values
    cost = inputs.power_cost.loc[sites]

    def annual(name: str) -> float:
        return float((ds[name] * w).sum())

    def per_site(name: str) -> np.ndarray:
        return (ds[name] * w).sum("time").to_numpy()

    def hours(series: xr.DataArray) -> float:
        return float((w * (series.sum("power_site") > RUNNING_MW)).sum())

    capacities = {n: ds[n].to_numpy() for n in ("pv_capacity_MWp", "battery_energy_MWh", "battery_power_MW")}
    capacities["backup_capacity_MW"] = ds["backup_capacity_MW"].to_numpy()
    per_unit = ("pv_annual_EUR_per_MWp", "battery_annual_EUR_per_MWh", "battery_annual_EUR_per_MW")
    per_unit += ("backup_annual_EUR_per_MW",)
    annuity = sum(float(capacities[n] @ cost[c].to_numpy()) for n, c in zip(capacities, per_unit))
    import_EUR = float((ds["grid_import_MW"] * ds["electricity_price_EUR_per_MWh"] * w).sum())
    backup_EUR = float(per_site("backup_MW") @ cost["backup_EUR_per_MWh"].to_numpy())
    export_EUR = float((ds["grid_export_MW"] * ds["export_price_EUR_per_MWh"] * w).sum())
    curtailed = ds["it_load_MW"] - ds["it_served_MW"]
    curtailed_MWh = (curtailed * w).sum("time").to_numpy()
    served = annual("it_served_MW")
    power_cost = annuity + import_EUR + backup_EUR - export_EUR
    pv_available = annual("pv_available_MW")
    return {
        **{name: float(values.sum()) for name, values in capacities.items()},
        "it_load_MWh": annual("it_load_MW"),
        "it_served_MWh": served,
        "curtailed_it_MWh": float(curtailed_MWh.sum()),
        "curtailed_hours_h": hours(curtailed),
        "pv_available_MWh": pv_available,
        "pv_MWh": annual("pv_MW"),
        "pv_spilled_MWh": pv_available - annual("pv_MW"),
        "battery_discharge_MWh": annual("battery_discharge_MW"),
        "backup_MWh": annual("backup_MW"),
        "backup_hours_h": hours(ds["backup_MW"]),
        "backup_while_exporting_h": hours(np.minimum(ds["backup_MW"], ds["grid_export_MW"])),
        "grid_import_MWh": annual("grid_import_MW"),
        "grid_export_MWh": annual("grid_export_MW"),
        "grid_export_revenue_EUR": export_EUR,
        "backup_co2_t": float(per_site("backup_MW") @ inputs.power.loc[sites, "backup_co2_t_per_MWh"].to_numpy()),
        "power_annuity_EUR": annuity,
        "power_operating_cost_EUR": import_EUR + backup_EUR,
        "power_cost_EUR": power_cost,
        "lost_compute_EUR": float(curtailed_MWh @ cost["lost_compute_EUR_per_MWh"].to_numpy()),
        "levelised_cost_of_compute_energy_EUR_per_MWh": power_cost / served if served else float("nan"),
        "power_balance_residual_MW": _balance_residual_MW(ds, inputs),
    }
