"""Who supplies the heat when: dispatch stacked by producer against demand, and the load duration curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from dhopt.grid import binding_steps
from dhopt.report import energy
from dhopt.report.style import (
    CHARGE_COLOUR,
    DEMAND_COLOUR,
    GRID_LIMIT_COLOUR,
    LOSS_COLOUR,
    date_axis,
    new_figure,
    producer_colours,
)

WEEK_H = 168
SMOOTHING_SHARE = 100  # the duration curve's producer split is averaged over 1/100 of the hours
SUMMER_DAYS = (151, 243)  # 1 June to 31 August, day of a non-leap year (0 = 1 January)


def _colours(ds: xr.Dataset, producers: pd.DataFrame) -> list[str]:
    colours = producer_colours(energy.plant_technologies(ds))
    return [colours[label] for label in producers.columns]


def _with_end(hours: np.ndarray, step: float) -> np.ndarray:
    """Step edges: each step's start and the end of the last [h]."""
    return np.append(hours, hours[-1] + step)


def _draw_dispatch(ax, ds: xr.Dataset, hours: np.ndarray, daily: bool) -> None:
    """Stack the producers over ``hours`` (daily means if ``daily``), storage charging below zero."""
    frame = energy.producers_MW(ds).loc[hours]
    lines = pd.DataFrame({"demand": energy.demand_MW(ds), "losses": energy.losses_MW(ds)}).loc[hours]
    charge = energy.storage_charge_MW(ds).loc[hours]
    step = energy.step_h(ds)
    if daily:
        day = energy.day_start(hours)
        frame, lines, charge = (part.groupby(day).mean() for part in (frame, lines, charge))
        step = 24.0
    x = energy.calendar(_with_end(frame.index.to_numpy(), step))

    def padded(values):
        return np.append(values, values[-1])

    ax.stackplot(
        x,
        *(padded(frame[c].to_numpy()) for c in frame.columns),
        labels=frame.columns,
        colors=_colours(ds, frame),
        step="post",
        linewidth=0,
    )
    if charge.max() > energy.NEGLIGIBLE_MW:
        ax.fill_between(
            x, -padded(charge.to_numpy()), 0, step="post", color=CHARGE_COLOUR, linewidth=0, label="storage charging"
        )
        ax.axhline(0, color="#525252", lw=0.6)
    _shade_grid_limit(ax, ds, hours, x, day if daily else None)
    ax.step(x, padded(lines["demand"].to_numpy()), where="post", color=DEMAND_COLOUR, lw=1.2, label="demand")
    ax.step(
        x,
        padded((lines["demand"] + lines["losses"]).to_numpy()),
        where="post",
        color=LOSS_COLOUR,
        lw=1.0,
        ls=(0, (3, 2)),
        label="demand + network losses",
    )
    ax.set_xlim(x[0], x[-1])
    ax.set_ylabel("heat, daily mean [MW]" if daily else "heat [MW]")
    date_axis(ax)


def _shade_grid_limit(ax, ds: xr.Dataset, hours: np.ndarray, x: np.ndarray, day: np.ndarray | None) -> None:
    """Shade the steps (days, if `day` groups the hours) in which the grid import limit binds."""
    binding = pd.Series(binding_steps(ds), index=ds["time"].to_numpy()).loc[hours]
    if day is not None:
        binding = binding.groupby(day).max()
    if binding.any():
        ax.fill_between(
            x,
            0,
            1,
            where=np.append(binding.to_numpy(), binding.to_numpy()[-1]),
            step="post",
            transform=ax.get_xaxis_transform(),
            color=GRID_LIMIT_COLOUR,
            alpha=0.25,
            linewidth=0,
            label="grid import limit binds",
        )


def dispatch_horizon(ds: xr.Dataset) -> Figure:
    """Heat production stacked by producer against demand over the whole horizon [MW]."""
    daily = energy.longer_than_a_month(ds)
    fig = new_figure(4.6)
    ax = fig.add_subplot()
    _draw_dispatch(ax, ds, ds["time"].to_numpy(), daily)
    ax.set_title("Heat supply by producer" + (" (daily means)" if daily else " (hourly)"))
    fig.legend(loc="outside right upper")
    return fig


