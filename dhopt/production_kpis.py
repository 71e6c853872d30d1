"""Annual figures of the new heat production and the pit storage of a solved case (`dhopt.results`).

A seasonal pit changes what summer rejection means: ``ptes_summer_heat_to_winter_MWh`` is the heat the
pits take in net over May-September (charge - discharge, hours 2880-6551 of the year) that they give
back over October-April: min(sum_summer w (c - d), sum_winter w d) [MWh/yr], 0 for a horizon without
summer hours.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

SUMMER_HOURS = (2880, 6552)  # 1 May 00:00 to 30 September 24:00 of a non-leap year [hour of the year]


def summer_mask(time: np.ndarray) -> np.ndarray:
    """True for the steps of `time` (hour of the year) in May-September."""
    hour = np.asarray(time, dtype=int) % 8760
    return (hour >= SUMMER_HOURS[0]) & (hour < SUMMER_HOURS[1])


def new_production_kpis(ds: xr.Dataset) -> dict[str, float]:
    """Capacity [MW], heat and electricity [MWh/yr] of the new units, in total and per technology
    (``new_<technology>_capacity_MW``, ``new_<technology>_heat_MWh``), and the pits' capacity [MWh],
    discharge [MWh/yr] and summer heat carried into winter [MWh/yr]."""
    w = ds["weight_h"]
    heat = (ds["unit_heat_MW"] * w).sum("time")
    figures = {
        "new_production_capacity_MW": float(ds["unit_capacity_MW"].sum()),
        "new_production_heat_MWh": float(heat.sum()),
        "new_production_electricity_MWh": float((ds["unit_electricity_MW"] * w).sum()),
        "pit_storage_capacity_MWh": float(ds["pit_capacity_MWh"].sum()),
        "pit_discharge_MWh": float((ds["pit_discharge_MW"] * w).sum()),
    }
    technology = ds["unit_technology"].values
    for name in dict.fromkeys(technology):
        mine = technology == name
        figures[f"new_{name}_capacity_MW"] = float(ds["unit_capacity_MW"].values[mine].sum())
        figures[f"new_{name}_heat_MWh"] = float(heat.values[mine].sum())
    summer = xr.DataArray(summer_mask(ds["time"].values), dims="time")
    net = ((ds["pit_charge_MW"] - ds["pit_discharge_MW"]) * w).where(summer, 0.0).sum()
    winter = (ds["pit_discharge_MW"] * w).where(~summer, 0.0).sum()
    figures["ptes_summer_heat_to_winter_MWh"] = float(max(min(float(net), float(winter)), 0.0))
    return figures
