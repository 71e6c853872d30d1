"""A campus's own electricity (dhopt/model/power.py, dhopt/solar.py): answers known independently."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from builders import campus, consumer, existing, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.errors import CaseError
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.reuse import ModelCache, structure_key
from dhopt.run import solve_case
from dhopt.solar import PvSite, hour_times, specific_yield
from dhopt.solve import SolveOptions

HOURS = 24
PUE = 1.2
NO_HEAT_PUMP = {"investment_EUR_per_MW": 1e9}  # the campus heat is never lifted: power alone decides
NAIROBI = {"latitude_deg": -1.29, "longitude_deg": 36.82, "altitude_m": 1795.0, "utc_offset_h": 3.0}
DIESEL = {"fuel_EUR_per_MWh": 100.0, "efficiency": 0.4, "co2_t_per_MWh_fuel": 0.25, "variable_om_EUR_per_MWh": 5.0}


def _case(tmp_path, hours: int = HOURS, series: dict | None = None, it_MW: float = 1.0, **sections) -> str:
    """A 1 MW IT campus next to a 0.5 MW hot-water user with its own gas boiler, at 10 degC, off-grid by default."""
    nodes = [
        ("S", 0, 0, {**campus(it_MW), "recovered_share": 0.9}),
        ("C", 50, 0, consumer(0.5)),
        ("G", 60, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 2.0}),
    ]
    pipes = [("P", "S", "C", existing(100, 50.0)), ("PG", "G", "C", existing(100, 10.0))]
    network = write_network(tmp_path, nodes, pipes)
    timeseries = write_series(tmp_path, hours, **{"outdoor_temperature_degC": 10.0, **(series or {})})
    base = {"grid": {"connected": False}, "campus": {"pue": PUE}, "horizon": {"method": "monolithic"}}
    for name, keys in sections.items():
        base[name] = {**base.get(name, {}), **keys}
    return write_case(tmp_path, network, timeseries, hours, **base)


def _diesel_EUR_per_MWh(co2_price: float = 80.0) -> float:
    """Backup electricity by hand: (fuel + CO2 price x CO2) / efficiency + variable O&M [EUR/MWh el]."""
    return (DIESEL["fuel_EUR_per_MWh"] + co2_price * DIESEL["co2_t_per_MWh_fuel"]) / DIESEL["efficiency"] + 5.0


def test_offgrid_without_pv_runs_the_backup_for_it_and_heat_pumps_every_hour(tmp_path):
    path = _case(tmp_path, pv={**NAIROBI, "clear_sky_index": 0.7, "max_MWp": 0.0}, backup=DIESEL)
    solution = solve_case(path)
    ds = solution.dataset
    hp = ds["hp_electricity_MW"].sel(source="S").values
    assert hp.max() > 0.01  # the heat pumps run on the backup too
    backup = ds["backup_MW"].sel(power_site="S").values
    assert backup == pytest.approx(PUE * 1.0 + hp, abs=1e-7)  # backup = IT x PUE + heat-pump electricity
    assert ds["grid_import_MW"].values.max() == 0 and ds["pv_MW"].values.max() == 0
    assert ds["it_served_MW"].values == pytest.approx(1.0)
    # the reference keeps the campus's power side without heat recovery: the backup serves IT x PUE there too
    it_co2_t = PUE * 8760.0 * DIESEL["co2_t_per_MWh_fuel"] / DIESEL["efficiency"]
    boiler_co2_t = 0.5 * 8760.0 * 0.208  # the hot-water user's demand from its gas boiler
    assert it_co2_t + boiler_co2_t < solution.kpis["reference_co2_t"] < 1.05 * (it_co2_t + boiler_co2_t)


@pytest.mark.parametrize("share, curtailed", [(0.9, True), (1.1, False)])
def test_it_is_curtailed_exactly_when_lost_compute_is_worth_less_than_the_backup(tmp_path, share, curtailed):
    # one MWh of IT needs PUE MWh of backup electricity at c_g each: curtail iff value < PUE c_g
    value = share * PUE * _diesel_EUR_per_MWh()
    path = _case(
        tmp_path,
        backup={**DIESEL, "capacity_MW": 2.0},
        campus={"value_of_lost_compute_EUR_per_MWh": float(value)},
        heat_pump=NO_HEAT_PUMP,
    )
    solution = solve_case(path)
    assert solution.kpis["curtailed_it_MWh"] == pytest.approx(8760.0 if curtailed else 0.0, abs=1e-6)
    assert solution.kpis["curtailed_hours_h"] == (8760.0 if curtailed else 0.0)
    assert solution.kpis["power_balance_residual_MW"] < 1e-9


def _flat_pv_case(tmp_path, investment: float) -> str:
    """Horizontal modules under a constant 600 W/m2 at a constant 20 degC: the same yield every hour."""
    pv = {**NAIROBI, "ghi_column": "ghi_W_per_m2", "tilt_deg": 0.0, "dc_ac_ratio": 1.0}
    return _case(
        tmp_path,
        series={"ghi_W_per_m2": 600.0, "outdoor_temperature_degC": 20.0},
        pv={**pv, "investment_EUR_per_MWp": float(investment), "fixed_om_EUR_per_MWp_yr": 0.0},
        backup={**DIESEL, "capacity_MW": 2.0},
        heat_pump=NO_HEAT_PUMP,
    )


def _closed_form_pv_MWp(pv_yield: np.ndarray, demand_MW: float, annual_EUR_per_MWp: float, backup_EUR_per_MWh: float):
    """argmin_P A P + w c_g sum_t max(D - Y_t P, 0): convex and piecewise linear in P, so the optimum is
    0 or a breakpoint D / Y_t (w = 8760 / hours)."""
    w = 8760.0 / len(pv_yield)
    candidates = np.r_[0.0, demand_MW / pv_yield]
    shortfall = np.clip(demand_MW - np.outer(candidates, pv_yield), 0.0, None).sum(axis=1)
    return float(candidates[np.argmin(annual_EUR_per_MWp * candidates + w * backup_EUR_per_MWh * shortfall)])


def test_pv_capacity_under_a_flat_irradiance_matches_the_closed_form(tmp_path):
    # battery-free, off-grid, constant GHI: PV (annual cost A per MWp) against backup electricity (c_g)
    probe = load_case(_flat_pv_case(tmp_path, 473_116.0))
    pv_yield = prepare_inputs(probe, load_network(probe.network_path)).pv_yield_MW_per_MWp["S"].to_numpy()
    assert 0.45 < pv_yield.min() and pv_yield.max() < 0.55  # a flat GHI gives a nearly flat yield
    annuity = 0.04 / (1 - 1.04**-37.5)
    c_g = _diesel_EUR_per_MWh()
    first_MWp_EUR = 8760.0 / HOURS * pv_yield.sum() * c_g / annuity  # investment at which the first MWp pays
    for factor in (0.05, 0.5, 1.2):
        (tmp_path / str(factor)).mkdir()
        kpis = solve_case(_flat_pv_case(tmp_path / str(factor), factor * first_MWp_EUR), reference=False).kpis
        expected = _closed_form_pv_MWp(pv_yield, PUE * 1.0, annuity * factor * first_MWp_EUR, c_g)
        assert kpis["pv_capacity_MWp"] == pytest.approx(expected, rel=1e-6, abs=1e-6), factor
    assert expected == 0.0 and _closed_form_pv_MWp(pv_yield, PUE, annuity * 0.5 * first_MWp_EUR, c_g) > 0


def test_pv_yield_at_clear_sky_noon_matches_pvwatts_by_hand():
    # horizontal modules: the plane of array gets the GHI itself; then Faiman T_c = T_a + G / (u0 + u1 v),
    # PVWatts DC G/1000 (1 + gamma (T_c - 25)) (1 - losses) and the PVWatts inverter curve (Dobos 2014, eq. 4)
    site = PvSite(-1.29, 36.82, 1795.0, 3.0, tilt_deg=0.0, azimuth_deg=0.0, dc_ac_ratio=1.0)
    times = hour_times(2019, np.array([2124]), 3.0)  # 2019-03-28 12:00-13:00 local, near the equinox noon
    ghi, temp = np.array([1000.0]), np.array([25.0])
    cell = 25.0 + 1000.0 / (25.0 + 6.84)
    dc = 1.0 * (1 - 0.0037 * (cell - 25.0)) * (1 - 0.14)
    pdc0 = 1.0 / 0.96
    zeta = dc / pdc0
    ac = 0.96 / 0.9637 * (-0.0162 * zeta - 0.0059 / zeta + 0.9858) * dc
    assert specific_yield(site, times, ghi, temp)[0] == pytest.approx(ac, rel=1e-3)


def test_clear_sky_noon_irradiance_at_nairobi_is_pvlibs():
    from pvlib.location import Location

    site = PvSite(-1.29, 36.82, 1795.0, 3.0)
    times = pd.DatetimeIndex([pd.Timestamp("2019-03-21 12:30", tz="Etc/GMT-3")])
    expected = Location(-1.29, 36.82, altitude=1795.0).get_clearsky(times)["ghi"].iloc[0]
    from dhopt.solar import clear_sky_ghi_W_per_m2

    assert clear_sky_ghi_W_per_m2(site, hour_times(2019, np.array([79 * 24 + 12]), 3.0))[0] == pytest.approx(expected)
    assert 1000.0 < expected < 1200.0  # high-altitude equatorial noon


def test_two_stage_sizes_the_power_side_on_the_full_year(tmp_path):
    # no integer choice: the design held and then sized again on every hour is the monolithic optimum
    days = 7 * 24
    sections = {"pv": {**NAIROBI, "clear_sky_index": 0.7}, "battery": {}, "backup": DIESEL}
    costs = [
        solve_case(_case(tmp_path / m, days, horizon={"method": m, "typical_days": 2}, **sections), reference=False)
        for m in ("two_stage", "monolithic")
        if (tmp_path / m).mkdir() is None
    ]
    assert costs[0].kpis["design_stage_cost_EUR"] > 0
    assert costs[0].kpis["objective_EUR"] == pytest.approx(costs[1].kpis["objective_EUR"], rel=1e-6)
    assert costs[0].kpis["pv_capacity_MWp"] == pytest.approx(costs[1].kpis["pv_capacity_MWp"], rel=1e-4)


def test_power_prices_re_solve_in_place(tmp_path):
    path = _case(tmp_path, pv={**NAIROBI, "clear_sky_index": 0.7}, battery={}, backup=DIESEL)
    case = load_case(path)
    inputs = reduce_network(prepare_inputs(case, load_network(case.network_path)))[0]
    options = SolveOptions(mip_gap=1e-7)
    cache = ModelCache()
    base = cache.solve("monolithic", inputs, options)[1].objective_EUR
    dearer = inputs.with_(power_cost=inputs.power_cost * 1.5, power=inputs.power.assign(pv_max_MWp=0.5))
    assert structure_key(dearer) == structure_key(inputs)
    warm = cache.solve("monolithic", dearer, options)[1]
    fresh = ModelCache(keep=False).solve("monolithic", dearer, options)[1]
    assert warm.reused and warm.objective_EUR == pytest.approx(fresh.objective_EUR, rel=1e-6)
    assert warm.objective_EUR > base


def test_a_case_without_the_power_sections_has_no_power_side(tmp_path):
    path = _case(tmp_path, grid={"connected": True})
    solution = solve_case(path, reference=False)
    assert len(solution.model.power.C) == 0 and "it_served_MWh" not in solution.kpis
    grid = solve_case(_case(tmp_path, grid={"connected": True}, backup=DIESEL), reference=False)
    assert grid.kpis["grid_import_MWh"] > 0 and grid.kpis["backup_MWh"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "sections, expected",
    [
        ({"pv": {**NAIROBI, "latitude_deg": 95.0, "clear_sky_index": 0.7}}, "key 'pv.latitude_deg'"),
        ({"pv": {**NAIROBI, "ghi_column": "ghi"}}, "key 'pv.ghi_column': expected a column of"),
        ({"pv": {**NAIROBI}}, "expected ghi_column .* or clear_sky_index"),
        ({"battery": {"charge_efficiency": 1.2}}, "key 'battery.charge_efficiency'"),
        ({"backup": {"max_MW": -1.0}}, "key 'backup.max_MW'"),
        ({"backup": {"fuel_EUR_per_MWh": float("inf")}}, "key 'backup.fuel_EUR_per_MWh'"),
        ({"campus": {"pue": PUE}}, "key 'grid.connected': expected a \\[pv\\] or \\[backup\\] section"),
    ],
)
def test_bad_power_input_is_one_line_naming_file_and_key(tmp_path, sections, expected):
    path = _case(tmp_path, **sections)
    with pytest.raises(CaseError, match=expected) as error:
        case = load_case(path)
        prepare_inputs(case, load_network(case.network_path))
    assert str(path) in str(error.value) and len(error.value.problems) == 1


def test_a_bad_irradiance_value_names_its_row(tmp_path):
    series = {"ghi_W_per_m2": np.r_[np.zeros(5), -3.0, np.zeros(HOURS - 6)]}
    path = _case(tmp_path, series=series, pv={**NAIROBI, "ghi_column": "ghi_W_per_m2"})
    case = load_case(path)
    with pytest.raises(CaseError, match="row 7: column 'ghi_W_per_m2': expected an irradiance"):
        prepare_inputs(case, load_network(case.network_path))


def test_power_inputs_are_declared_with_their_channels():
    from dhopt.inputs import BOUNDS, COST, Inputs

    declared = {f.name: f.metadata for f in dataclasses.fields(Inputs)}
    assert declared["power_cost"]["resolve"] == COST
    assert declared["power"]["resolve"] == BOUNDS and "pv_max_MWp" in declared["power"]["columns"]


def test_report_draws_the_mean_day_and_the_year_of_the_power_side(tmp_path):
    from dhopt.report.power import power_day_figure, power_year_figure
    from dhopt.report.style import report_style

    path = _case(tmp_path, 48, pv={**NAIROBI, "clear_sky_index": 0.7}, battery={}, backup=DIESEL)
    ds = solve_case(path, reference=False).dataset
    with report_style():
        assert power_day_figure(ds).axes[0].get_title("left") == "Campus electricity: the mean day"
        assert power_year_figure(ds) is not None
        no_power = ds.isel(power_site=slice(0, 0))
        assert power_day_figure(no_power) is None and power_year_figure(no_power) is None
