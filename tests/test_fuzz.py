"""Fuzzing the case, time-series and sweep loaders: random and mutated inputs give a dhopt error or a valid
case, never another exception. `HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py` runs
many more examples."""

from __future__ import annotations

import copy
import json
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
        case_from_dict(folder / "case.toml", mutated)
    except DhoptError as error:
        assert error.problems and all("\n" not in line for line in error.problems)


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
