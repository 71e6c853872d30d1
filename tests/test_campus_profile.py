"""Campus operation profiles: each formula against its closed form, and the shipped series' columns
against the formulas (the original `it_utilisation` column, which the default case's figures rest on,
unchanged)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import REPO

from dhopt.campus_profile import (
    free_cooling_recovery,
    free_cooling_threshold_degC,
    it_utilisation,
    ramp_up,
    weekend,
)

SERIES = REPO / "dhopt" / "data" / "default" / "dk_2019_hourly.csv"


def test_utilisation_averages_its_mean_over_whole_weeks_and_peaks_at_20h():
    hours = np.arange(52 * 168)
    u = it_utilisation(hours, mean=0.55, daily_amplitude=0.05, weekend_drop=0.02, first_weekday=1)
    assert u.mean() == pytest.approx(0.55, abs=1e-12)
    # Tuesday 2019-01-01, hour 20: 0.55 + 0.05 sin(pi/2) + 0.02 x 2/7 (a weekday)
    assert u[20] == pytest.approx(0.55 + 0.05 + 0.02 * 2 / 7)
    # Saturday 2019-01-05 (day 4) against Friday (day 3), same hour of day: the weekend drop
    assert u[4 * 24 + 9] - u[3 * 24 + 9] == pytest.approx(-0.02)
    assert weekend(hours)[[3 * 24, 4 * 24, 5 * 24, 6 * 24]].tolist() == [False, True, True, False]


def test_ramp_up_rises_linearly_then_holds():
    share = ramp_up([0, 4380, 8760, 9000], start_share=0.125, ramp_hours=8760)
    assert share.tolist() == pytest.approx([0.125, 0.5625, 1.0, 1.0])


def test_free_cooling_threshold_is_the_cooled_water_less_the_dry_cooler_approach():
    assert free_cooling_threshold_degC(27.0, 7.0) == pytest.approx(15.0)  # Odense's 27 degC water, 7 K, 5 K
    assert free_cooling_threshold_degC(28.0, 10.0, approach_K=3.0) == pytest.approx(15.0)


def test_free_cooling_bypasses_a_share_below_the_threshold_only():
    share = free_cooling_recovery([-5.0, 9.99, 10.0, 25.0], threshold_degC=10.0, bypassed_share=0.7)
    assert share.tolist() == pytest.approx([0.3, 0.3, 1.0, 1.0])


def test_the_shipped_series_carries_the_profiles_and_keeps_the_default_column():
    frame = pd.read_csv(SERIES)
    hours = frame["hour"].to_numpy()
    campus = it_utilisation(hours)
    assert frame["it_utilisation_campus"].to_numpy() == pytest.approx(campus, abs=5e-7)
    first_year = campus * ramp_up(hours, 1 / 8, 8760)
    assert frame["it_utilisation_first_year"].to_numpy() == pytest.approx(first_year, abs=5e-7)
    # the mean of a linear ramp from 1/8 to 1 is 9/16; the campus profile's year mean is 0.55 within a day's weekend term
    assert frame["it_utilisation_first_year"].mean() == pytest.approx(0.55 * 9 / 16, rel=0.01)
    default = 0.80 + 0.05 * np.sin(2 * np.pi * (hours - 14) / 24)
    assert frame["it_utilisation"].to_numpy() == pytest.approx(default, abs=5e-7)
