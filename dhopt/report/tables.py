"""The report's tables as rows of text: KPIs by section, the design chosen, the case in brief."""

from __future__ import annotations

import ast
import json

import numpy as np
import pandas as pd
import xarray as xr

from dhopt.kpi_format import number, sectioned
from dhopt.report import energy
from dhopt.report.html import Cell

DESIGN_QUANTITIES = {  # quantity in design.csv -> shown as, unit, format
    "capacity_MW": ("capacity", "MW", "{:,.1f}"),
    "capacity_MWh": ("capacity", "MWh", "{:,.0f}"),
    "dn_mm": ("DN", "mm", "{:,.0f}"),
}
MAX_PIPE_ROWS = 25  # more candidate pipes than this: only the built ones are listed


def kpi_rows(figures: dict[str, float]) -> list[tuple[str, list[list[Cell]]]]:
    """(section, rows of [label, value, unit]) for every KPI."""
    return [(title, [[k.label, k.text(v), k.unit] for k, v in rows]) for title, rows in sectioned(figures)]


def design_rows(design: pd.DataFrame) -> list[list[Cell]]:
    """[component, id, quantity, value, unit] per decision; a candidate pipe of DN 0 reads "not built".

    With more than `MAX_PIPE_ROWS` candidate pipes, those not built are counted in one row.
    """
    pipes = design["component"] == "pipe"
    idle = pipes & (design["value"] <= 0)
    shown = design[~idle] if pipes.sum() > MAX_PIPE_ROWS else design
    rows: list[list[Cell]] = []
    for component, item, quantity, value in shown.itertuples(index=False):
        name, unit, fmt = DESIGN_QUANTITIES.get(quantity, (quantity, "", "{:,.4g}"))
        text = "not built" if component == "pipe" and value <= 0 else number(fmt, value)
        rows.append([component.replace("_", " "), str(item), name, text, unit if text != "not built" else ""])
    if len(shown) < len(design):
        rows.append(["pipe", f"{int(idle.sum()):,} other candidates", "DN", "not built", ""])
    return rows


def _timings(text: str) -> str:
    try:
        phases = ast.literal_eval(text)
        return ", ".join(f"{name} {seconds:,.1f} s" for name, seconds in phases.items()) + (
            f" (total {sum(phases.values()):,.0f} s)"
        )
    except (ValueError, SyntaxError, AttributeError, TypeError):
        return text


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _range(values: np.ndarray, unit: str, fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(np.nanmin(values))} to {fmt.format(np.nanmax(values))} {unit}"


def _hourly_text(value, unit: str, absent: str = "") -> str:
    """A case value that may change in time (`dhopt.case.HourlyNumber`) in words.

    >>> _hourly_text([4.0] * 3 + [12.0] * 9, "MW")
    'monthly 4.0 to 12.0 MW'
    """
    if value is None:
        return absent
    if isinstance(value, str):
        return f"hourly from column '{value}'"
    if isinstance(value, list):
        return f"monthly {min(value):,.1f} to {max(value):,.1f} {unit}"
    return f"{value:,.1f} {unit}"


def _case_inputs(ds: xr.Dataset) -> list[list[Cell]]:
    """Key case parameters, from the resolved case the run stored in the dataset (``case_json``)."""
    if "case_json" not in ds.attrs:
        return []
    spec = json.loads(ds.attrs["case_json"])
    grid, hp, economics = spec["grid"], spec["heat_pump"], spec["economics"]
    limit = grid["import_limit_MW"]
    export = grid.get("export_limit_MW", 0.0)  # absent from results written before export existed
    sold = (
        f", export limit {_hourly_text(export, 'MW')} at spot minus {_hourly_text(grid['export_fee_EUR_per_MWh'], 'EUR/MWh')}"
        if export != 0.0
        else ""
    )
    return [
        [
            "heat pumps",
            f"{hp['lorenz_efficiency']:.2f} of the Lorenz COP, {hp['investment_EUR_per_MW'] / 1e6:,.2f} M EUR/MW",
        ],
        [
            "grid",
            f"import limit {_hourly_text(limit, 'MW', 'none')}, tariff {_hourly_text(grid['tariff_EUR_per_MWh'], 'EUR/MWh')}"
            + sold,
        ],
        [
            "economics",
            f"discount rate {economics['discount_rate']:.1%}, CO2 price {economics['co2_price_EUR_per_t']:,.0f} EUR/t",
        ],
    ]


def case_rows(ds: xr.Dataset, figures: dict[str, float]) -> list[list[Cell]]:
    """The inputs that matter and how the solve went, as [item, value] rows."""
    hours = ds["time"].to_numpy()
    first, last = energy.calendar([hours[0], hours[-1]])
    status = ds["link_status"].values
    kinds = pd.Series(ds["node_kind"].values).value_counts()
    source_heat = ds["source_heat_MW"]
    plants = ", ".join(
        f"{p} ({t.replace('_', ' ')})" for p, t in zip(ds["plant"].values, ds["plant_technology"].values)
    )
    rows: list[list[Cell]] = [
        ["case", str(ds.attrs.get("case", ""))],
        ["horizon", f"{len(hours):,} h, {first:%d %b %H:%M} to {last:%d %b %H:%M} (hours {hours[0]} to {hours[-1]})"],
        [
            "network",
            f"{ds.sizes['node']:,} nodes ({kinds.get('consumer', 0):,} consumers), {ds.sizes['link']:,} pipes "
            f"({(status == 'existing').sum():,} existing, {(status == 'candidate').sum():,} candidate), "
            f"{float(ds['link_length_m'].sum()) / 1000:,.1f} km",
        ],
        ["model after reduction", f"{_count(ds.sizes['pipe'], 'pipe')}, {_count(ds.sizes['zone'], 'demand zone')}"],
        ["peak demand", f"{float(energy.demand_MW(ds).max()):,.1f} MW"],
    ]
    for source in ds["source"].values:
        heat = source_heat.sel(source=source)
        annual = float((heat * ds["weight_h"]).sum())
        rows.append(
            [
                "data-center campus",
                f"{source}: recoverable heat up to {float(heat.max()):,.1f} MW ({annual:,.0f} MWh/yr)",
            ]
        )
    rows += [
        ["existing plants", plants or "none"],
        ["supply temperature", _range(ds["supply_temperature_degC"].to_numpy(), "°C")],
        [
            "electricity price incl. tariff",
            f"mean {float(ds['electricity_price_EUR_per_MWh'].mean()):,.0f} EUR/MWh, "
            + _range(ds["electricity_price_EUR_per_MWh"].to_numpy(), "EUR/MWh"),
        ],
        *_case_inputs(ds),
        ["solver status", str(ds.attrs.get("solver_status", "not recorded"))],
        ["MIP gap", f"{figures['mip_gap']:.2%}" if "mip_gap" in figures else "not recorded"],
        ["run times", _timings(str(ds.attrs.get("timings_s", "not recorded")))],
    ]
    return rows
