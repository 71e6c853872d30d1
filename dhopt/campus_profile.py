"""Hourly operation of a data-center campus, for its time-series columns: the IT utilisation (level,
daily and weekly shape, ramp-up over the first halls) and the share of its recoverable heat that reaches
the heat-recovery coils (free-cooling hours). Pure functions of the hour of the file and the outdoor
temperature; `cases/data/build_timeseries.py` writes them into the shipped series.

Published basis of the defaults (each an assumption where the source gives a range):
- level: whole data centers draw well below their provisioned power, "a noticeable gap (7-16 %) between
  achieved and theoretical aggregate peak power usage at the cluster level ... almost 40 % in whole
  datacenters" (Fan, Weber and Barroso, "Power provisioning for a warehouse-sized computer", ISCA 2007,
  doi:10.1145/1250662.1250665); "many data centers appear to operate closer to 50 % capacity
  utilization rate" (T. Norris, "The puzzle of low data center utilization rates", 2025). Mean 0.55,
  daily peak 0.60: the peak at Fan et al.'s 60 % of the provisioned power, the mean between it and 50 %.
- daily and weekly shape: the afternoon/evening peak of interactive services seen in Fan et al. 2007,
  a smaller load at weekends; the amplitudes (0.05, 0.02) are assumptions.
- ramp-up: a campus fills hall by hall; Meta's Odense campus was to be "fully in operation at the end of
  2020, as Facebook connects all eight server halls" (Fyens Stiftstidende, 2019-09): 1/8 to 8/8 within a
  year, taken as linear.
- free cooling: below a threshold outdoor temperature an economiser (outdoor air or dry coolers) can
  carry the campus's cooling without the heat pumps; a campus whose contract keeps that mode passes only
  part of its heat to the recovery coils in those hours. The threshold follows from the campus's water
  temperatures (`free_cooling_threshold_degC`); the bypassed share is the campus's design (no default
  published).
"""

from __future__ import annotations

import numpy as np

HOURS_PER_DAY = 24
PEAK_HOUR = 20  # hour of day of the daily maximum (sin(2 pi (h - 14) / 24) peaks at h = 20)


def weekend(hours, first_weekday: int = 1) -> np.ndarray:
    """True in Saturday and Sunday hours; ``first_weekday`` of hour 0, Monday = 0 (2019-01-01: Tuesday, 1)."""
    weekday = (first_weekday + np.asarray(hours, dtype=int) // HOURS_PER_DAY) % 7
    return weekday >= 5


def it_utilisation(
    hours, mean: float = 0.55, daily_amplitude: float = 0.05, weekend_drop: float = 0.02, first_weekday: int = 1
) -> np.ndarray:
    """IT load / the campus's IT capacity in each hour [-]:
    u(h) = mean + daily_amplitude sin(2 pi (h - 14) / 24) - weekend_drop (weekend(h) - 2/7),
    so that whole weeks average ``mean`` (the weekend term has mean 0 over a week)."""
    hours = np.asarray(hours, dtype=float)
    daily = daily_amplitude * np.sin(2 * np.pi * (hours - 14.0) / HOURS_PER_DAY)
    weekly = weekend_drop * (weekend(hours, first_weekday) - 2.0 / 7.0)
    return mean + daily - weekly


def ramp_up(hours, start_share: float, ramp_hours: float) -> np.ndarray:
    """Share of the campus's halls in service [-]: start_share at hour 0 rising linearly to 1 at ``ramp_hours``,
    1 after."""
    progress = np.clip(np.asarray(hours, dtype=float) / ramp_hours, 0.0, 1.0)
    return start_share + (1.0 - start_share) * progress


def free_cooling_threshold_degC(source_degC: float, cooling_K: float, approach_K: float = 5.0) -> float:
    """Highest outdoor temperature at which dry coolers alone can cool the campus's water [degC]:
    T_fc = T_source - cooling_K - approach_K, the cooled water (source - cooling_K) being approach_K above
    the air (5 K: an assumption, a common dry-cooler design approach). E.g. 27 degC water cooled 7 K: 15 degC."""
    return source_degC - cooling_K - approach_K


def free_cooling_recovery(outdoor_degC, threshold_degC: float, bypassed_share: float) -> np.ndarray:
    """Share of the recoverable heat that reaches the recovery coils [-]: 1 - bypassed_share in free-cooling
    hours (outdoor temperature below ``threshold_degC``), 1 otherwise."""
    cold = np.asarray(outdoor_degC, dtype=float) < threshold_degC
    return np.where(cold, 1.0 - bypassed_share, 1.0)
