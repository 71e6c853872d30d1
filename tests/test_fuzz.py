"""Fuzzing the case, time-series and sweep loaders: random and mutated inputs give a dhopt error or a valid
case, never another exception. `HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py` runs
many more examples."""

from __future__ import annotations

import copy
import json
import math
import os
import tomllib

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
    numbers = network.nodes.select_dtypes("number").to_numpy().ravel()
    assert all(math.isfinite(v) for v in numbers[~(numbers != numbers)])  # NaN only where a field is absent
    assert all(0 < v <= 1e6 for v in network.pipes["length_m"])
    sources = network.nodes[network.nodes["kind"] == "source"]
    assert sources["source_temperature_degC"].between(5, 95).all() and sources["recovered_share"].between(0, 1).all()


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
