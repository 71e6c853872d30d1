"""Cost of a fleet unit's small heat pump by its size (`dhopt.fleet_inputs`).

From 1 to 10 MW heat: the Danish Energy Agency's excess-heat heat pumps of 1, 3 and 10 MW
(dhopt/data/dea_excess_heat_hp.csv, 2025), interpolated linearly in log(size) between the sheets and
held at the 10 MW figures above. Below 1 MW the specific investment is the larger of the DEA 1 MW figure
and the water/water heat-pump cost of Wolf et al. (2014), "Analyse des Potenzials von
Industriewaermepumpen in Deutschland", IER Stuttgart: c = 3,468.35 Q^-0.53 EUR/kW for Q in kW, divided by
0.5, the heat-pump share of the installed cost of a water-source heat pump (Platt, Exner and Bracke 2010,
"Analyse des deutschen Waermepumpenmarktes"), so a small unit never costs less per MW than the 1 MW
sheet and the smallest (below ~26 kW) cost more; O&M and lifetime below 1 MW: the 1 MW sheet's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

CATALOGUE_FILE = Path(resources.files("dhopt.data") / "dea_excess_heat_hp.csv")
WOLF_EUR_PER_KW = 3468.35  # Wolf et al. 2014, water/water heat pump: c = a Q^b [EUR/kW, Q in kW]
WOLF_EXPONENT = -0.53
WOLF_HEAT_PUMP_SHARE = 0.5  # Platt et al. 2010: heat pump / installed cost, water-source


def catalogue() -> pd.DataFrame:
    """The DEA excess-heat heat-pump sheets, one row per size [MW heat]."""
    return pd.read_csv(CATALOGUE_FILE, comment="#", index_col="size_MW")


def wolf_investment_EUR_per_MW(size_MW: np.ndarray) -> np.ndarray:
    """Installed water/water heat pump, Wolf et al. 2014 with Platt et al. 2010: 1000 a Q_kW^b / 0.5 [EUR/MW]."""
    size_kW = np.maximum(np.asarray(size_MW, dtype=float), 1e-6) * 1000.0
    return 1000.0 * WOLF_EUR_PER_KW * size_kW**WOLF_EXPONENT / WOLF_HEAT_PUMP_SHARE


def small_heat_pump_cost(size_MW) -> pd.DataFrame:
    """Investment [EUR/MW], fixed O&M [EUR/MW/yr], variable O&M [EUR/MWh] and lifetime [yr] of heat pumps
    of `size_MW` [MW heat] (one row each): the DEA sheets from 1 MW, log-interpolated; below 1 MW the
    larger of the 1 MW sheet and Wolf et al. 2014 (module docstring)."""
    table = catalogue()
    size = np.asarray(size_MW, dtype=float).ravel()
    at = np.log(np.clip(size, table.index.min(), table.index.max()))
    sizes = np.log(table.index.to_numpy(dtype=float))
    figures = {name: np.interp(at, sizes, table[name].to_numpy(dtype=float)) for name in table.columns}
    small = size < table.index.min()
    figures["investment_EUR_per_MW"] = np.where(
        small,
        np.maximum(figures["investment_EUR_per_MW"], wolf_investment_EUR_per_MW(size)),
        figures["investment_EUR_per_MW"],
    )
    return pd.DataFrame(figures, index=pd.Index(size, name="size_MW"))
