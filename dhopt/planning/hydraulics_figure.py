"""Figure of a hydraulic check: one map per checked hour, pipes coloured by pressure drop per metre,
consumers by their supply temperature; limit violations marked."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dhopt.planning.hydraulics import HydraulicCheck, Limits
from dhopt.report.network_map import MARKERS, link_segments
from dhopt.report.style import new_figure

VIOLATION = "#e31a1c"
UNKNOWN = "#9e9e9e"


def hydraulics_figure(ds: xr.Dataset, check: HydraulicCheck, limits: Limits) -> Figure:
    """Maps side by side, one per checked hour: pipes coloured by pressure drop [Pa/m] (grey dashed
    where the flow is not known, red halo where a limit is violated), consumers by supply
    temperature [°C] (a black cross where below their minimum); one colour scale per quantity."""
    segments = link_segments(ds)
    position = {link: i for i, link in enumerate(ds["link"].values)}
    hours = check.hours
    drops = mpl.colors.Normalize(0.0, max(1.0, float(np.nanmax(check.pipes["pressure_drop_Pa_per_m"], initial=0.0))))
    supply = check.consumers["supply_degC"].to_numpy()
    warm = mpl.colors.Normalize(
        min(limits.min_supply_degC - 5.0, float(np.nanmin(supply, initial=np.inf))),
        max(float(hours["supply_degC"].max()), limits.min_supply_degC + 5.0),
    )
    x_span, y_span = np.ptp(segments[..., 0]), np.ptp(segments[..., 1])
    panel_in = 12.0 / len(hours)  # map width per checked hour [in]
    fig = new_figure(height_in=float(np.clip(panel_in * y_span / max(x_span, 1.0), 3.0, 8.0)) + 1.2, width_in=14.0)
    axes = fig.subplots(1, len(hours), squeeze=False)[0]
    for ax, (_, hour) in zip(axes, hours.iterrows()):
        pipes = check.pipes[check.pipes["check"] == hour["check"]]
        at = np.array([position[p] for p in pipes["pipe"]], dtype=int)
        drop = pipes["pressure_drop_Pa_per_m"].to_numpy()
        known = ~np.isnan(drop)
        bad = (pipes["violation"] != "").to_numpy()
        ax.add_collection(LineCollection(segments[at[bad]], colors=VIOLATION, alpha=0.4, linewidths=6, zorder=1))
        ax.add_collection(
            LineCollection(segments[at[~known]], colors=UNKNOWN, linewidths=1.0, linestyles=(0, (3, 2)), zorder=2)
        )
        lines = LineCollection(segments[at[known]], array=drop[known], cmap="viridis", norm=drops, linewidths=2.2)
        ax.add_collection(lines)
        consumers = check.consumers[check.consumers["check"] == hour["check"]]
        node = ds["node"].to_index().get_indexer(consumers["consumer"])
        x, y = ds["node_x_m"].values[node], ds["node_y_m"].values[node]
        dots = ax.scatter(x, y, c=consumers["supply_degC"], cmap="coolwarm", norm=warm, s=5, zorder=4)
        cold = (consumers["violation"] != "").to_numpy()
        ax.scatter(x[cold], y[cold], marker="x", color="black", s=30, linewidths=1.0, zorder=5)
        kinds = ds["node_kind"].values
        for kind in ("plant", "source"):
            ax.scatter(ds["node_x_m"].values[kinds == kind], ds["node_y_m"].values[kinds == kind], **MARKERS[kind])
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.autoscale_view()
        ax.set_title(
            f"{hour['check']}, hour {hour['hour']}: {hour['demand_MW']:,.1f} MW, supply {hour['supply_degC']:.1f} degC\n"
            f"worst {hour['max_pressure_drop_Pa_per_m']:,.0f} Pa/m, coldest consumer "
            f"{hour['min_consumer_supply_degC']:.1f} degC",
            fontsize=10,
        )
    fig.colorbar(
        lines, ax=axes, shrink=0.8, pad=0.01, label=f"pressure drop [Pa/m] (limit {limits.pressure_drop_Pa_per_m:g})"
    )
    fig.colorbar(dots, ax=axes, shrink=0.8, pad=0.01, label="supply at consumer [degC]")
    handles = [
        Line2D([], [], color=VIOLATION, alpha=0.4, lw=6, label="pipe over a limit"),
        Line2D([], [], color=UNKNOWN, lw=1.0, ls=(0, (3, 2)), label="flow not reconstructed"),
        Line2D([], [], ls="", marker="x", color="black", label="consumer below its minimum supply"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig
