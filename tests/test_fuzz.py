"""Fuzzing the case, time-series and sweep loaders: random and mutated inputs give a dhopt error or a valid
case, never another exception. `HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py` runs
many more examples."""

from __future__ import annotations

import copy
import json
import math
import os
import tomllib

import numpy as np
import pandas as pd
import pytest
from builders import write_network, write_series
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhopt.case import case_from_dict, load_case
from dhopt.errors import DhoptError

settings.register_profile(
    "ci", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
)
KEYS = [
    ("horizon", "hours"),
    ("horizon", "start_hour"),
    ("horizon", "method"),
    ("temperatures", "supply_max_degC"),
    ("temperatures", "return_degC"),
    ("demand", "home_annual_heat_MWh"),
    ("heat_pump", "lorenz_efficiency"),
    ("heat_pump", "unit_size_MW"),
    ("storage", "nodes"),
    ("storage", "charge_hours"),
    ("grid", "import_limit_MW"),
    ("economics", "discount_rate"),
    ("campus", "pue"),
    ("unknown_section", "x"),
    ("heat_pump", "unknown_key"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
        ("C", 50, 0, {"kind": "consumer", "homes": 10}),
    ]
    network = write_network(folder, nodes, [("L", "G", "C", {"status": "existing", "dn": 50})])
    series = write_series(folder, 48)
    data = {"name": "fuzz", "network": str(network), "timeseries": str(series), "horizon": {"hours": 24}}
    return folder, data


@given(changes=st.lists(st.tuples(st.sampled_from(KEYS), SCALARS), max_size=4))
def test_case_mutations_raise_only_dhopt_errors(base, changes):
    folder, data = base
    mutated = copy.deepcopy(data)
    for (section, key), value in changes:
        table = mutated.setdefault(section, {})
        if isinstance(table, dict):
            table[key] = value
    try:
        case = case_from_dict(folder / "case.toml", mutated)
    except DhoptError as error:
        assert error.problems and all("\n" not in line for line in error.problems)
    else:  # an accepted case holds only finite numbers
        assert all(math.isfinite(v) for v in _numbers(case.spec.model_dump()))


def _numbers(tree) -> list[float]:
    """Every int or float in a nested dict/list."""
    if isinstance(tree, dict):
        return [v for item in tree.values() for v in _numbers(item)]
    if isinstance(tree, list):
        return [v for item in tree for v in _numbers(item)]
    return [float(tree)] if isinstance(tree, (int, float)) and not isinstance(tree, bool) else []


def assert_finite_and_in_range(network) -> None:
    """An accepted network: finite numbers (NaN only where a field is absent), lengths, coordinates and the
    campus's source temperature and recovered share in their ranges."""
    numbers = network.nodes.select_dtypes("number").to_numpy().ravel()
    assert all(math.isfinite(v) for v in numbers[~(numbers != numbers)])  # NaN only where a field is absent
    assert all(0 < v <= 1e6 for v in network.pipes["length_m"])
    sources = network.nodes[network.nodes["kind"] == "source"]
    assert sources["source_temperature_degC"].between(5, 95).all() and sources["recovered_share"].between(0, 1).all()
    assert network.nodes[["x_m", "y_m"]].abs().le(1e8).all().all()


NODE_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-500.0, 1e308, -1e308, 50.0, 1e15])
)


