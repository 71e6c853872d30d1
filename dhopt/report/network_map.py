"""Map of the whole (unreduced) network to scale: pipes by DN, new pipes highlighted, producers marked."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from dhopt.report.style import new_figure

NICE_LENGTHS_M = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000)
MAX_PIPE_LABELS = 6  # built candidate pipes labelled with DN and peak flow, longest first
NEW_PIPE_HALO = "#e31a1c"
NOT_BUILT = "#9e9e9e"
MARKERS = {  # node kind -> scatter style and legend label
    "consumer": {"marker": "o", "s": 4, "color": "#636363", "alpha": 0.7, "label": "consumer", "zorder": 4},
    "plant": {"marker": "s", "s": 90, "color": "#fd8d3c", "edgecolor": "black", "label": "heat plant", "zorder": 6},
    "source": {
        "marker": "*",
        "s": 320,
        "color": "#1b9e77",
        "edgecolor": "black",
        "label": "data-center campus",
        "zorder": 7,
    },
}


def scale_bar_m(extent_m: float) -> int:
    """The largest round length not above a fifth of the map's width [m]."""
    fitting = [length for length in NICE_LENGTHS_M if length <= extent_m / 5]
    return fitting[-1] if fitting else NICE_LENGTHS_M[0]


def link_segments(ds: xr.Dataset, links=None) -> np.ndarray:
    """Start and end point of the given links (default: every link), shape (links, 2, 2) [m]."""
    position = pd.DataFrame({"x": ds["node_x_m"].values, "y": ds["node_y_m"].values}, index=ds["node"].values)
    chosen = ds[["link_from", "link_to"]] if links is None else ds[["link_from", "link_to"]].sel(link=list(links))
    ends = [position.loc[chosen[end].values, ["x", "y"]].to_numpy() for end in ("link_from", "link_to")]
    return np.stack(ends, axis=1).reshape(-1, 2, 2)


def _width(dn: np.ndarray, largest: float) -> np.ndarray:
    """Line width growing with the square root of DN [pt]."""
    return 0.6 + 4.0 * np.sqrt(np.nan_to_num(dn, nan=0.0) / largest)


def _label_new_pipes(ax, ds: xr.Dataset, segments: np.ndarray, built_new: np.ndarray) -> None:
    """DN and peak flow beside the longest built candidates that are also model pipes (at most
    `MAX_PIPE_LABELS`, so a large network stays legible)."""
    if not ds.sizes["pipe"]:
        return
    peaks = abs(ds["pipe_flow_MW"]).max("time").to_series()
    labelled = built_new & np.isin(ds["link"].values, peaks.index)
    longest = np.argsort(-np.where(labelled, ds["link_length_m"].values, -1.0))[: min(labelled.sum(), MAX_PIPE_LABELS)]
    for i in longest:
        link, dn = ds["link"].values[i], ds["link_dn"].values[i]
        x, y = segments[i].mean(axis=0)
        ax.annotate(
            f"{link}\nDN {dn:.0f}, peak {peaks[link]:.1f} MW",
            (x, y),
            xytext=(0, 12),
            textcoords="offset points",
            fontsize=8,
            color="#a50f15",
            ha="center",
            va="bottom",
            zorder=8,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )


def _producer_labels(ds: xr.Dataset, near_m: float) -> dict[tuple[float, float], str]:
    """Campus and plant names, one label per group of nodes closer than ``near_m`` [m] (no overlaps)."""
    labels: dict[tuple[float, float], str] = {}
    for node, kind, x, y in zip(
        ds["node"].values, ds["node_kind"].values, ds["node_x_m"].values, ds["node_y_m"].values
    ):
        if kind not in ("source", "plant"):
            continue
        anchor = next((a for a in labels if np.hypot(a[0] - x, a[1] - y) < near_m), None)
        if anchor is None:
            labels[(float(x), float(y))] = str(node)
        else:
            labels[anchor] += f", {node}"
    return labels


