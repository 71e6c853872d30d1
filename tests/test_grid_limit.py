"""The grid import limit in time: a constant, a time-series column or monthly values; the hours it
binds and the value of one more MW, checked against a re-solve and a hand calculation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from builders import campus, consumer, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.cli import main
from dhopt.errors import CaseError
from dhopt.inputs import hourly_values, month_of_hour, prepare_inputs
from dhopt.network import load_network
from dhopt.run import solve_case

HOURS = 4
WEIGHT_H = 8760.0 / HOURS  # each step of the short horizon stands for this many hours of the year


def flat_district(tmp_path, limit, series_columns=None, extra_nodes=()):
    """Campus S - DN400 - consumer C (10 MW flat) with a 30 MW gas boiler at C; flat prices, 80/40 degC.
    The heat pumps' electricity is bounded by `limit` (grid.import_limit_MW)."""
    nodes = [
        ("S", 0, 0, campus()),
        ("C", 500, 0, consumer(10.0)),
        ("G", 500, 10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 30.0}),
        *extra_nodes,
    ]
    pipes = [
        ("P", "S", "C", {"status": "existing", "dn": 400, "length_m": 500.0}),
        ("PG", "G", "C", {"status": "existing", "dn": 400, "length_m": 10.0}),
    ]
    network = write_network(tmp_path, nodes, pipes)
    series = write_series(tmp_path, HOURS, **(series_columns or {}))
    return write_case(tmp_path, network, series, HOURS, grid={"import_limit_MW": limit}, storage={"max_MWh": 0.0})


def annual_cost(path) -> float:
    return solve_case(path, reference=False).kpis["annual_cost_EUR"]


def test_value_of_one_more_MW_equals_a_re_solve_and_the_hand_calculation(tmp_path):
    # The limit binds in every hour: each MW of electricity runs COP MW of heat pump that displaces the gas
    # boiler, so one more MW all year saves w (COP (c_gas - c_vom) - p_el) - COP a_hp per year, until the
    # heat pumps meet the demand (10 MW of heat here, about 1.2 MW of electricity).
    path = flat_district(tmp_path, 0.5)
    solution = solve_case(path, reference=False)
    figures, inputs = solution.kpis, solution.inputs
    assert figures["grid_limit_binding_h"] == pytest.approx(8760.0)
    cop = float(inputs.cop.iloc[0, 0])
    gas = float(inputs.plant_cost_EUR_per_MWh["G"].iloc[0])
    scalars = inputs.scalars
    by_hand = 8760.0 * (cop * (gas - scalars.hp_variable_om_EUR_per_MWh) - 60.0) - cop * scalars.hp_annual_EUR_per_MW
    assert figures["grid_limit_value_EUR_per_MW_yr"] == pytest.approx(by_hand, rel=1e-6)
    re_solved = figures["annual_cost_EUR"] - annual_cost(flat_district(tmp_path, 0.6))
    assert figures["grid_limit_value_EUR_per_MW_yr"] * 0.1 == pytest.approx(re_solved, rel=1e-6)


def test_a_limit_that_never_binds_is_worth_nothing(tmp_path):
    figures = solve_case(flat_district(tmp_path, 50.0), reference=False).kpis
    assert figures["grid_limit_binding_h"] == 0.0
    assert figures["grid_limit_value_EUR_per_MW_yr"] == pytest.approx(0.0, abs=1e-6)
    assert figures["grid_import_peak_MW"] < 50.0


def test_a_limit_from_a_time_series_column_binds_in_its_low_hours(tmp_path, capsys):
    path = flat_district(tmp_path, "grid_MW", {"grid_MW": [0.2, 0.2, 30.0, 30.0]})
    out = tmp_path / "result"
    assert main(["run", str(path), "--out", str(out)]) == 0
    figures = json.loads((out / "kpis.json").read_text())
    assert figures["grid_limit_binding_h"] == pytest.approx(2 * WEIGHT_H)
    printed = capsys.readouterr().out
    assert "hours the grid import limit binds" in printed
    assert "grid import limit (0.2-30.0 MW): binds 4,380 h/yr (Jan)" in printed