@given(
    field=st.sampled_from(["x_m", "y_m", "capacity_MW", "homes", "source_temperature_degC", "recovered_share"]),
    value=NODE_NUMBERS,
    length=st.one_of(st.none(), NODE_NUMBERS),
)
def test_network_numbers_are_finite_and_in_range_or_refused(base, field, value, length):
    from dhopt.network import load_network

    folder, _ = base
    directory = folder / "network_fuzz"
    directory.mkdir(exist_ok=True)
    source = {"kind": "source", "it_load_MW": 5.0, "cooling": "liquid"}
    nodes = [("S", 0, 0, source), ("G", 0, 10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
             ("C", 50, 0, {"kind": "consumer", "homes": 10})]  # fmt: skip
    at = {"x_m": 0, "y_m": 0, "capacity_MW": 1, "homes": 2, "source_temperature_degC": 0, "recovered_share": 0}[field]
    node_id, x, y, properties = nodes[at]
    if field in ("x_m", "y_m"):
        x, y = (value, y) if field == "x_m" else (x, value)
    else:
        properties = {**properties, field: value}
    nodes[at] = (node_id, x, y, properties)
    pipe = {"status": "existing", "dn": 50, **({} if length is None else {"length_m": length})}
    path = write_network(directory, nodes, [("L", "S", "C", pipe), ("M", "G", "C", {"status": "existing", "dn": 50})])
    try:
        network = load_network(path)
    except DhoptError as error:
        assert error.problems and all("\n" not in line for line in error.problems)
        return
    assert_finite_and_in_range(network)


@given(text=st.text(max_size=300))
def test_random_toml_text_raises_only_dhopt_errors(base, text):
    folder, _ = base
    path = folder / "random.toml"
    path.write_text(text, encoding="utf-8")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        pass
    with pytest.raises(DhoptError):
        load_case(path)  # never a valid case: name, network and timeseries are required


@given(
    edits=st.lists(
        st.tuples(st.integers(0, 49), st.integers(0, 6), st.one_of(st.text(max_size=6), st.floats(), st.just(""))),
        max_size=5,
    ),
    drop=st.lists(st.integers(0, 49), max_size=3),
)
def test_timeseries_mutations_raise_only_dhopt_errors(base, edits, drop):
    folder, data = base
    lines = (folder / "series.csv").read_text().splitlines()
    for row, column, value in edits:
        if row < len(lines):
            cells = lines[row].split(",")
            cells[column % len(cells)] = str(value).replace(",", ";").replace("\n", " ")
            lines[row] = ",".join(cells)
    for row in sorted(set(drop), reverse=True):
        if row < len(lines):
            del lines[row]
    mutated_series = folder / "mutated.csv"
    mutated_series.write_text("\n".join(lines) + "\n")
    try:
        case_from_dict(folder / "case.toml", {**data, "timeseries": str(mutated_series)})
    except DhoptError as error:
        assert error.problems


SWEEP_PATHS = st.sampled_from(
    ["grid.import_limit_MW", "grid.tariff_EUR_per_MWh", "heat_pump.max_MW", "horizon.hours", "grid.import_limt_MW", "x"]
)
TOML_VALUES = st.one_of(
    st.integers(-5, 10**5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
    st.booleans(),
)


@given(
    grid=st.dictionaries(SWEEP_PATHS, st.lists(TOML_VALUES, max_size=3), max_size=3),
    base_name=st.sampled_from(["case.toml", "missing.toml", ""]),
)
def test_sweep_mutations_raise_only_dhopt_errors(base, grid, base_name):
    from dhopt.sweep import expand_sweep

    folder, data = base
    directory = folder / "sweep"
    directory.mkdir(exist_ok=True)
    case_lines = [
        'name = "fuzz"',
        f"network = {json.dumps(data['network'])}",
        f"timeseries = {json.dumps(data['timeseries'])}",
    ]
    (directory / "case.toml").write_text("\n".join([*case_lines, "[horizon]", "hours = 24"]) + "\n")
    body = "[grid]\n" + "".join(f"{json.dumps(key)} = {json.dumps(values)}\n" for key, values in grid.items())
    path = directory / "s.sweep.toml"
    path.write_text(f'base = "{base_name}"\n{body}')
    try:
        expand_sweep(path)
    except DhoptError as error:
        assert error.problems


CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "-500", "50", "-0.1", "1.5", "", "n/a", "x"]),
    st.text(alphabet="0123456789.-eE+xn/a ", max_size=8),
)
SERIES_COLUMNS = ["outdoor_temperature_degC", "electricity_price_EUR_per_MWh", "residential", "it_utilisation"]


