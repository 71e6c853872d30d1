"""Heat flows of a result, summed over campuses, plants, storage sites and zones, as pandas tables.

Every series is indexed by hour of year [h]. Network losses are not stored hour by hour (only
the candidate pipes' losses are); they follow from the heat balance, which holds every hour:

    heat pumps + direct + plants + new units + discharge - charge (tanks, pits) + unmet = demand + losses
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

NEGLIGIBLE_MW = 1e-6  # a producer never above this is left out of the figures [MW]
HOURLY_UP_TO_DAYS = 30  # longer horizons are drawn as daily means [days]
REFERENCE_YEAR = "2001-01-01"  # a non-leap year: hour of year -> calendar date (year and weekday not shown)


def calendar(hours) -> pd.DatetimeIndex:
    """Hour of year [h] -> timestamp in a reference non-leap year, for date axes and months."""
    return pd.Timestamp(REFERENCE_YEAR) + pd.to_timedelta(np.asarray(hours, dtype=float), unit="h")


def _total(ds: xr.Dataset, name: str, over: str) -> pd.Series:
    """``ds[name]`` summed over dimension ``over`` (zero if it has no members) [MW]."""
    return pd.Series(ds[name].sum(over).to_numpy(), index=ds["time"].to_numpy())


def plant_technologies(ds: xr.Dataset) -> dict[str, str]:
    """Producer label of each plant and new unit -> its technology, e.g. ``{"wte (waste to energy)":
    "waste_to_energy", "new air_source_hp_10MW@C": "air_source_hp_10MW"}``."""
    plants = {
        f"{plant} ({technology.replace('_', ' ')})": str(technology)
        for plant, technology in zip(ds["plant"].values, ds["plant_technology"].values)
    }
    return plants | {f"new {unit}": str(t) for unit, t in zip(ds["unit"].values, ds["unit_technology"].values)}


def producers_MW(ds: xr.Dataset) -> pd.DataFrame:
    """Heat fed into the network per producer and hour [MW]; producers that never produce are left out.

    Columns in stacking order: heat pumps, direct exchange, each plant, each new unit, storage and pit
    discharge, unmet demand (the model's slack: heat that no producer delivered).
    """
    columns = {
        "heat pumps": _total(ds, "hp_heat_MW", "source"),
        "direct exchange": _total(ds, "direct_heat_MW", "source"),
    }
    hourly = [ds["plant_heat_MW"].sel(plant=p) for p in ds["plant"].values]
    hourly += [ds["unit_heat_MW"].sel(unit=u) for u in ds["unit"].values]
    for label, values in zip(plant_technologies(ds), hourly):
        columns[label] = pd.Series(values.to_numpy(), index=ds["time"].to_numpy())
    columns["storage discharge"] = _total(ds, "storage_discharge_MW", "site")
    columns["pit discharge"] = _total(ds, "pit_discharge_MW", "pit")
    columns["unmet demand"] = _total(ds, "unmet_MW", "zone")
    frame = pd.DataFrame(columns)
    return frame.loc[:, frame.max() > NEGLIGIBLE_MW]


def demand_MW(ds: xr.Dataset) -> pd.Series:
    """Consumer demand over all zones [MW]."""
    return _total(ds, "demand_MW", "zone")


def storage_charge_MW(ds: xr.Dataset) -> pd.Series:
    """Heat taken from the network into storage, all tank and pit sites [MW]."""
    return _total(ds, "storage_charge_MW", "site") + _total(ds, "pit_charge_MW", "pit")


def losses_MW(ds: xr.Dataset) -> pd.Series:
    """Network heat losses from the hourly balance: production - charging - demand [MW]."""
    return producers_MW(ds).sum(axis=1) - storage_charge_MW(ds) - demand_MW(ds)


def rejected_MW(ds: xr.Dataset) -> pd.Series:
    """Campus heat rejected by dry coolers instead of reused [MW]."""
    return _total(ds, "rejected_heat_MW", "source")


def step_h(ds: xr.Dataset) -> float:
    """Length of one time step in real time [h] (1 for hourly results)."""
    hours = ds["time"].to_numpy()
    return float(np.median(np.diff(hours))) if len(hours) > 1 else 1.0


def horizon_days(ds: xr.Dataset) -> float:
    """Length of the modelled horizon [days]."""
    return len(ds["time"]) * step_h(ds) / 24.0


def is_full_year(ds: xr.Dataset) -> bool:
    """True when the horizon covers a whole year (8,760 h or more)."""
    return len(ds["time"]) * step_h(ds) >= 8760


def longer_than_a_month(ds: xr.Dataset) -> bool:
    """True when the horizon is too long to draw hour by hour: daily means, monthly balances."""
    return horizon_days(ds) > HOURLY_UP_TO_DAYS


def day_start(hours: np.ndarray) -> np.ndarray:
    """First hour of the 24-hour block (counted from the horizon's start) each hour falls in [h]."""
    return (hours - hours[0]) // 24 * 24 + hours[0]


def period_energy_MWh(ds: xr.Dataset, by_month: bool) -> pd.DataFrame:
    """Energy per calendar month or per day (24 h from the horizon's start), in real time [MWh].

    Not scaled to a year: a two-day horizon shows the two days' energy. Columns: each producer,
    ``demand``, ``losses``, ``rejected campus heat``; index: the period's first hour of year.
    """
    frame = producers_MW(ds).assign(demand=demand_MW(ds), losses=losses_MW(ds))
    frame["rejected campus heat"] = rejected_MW(ds)
    hours = frame.index.to_numpy()
    if by_month:
        first = pd.Series(hours).groupby(calendar(hours).month).transform("min").to_numpy()
    else:
        first = day_start(hours)
    return (frame * step_h(ds)).groupby(first).sum()
