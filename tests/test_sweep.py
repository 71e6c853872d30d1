"""Sweep files: expansion (scenarios x grid), content hashes, validation before any run."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.errors import CaseError
from dhopt.sweep import case_hash, case_paths, expand_sweep, input_files, portable_case, to_toml

NETWORK, SERIES = DEFAULT_NETWORK, DEFAULT_TIMESERIES


def write_case(
    directory: Path, name: str = "case.toml", hours: int = 24, series: Path = SERIES, extra: str = ""
) -> Path:
    """A short Ballerup case; network and time series by absolute path."""
    path = directory / name
    path.write_text(
        f'name = "small"\nnetwork = "{NETWORK}"\ntimeseries = "{series}"\n{extra}'
        f"[horizon]\nhours = {hours}\n[grid]\nimport_limit_MW = 12.0\n",
        encoding="utf-8",
    )
    return path


def write_sweep(directory: Path, body: str, base: str = "case.toml", name: str = "s.sweep.toml") -> Path:
    path = directory / name
    path.write_text(f'base = "{base}"\n{body}', encoding="utf-8")
    return path


def test_expand_sweep_is_scenarios_times_grid_in_file_order(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(
        tmp_path,
        '[grid]\n"grid.import_limit_MW" = [4, 8]\n"grid.tariff_EUR_per_MWh" = [10.0, 30.0]\n'
        '[[scenario]]\nname = "low_co2"\noverrides = { "economics.co2_price_EUR_per_t" = 40.0 }\n'
        '[[scenario]]\nname = "high_co2"\noverrides = { "economics.co2_price_EUR_per_t" = 150.0 }\n',
    )
    cases = expand_sweep(sweep)
    assert [c.name for c in cases[:2]] == [
        "low_co2,import_limit_MW=4,tariff_EUR_per_MWh=10",
        "low_co2,import_limit_MW=4,tariff_EUR_per_MWh=30",
    ]
    assert len(cases) == 8 and len({c.hash for c in cases}) == 8
    last = cases[-1]
    assert last.scenario == "high_co2"
    assert last.overrides == {
        "economics.co2_price_EUR_per_t": 150.0,
        "grid.import_limit_MW": 8,
        "grid.tariff_EUR_per_MWh": 30.0,
    }
    assert last.case["grid"]["import_limit_MW"] == 8.0 and last.case["economics"]["co2_price_EUR_per_t"] == 150.0
    assert last.case["horizon"]["hours"] == 24  # from the base
    assert last.case["heat_pump"]["lorenz_efficiency"] == 0.67  # a default, filled in


def test_expand_sweep_without_grid_or_scenarios_is_the_base(tmp_path):
    write_case(tmp_path)
    (case,) = expand_sweep(write_sweep(tmp_path, ""))
    assert case.name == "base" and case.overrides == {} and case.scenario is None


def test_sweep_dotted_keys_quoted_or_nested_mean_the_same(tmp_path):
    write_case(tmp_path)
    quoted = expand_sweep(write_sweep(tmp_path, '[grid]\n"heat_pump.lorenz_efficiency" = [0.45, 0.55]\n'))
    nested = expand_sweep(write_sweep(tmp_path, "[grid]\nheat_pump.lorenz_efficiency = [0.45, 0.55]\n", name="n.toml"))
    assert [c.hash for c in quoted] == [c.hash for c in nested]


def test_case_hash_same_inputs_in_other_key_order_and_explicit_defaults(tmp_path):
    write_case(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "case.toml").write_text(  # keys in another order, defaults spelt out, 12 for 12.0
        f'timeseries = "{SERIES}"\nname = "renamed"\nnetwork = "{NETWORK}"\n'
        "[grid]\nimport_limit_MW = 12\n[heat_pump]\nlorenz_efficiency = 0.67\n[horizon]\nhours = 24\nstart_hour = 0\n"
        "[economics]\nco2_price_EUR_per_t = 80.0\n",
        encoding="utf-8",
    )
    one = expand_sweep(write_sweep(tmp_path, '[grid]\n"grid.tariff_EUR_per_MWh" = [10.0, 30.0]\n'))
    two = expand_sweep(
        write_sweep(tmp_path, '[grid]\n"grid.tariff_EUR_per_MWh" = [10, 30]\n', base="other/case.toml", name="o.toml")
    )
    assert [c.hash for c in one] == [c.hash for c in two]


def test_case_hash_follows_file_bytes_not_file_names(tmp_path):
    series = tmp_path / "copy_of_series.csv"
    shutil.copyfile(SERIES, series)
    (case,) = expand_sweep(write_sweep(tmp_path, "", base=write_case(tmp_path).name))
    moved = dict(case.case, timeseries=str(series))
    assert case_hash(moved) == case.hash  # same bytes elsewhere: same inputs
    lines = series.read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    column = header.index("electricity_price_EUR_per_MWh")
    first[column] = str(float(first[column]) + 1.0)
    series.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    assert case_hash(moved) != case.hash


def test_sweep_unknown_path_names_file_key_and_suggestion(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[grid]\n"grid.import_limit_mw" = [4, 8]\n"lorenz_eficiency" = [0.5]\n')
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    assert error.value.problems == [
        f"{sweep}: [grid] key 'grid.import_limit_mw': not a case field; did you mean 'grid.import_limit_MW'?",
        f"{sweep}: [grid] key 'lorenz_eficiency': not a case field; did you mean 'heat_pump.lorenz_efficiency'?",
    ]


def test_sweep_unknown_top_level_key_suggests(tmp_path):
    write_case(tmp_path)
    with pytest.raises(CaseError, match=r"key 'grids': Extra inputs are not permitted; did you mean 'grid'\?"):
        expand_sweep(write_sweep(tmp_path, '[grids]\n"grid.import_limit_MW" = [4]\n'))


def test_sweep_every_case_problem_reported_together_before_any_run(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(
        tmp_path,
        '[grid]\n"heat_pump.lorenz_efficiency" = [0.5, 1.5]\n'
        '[[scenario]]\nname = "ok"\n'
        '[[scenario]]\nname = "missing_prices"\noverrides = { timeseries = "nowhere.csv" }\n',
    )
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    problems = error.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(
        f"{sweep}: key 'heat_pump.lorenz_efficiency': Input should be less than or equal to 1"
    )
    assert problems[0].endswith(", got 1.5 (cases 'ok,lorenz_efficiency=1.5', 'missing_prices,lorenz_efficiency=1.5')")
    # a case whose parameters are invalid is not read further, so its missing file shows in the other case
    assert (
        problems[1]
        == f"{tmp_path / 'nowhere.csv'}: time series file not found (case 'missing_prices,lorenz_efficiency=0.5')"
    )


def test_sweep_scenario_and_grid_setting_one_key_raises(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(
        tmp_path,
        '[grid]\n"grid.import_limit_MW" = [4, 8]\n[[scenario]]\nname = "a"\noverrides = { grid.import_limit_MW = 6 }\n',
    )
    with pytest.raises(CaseError, match="scenario 'a' override 'grid.import_limit_MW': also set by \\[grid\\]"):
        expand_sweep(sweep)


def test_sweep_identical_cases_raise(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[grid]\n"grid.import_limit_MW" = [12, 12.0]\n')
    with pytest.raises(CaseError, match="cases 'import_limit_MW=12' and 'import_limit_MW=12' have identical inputs"):
        expand_sweep(sweep)


def test_sweep_repeated_scenario_names_and_empty_grid_raise(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(
        tmp_path, '[grid]\n"grid.import_limit_MW" = []\n[[scenario]]\nname = "a"\n[[scenario]]\nname = "a"\n'
    )
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    assert any("expected a non-empty list" in p for p in error.value.problems)
    assert any("expected unique scenario names, used 2 times" in p for p in error.value.problems)


def test_sweep_paths_resolve_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "data").mkdir()
    shutil.copyfile(SERIES, tmp_path / "data" / "prices.csv")
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[[scenario]]\nname = "copy"\noverrides = { timeseries = "data/prices.csv" }\n')
    (case,) = expand_sweep(sweep)
    assert case.case["timeseries"] == str((tmp_path / "data" / "prices.csv").resolve())
    assert case.overrides == {"timeseries": case.case["timeseries"]}


def test_to_toml_round_trips_a_resolved_case(tmp_path):
    (case,) = expand_sweep(
        write_sweep(tmp_path, "", base=write_case(tmp_path, extra='description = "a \\"q\\""\n').name)
    )
    data = dict(case.case, storage=dict(case.case["storage"], nodes=["campus"]))
    parsed = tomllib.loads(to_toml(data))
    assert parsed["storage"]["nodes"] == ["campus"] and parsed["description"] == 'a "q"'
    assert parsed["grid"] == {k: v for k, v in data["grid"].items() if v is not None}
    assert "max_MW" not in parsed["heat_pump"]  # None means 'use the default'


def test_portable_case_points_into_inputs(tmp_path):
    (case,) = expand_sweep(write_sweep(tmp_path, "", base=write_case(tmp_path).name))
    local = portable_case(case.case)
    assert local["network"] == "inputs/network/ballerup.geojson"
    assert local["timeseries"] == "inputs/timeseries/dk_2019_hourly.csv"
    assert input_files(case.case) == {"network/ballerup.geojson": NETWORK, "timeseries/dk_2019_hourly.csv": SERIES}


def test_case_paths_cover_sections_not_name():
    paths = case_paths()
    assert "grid.import_limit_MW" in paths and "timeseries" in paths and "name" not in paths