@pytest.fixture(scope="module")
def campus_base(tmp_path_factory):
    """A 24-hour case whose network has a campus (so it_utilisation is read) and a plant and a consumer."""
    from dhopt.network import load_network

    folder = tmp_path_factory.mktemp("fuzz_campus")
    nodes = [("S", 0, 0, {"kind": "source", "it_load_MW": 5.0, "cooling": "liquid"}),
             ("G", 0, 10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
             ("C", 50, 0, {"kind": "consumer", "homes": 10})]  # fmt: skip
    network = write_network(folder, nodes, [("L", "S", "C", {"status": "candidate"}),
                                            ("M", "G", "C", {"status": "existing", "dn": 50})])  # fmt: skip
    series = write_series(folder, 24)
    data = {"name": "fuzz", "network": str(network), "timeseries": str(series), "horizon": {"hours": 24}}
    return folder, data, load_network(network)


@given(edits=st.lists(st.tuples(st.integers(0, 23), st.sampled_from(SERIES_COLUMNS), CELLS), min_size=1, max_size=3))
def test_timeseries_cells_are_finite_and_in_range_or_refused(campus_base, edits):
    # a cell that is not a finite number, or a share or utilisation outside 0..1, is refused in one line
    # naming the file, the row and the column; an accepted series holds only finite numbers in range
    from dhopt.inputs import prepare_inputs

    folder, data, network = campus_base
    frame = pd.read_csv(folder / "series.csv", dtype=str)
    for row, column, text in edits:
        frame.loc[row, column] = text
    path = folder / "cells.csv"
    frame.to_csv(path, index=False)
    edited = {column for _, column, _ in edits}
    try:
        case = case_from_dict(folder / "case.toml", {**data, "timeseries": str(path)})
        inputs = prepare_inputs(case, network)
    except DhoptError as error:
        assert len(error.problems) >= 1 and all("\n" not in line for line in error.problems)
        assert all(line.startswith(f"{path}: row ") for line in error.problems), error.problems
        assert all(any(f"column '{c}'" in line for c in edited) for line in error.problems), error.problems
        return
    values = case.timeseries[SERIES_COLUMNS].to_numpy()
    assert np.isfinite(values).all()
    assert case.timeseries[["residential", "it_utilisation"]].stack().between(0, 1).all()
    assert np.isfinite(inputs.demand_MW.to_numpy()).all() and np.isfinite(inputs.electricity_EUR_per_MWh).all()


@pytest.mark.parametrize(("column", "text"), [("outdoor_temperature_degC", "-500"),
    ("outdoor_temperature_degC", "1e308"), ("electricity_price_EUR_per_MWh", "1e308"),
    ("electricity_price_EUR_per_MWh", "-1e6"), ("outdoor_temperature_degC", "inf")])  # fmt: skip
def test_timeseries_physical_ranges(campus_base, column, text):
    folder, data, _ = campus_base
    frame = pd.read_csv(folder / "series.csv", dtype=str)
    frame.loc[3, column] = text
    path = folder / f"pending_{column}.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DhoptError) as refused:
        case_from_dict(folder / "case.toml", {**data, "timeseries": str(path)})
    assert f"{path}: row 5: column '{column}': expected " in refused.value.problems[0]
    assert refused.value.problems[0].endswith(f"got '{text}'")


NETWORK_CSV_CELLS = {
    "nodes": ["x_m", "y_m", "it_load_MW", "capacity_MW", "homes", "source_temperature_degC", "recovered_share"],
    "edges": ["length_m", "dn"],
}


@given(
    which=st.sampled_from(["nodes", "edges"]),
    row=st.integers(0, 2),
    column=st.integers(0, 6),
    text=CELLS,
)
def test_network_csv_cells_are_finite_and_in_range_or_refused(base, which, row, column, text):
    from dhopt.network import load_network

    folder, _ = base
    directory = folder / "network_csv_fuzz"
    directory.mkdir(exist_ok=True)
    tables = {
        "nodes": pd.DataFrame({
            "id": ["S", "G", "C"], "kind": ["source", "plant", "consumer"], "x_m": ["0", "0", "50"],
            "y_m": ["0", "10", "0"], "it_load_MW": ["5", "", ""], "cooling": ["liquid", "", ""],
            "source_temperature_degC": ["", "", ""], "recovered_share": ["", "", ""],
            "technology": ["", "gas_boiler", ""], "capacity_MW": ["", "5", ""], "homes": ["", "", "10"],
        }),
        "edges": pd.DataFrame({
            "id": ["L", "M"], "from": ["S", "G"], "to": ["C", "C"], "status": ["existing", "existing"],
            "dn": ["50", "50"], "length_m": ["50", "51"],
        }),
    }  # fmt: skip
    field = NETWORK_CSV_CELLS[which][column % len(NETWORK_CSV_CELLS[which])]
    tables[which].loc[row % len(tables[which]), field] = text
    for name, table in tables.items():
        table.to_csv(directory / f"net.{name}.csv", index=False)
    try:
        network = load_network(directory / "net.nodes.csv")
    except DhoptError as error:
        assert error.problems and all("\n" not in line for line in error.problems)
        named = [line for line in error.problems if f"field '{field}'" in line]
        assert named, error.problems  # the edited cell's field is among the problems named
        assert all(line.startswith(f"{directory / f'net.{which}.csv'}: row ") for line in named), named
        return
    assert_finite_and_in_range(network)


SWEEP_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, -500.0, 0.0, -1.0, 1e15]),
    st.integers(-(10**6), 10**6),
    st.text(max_size=4),
)
SWEEP_NUMERIC_PATHS = [
    "grid.import_limit_MW", "grid.tariff_EUR_per_MWh", "heat_pump.lorenz_efficiency", "temperatures.ground_degC",
    "temperatures.return_degC", "economics.discount_rate", "demand.unmet_penalty_EUR_per_MWh", "horizon.hours",
]  # fmt: skip


