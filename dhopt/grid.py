"""The grid limits in the results: when the import and the export limit bind, what one more MW of each
is worth, what the import limit costs the heat pumps.

The value of one more MW is the shadow price of the limit's rows (import ``P_t <= L_t``, export
``sum_c s_ct <= X_t``, `dhopt.model.power`) of the last (the full-year dispatch) LP: raising every
hour's limit by 1 MW changes the annual cost by sum_t y_t, the rows' duals [EUR/yr per MW], so the
value is -sum_t y_t >= 0. It prices a small change: a larger step may cross into another regime, which
a re-solve shows (tests/test_grid_limit.py and tests/test_export.py check both). A model with integer
choices left (heat-pump units) is solved again as an LP with them fixed for the duals
(`dhopt.reuse.ModelCache.row_duals`). The export limit binds in a step when the campuses' export
reaches a limit above 0 (a step with limit 0 allows no export at all and is not counted).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dhopt.inputs import month_of_hour

GRID_ROWS = {
    "grid_limit": ("grid_limit_value_EUR_per_MW", "import"),
    "power.export_limit": ("grid_export_limit_value_EUR_per_MW", "export"),
}
"""Row limit of the grid (`dhopt.model.ROW_LIMITS`) -> (result variable of its value per step, which limit)."""
BINDING_TOLERANCE_MW = 1e-6  # electricity within this of the limit: the limit binds [MW]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _at_limit(flow: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Steps whose `flow` is within the tolerance of its `limit` [MW]."""
    return flow >= limit - BINDING_TOLERANCE_MW * np.maximum(limit, 1.0)


def binding_steps(ds: xr.Dataset) -> np.ndarray:
    """Time steps in which the import limit binds: electricity bought >= limit - tolerance (all False
    without a limit)."""
    if "import_limit_MW" not in ds:
        return np.zeros(ds.sizes["time"], dtype=bool)
    return _at_limit(ds["electricity_MW"].to_numpy(), ds["import_limit_MW"].to_numpy())


def exports(ds: xr.Dataset) -> bool:
    """Whether the case lets the campuses export: a power side and an export limit above 0 in some step."""
    return "export_limit_MW" in ds and bool((ds["export_limit_MW"] > 0).any())


def export_binding_steps(ds: xr.Dataset) -> np.ndarray:
    """Time steps in which the export limit binds: a limit above 0 that the campuses' export reaches."""
    if "export_limit_MW" not in ds:
        return np.zeros(ds.sizes["time"], dtype=bool)
    limit = ds["export_limit_MW"].to_numpy()
    return (limit > 0) & _at_limit(ds["grid_export_MW"].sum("power_site").to_numpy(), limit)


def _value(ds: xr.Dataset, name: str) -> float:
    """Sum over the steps of a limit's value per step [EUR/yr per MW]; NaN when the duals are not known."""
    return float(ds[name].sum()) if name in ds else float("nan")


def grid_figures(ds: xr.Dataset) -> dict[str, float]:
    """Annual grid figures: largest import [MW]; with an import limit, and with an export limit above 0,
    the hours each binds [h/yr, weighted] and the value of one more MW of it all year [EUR/yr per MW]
    (NaN when the duals are not known)."""
    figures = {"grid_import_peak_MW": float(ds["electricity_MW"].max()) if ds.sizes["time"] else 0.0}
    w = ds["weight_h"].to_numpy()
    if "import_limit_MW" in ds:
        figures["grid_limit_binding_h"] = float((w * binding_steps(ds)).sum())
        figures["grid_limit_value_EUR_per_MW_yr"] = _value(ds, GRID_ROWS["grid_limit"][0])
    if exports(ds):
        figures["grid_export_limit_binding_h"] = float((w * export_binding_steps(ds)).sum())
        figures["grid_export_limit_value_EUR_per_MW_yr"] = _value(ds, GRID_ROWS["power.export_limit"][0])
    return figures


def _level(limit: np.ndarray) -> str:
    """A limit over the steps as text: "4.0 MW" or "0.2-30.0 MW"."""
    return f"{limit[0]:,.1f} MW" if np.ptp(limit) == 0 else f"{limit.min():,.1f}-{limit.max():,.1f} MW"


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
    level = _level(ds["import_limit_MW"].to_numpy())
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


def export_limit_line(ds: xr.Dataset, figures: dict[str, float]) -> str | None:
    """One line on the export limit: how often it binds and when, its value, and what the campuses sell for
    how much (their revenue). None when the case exports nothing."""
    if not exports(ds):
        return None
    binding = export_binding_steps(ds)
    level = _level(ds["export_limit_MW"].to_numpy())
    sold = (
        f"the campuses export {figures['grid_export_MWh']:,.0f} MWh/yr for {figures['grid_export_revenue_EUR']:,.0f} "
        "EUR/yr (their revenue, spot price minus export fee)"
    )
    if figures.get("backup_while_exporting_h", 0.0) > 0:
        sold += f"; the backup runs in {figures['backup_while_exporting_h']:,.0f} h/yr of export (export price above its cost)"
    if not binding.any():
        return f"grid export limit ({level}): never binds; {sold}"
    return (
        f"grid export limit ({level}): binds {figures['grid_export_limit_binding_h']:,.0f} h/yr "
        f"({months_of(ds, binding)}); one more MW is worth {figures['grid_export_limit_value_EUR_per_MW_yr']:,.0f} "
        f"EUR/yr (dual of the dispatch LP); {sold}"
    )
