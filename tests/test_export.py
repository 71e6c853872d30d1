"""Grid export from a campus's own power side (dhopt/model/power.py): the export limit, its binding hours
and value, the revenue, and no same-hour arbitrage; answers computed by hand from the PV yield."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from builders import campus, consumer, existing, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.cli import main
from dhopt.errors import CaseError
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.report.tables import case_rows
from dhopt.reuse import ModelCache, structure_key
from dhopt.run import solve_case
from dhopt.solve import SolveOptions

HOURS = 24
W_H = 8760.0 / HOURS  # hours of the year each step stands for
PUE = 1.2  # the campus uses PUE x 1 MW of IT every hour
SPOT, TARIFF, FEE = 40.0, 20.0, 5.0  # [EUR/MWh]: import at spot + tariff, export at spot - fee
SUNNY = np.r_[np.zeros(7), np.full(10, 800.0), np.zeros(7)]  # GHI [W/m2]: 07:00-17:00 sunny
NO_HEAT_PUMP = {"investment_EUR_per_MW": 1e9}  # the campus heat is never lifted: power alone decides
NAIROBI = {"latitude_deg": -1.29, "longitude_deg": 36.82, "altitude_m": 1795.0, "utc_offset_h": 3.0}
FLAT_PV = {**NAIROBI, "ghi_column": "ghi_W_per_m2", "tilt_deg": 0.0, "dc_ac_ratio": 1.0, "capacity_MWp": 4.0}
DIESEL = {"fuel_EUR_per_MWh": 100.0, "efficiency": 0.4, "co2_t_per_MWh_fuel": 0.25, "variable_om_EUR_per_MWh": 5.0}


def export_case(tmp_path, limit=0.5, spot=SPOT, **sections) -> str:
    """A 1 MW IT campus (PUE 1.2) on the grid with 4 MWp of horizontal PV under `SUNNY` at 20 degC, no
    battery, heat pumps priced out, its neighbour heated by a gas boiler; export limit `limit` [MW]."""
    nodes = [
        ("S", 0, 0, {**campus(1.0), "recovered_share": 0.9}),
        ("C", 50, 0, consumer(0.5)),
        ("G", 60, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 2.0}),
    ]
    network = write_network(
        tmp_path, nodes, [("P", "S", "C", existing(100, 50.0)), ("PG", "G", "C", existing(100, 10.0))]
    )
    columns = {"ghi_W_per_m2": SUNNY, "outdoor_temperature_degC": 20.0, "electricity_price_EUR_per_MWh": spot}
    base = {
        "grid": {"export_limit_MW": limit, "tariff_EUR_per_MWh": TARIFF, "export_fee_EUR_per_MWh": FEE},
        "campus": {"pue": PUE},
        "horizon": {"method": "monolithic"},
        "heat_pump": NO_HEAT_PUMP,
        "pv": FLAT_PV,
    }
    for name, keys in sections.items():
        base[name] = {**base.get(name, {}), **keys}
    return write_case(tmp_path, network, write_series(tmp_path, HOURS, **columns), HOURS, **base)


def pv_surplus_MW(path) -> np.ndarray:
    """PV output possible minus the campus's use, by hand from the pvlib yield of the inputs [MW]."""
    case = load_case(path)
    pv_yield = prepare_inputs(case, load_network(case.network_path)).pv_yield_MW_per_MWp["S"].to_numpy()
    return FLAT_PV["capacity_MWp"] * pv_yield - PUE * 1.0


def test_export_is_the_pv_surplus_up_to_the_limit_and_earns_spot_minus_fee(tmp_path):
    surplus = pv_surplus_MW(export_case(tmp_path))
    assert (surplus > 1.0).sum() >= 6 and (surplus < 0).sum() >= 12  # sunny hours far above the limit, nights below
    solution = solve_case(export_case(tmp_path, 0.5), reference=False)
    ds, figures = solution.dataset, solution.kpis
    export = ds["grid_export_MW"].sel(power_site="S").to_numpy()
    expected = np.clip(surplus, 0.0, 0.5)  # the surplus is sold until the limit, the rest spilled
    assert export == pytest.approx(expected, abs=1e-7)
    assert ds["grid_import_MW"].sel(power_site="S").to_numpy() == pytest.approx(np.clip(-surplus, 0, None), abs=1e-7)
    binding = surplus >= 0.5
    assert figures["grid_export_limit_binding_h"] == pytest.approx(W_H * binding.sum())
    assert figures["grid_export_MWh"] == pytest.approx(W_H * expected.sum(), rel=1e-7)
    assert figures["grid_export_revenue_EUR"] == pytest.approx(W_H * (SPOT - FEE) * expected.sum(), rel=1e-7)
    # one more MW of limit sells one more MW in every hour whose surplus exceeds the limit, at spot - fee
    by_hand = W_H * (SPOT - FEE) * (surplus > 0.5).sum()
    assert figures["grid_export_limit_value_EUR_per_MW_yr"] == pytest.approx(by_hand, rel=1e-7)


