"""One look for every report figure: sizes, fonts, colours, the calendar axis and PNG output.

Figures are built on `matplotlib.figure.Figure` directly (Agg canvas, no pyplot state), so
reports can be written from any thread or worker without a display.
"""

from __future__ import annotations

import io
from contextlib import contextmanager

import matplotlib
import matplotlib.dates as mdates
from matplotlib.figure import Figure

DPI = 120  # PNG resolution [dots per inch]
WIDTH_IN = 10.0  # figure width [in]: 1,200 px at DPI

RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}

PRODUCER_COLOURS = {
    "heat pumps": "#1b9e77",
    "direct exchange": "#a6d854",
    "storage discharge": "#3182bd",
    "pit discharge": "#08519c",
    "unmet demand": "#e31a1c",
}
TECHNOLOGY_COLOURS = {
    "waste_to_energy": "#8c6d31",
    "biomass_boiler": "#bf812d",
    "gas_boiler": "#fd8d3c",
    "oil_boiler": "#7f2704",
    "electric_boiler": "#9e9ac8",
    "air_source_hp_1MW": "#41ab5d",
    "air_source_hp_3MW": "#238b45",
    "air_source_hp_10MW": "#006d2c",
    "seawater_hp_20MW": "#1d91c0",
}
SPARE_COLOURS = ("#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666", "#7570b3")
CHARGE_COLOUR = "#9ecae1"  # heat into storage, drawn below zero
DEMAND_COLOUR = "#111111"
LOSS_COLOUR = "#6a51a3"
REJECTED_COLOUR = "#bdbdbd"
PRICE_COLOUR = "#d95f02"
GRID_LIMIT_COLOUR = "#fdae6b"  # hours in which the grid import limit binds


@contextmanager
def report_style():
    """Apply the report's rcParams inside a `with` block (the caller's settings stay untouched)."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """An empty figure with constrained layout [in]."""
    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def producer_colours(technologies: dict[str, str]) -> dict[str, str]:
    """Colour per producer label: fixed for campus and storage, by technology for plants.

    ``technologies`` maps a plant's producer label to its technology; unknown technologies take
    the spare colours in turn.
    """
    colours = dict(PRODUCER_COLOURS)
    spare = iter(SPARE_COLOURS * (1 + len(technologies) // len(SPARE_COLOURS)))
    for label, technology in technologies.items():
        colours[label] = TECHNOLOGY_COLOURS.get(technology) or next(spare)
    return colours


def date_axis(ax) -> None:
    """Month / day / hour tick labels on a calendar x axis, never the (meaningless) reference year."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=14)
    formatter = mdates.ConciseDateFormatter(
        locator,
        formats=["%b", "%b", "%d %b", "%H:%M", "%H:%M", "%S"],
        zero_formats=["%b", "%b", "%d %b", "%d %b", "%H:%M", "%H:%M"],
        offset_formats=["", "", "", "", "", ""],
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at the report resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
