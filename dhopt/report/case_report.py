"""`write_report`: one result directory -> one self-contained HTML file plus its figures as PNG."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

import xarray as xr
from matplotlib.figure import Figure

from dhopt import __version__
from dhopt.kpi_format import HEADLINE, kpi
from dhopt.report import energy, html
from dhopt.report.balance import balance_figure
from dhopt.report.dispatch import dispatch_horizon, dispatch_weeks, duration_curve
from dhopt.report.files import write_file
from dhopt.report.load import Result, load_result
from dhopt.report.network_map import network_map
from dhopt.report.operation import cop_price_figure, storage_figure
from dhopt.report.power import power_day_figure, power_year_figure
from dhopt.report.style import png_bytes, report_style
from dhopt.report.summary import summary_sentences
from dhopt.report.tables import case_rows, design_rows, kpi_rows


@dataclass(frozen=True)
class Plot:
    """One figure of the report: file name stem, how to draw it (None: skip), caption, note if skipped."""

    name: str
    draw: Callable[[xr.Dataset], Figure | None]
    caption: Callable[[xr.Dataset], str]
    if_skipped: str = ""


def _when(ds: xr.Dataset) -> str:
    return "daily means over the horizon" if energy.longer_than_a_month(ds) else "hour by hour"


PLOTS = (
    Plot(
        "network_map",
        network_map,
        lambda ds: (
            "The whole network to scale (scale bar in metres). Colour and width show each pipe's nominal "
            "diameter (DN). New pipes the optimiser chose to build have a red halo and are labelled with their DN and "
            "peak heat flow; candidate pipes not built are dashed grey. Star: data-center campus; squares: existing "
            "heat plants; dots: consumers."
        ),
    ),
    Plot(
        "dispatch",
        dispatch_horizon,
        lambda ds: (
            f"Heat fed into the network by each producer (stacked), {_when(ds)}, against consumer demand "
            "(black) and demand plus network losses (dashed). Heat put into storage is drawn below zero."
        ),
    ),
    Plot(
        "dispatch_weeks",
        dispatch_weeks,
        lambda ds: (
            "Hour-by-hour dispatch in the week of peak demand and, when the horizon holds a summer, "
            "the summer week of least demand, on the same scale."
        ),
    ),
    Plot(
        "duration_curve",
        duration_curve,
        lambda ds: (
            "Heat load duration curve: the hours of the year sorted from the highest heat production to the "
            "lowest, split by producer (the split is smoothed over neighbouring hours; the outline is exact). "
            "Brackets: each producer's share of the annual heat."
            + ("" if energy.is_full_year(ds) else " The horizon's hours are scaled to a year.")
        ),
    ),
    Plot(
        "storage",
        storage_figure,
        lambda ds: "Heat held in storage, hour by hour; dashed: the storage capacity built.",
        if_skipped="No heat storage was built, so there is no state-of-charge figure.",
    ),
    Plot(
        "cop_price",
        cop_price_figure,
        lambda ds: (
            f"Heat-pump coefficient of performance (left axis) and electricity price including the grid "
            f"tariff (right axis), {_when(ds)}"
            + ("; the shaded band is each day's price range." if energy.longer_than_a_month(ds) else ".")
        ),
        if_skipped="The case has no data-center campus, so there is no heat-pump figure.",
    ),
    Plot(
        "power_day",
        power_day_figure,
        lambda ds: (
            "The campus's own electricity on the mean day (each hour of the day averaged over the horizon): PV, "
            "battery and backup generator (and any grid import) stacked, battery charging below zero, the "
            "campus's demand (IT load served x PUE plus heat pumps) and, dashed, the PV output possible."
        ),
    ),
    Plot(
        "power_year",
        power_year_figure,
        lambda ds: (
            "The campus's own electricity day by day over the horizon: each supply's energy stacked; IT energy "
            "curtailed below zero."
        ),
    ),
    Plot(
        "energy_balance",
        balance_figure,
        lambda ds: (
            f"Energy per {'month' if energy.longer_than_a_month(ds) else 'day'}: production stacked by "
            "producer, consumer demand, network losses and campus heat rejected by the dry coolers. Production exceeds "
            "demand by the losses and the heat put into storage. Energy as it occurs, not scaled to a year."
        ),
    ),
)


def _figures(ds: xr.Dataset, png_stem: Path) -> str:
    """Draw every plot and write each PNG beside the report; returns the figures' HTML."""
    parts, number = [], 0
    with report_style():
        for plot in PLOTS:
            fig = plot.draw(ds)
            if fig is None:
                if plot.if_skipped:
                    parts.append(f'<p class="note">{escape(plot.if_skipped)}</p>')
                continue
            png = png_bytes(fig)
            number += 1
            write_file(png_stem.with_name(f"{png_stem.name}_{plot.name}.png"), png)
            parts.append(html.figure(png, number, plot.caption(ds), alt=plot.name.replace("_", " ")))
    return "\n".join(parts)


def render(result: Result, figures_html: str) -> str:
    """The report page: title, summary, headline numbers, KPI, design and case tables, figures."""
    ds, figures = result.dataset, result.kpis
    case = str(ds.attrs.get("case", result.directory.name))
    hours = ds["time"].to_numpy()
    start = f"{energy.calendar([hours[0]])[0]:%d %b %H:%M}"
    sentences = summary_sentences(figures, len(hours), start)
    headline = [(kpi(key).text(figures[key]), kpi(key).unit, kpi(key).label) for key in HEADLINE if key in figures]
    body = [
        f"<header><h1>{escape(case)}: data-center waste heat for district heating</h1>",
        f'<p class="subtitle">Optimised design and operation &middot; {len(hours):,} h from {start} &middot; '
        f"solver: {escape(str(ds.attrs.get('solver_status', 'not recorded')))}</p></header>",
        f'<p class="summary">{escape(" ".join(sentences))}</p>',
        html.cards(headline),
        '<div class="columns"><section><h2>Key figures</h2>',
        html.sectioned_table(["", "value", "unit"], kpi_rows(figures), numeric={1}),
        "</section><section><h2>Design</h2>",
        html.table(["component", "id", "quantity", "value", "unit"], design_rows(result.design), numeric={3}),
        "<h2>Case</h2>",
        html.table(["", ""], case_rows(ds, figures)),
        "</section></div>",
        "<h2>Figures</h2>",
        figures_html,
        f"<footer>Written by dhopt {__version__} on {datetime.now():%Y-%m-%d %H:%M} from "
        f"{escape(str(result.directory))}.</footer>",
    ]
    return html.page(f"{case}: dhopt report", "\n".join(body))


def write_report(result_dir: Path, out: Path | None = None) -> Path:
    """Write the HTML report of ``result_dir`` (default ``result_dir/report.html``) and its PNG figures
    beside it (``<stem>_<figure>.png``); returns the HTML path.

    Raises `CaseError` naming the file when the result directory or a file in it is missing or unreadable,
    or when the report cannot be written.
    """
    result_dir = Path(result_dir)
    out = Path(out) if out is not None else result_dir / "report.html"
    result = load_result(result_dir)
    figures_html = _figures(result.dataset, out.with_suffix(""))
    return write_file(out, render(result, figures_html).encode("utf-8"))