def test_unmet_demand_behind_the_limit_is_named(tmp_path, capsys):
    # no boiler: only the heat pumps serve the consumer, and the grid limit holds them back
    network = write_network(
        tmp_path,
        [("S", 0, 0, campus()), ("C", 500, 0, consumer(10.0))],
        [("P", "S", "C", {"status": "existing", "dn": 400, "length_m": 500.0})],
    )
    path = write_case(tmp_path, network, write_series(tmp_path, HOURS), HOURS, grid={"import_limit_MW": 0.5})
    assert main(["run", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "the grid import limit binds in 4 of these time steps" in printed
    assert "MWh/yr of demand is unmet in them" in printed


def test_monthly_values_and_a_tariff_column_follow_the_calendar(tmp_path):
    assert month_of_hour([0, 743, 744, 1415, 1416, 8759, 8760]).tolist() == [0, 0, 1, 1, 2, 11, 0]
    series = load_case(flat_district(tmp_path, 1.0)).timeseries
    monthly = [float(m) for m in range(1, 13)]
    assert hourly_values(monthly, series).tolist() == [1.0] * HOURS  # hours 0-3: January
    path = flat_district(tmp_path, monthly, {"fee": [1.0, 2.0, 3.0, 4.0]})
    text = path.read_text().replace("[grid]", '[grid]\ntariff_EUR_per_MWh = "fee"')
    path.write_text(text)
    case = load_case(path)
    inputs = prepare_inputs(case, load_network(case.network_path))
    assert inputs.electricity_EUR_per_MWh.tolist() == [41.0, 42.0, 43.0, 44.0]
    assert inputs.import_limit_MW.tolist() == [1.0] * HOURS


@pytest.mark.parametrize(
    ("limit", "columns", "message"),
    [
        ("nowhere", {}, "key 'grid.import_limit_MW': expected a column of series.csv or a number, got 'nowhere'"),
        ("grid_MW", {"grid_MW": [1.0, -1.0, 1.0, 1.0]}, "row 3: column 'grid_MW' (grid.import_limit_MW): expected a"),
        ([1.0] * 11, {}, "key 'grid.import_limit_MW': expected a number of at least 0, a time-series column name"),
        (-2.0, {}, "key 'grid.import_limit_MW': expected a number of at least 0"),
    ],
)
def test_bad_limits_are_one_line(tmp_path, limit, columns, message):
    with pytest.raises(CaseError) as error:
        load_case(flat_district(tmp_path, limit, columns))
    assert len(error.value.problems) == 1 and message in error.value.problems[0]


def test_duals_of_a_model_with_integer_units_come_from_its_fixed_lp(tmp_path):
    # whole heat-pump units leave integers in the model: its duals come from the LP with them fixed,
    # and equal a re-solve's difference where the unit count does not change
    path = flat_district(tmp_path, 0.5)
    path.write_text(path.read_text() + "[heat_pump]\nunit_size_MW = 1.0\nmin_part_load = 0.0\n")
    value = solve_case(path, reference=False).kpis["grid_limit_value_EUR_per_MW_yr"]
    assert np.isfinite(value) and value > 0
    base = annual_cost(path)
    bigger = flat_district(tmp_path, 0.51)
    bigger.write_text(bigger.read_text() + "[heat_pump]\nunit_size_MW = 1.0\nmin_part_load = 0.0\n")
    assert value * 0.01 == pytest.approx(base - annual_cost(bigger), rel=1e-3)


def test_the_dispatch_plot_shades_the_hours_the_limit_binds(tmp_path):
    from dhopt.report.dispatch import dispatch_horizon

    def labels(limit) -> list[str]:
        figure = dispatch_horizon(solve_case(flat_district(tmp_path, limit), reference=False).dataset)
        return [text.get_text() for text in figure.legends[0].get_texts()]

    assert "grid import limit binds" in labels(0.5)
    assert "grid import limit binds" not in labels(50.0)
