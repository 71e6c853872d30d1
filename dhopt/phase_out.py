"""What replaced the phased-out plants, and at what cost per tonne of CO2 avoided.

A case with a `[phase_out]` (or a CO2 price path) is compared with the same case without them
(`without_phase_out`: no cap, nothing forbidden, the constant CO2 price), solved by the same path
(`dhopt.run`). Per producer group (the phased-out plants, each other plant technology, each new
technology, the campus heat pumps and direct exchange, unmet demand) the annual heat with minus without
[MWh/yr]; and

    cost per tonne avoided = (C_with - C_without) / (CO2_without - CO2_with)    [EUR/t]

with C the annual cost and CO2 the annual emissions, unmet heat priced and counted on both sides as if
a new electric boiler delivered it (`dhopt.backup`), so leaving demand unmet never looks cheap.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from dhopt.backup import served_co2_t, served_cost_EUR
from dhopt.case import Case, Economics, PhaseOut
from dhopt.kpi_format import number


def applies(case: Case) -> bool:
    """Whether the case phases plants out (caps, forbids) or prices CO2 by a path."""
    return case.spec.phase_out.active or case.spec.economics.co2_price_path_EUR_per_t is not None


def without_phase_out(case: Case) -> Case:
    """The same case with no `[phase_out]` and the constant CO2 price (no price path)."""
    economics = Economics(**case.spec.economics.model_dump(exclude={"co2_price_path_EUR_per_t"}))
    return replace(case, spec=case.spec.model_copy(update={"phase_out": PhaseOut(), "economics": economics}))


def phased_plants(case: Case, plant_technology: xr.DataArray) -> np.ndarray:
    """Plant ids phased out: the `[phase_out]` plants, by default every gas boiler."""
    listed = case.spec.phase_out.plants
    if listed is not None:
        return np.asarray(listed, dtype=str)
    return plant_technology["plant"].values[plant_technology.values == "gas_boiler"]


def heat_by_group(ds: xr.Dataset, phased: np.ndarray) -> dict[str, float]:
    """Annual heat [MWh/yr] of the phased-out plants (``phased``), of each other plant technology and new
    technology, of the campus heat pumps and direct exchange (``campus``), and unmet demand (``unmet``)."""
    w = ds["weight_h"]
    plant = (ds["plant_heat_MW"] * w).sum("time")
    out = plant["plant"].isin(phased).values
    groups = {"phased": float(plant.values[out].sum())}
    for name in dict.fromkeys(ds["plant_technology"].values[~out]):
        groups[str(name)] = float(plant.values[~out][ds["plant_technology"].values[~out] == name].sum())
    unit = (ds["unit_heat_MW"] * w).sum("time")
    for name in dict.fromkeys(ds["unit_technology"].values):
        groups[f"new {name}"] = float(unit.values[ds["unit_technology"].values == name].sum())
    groups["campus"] = float(((ds["hp_heat_MW"] + ds["direct_heat_MW"]) * w).sum())
    unmet = np.minimum(ds["unmet_MW"], ds["demand_MW"])
    groups["unmet"] = float((unmet * w).sum())
    return groups


def replacement_kpis(case: Case, figures: dict, ds: xr.Dataset, uncapped: dict, uncapped_ds: xr.Dataset) -> dict:
    """KPIs of the comparison: ``uncapped_*`` figures, the phased plants' heat with and without, each
    group's change (``replaced_by_<group>_MWh``) and the cost per tonne of CO2 avoided."""
    phased = phased_plants(case, ds["plant_technology"])
    with_, without = heat_by_group(ds, phased), heat_by_group(uncapped_ds, phased)
    extra = served_cost_EUR(figures) - served_cost_EUR(uncapped)
    avoided = served_co2_t(uncapped) - served_co2_t(figures)
    result = {
        "uncapped_annual_cost_EUR": uncapped["annual_cost_EUR"],
        "uncapped_co2_t": uncapped["co2_t"],
        "uncapped_unmet_demand_MWh": uncapped["unmet_demand_MWh"],
        "phased_out_heat_MWh": with_["phased"],
        "uncapped_phased_out_heat_MWh": without["phased"],
        "phase_out_extra_cost_EUR": extra,
        "phase_out_co2_avoided_t": avoided,
        "co2_avoided_cost_EUR_per_t": extra / avoided if abs(avoided) > 1e-9 else float("nan"),
    }
    for group in dict.fromkeys([*with_, *without]):
        if group != "phased":
            key = group.replace("new ", "new_")
            result[f"replaced_by_{key}_MWh"] = with_.get(group, 0.0) - without.get(group, 0.0)
    return result


def phase_out_line(figures: dict) -> str:
    """One line: the phased plants' heat with and without, what replaced it, the cost per tonne avoided."""
    changes = {
        key.removeprefix("replaced_by_").removesuffix("_MWh"): value
        for key, value in figures.items()
        if key.startswith("replaced_by_") and abs(value) >= 0.5
    }
    shown = ", ".join(f"{name} {number('{:+,.0f}', v)}" for name, v in sorted(changes.items(), key=lambda i: -i[1]))
    return (
        f"phase-out: phased-out plants {number('{:,.0f}', figures['uncapped_phased_out_heat_MWh'])} -> "
        f"{number('{:,.0f}', figures['phased_out_heat_MWh'])} MWh/yr against the same case without it; "
        f"replaced by (MWh/yr) {shown or 'nothing'}; {number('{:+,.0f}', figures['phase_out_extra_cost_EUR'])} "
        f"EUR/yr for {number('{:,.0f}', figures['phase_out_co2_avoided_t'])} t CO2/yr avoided = "
        f"{number('{:,.1f}', figures['co2_avoided_cost_EUR_per_t'])} EUR/t"
    )
