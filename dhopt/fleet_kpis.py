"""Annual figures of a fleet of small data-center units (`dhopt.model.fleet`) from a solved case's results.

Heat to the hosts (behind the meter) and into the network, rejected and available [MWh/yr]; the homes
they heat (heat reused / a standard home's annual heat); and the compute moved: the IT load a unit runs
above its share without shifting, sum_u max(x_ut - x0_ut, 0) in each step, as energy [MWh/yr], its largest
step [MW] and the hours of the year with any [h].
"""

from __future__ import annotations

import xarray as xr

from dhopt.inputs import Inputs

MOVED_MW = 1e-6  # IT load moved below this in a step is solver noise [MW]


def fleet_kpis(ds: xr.Dataset, inputs: Inputs) -> dict[str, float]:
    """The fleet's figures (module docstring); an empty dict without a fleet."""
    if not ds.sizes.get("fleet_unit", 0):
        return {}
    w = ds["weight_h"]

    def annual(name: str) -> float:
        return float((ds[name] * w).sum())

    moved = (ds["fleet_it_MW"] - ds["fleet_base_it_MW"]).clip(min=0.0).sum("fleet_unit")
    available, rejected = annual("fleet_heat_available_MW"), annual("fleet_rejected_MW")
    return {
        "fleet_units": float(ds.sizes["fleet_unit"]),
        "fleet_it_capacity_MW": float(inputs.fleet["it_MW"].sum()),
        "fleet_it_energy_MWh": annual("fleet_it_MW"),
        "fleet_heat_available_MWh": available,
        "fleet_heat_to_buildings_MWh": annual("fleet_building_heat_MW"),
        "fleet_heat_to_network_MWh": annual("fleet_export_MW"),
        "fleet_heat_rejected_MWh": rejected,
        "fleet_heat_reused_MWh": available - rejected,
        "fleet_homes_heated": (available - rejected) / inputs.scalars.home_annual_heat_MWh,
        "fleet_hp_capacity_MW": float(ds["fleet_hp_capacity_MW"].sum()),
        "fleet_hp_electricity_MWh": annual("fleet_hp_electricity_MW"),
        "fleet_compute_moved_MWh": float((moved * w).sum()),
        "fleet_compute_moved_peak_MW": float(moved.max()),
        "fleet_hours_with_moves_h": float((w * (moved > MOVED_MW)).sum()),
    }
