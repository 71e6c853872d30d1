"""Case files: defaults, unknown keys with suggestions, and time-series problems."""

from __future__ import annotations

import pytest
from builders import write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.errors import CaseError


@pytest.fixture
def network(tmp_path):
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
        ("C", 50, 0, {"kind": "consumer", "homes": 10}),
    ]
    return write_network(tmp_path, nodes, [("L", "G", "C", {"status": "existing", "dn": 50})])


def test_case_defaults_are_documented_figures(tmp_path, network):
    case = load_case(write_case(tmp_path, network, write_series(tmp_path, 10), 10))
    assert case.spec.demand.home_annual_heat_MWh == 18.1
    assert case.spec.heat_pump.investment_EUR_per_MW == 670_000
    assert case.hours == 10 and list(case.timeseries.index) == list(range(10))


def test_case_unknown_key_suggests_the_right_one(tmp_path, network):
    path = write_case(tmp_path, network, write_series(tmp_path, 10), 10, grid={"import_limit_MWh": 5.0})
    with pytest.raises(CaseError, match=r"key 'grid.import_limit_MWh': unknown key; did you mean 'import_limit_MW'\?"):
        load_case(path)


def test_case_out_of_range_value_names_key(tmp_path, network):
    path = write_case(tmp_path, network, write_series(tmp_path, 10), 10, heat_pump={"lorenz_efficiency": 1.5})
    with pytest.raises(CaseError, match=r"key 'heat_pump.lorenz_efficiency': .*less than or equal to 1"):
        load_case(path)


def test_case_short_time_series_is_reported(tmp_path, network):
    path = write_case(tmp_path, network, write_series(tmp_path, 10), 24)
    with pytest.raises(CaseError, match=r"series.csv: expected at least 24 hourly rows .* got 10"):
        load_case(path)


def test_case_non_number_in_series_names_row_and_column(tmp_path, network):
    series = write_series(tmp_path, 10)
    lines = series.read_text().splitlines()
    lines[4] = lines[4].replace(",40.0,", ",abc,", 1)
    series.write_text("\n".join(lines) + "\n")
    with pytest.raises(CaseError, match=r"row 5: column 'electricity_price_EUR_per_MWh': expected a number, got 'abc'"):
        load_case(write_case(tmp_path, network, series, 10))


def test_case_gap_in_hours_is_reported(tmp_path, network):
    series = write_series(tmp_path, 10)
    lines = series.read_text().splitlines()
    del lines[5]
    series.write_text("\n".join(lines) + "\n")
    with pytest.raises(CaseError, match=r"row 6: column 'hour': expected consecutive hours"):
        load_case(write_case(tmp_path, network, series, 9))


def test_case_missing_profile_column_names_consumer(tmp_path):
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
        ("C", 50, 0, {"kind": "consumer", "homes": 10, "profile": "greenhouse"}),
    ]
    network = write_network(tmp_path, nodes, [("L", "G", "C", {"status": "existing", "dn": 50})])
    from dhopt.inputs import prepare_inputs
    from dhopt.network import load_network

    case = load_case(write_case(tmp_path, network, write_series(tmp_path, 10), 10))
    with pytest.raises(CaseError, match=r"consumer 'C': field 'profile': .* has no column 'greenhouse'"):
        prepare_inputs(case, load_network(network))


def test_case_negative_prices_are_valid(tmp_path, network):
    case = load_case(write_case(tmp_path, network, write_series(tmp_path, 4, electricity_price_EUR_per_MWh=-20.0), 4))
    assert (case.timeseries["electricity_price_EUR_per_MWh"] == -20.0).all()