def test_the_value_of_one_more_MW_of_export_equals_a_re_solve_in_place(tmp_path):
    case = load_case(export_case(tmp_path, 0.5))
    inputs = reduce_network(prepare_inputs(case, load_network(case.network_path)))[0]
    options, cache = SolveOptions(mip_gap=1e-7), ModelCache()
    base = cache.solve("monolithic", inputs, options)[1].objective_EUR
    value = solve_case(case, reference=False).kpis["grid_export_limit_value_EUR_per_MW_yr"]
    wider = inputs.with_(
        export_limit_MW=inputs.export_limit_MW + 0.01
    )  # every surplus above the limit exceeds it by more
    assert structure_key(wider) == structure_key(inputs)
    assert structure_key(inputs.with_(export_limit_MW=0.0 * inputs.export_limit_MW)) != structure_key(inputs)
    warm = cache.solve("monolithic", wider, options)[1]
    fresh = ModelCache(keep=False).solve("monolithic", wider, options)[1]
    assert warm.reused and warm.objective_EUR == pytest.approx(fresh.objective_EUR, rel=1e-9)
    assert value * 0.01 == pytest.approx(base - warm.objective_EUR, rel=1e-6)


def test_the_power_balance_closes_every_hour_with_export(tmp_path):
    solution = solve_case(export_case(tmp_path, 2.0, battery={"capacity_MWh": 2.0, "power_MW": 1.0}), reference=False)
    ds = solution.dataset.sel(power_site="S")
    supply = ds["pv_MW"] + ds["battery_discharge_MW"] + ds["backup_MW"] + ds["grid_import_MW"]
    uses = PUE * ds["it_served_MW"] + ds["hp_electricity_MW"].sel(source="S") + ds["battery_charge_MW"]
    assert (supply - uses - ds["grid_export_MW"]).to_numpy() == pytest.approx(0.0, abs=1e-7)
    assert float(ds["grid_export_MW"].sum()) > 1.0 and solution.kpis["power_balance_residual_MW"] < 1e-7


def test_no_hour_both_imports_and_exports(tmp_path):
    # a battery could buy at night and sell by day; importing and selling in the same hour never pays
    # (export price spot - fee <= import price spot + tariff)
    spot = np.r_[np.full(12, 20.0), np.full(12, 200.0)]
    path = export_case(tmp_path, 50.0, spot=spot, battery={"capacity_MWh": 5.0, "power_MW": 2.0})
    ds = solve_case(path, reference=False).dataset.sel(power_site="S")
    both = np.minimum(ds["grid_import_MW"].to_numpy(), ds["grid_export_MW"].to_numpy())
    assert both == pytest.approx(0.0, abs=1e-7)
    assert float(ds["grid_export_MW"].sum()) > 0


@pytest.mark.parametrize("allowed", [False, True])
def test_the_backup_exports_only_where_the_case_lets_it(tmp_path, allowed):
    # no PV; at 500 EUR/MWh the diesel (c_g = (100 + 80 x 0.25) / 0.4 + 5 = 305 EUR/MWh) runs for the campus,
    # and, where the case allows it, sells the export limit too, at 500 - 5 EUR/MWh
    path = export_case(
        tmp_path,
        1.0,
        spot=500.0,
        pv={"capacity_MWp": 0.0},
        backup={**DIESEL, "capacity_MW": 3.0},
        grid={"export_backup": allowed},
    )
    figures = solve_case(path, reference=False).kpis
    sold = 8760.0 * 1.0 if allowed else 0.0
    assert figures["grid_export_MWh"] == pytest.approx(sold, abs=1e-6)
    assert figures["backup_MWh"] == pytest.approx(8760.0 * PUE + sold, rel=1e-9)
    assert figures["grid_export_revenue_EUR"] == pytest.approx(sold * (500.0 - FEE), rel=1e-9)


