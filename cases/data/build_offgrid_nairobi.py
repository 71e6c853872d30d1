"""Build cases/data/offgrid_nairobi_hourly.csv, the hourly year of `cases/offgrid_micro_dc.toml` (run once, by hand).

    python cases/data/build_offgrid_nairobi.py

A synthetic year near Nairobi (-1.29 N, 36.82 E, 1,795 m, UTC+3), with no download: every column is
built from pvlib's clear-sky model and stated assumptions (cases/data/README.md):

- ``ghi_W_per_m2``: pvlib Ineichen clear-sky GHI (Linke turbidity climatology shipped with pvlib),
  mid-hour, times a daily clear-sky index k_c: its monthly mean `MONTHLY_KC` (an assumption shaped after
  Nairobi's seasons: long rains March-May, overcast June-August, short rains October-December; year
  mean 0.68) plus an AR(1) day-to-day deviation (lag-one correlation 0.6, standard deviation 0.12,
  seed 2019), clipped to 0.15..1.0;
- ``outdoor_temperature_degC``: monthly mean `MONTHLY_MEAN_DEGC` (an assumption shaped after Nairobi's
  climate, 16-20 degC) plus a daily cycle of +-6 K, lowest at 06:00, highest at 15:00;
- ``electricity_price_EUR_per_MWh``: 150 (an assumption; no grid is used off-grid);
- ``residential`` (the network's profile name): share of the year of the hot-water users' heat, a daily shape with morning and evening
  peaks (`DAILY_SHAPE`, an assumption), the same every day, sum 1;
- ``it_utilisation``: 0.9 + 0.1 sin(2 pi (h - 14) / 24) (an assumption: a busier afternoon).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's dhopt, not an installed one
from dhopt import solar  # noqa: E402

HOURS = 8760
SITE = solar.PvSite(latitude_deg=-1.29, longitude_deg=36.82, altitude_m=1795.0, utc_offset_h=3.0)
MONTHLY_KC = np.array([0.78, 0.80, 0.72, 0.60, 0.62, 0.62, 0.58, 0.60, 0.70, 0.72, 0.66, 0.72])
MONTHLY_MEAN_DEGC = np.array([19.5, 20.0, 20.0, 19.5, 18.5, 17.0, 16.0, 16.5, 18.0, 19.5, 19.0, 19.0])
DAILY_SHAPE = np.array([1, 1, 1, 1, 1, 3, 6, 8, 6, 4, 3, 3, 3, 3, 3, 3, 4, 5, 7, 8, 6, 4, 2, 1], dtype=float)
OUT = Path(__file__).with_name("offgrid_nairobi_hourly.csv")


def daily_clear_sky_index(months: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """k_c per day: the month's mean plus an AR(1) deviation (rho 0.6, sd 0.12), clipped to 0.15..1."""
    deviation = np.zeros(len(months))
    noise = rng.normal(0.0, 0.12 * np.sqrt(1 - 0.6**2), len(months))
    for day in range(1, len(months)):
        deviation[day] = 0.6 * deviation[day - 1] + noise[day]
    return np.clip(MONTHLY_KC[months] + deviation, 0.15, 1.0)


def build() -> pd.DataFrame:
    hours = np.arange(HOURS)
    times = solar.hour_times(2019, hours, SITE.utc_offset_h)
    months = times.month.to_numpy() - 1
    day_months = months[::24]
    kc = np.repeat(daily_clear_sky_index(day_months, np.random.default_rng(2019)), 24)
    hour_of_day = hours % 24
    daily = np.where((hour_of_day >= 6) & (hour_of_day <= 15), -np.cos(np.pi * (hour_of_day - 6) / 9), 0.0)
    night = (hour_of_day > 15) | (hour_of_day < 6)
    since_peak = (hour_of_day - 15) % 24
    daily = np.where(night, np.cos(np.pi * since_peak / 15), daily)  # 15:00 +1 -> 06:00 -1
    shape = np.tile(DAILY_SHAPE / DAILY_SHAPE.sum() / 365.0, 365)
    return pd.DataFrame(
        {
            "hour": hours,
            "outdoor_temperature_degC": np.round(MONTHLY_MEAN_DEGC[months] + 6.0 * daily, 2),
            "electricity_price_EUR_per_MWh": 150.0,
            "ghi_W_per_m2": np.round(kc * solar.clear_sky_ghi_W_per_m2(SITE, times), 1),
            "residential": np.round(shape, 12),
            "it_utilisation": np.round(0.9 + 0.1 * np.sin(2 * np.pi * (hour_of_day - 14) / 24), 6),
        }
    )


def main() -> None:
    frame = build()
    assert len(frame) == HOURS and not frame.isna().any().any()
    assert abs(frame["residential"].sum() - 1.0) < 1e-6
    frame.to_csv(OUT, index=False)
    ghi = frame["ghi_W_per_m2"].sum() / 1000
    print(
        f"{OUT}: {len(frame)} rows, GHI {ghi:,.0f} kWh/m2/yr, mean {frame['outdoor_temperature_degC'].mean():.1f} degC"
    )


if __name__ == "__main__":
    main()