def network_map(ds: xr.Dataset) -> Figure:
    """Pipes drawn to scale from the node coordinates (equal aspect), coloured and widened by DN.

    Existing pipes solid; candidate pipes the optimiser built solid with a red halo; candidates
    not built dashed grey. Campus, plants and consumers marked; a scale bar in metres.
    """
    segments = link_segments(ds)
    dn = ds["link_dn"].to_numpy().astype(float)
    candidate = ds["link_status"].values == "candidate"
    built_new = candidate & ~np.isnan(dn)
    drawn = ~np.isnan(dn)
    classes = np.unique(dn[drawn]) if drawn.any() else np.array([100.0])
    largest = float(classes.max())
    bounds = np.concatenate([[classes[0] * 0.9], (classes[1:] + classes[:-1]) / 2, [classes[-1] * 1.1]])
    norm = mpl.colors.BoundaryNorm(bounds, 256)
    cmap = mpl.colors.ListedColormap(mpl.colormaps["YlGnBu"](np.linspace(0.35, 1.0, 256)))

    x_span = np.ptp(segments[..., 0]) if len(segments) else 1.0
    y_span = np.ptp(segments[..., 1]) if len(segments) else 1.0
    fig = new_figure(height_in=float(np.clip(10.0 * y_span / max(x_span, 1.0), 4.5, 11.0)))
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#bdbdbd")

    ax.add_collection(
        LineCollection(segments[candidate & ~drawn], colors=NOT_BUILT, linewidths=1.3, linestyles=(0, (4, 3)), zorder=1)
    )
    ax.add_collection(
        LineCollection(
            segments[built_new],
            colors=NEW_PIPE_HALO,
            alpha=0.35,
            linewidths=_width(dn[built_new], largest) + 6,
            zorder=2,
        )
    )
    pipes = LineCollection(
        segments[drawn],
        array=dn[drawn],
        cmap=cmap,
        norm=norm,
        linewidths=_width(dn[drawn], largest),
        capstyle="round",
        zorder=3,
    )
    ax.add_collection(pipes)
    ax.autoscale_view()
    ax.margins(0.04)
    colourbar = fig.colorbar(pipes, ax=ax, shrink=0.8, pad=0.01, ticks=classes, spacing="uniform")
    colourbar.set_label("pipe DN [mm]")

    kinds = ds["node_kind"].values
    for kind, style in MARKERS.items():
        at = kinds == kind
        if at.any():
            ax.scatter(ds["node_x_m"].values[at], ds["node_y_m"].values[at], **style)
    for (x, y), names in _producer_labels(ds, max(x_span, y_span) / 40).items():
        ax.annotate(
            names,
            (x, y),
            xytext=(9, 7),
            textcoords="offset points",
            fontsize=9,
            weight="bold",
            zorder=8,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
    _label_new_pipes(ax, ds, segments, built_new)

    handles = [Line2D([], [], color=cmap(0.35), lw=2.5, label="existing pipe (colour, width: DN)")]
    if built_new.any():
        handles.append(
            Line2D(
                [],
                [],
                color=cmap(0.35),
                lw=2.5,
                label="new pipe, built",
                path_effects=[
                    patheffects.Stroke(linewidth=8, foreground=NEW_PIPE_HALO, alpha=0.35),
                    patheffects.Normal(),
                ],
            )
        )
    if (candidate & ~drawn).any():
        handles.append(Line2D([], [], color=NOT_BUILT, lw=1.0, ls=(0, (4, 3)), label="candidate pipe, not built"))
    handles += [
        Line2D(
            [],
            [],
            ls="",
            marker=s["marker"],
            markersize=np.sqrt(s["s"]),
            color=s["color"],
            markeredgecolor=s.get("edgecolor", s["color"]),
            label=s["label"],
        )
        for kind, s in MARKERS.items()
        if (kinds == kind).any()
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3))

    length = scale_bar_m(x_span)
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            length,
            f"{length / 1000:g} km" if length >= 1000 else f"{length} m",
            loc="lower right",
            pad=0.6,
            borderpad=0.8,
            sep=4,
            size_vertical=y_span / 250,
            frameon=True,
        )
    )
    ax.set_title(f"Network: {len(segments):,} pipes, {ds['link_length_m'].sum().item() / 1000:,.1f} km")
    return fig
