"""Like-for-like comparisons: heat a plan leaves unmet is priced as if a backup boiler delivered it.

A plan (or the reference without the campus) that leaves demand unmet is not cheaper for it: its cost
leaves out the heat it does not deliver. Comparisons therefore add, to each side, the cost of the
cheapest backup that would deliver that heat: a new electric boiler sized to the largest unmet hour,
the peak-load unit with the lowest investment in the Danish Energy Agency catalogue:

    C_backup = (a(r, n) I + F) max_t u_t + sum_t w_t u_t (p_t / eta + v)       [EUR/yr]
    CO2_backup = sum_t w_t u_t g / eta                                         [t/yr]

with u_t the unmet heat [MW], p_t the electricity price incl. tariff, g the grid emission factor.
Figures: Danish Energy Agency, Technology Data for Generation of Electricity and District Heating,
sheet 41 "Electric boilers, 10/15 kV, > 10 MW", 2020: 0.07 MEUR/MW, 1,070 EUR/MW/yr, 0.9 EUR/MWh,
99 % efficiency, 20 years.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import xarray as xr

from dhopt.inputs import Inputs
from dhopt.physics import annuity_factor

BACKUP_BOILER = MappingProxyType(
    {
        "investment_EUR_per_MW": 70_000.0,
        "fixed_om_EUR_per_MW_yr": 1_070.0,
        "variable_om_EUR_per_MWh": 0.9,
        "efficiency": 0.99,
        "lifetime_yr": 20.0,
    }
)
BACKUP_NOTE = "unmet heat priced as if a new electric boiler delivered it (DEA sheet 41, > 10 MW)"


def unmet_backup(ds: xr.Dataset, inputs: Inputs) -> dict[str, float]:
    """Size [MW], annual cost [EUR/yr] and CO2 [t/yr] of the backup e-boiler that would deliver the
    heat left unmet in `ds` (all zeros when none is)."""
    unmet = np.minimum(ds["unmet_MW"], ds["demand_MW"]).sum("zone")  # what the consumers miss
    boiler, s = BACKUP_BOILER, inputs.scalars
    size = float(unmet.max()) if unmet.size else 0.0
    per_MW = annuity_factor(s.discount_rate, boiler["lifetime_yr"]) * boiler["investment_EUR_per_MW"]
    per_MWh = ds["electricity_price_EUR_per_MWh"] / boiler["efficiency"] + boiler["variable_om_EUR_per_MWh"]
    energy = float((unmet * ds["weight_h"] * per_MWh).sum())
    unmet_MWh = float((unmet * ds["weight_h"]).sum())
    return {
        "unmet_backup_MW": size,
        "unmet_backup_EUR": (per_MW + boiler["fixed_om_EUR_per_MW_yr"]) * size + energy,
        "unmet_backup_co2_t": unmet_MWh * s.grid_co2_t_per_MWh / boiler["efficiency"],
    }


def served_cost_EUR(figures: dict[str, float]) -> float:
    """Annual cost of a plan with its unmet heat delivered by the backup [EUR/yr]."""
    return figures["annual_cost_EUR"] + figures["unmet_backup_EUR"]


def served_co2_t(figures: dict[str, float]) -> float:
    """Annual CO2 of a plan with its unmet heat delivered by the backup [t/yr]."""
    return figures["co2_t"] + figures["unmet_backup_co2_t"]