def test_off_grid_exports_nothing(tmp_path):
    path = export_case(tmp_path, 0.0, grid={"connected": False}, backup={**DIESEL, "capacity_MW": 2.0})
    solution = solve_case(path, reference=False)
    assert solution.kpis["grid_export_MWh"] == 0.0 and solution.kpis["grid_import_MWh"] == 0.0
    assert "grid_export_limit_binding_h" not in solution.kpis  # no export limit to report
    assert solution.model.power.component("export_MW") is None  # built as a case before export existed
    assert float(solution.dataset["pv_MW"].sum()) > 0  # the PV still serves the campus


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        ({"connected": False, "export_limit_MW": 1.0}, "key 'grid': expected export_limit_MW = 0 (no export) with"),
        ({"export_fee_EUR_per_MWh": -5.0}, "key 'grid.export_fee_EUR_per_MWh': expected a number of at least 0"),
        ({"export_limit_MW": "nowhere"}, "key 'grid.export_limit_MW': expected a column of series.csv or a number"),
        ({"export_limit_MW": [1.0] * 5}, "key 'grid.export_limit_MW': expected a number of at least 0"),
    ],
)
def test_bad_export_input_is_one_line(tmp_path, grid, expected):
    path = export_case(tmp_path, **{"grid": grid})
    with pytest.raises(CaseError) as error:
        load_case(path)
    assert len(error.value.problems) == 1 and expected in error.value.problems[0], error.value.problems
    assert str(path) in error.value.problems[0]


def test_run_prints_and_writes_the_export(tmp_path, capsys):
    out = tmp_path / "result"
    assert main(["run", str(export_case(tmp_path, 0.5)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    figures = json.loads((out / "kpis.json").read_text())
    assert "hours the grid export limit binds" in printed and "export revenue (the campus's)" in printed
    assert f"grid export limit (0.5 MW): binds {figures['grid_export_limit_binding_h']:,.0f} h/yr (Jan)" in printed
    assert "EUR/yr (their revenue, spot price minus export fee)" in printed
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        assert float((ds["grid_export_MW"] * ds["weight_h"]).sum()) == pytest.approx(figures["grid_export_MWh"])
        rows = dict(case_rows(ds.load(), figures))
    assert rows["grid"].endswith("export limit 0.5 MW at spot minus 5.0 EUR/MWh")


def test_the_report_draws_the_export_below_zero(tmp_path):
    from dhopt.report.power import power_day_figure
    from dhopt.report.style import report_style

    ds = solve_case(export_case(tmp_path, 0.5), reference=False).dataset
    with report_style():
        ax = power_day_figure(ds).axes[0]
    assert "grid export" in [text.get_text() for text in ax.get_legend().get_texts()]
    line = next(line for line in ax.get_lines() if line.get_label() == "IT x PUE + heat pumps")
    assert line.get_ydata() == pytest.approx(PUE, abs=1e-7)  # the campus's own use, not its export


def test_an_export_limit_from_a_column_binds_only_where_it_allows_export(tmp_path):
    feeder = np.r_[np.zeros(12), np.full(12, 0.5)]  # no export before noon, 0.5 MW after
    path = export_case(tmp_path, "feeder_MW")
    series = path.parent / "series.csv"
    frame = pd.read_csv(series).assign(feeder_MW=feeder)
    frame.to_csv(series, index=False)
    surplus = pv_surplus_MW(path)
    figures = solve_case(path, reference=False).kpis
    expected = np.clip(surplus, 0.0, feeder)
    assert figures["grid_export_MWh"] == pytest.approx(W_H * expected.sum(), rel=1e-7)
    assert figures["grid_export_limit_binding_h"] == pytest.approx(W_H * ((feeder > 0) & (surplus >= feeder)).sum())
    assert 0 < figures["grid_export_limit_binding_h"] < W_H * (surplus >= 0.5).sum()  # the morning's sun is not counted


@pytest.mark.parametrize(("spot", "hours"), [(SPOT, 0), (500.0, 10)])
def test_the_backup_runs_while_exporting_only_when_the_export_price_beats_its_cost(tmp_path, spot, hours):
    # export_backup = false: the diesel (305 EUR/MWh) cannot export, but at an export price of 495 it serves
    # the campus so that all the PV is sold in the 10 sunny hours (electricity is fungible); at 35 never
    path = export_case(tmp_path, 5.0, spot=spot, backup={**DIESEL, "capacity_MW": 3.0})
    solution = solve_case(path, reference=False)
    ds = solution.dataset.sel(power_site="S")
    pv = FLAT_PV["capacity_MWp"] * solution.inputs.pv_yield_MW_per_MWp["S"].to_numpy()
    assert solution.kpis["backup_while_exporting_h"] == pytest.approx(W_H * hours)
    sold = pv if hours else np.clip(pv - PUE, 0.0, None)  # all the PV, or its surplus over the campus's use
    assert ds["grid_export_MW"].to_numpy() == pytest.approx(sold, abs=1e-7)