def zoom_weeks(ds: xr.Dataset) -> list[tuple[str, np.ndarray]]:
    """(title, hours) of the week around peak demand and, if the horizon holds a whole summer,
    the summer week of least demand; none when the horizon is drawn hour by hour anyway."""
    if not energy.longer_than_a_month(ds):
        return []
    hours = ds["time"].to_numpy()
    demand = energy.demand_MW(ds)

    def week_around(hour: float, first: float, last: float) -> np.ndarray:
        start = int(np.clip(hour - WEEK_H // 2, first, last + 1 - WEEK_H))
        return hours[(hours >= start) & (hours < start + WEEK_H)]

    weeks = [("Week of peak demand", week_around(demand.idxmax(), hours[0], hours[-1]))]
    daily = demand.groupby(hours // 24).mean()
    summer = daily.loc[SUMMER_DAYS[0] : SUMMER_DAYS[1]]
    if len(summer) == SUMMER_DAYS[1] - SUMMER_DAYS[0] + 1:
        quiet = summer.idxmin() * 24 + 12
        weeks.append(("Summer week of least demand", week_around(quiet, SUMMER_DAYS[0] * 24, SUMMER_DAYS[1] * 24 + 23)))
    return weeks


def dispatch_weeks(ds: xr.Dataset) -> Figure | None:
    """Hourly dispatch of the weeks of `zoom_weeks`, one panel each on a shared scale; None if none."""
    weeks = zoom_weeks(ds)
    if not weeks:
        return None
    fig = new_figure(3.4 * len(weeks))
    axes = fig.subplots(len(weeks), 1, sharey=True, squeeze=False)[:, 0]
    for ax, (title, hours) in zip(axes, weeks):
        _draw_dispatch(ax, ds, hours, daily=False)
        first, last = energy.calendar([hours[0], hours[-1]])
        ax.set_title(f"{title}: {first:%d %b} to {last:%d %b}")
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:  # a producer idle in the first week still gets a legend entry
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.legend(handles, labels, loc="outside right upper")
    return fig


def _smoothed_mix(sorted_frame: pd.DataFrame) -> pd.DataFrame:
    """Producers' split averaged over neighbouring sorted hours (a window of 1 % of them), then
    rescaled so each hour's total, the curve's outline, stays exact [MW]."""
    window = max(1, len(sorted_frame) // SMOOTHING_SHARE)
    mix = sorted_frame.rolling(window, center=True, min_periods=1).mean()
    total, mixed = sorted_frame.sum(axis=1), mix.sum(axis=1)
    return mix.mul((total / mixed.where(mixed > 0)).fillna(0.0), axis=0)


def duration_curve(ds: xr.Dataset) -> Figure:
    """Heat load duration curve: hours sorted by heat produced, stacked by producer [MW against h/yr].

    Hours are weighted by ``weight_h``, so the x axis spans a year even for a shorter horizon. The
    outline is exact; the split between producers is smoothed along the curve (`_smoothed_mix`),
    the shares in the legend are exact.
    """
    frame = energy.producers_MW(ds)
    weight = pd.Series(ds["weight_h"].to_numpy(), index=frame.index)
    order = frame.sum(axis=1).sort_values(ascending=False, kind="stable").index
    frame, weight = frame.loc[order], weight.loc[order]
    x = np.concatenate([[0.0], weight.cumsum().to_numpy()])
    annual = frame.mul(weight, axis=0).sum()
    frame = _smoothed_mix(frame)
    labels = [f"{name} ({share:.0%})" for name, share in (annual / annual.sum()).items()]

    fig = new_figure(4.2)
    ax = fig.add_subplot()
    ax.stackplot(
        x,
        *(np.append(frame[c].to_numpy(), frame[c].iloc[-1]) for c in frame.columns),
        labels=labels,
        colors=_colours(ds, frame),
        step="post",
        linewidth=0,
    )
    ax.set_xlim(0, x[-1])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("hours of the year at or above this load [h]")
    ax.set_ylabel("heat produced [MW]")
    ax.set_title("Heat load duration curve (share of annual heat in brackets)")
    fig.legend(loc="outside right upper")
    return fig
