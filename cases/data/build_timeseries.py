"""Build dhopt/data/default/dk_2019_hourly.csv, the hourly series of the Danish cases (8,760 rows).

Run by hand from the project root (reads the shared reference data, never at run time):

    python cases/data/build_timeseries.py [SHARED_DATA_DIR]   # default ../shared/data

Columns and sources (see cases/data/README.md):
- outdoor_temperature_degC: DWD TRY2010 Rostock-Warnemuende t_air_C (proxy for Copenhagen)
- electricity_price_EUR_per_MWh: DK2 day-ahead 2019, SpotPriceEUR in file order (hour 0 = 2019-01-01 00:00 UTC)
- residential: Hotmaps DK01 residential space heating + hot water, hot water 20 % of the year; sum 1
- commercial: Hotmaps DK01 tertiary space heating + hot water, hot water 10 % of the year; sum 1
- greenhouse: ASSUMPTION (no data): proportional to max(0, 18 - T_out) + 0.3 x its annual mean; sum 1
- it_utilisation: ASSUMPTION (synthetic, no published basis): 0.80 + 0.05 sin(2 pi (h - 14) / 24); the default
  case's figures rest on it
- it_utilisation_campus: the published-basis alternative (dhopt.campus_profile.it_utilisation): mean 0.55,
  daily +/-0.05, weekends -0.02 (Fan, Weber and Barroso 2007; Norris 2025)
- it_utilisation_first_year: it_utilisation_campus x a ramp-up from 1/8 to 8/8 halls within the year
  (dhopt.campus_profile.ramp_up; Meta Odense's eight halls connected during 2020, Fyens Stiftstidende 2019)
- recovery_free_cooling (only with --free-cooling THRESHOLD_degC BYPASSED_SHARE): share of the recoverable heat
  reaching the recovery coils, 1 - BYPASSED_SHARE below THRESHOLD (dhopt.campus_profile.free_cooling_recovery)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from dhopt.campus_profile import free_cooling_recovery, it_utilisation, ramp_up

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "dhopt" / "data" / "default" / "dk_2019_hourly.csv"
HOURS = 8760
UTILISATION = ("it_utilisation", "it_utilisation_campus", "it_utilisation_first_year")
HOTMAPS = "hotmaps_dk01_profiles/hotmaps_task_2.7_load_profile_{}_yearlong_2010_DK01.csv"


def _unit(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values / values.sum()


def _hotmaps(shared: Path, name: str) -> np.ndarray:
    frame = pd.read_csv(shared / HOTMAPS.format(name))
    assert len(frame) == HOURS and frame["hour"].is_monotonic_increasing, name
    return _unit(frame["load"])


def _mix(heating: np.ndarray, hot_water: np.ndarray, hot_water_share: float) -> np.ndarray:
    return _unit((1.0 - hot_water_share) * heating + hot_water_share * hot_water)


def build(shared: Path, free_cooling: tuple[float, float] | None = None) -> pd.DataFrame:
    weather = pd.read_csv(shared / "try2010_rostock_temperature/rostock_try2010_hourly_temperature.csv")
    prices = pd.read_csv(shared / "dk2_spot_2019/elspotprices_DK2_2019.csv")
    assert len(weather) == HOURS and len(prices) == HOURS
    t_out = weather["t_air_C"].to_numpy(dtype=float)
    heating_need = np.maximum(0.0, 18.0 - t_out)
    hour = np.arange(HOURS)
    frame = pd.DataFrame(
        {
            "hour": hour,
            "outdoor_temperature_degC": t_out,
            "electricity_price_EUR_per_MWh": prices["SpotPriceEUR"].to_numpy(dtype=float),
            "residential": _mix(_hotmaps(shared, "residential_heating"), _hotmaps(shared, "residential_shw"), 0.20),
            "commercial": _mix(_hotmaps(shared, "tertiary_heating"), _hotmaps(shared, "tertiary_shw"), 0.10),
            "greenhouse": _unit(heating_need + 0.3 * heating_need.mean()),
            "it_utilisation": 0.80 + 0.05 * np.sin(2 * np.pi * (hour - 14) / 24),
        }
    )
    campus = it_utilisation(hour, first_weekday=1)  # 2019-01-01, hour 0 of the prices, was a Tuesday
    frame["it_utilisation_campus"] = campus
    frame["it_utilisation_first_year"] = campus * ramp_up(hour, 1.0 / 8.0, HOURS)
    if free_cooling is not None:
        frame["recovery_free_cooling"] = free_cooling_recovery(t_out, *free_cooling)
    for column in ("residential", "commercial", "greenhouse"):
        frame[column] = [float(f"{value:.9g}") for value in frame[column]]
    for column in UTILISATION:
        frame[column] = frame[column].round(6)
    return frame


def check(frame: pd.DataFrame) -> None:
    assert len(frame) == HOURS and list(frame["hour"]) == list(range(HOURS))
    assert not frame.isna().any().any()
    for column in ("residential", "commercial", "greenhouse"):
        assert abs(frame[column].sum() - 1.0) < 1e-9, column
    for column in UTILISATION:
        assert frame[column].between(0, 1).all(), column


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", type=Path, default=ROOT / "../shared/data", help="shared data folder")
    parser.add_argument(
        "--free-cooling",
        nargs=2,
        type=float,
        metavar=("THRESHOLD_degC", "BYPASSED_SHARE"),
        help="add recovery_free_cooling: BYPASSED_SHARE of the heat bypasses the coils below THRESHOLD_degC",
    )
    args = parser.parse_args()
    frame = build(args.shared, args.free_cooling)
    check(frame)
    frame.to_csv(OUT, index=False, float_format="%.9g")
    check(pd.read_csv(OUT))
    peaks = {c: round(float(frame[c].max()) * HOURS, 2) for c in ("residential", "commercial", "greenhouse")}
    print(f"wrote {OUT.relative_to(ROOT)}: {len(frame)} rows; peak/mean {peaks}")


if __name__ == "__main__":
    main()