def _toml_literal(value) -> str:
    """`value` as TOML: floats as nan, inf, -inf or their repr (all valid TOML), strings quoted."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return repr(value)


@given(
    key=st.sampled_from(SWEEP_NUMERIC_PATHS),
    values=st.lists(SWEEP_NUMBERS, min_size=1, max_size=3),
    in_scenario=st.booleans(),
)
def test_sweep_values_are_finite_or_refused(base, key, values, in_scenario):
    # NaN, inf and out-of-range sweep values, in [grid] or a scenario's overrides, are refused before any
    # case runs, in lines naming the sweep file and the key; an accepted sweep's cases hold finite numbers
    from dhopt.sweep import expand_sweep

    folder, data = base
    directory = folder / "sweep_values"
    directory.mkdir(exist_ok=True)
    lines = [f"{k} = {json.dumps(data[k])}" for k in ("name", "network", "timeseries")]
    (directory / "case.toml").write_text("\n".join([*lines, "[horizon]", "hours = 24"]) + "\n")
    if in_scenario:
        body = "".join(
            f'[[scenario]]\nname = "s{i}"\noverrides = {{ "{key}" = {_toml_literal(v)} }}\n'
            for i, v in enumerate(values)
        )
    else:
        body = f'[grid]\n"{key}" = [{", ".join(_toml_literal(v) for v in values)}]\n'
    path = directory / "values.sweep.toml"
    path.write_text(f'base = "case.toml"\n{body}')
    try:
        cases = expand_sweep(path)
    except DhoptError as error:
        assert error.problems and all("\n" not in line for line in error.problems)
        files = (str(path), data["timeseries"])  # the sweep's key, or the case's time series it is too short for
        assert all(line.startswith(files) for line in error.problems), error.problems
        return
    for case in cases:
        assert all(math.isfinite(v) for v in _numbers(case.case)), case.case
        case_from_dict(directory / "case.toml", case.case)  # each case valid as it stands
