"""The campus's own electricity (`dhopt.model.power`): a mean day by hour and the year day by day."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from dhopt.report import energy
from dhopt.report.style import DEMAND_COLOUR, REJECTED_COLOUR, date_axis, new_figure

SUPPLY = (  # result variable, label, colour: the electricity supply of the campuses, stacked
    ("pv_MW", "PV used", "#f2b701"),
    ("battery_discharge_MW", "battery discharge", "#3182bd"),
    ("backup_MW", "backup generator", "#636363"),
    ("grid_import_MW", "grid import", "#7570b3"),
)


def _has_power(ds: xr.Dataset) -> bool:
    return "power_site" in ds.dims and ds.sizes["power_site"] > 0 and "pv_MW" in ds


EXPORT_COLOUR = "#66a61e"


def _export_MW(ds: xr.Dataset) -> np.ndarray:
    """Grid export summed over the campuses [MW]; 0 in results written before export existed."""
    if "grid_export_MW" not in ds:
        return np.zeros(ds.sizes["time"])
    return ds["grid_export_MW"].sum("power_site").to_numpy()


def _demand_MW(ds: xr.Dataset) -> np.ndarray:
    """IT served x PUE + heat pumps + battery charging = the supply - grid export, over the campuses [MW]
    (the balance)."""
    return sum(ds[name].sum("power_site").to_numpy() for name, _, _ in SUPPLY) - _export_MW(ds)


def power_day_figure(ds: xr.Dataset) -> Figure | None:
    """Each hour of the day averaged over the horizon (weighted): supply stacked, demand, PV possible;
    battery charging and grid export below zero."""
    if not _has_power(ds):
        return None
    hour = np.asarray(ds["time"].to_numpy(), dtype=int) % 24
    w = ds["weight_h"].to_numpy()

    def mean_day(values: np.ndarray) -> np.ndarray:
        return np.bincount(hour, values * w, 24) / np.bincount(hour, w, 24)

    fig = new_figure(3.6)
    ax = fig.add_subplot()
    bottom = np.zeros(24)
    for name, label, colour in SUPPLY:
        part = mean_day(ds[name].sum("power_site").to_numpy())
        if part.max() > 1e-6:
            ax.bar(np.arange(24), part, bottom=bottom, color=colour, label=label, width=0.9)
            bottom += part
    charge = mean_day(ds["battery_charge_MW"].sum("power_site").to_numpy())
    ax.bar(np.arange(24), -charge, color="#9ecae1", label="battery charging", width=0.9)
    sold = mean_day(_export_MW(ds))
    if sold.max() > 1e-6:
        ax.bar(np.arange(24), -sold, bottom=-charge, color=EXPORT_COLOUR, label="grid export", width=0.9)
    demand = _demand_MW(ds) - ds["battery_charge_MW"].sum("power_site").to_numpy()
    ax.step(np.arange(24), mean_day(demand), where="mid", color=DEMAND_COLOUR, lw=1.2, label="IT x PUE + heat pumps")
    ax.plot(np.arange(24), mean_day(ds["pv_available_MW"].sum("power_site").to_numpy()), color="#f2b701",
            ls=(0, (4, 2)), lw=1.2, label="PV possible")  # fmt: skip
    ax.axhline(0, color="#444444", lw=0.6)
    ax.set_xticks(range(0, 24, 3))
    ax.set_xlabel("hour of the day (local time of the series)")
    ax.set_ylabel("electricity [MW]")
    ax.set_title("Campus electricity: the mean day")
    ax.legend(loc="upper left", fontsize="small", ncol=3)
    return fig


def power_year_figure(ds: xr.Dataset) -> Figure | None:
    """Daily energy of each supply [MWh/day], the IT energy curtailed and the grid export, over the horizon."""
    if not _has_power(ds) or len(ds["time"]) < 48:
        return None
    days = np.asarray(ds["time"].to_numpy(), dtype=int) // 24
    first = days - days[0]
    x = energy.calendar(np.unique(days) * 24)

    def daily(values: np.ndarray) -> np.ndarray:
        return np.bincount(first, values)  # each step is one hour of its day

    fig = new_figure(3.6)
    ax = fig.add_subplot()
    bottom = np.zeros(first.max() + 1)
    for name, label, colour in SUPPLY:
        part = daily(ds[name].sum("power_site").to_numpy())
        if part.max() > 1e-6:
            ax.fill_between(x, bottom, bottom + part, step="post", color=colour, label=label, lw=0)
            bottom += part
    curtailed = daily((ds["it_load_MW"] - ds["it_served_MW"]).sum("power_site").to_numpy())
    if curtailed.max() > 1e-6:
        ax.bar(x, -curtailed, color=REJECTED_COLOUR, label="IT curtailed", width=1.0, align="edge")
    sold = daily(_export_MW(ds))
    if sold.max() > 1e-6:
        ax.bar(x, -sold, bottom=-curtailed, color=EXPORT_COLOUR, label="grid export", width=1.0, align="edge")
    ax.set_ylim(top=bottom.max() * 1.3)  # room for the legend
    ax.set_ylabel("electricity [MWh/day]")
    ax.set_title("Campus electricity over the horizon, day by day")
    ax.legend(loc="upper left", fontsize="small", ncol=5)
    date_axis(ax)
    return fig
