"""`write_batch_report`: a sweep's KPI table -> KPI charts against the swept parameters and a sortable table."""

from __future__ import annotations

import itertools
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter, StrMethodFormatter

from dhopt import __version__
from dhopt.errors import CaseError
from dhopt.kpi_format import kpi, split_unit
from dhopt.report import html
from dhopt.report.files import write_file
from dhopt.report.style import SPARE_COLOURS, new_figure, png_bytes, report_style
from dhopt.sweep import case_paths

KEY_KPIS = (
    "levelised_cost_of_heat_EUR_per_MWh",
    "campus_heat_to_network_MWh",
    "homes_heated_by_campus",
    "co2_saved_t",
    "annual_saving_EUR",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "campus_heat_reused_share",
    "unmet_demand_MWh",
)
LINE_COLOURS = ("#1b9e77", "#d95f02", "#3182bd", *SPARE_COLOURS)


def parameter_columns(table: pd.DataFrame) -> list[str]:
    """Columns that are case fields (``grid.import_limit_MW``...): the sweep's parameters."""
    fields = set(case_paths())
    return [c for c in table.columns if c in fields]


def _label(parameter: str) -> str:
    label, unit = split_unit(parameter)
    label = label.replace("_", " ")
    return f"{label} [{unit}]" if unit else label


def _value_text(value) -> str:
    if isinstance(value, float | int | np.number):
        return "none" if np.isnan(value) else f"{value:,.6g}"
    return str(value)


def _scenario_names(table: pd.DataFrame) -> pd.Series:
    return table["scenario"].astype(str) if "scenario" in table else pd.Series(table.index.astype(str), table.index)


def chart_axes(solved: pd.DataFrame, varying: list[str]) -> tuple[str, str | None] | None:
    """(x parameter, parameter with one line per value or None) for line charts; None for bars per
    scenario (no numeric swept parameter, or more than two swept)."""
    numeric = [p for p in varying if pd.api.types.is_numeric_dtype(solved[p])]
    if not numeric or len(varying) > 2:
        return None
    return numeric[0], next((p for p in varying if p != numeric[0]), None)


def kpi_chart(solved: pd.DataFrame, key: str, axes: tuple[str, str | None] | None) -> Figure:
    """One KPI across the solved scenarios: lines as `chart_axes` says, else a bar per scenario."""
    shown = kpi(key)
    fig = new_figure(3.4, width_in=5.6)
    ax = fig.add_subplot()
    if axes is not None:
        x, other = axes
        groups = solved.groupby(other, dropna=False, sort=True) if other else [(None, solved)]
        for i, (colour, marker, (value, rows)) in enumerate(
            zip(itertools.cycle(LINE_COLOURS), itertools.cycle("os^Dv"), groups)
        ):
            rows = rows[np.isfinite(rows[x])].sort_values(x)
            label = f"{_label(other)} = {_value_text(value)}" if other else None
            # each line thinner than the one before, so lines that coincide all stay visible
            ax.plot(
                rows[x],
                rows[key],
                marker=marker,
                ms=max(8 - 1.5 * i, 3),
                lw=max(3.0 - 0.8 * i, 1.0),
                color=colour,
                label=label,
            )
        ax.set_xlabel(_label(x))
        if other:
            ax.legend(fontsize=8)
    else:
        at = np.arange(len(solved))
        ax.bar(at, solved[key], color=LINE_COLOURS[0])
        ax.set_xticks(at, _scenario_names(solved), rotation=30, ha="right", fontsize=8)
        ax.grid(axis="x", visible=False)
    if "%" in shown.fmt:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    elif solved[key].abs().max() >= 1_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel(f"[{shown.unit}]")
    ax.set_title(shown.label)
    return fig


def _caption(key: str, axes: tuple[str, str | None] | None) -> str:
    what = kpi(key).label.capitalize() + f" [{kpi(key).unit}]"
    if axes is None:
        return f"{what} per scenario."
    x, other = axes
    return f"{what} against {_label(x)}" + (f", one line per {_label(other)}." if other else ".")


