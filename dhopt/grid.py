"""The grid import limit in the results: when it binds, what one more MW of it is worth, what it costs
the heat pumps.

The value of one more MW is the shadow price of the import-limit rows ``P_t <= L_t`` of the last (the
full-year dispatch) LP: raising every hour's limit by 1 MW changes the annual cost by sum_t y_t, the
rows' duals [EUR/yr per MW], so the value is -sum_t y_t >= 0. It prices a small change: a larger
step may cross into another regime, which a re-solve shows (tests/test_grid_limit.py checks both).
A model with integer choices left (heat-pump units) is solved again as an LP with them fixed for the
duals (`dhopt.reuse.ModelCache.row_duals`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dhopt.inputs import month_of_hour

BINDING_TOLERANCE_MW = 1e-6  # electricity within this of the limit: the limit binds [MW]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def binding_steps(ds: xr.Dataset) -> np.ndarray:
    """Time steps in which the import limit binds: electricity bought >= limit - tolerance (all False
    without a limit)."""
    if "import_limit_MW" not in ds:
        return np.zeros(ds.sizes["time"], dtype=bool)
    limit = ds["import_limit_MW"].to_numpy()
    return ds["electricity_MW"].to_numpy() >= limit - BINDING_TOLERANCE_MW * np.maximum(limit, 1.0)


def grid_figures(ds: xr.Dataset) -> dict[str, float]:
    """Annual grid figures: largest import [MW]; with a limit, the hours it binds [h/yr, weighted] and
    the value of one more MW of it all year [EUR/yr per MW] (NaN when the duals are not known)."""
    figures = {"grid_import_peak_MW": float(ds["electricity_MW"].max()) if ds.sizes["time"] else 0.0}
    if "import_limit_MW" not in ds:
        return figures
    value = ds["grid_limit_value_EUR_per_MW"].sum() if "grid_limit_value_EUR_per_MW" in ds else np.nan
    figures["grid_limit_binding_h"] = float((ds["weight_h"].to_numpy() * binding_steps(ds)).sum())
    figures["grid_limit_value_EUR_per_MW_yr"] = float(value)
    return figures


def months_of(ds: xr.Dataset, steps: np.ndarray) -> str:
    """The months of the year (non-leap, hour 0 = 1 January) in which `steps` fall, as ranges: "Jan-Mar, Nov-Dec"."""
    present = sorted(set(month_of_hour(ds["time"].to_numpy().astype(int)[steps]).tolist()))
    runs: list[list[int]] = []
    for month in present:
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(MONTHS[r[0]] if len(r) == 1 else f"{MONTHS[r[0]]}-{MONTHS[r[-1]]}" for r in runs)


def grid_limit_line(ds: xr.Dataset, figures: dict[str, float]) -> str | None:
    """One line on the import limit: how often it binds and when, its value, and what it holds back (heat
    pumps below their capacity and campus heat rejected in those hours). None without a limit."""
    if "import_limit_MW" not in ds:
        return None
    binding = binding_steps(ds)
    limit = ds["import_limit_MW"].to_numpy()
    level = f"{limit[0]:,.1f} MW" if np.ptp(limit) == 0 else f"{limit.min():,.1f}-{limit.max():,.1f} MW"
    if not binding.any():
        return f"grid import limit ({level}): never binds (largest import {figures['grid_import_peak_MW']:,.1f} MW)"
    w = ds["weight_h"].to_numpy()[binding]
    spare = (ds["hp_capacity_MW"] - ds["hp_heat_MW"]).sum("source").to_numpy()[binding]
    rejected = ds["rejected_heat_MW"].sum("source").to_numpy()[binding]
    unmet = ds["unmet_MW"].sum("zone").to_numpy()[binding]
    line = (
        f"grid import limit ({level}): binds {figures['grid_limit_binding_h']:,.0f} h/yr ({months_of(ds, binding)}); "
        f"one more MW is worth {figures['grid_limit_value_EUR_per_MW_yr']:,.0f} EUR/yr (dual of the dispatch LP); "
        f"in those hours the heat pumps leave {float((spare * w).sum()):,.0f} MWh/yr of their capacity unused and "
        f"the campus rejects {float((rejected * w).sum()):,.0f} MWh/yr"
    )
    if (unmet > 1e-6).any():
        line += f"; {float((unmet * w).sum()):,.1f} MWh/yr of demand is unmet in them"
    return line
