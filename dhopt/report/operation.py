"""How the plant runs over the horizon: storage state of charge; heat-pump COP against the electricity price."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from dhopt.report import energy
from dhopt.report.style import PRICE_COLOUR, SPARE_COLOURS, date_axis, new_figure

NEGLIGIBLE_MWH = 0.01  # a storage smaller than this counts as not built [MWh]


def storage_figure(ds: xr.Dataset) -> Figure | None:
    """Stored heat per tank and pit (PTES) site over the horizon, with its capacity [MWh]; None when no
    storage is built.

    A single site also gets a right-hand axis in percent of its capacity (state of charge).
    """
    tanks = ds["storage_level_MWh"].rename(site="store")
    levels = xr.concat([tanks, ds["pit_level_MWh"].rename(pit="store")], dim="store")  # tanks, then pits (PTES)
    capacity = pd.concat([ds["storage_capacity_MWh"].to_series(), ds["pit_capacity_MWh"].to_series()])
    built = capacity[capacity > NEGLIGIBLE_MWH]
    if built.empty:
        return None
    x = energy.calendar(ds["time"].to_numpy())
    fig = new_figure(3.6)
    ax = fig.add_subplot()
    for colour, (site, size) in zip(SPARE_COLOURS[::-1] if len(built) > 1 else ("#3182bd",), built.items()):
        level = levels.sel(store=site).to_numpy()
        ax.fill_between(x, level, color=colour, alpha=0.25, linewidth=0)
        ax.plot(x, level, color=colour, lw=0.8, label=f"{site}: stored heat")
        ax.axhline(size, color=colour, lw=1.0, ls=(0, (4, 2)), label=f"{site}: capacity {size:,.0f} MWh")
    if len(built) == 1:
        size = float(built.iloc[0])
        right = ax.secondary_yaxis("right", functions=(lambda e: 100 * e / size, lambda p: p * size / 100))
        right.set_ylabel("state of charge [%]")
    ax.set_xlim(energy.calendar([ds["time"].values[0], ds["time"].values[-1] + energy.step_h(ds)]))
    ax.set_ylim(0, built.max() * 1.08)
    ax.set_ylabel("stored heat [MWh]")
    ax.set_title("Heat storage")
    date_axis(ax)
    fig.legend(loc="outside lower center", ncols=2 * len(built))
    return fig


def cop_price_figure(ds: xr.Dataset) -> Figure | None:
    """Heat-pump COP [-] (left) and electricity price incl. tariff [EUR/MWh] (right) over the horizon;
    daily means, the price with its daily range, when the horizon is longer than a month. None without a campus.
    """
    if ds.sizes["source"] == 0:
        return None
    hours = ds["time"].to_numpy()
    cop = pd.DataFrame(ds["cop"].to_numpy().T, index=hours, columns=ds["source"].values)
    price = pd.Series(ds["electricity_price_EUR_per_MWh"].to_numpy(), index=hours)
    daily = energy.longer_than_a_month(ds)
    low = high = None
    if daily:
        day = energy.day_start(hours)
        low, high = price.groupby(day).min(), price.groupby(day).max()
        cop, price = cop.groupby(day).mean(), price.groupby(day).mean()
    x = energy.calendar(price.index.to_numpy() + (12 if daily else 0))

    fig = new_figure(3.8)
    ax = fig.add_subplot()
    twin = ax.twinx()
    twin.grid(False)
    twin.spines["right"].set_visible(True)
    if daily:
        twin.fill_between(x, low, high, color=PRICE_COLOUR, alpha=0.15, linewidth=0, label="price, daily range")
    twin.plot(x, price, color=PRICE_COLOUR, lw=0.9, label="electricity price" + (", daily mean" if daily else ""))
    for colour, source in zip(("#1b9e77", *SPARE_COLOURS), cop.columns):
        ax.plot(x, cop[source], color=colour, lw=1.6, label=f"COP {source}" + (", daily mean" if daily else ""))
    ax.set_zorder(twin.get_zorder() + 1)  # COP drawn over the price band
    ax.patch.set_visible(False)
    ax.set_xlim(energy.calendar([hours[0], hours[-1] + energy.step_h(ds)]))
    ax.set_ylim(0, np.nanmax(cop.to_numpy()) * 1.15)
    ax.set_ylabel("heat-pump COP [-]")
    twin.set_ylabel("electricity price incl. tariff [EUR/MWh]", color=PRICE_COLOUR)
    twin.tick_params(axis="y", colors=PRICE_COLOUR)
    ax.set_title("Heat-pump COP and electricity price")
    date_axis(ax)
    handles = [h for a in (ax, twin) for h in a.get_legend_handles_labels()[0]]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    return fig