def _table_rows(table: pd.DataFrame, parameters: list[str], kpis: list[str], with_error: bool) -> list[list]:
    rows = []
    for (_, row), name in zip(table.iterrows(), _scenario_names(table)):
        cells = [name]
        for p in parameters:
            value = row[p]
            sort = value if isinstance(value, str) else ("" if pd.isna(value) else float(value))
            cells.append((_value_text(value), sort))
        cells.append(str(row.get("status", "")))
        for key in kpis:
            value = float(row[key]) if pd.notna(row[key]) else float("nan")
            cells.append((kpi(key).text(value), "" if np.isnan(value) else value))
        if with_error:
            cells.append("" if pd.isna(row["error"]) else str(row["error"]))
        rows.append(cells)
    return rows


def write_batch_report(kpi_table: pd.DataFrame, out: Path) -> Path:
    """Write a sweep's HTML report to ``out`` and one PNG chart per key KPI beside it; returns ``out``.

    ``kpi_table``: one row per scenario with parameter columns (case fields such as
    ``grid.import_limit_MW``), KPI columns (as in kpis.json) and ``status`` ("ok" when solved);
    ``scenario`` names the rows if present. Raises `CaseError` if the table is empty.
    """
    out = Path(out)
    if kpi_table.empty:
        raise CaseError(f"{out}: the KPI table has no scenarios; nothing to report")
    parameters = parameter_columns(kpi_table)
    solved = kpi_table[kpi_table["status"] == "ok"] if "status" in kpi_table else kpi_table
    varying = [p for p in parameters if solved[p].nunique(dropna=False) > 1]
    kpis = [key for key in KEY_KPIS if key in kpi_table]

    axes = chart_axes(solved, varying)
    charts = []
    with report_style():
        drawn = [k for k in kpis if solved[k].abs().max() > 0]  # an all-zero KPI (no unmet demand) gets no chart
        for number, key in enumerate(drawn, start=1):
            png = png_bytes(kpi_chart(solved, key, axes))
            write_file(out.with_name(f"{out.stem}_{key}.png"), png)
            charts.append(html.figure(png, number, _caption(key, axes), alt=kpi(key).label))

    swept = "; ".join(f"{_label(p)}: {', '.join(_value_text(v) for v in pd.unique(kpi_table[p]))}" for p in parameters)
    counts = (kpi_table["status"] if "status" in kpi_table else pd.Series("ok", kpi_table.index)).value_counts()
    status = ", ".join(f"{n} {s}" for s, n in counts.items())
    with_error = "error" in kpi_table and kpi_table["error"].fillna("").astype(str).str.len().gt(0).any()
    header = [
        "scenario",
        *[_label(p) for p in parameters],
        "status",
        *[f"{kpi(k).label} [{kpi(k).unit}]" for k in kpis],
    ]
    numeric = set(range(1, len(parameters) + 1)) | set(range(len(parameters) + 2, len(header)))
    body = [
        f"<header><h1>Sweep report: {len(kpi_table)} scenarios</h1>",
        f'<p class="subtitle">{escape(status)} &middot; swept: {escape(swept or "nothing")}</p></header>',
        "<h2>Key figures across the scenarios</h2>",
        f'<div class="grid2">{"".join(charts)}</div>' if charts else '<p class="note">No scenario was solved.</p>',
        '<h2>All scenarios</h2><p class="note">Click a column heading to sort.</p>',
        html.table(
            header + (["error"] if with_error else []),
            _table_rows(kpi_table, parameters, kpis, with_error),
            numeric=numeric,
            sortable=True,
        ),
        f"<footer>Written by dhopt {__version__} on {datetime.now():%Y-%m-%d %H:%M} into {escape(str(out.parent))}.</footer>",
    ]
    return write_file(
        out,
        html.page(f"dhopt sweep report: {len(kpi_table)} scenarios", "\n".join(body), html.SORT_SCRIPT).encode("utf-8"),
    )
