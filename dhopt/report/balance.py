"""Energy balance per month (per day for horizons up to a month): production against its uses."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from dhopt.report import energy
from dhopt.report.style import DEMAND_COLOUR, LOSS_COLOUR, REJECTED_COLOUR, new_figure, producer_colours

USES = {"demand": DEMAND_COLOUR, "losses": LOSS_COLOUR, "rejected campus heat": REJECTED_COLOUR}
GWH_ABOVE_MWH = 5_000  # bars larger than this are drawn in GWh [MWh]


def balance_figure(ds: xr.Dataset) -> Figure:
    """Four bars per period: production stacked by producer, demand, network losses and campus heat
    rejected by the dry coolers [MWh or GWh per period, real time, not scaled to a year]."""
    by_month = energy.longer_than_a_month(ds)
    table = energy.period_energy_MWh(ds, by_month)
    producers = [c for c in table.columns if c not in USES]
    in_gwh = table.to_numpy().max() > GWH_ABOVE_MWH
    table = table / (1000.0 if in_gwh else 1.0)
    starts = energy.calendar(table.index.to_numpy())
    labels = starts.strftime("%b") if by_month else starts.strftime("%d %b")

    fig = new_figure(4.0)
    ax = fig.add_subplot()
    ax.grid(axis="x", visible=False)
    width = 0.8 / (1 + len(USES))  # production and each use side by side
    at = np.arange(len(table))
    colours = producer_colours(energy.plant_technologies(ds))
    bottom = np.zeros(len(table))
    for producer in producers:
        ax.bar(at - 1.5 * width, table[producer], width, bottom=bottom, color=colours[producer], label=producer)
        bottom += table[producer].to_numpy()
    for offset, (use, colour) in zip((-0.5, 0.5, 1.5), USES.items()):
        label = "network losses" if use == "losses" else use
        ax.bar(at + offset * width, table[use], width, color=colour, label=label)
    ax.set_xticks(at, labels)
    ax.set_ylabel(f"energy per {'month' if by_month else 'day'} [{'GWh' if in_gwh else 'MWh'}]")
    ax.set_title(f"{'Monthly' if by_month else 'Daily'} energy balance")
    fig.legend(loc="outside right upper")
    return fig
