"""Input paths that are not regular files, or too large, are refused in one line before anything reads them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dhopt.cli import main
from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.errors import CaseError
from dhopt.sweep import expand_sweep


def case_file(directory, network=DEFAULT_NETWORK, series=DEFAULT_TIMESERIES, text: str | None = None):
    path = directory / "case.toml"
    path.write_text(text or f'name = "x"\nnetwork = "{network}"\ntimeseries = "{series}"\n[horizon]\nhours = 24\n')
    return path


def refused(capsys, *argv) -> list[str]:
    assert main(["validate", *map(str, argv)]) == 2
    return capsys.readouterr().err.splitlines()


def test_a_directory_as_the_case_is_one_line(tmp_path, capsys):
    assert refused(capsys, tmp_path) == [f"dhopt: error: {tmp_path}: case file a directory, expected a file"]


def test_a_symlink_loop_and_a_broken_link_are_one_line(tmp_path, capsys):
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    assert refused(capsys, tmp_path / "a.toml") == [
        f"dhopt: error: {tmp_path / 'a.toml'}: case file a symbolic link loop"
    ]
    (tmp_path / "gone.geojson").symlink_to(tmp_path / "nowhere.geojson")
    case = case_file(tmp_path, network=tmp_path / "gone.geojson")
    assert refused(capsys, case) == [
        f"dhopt: error: {case}: key 'network': file not found: {tmp_path / 'nowhere.geojson'}"
    ]  # the link is followed to the file it names


def test_a_fifo_as_the_network_never_blocks(tmp_path):
    fifo = tmp_path / "net.geojson"
    os.mkfifo(fifo)
    case = case_file(tmp_path, network=fifo)
    done = subprocess.run(
        [sys.executable, "-m", "dhopt", "validate", str(case)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"dhopt: error: {fifo}: file a FIFO (named pipe), expected a regular file"]


def test_a_device_as_the_time_series_is_named_so(tmp_path, capsys):
    case = case_file(tmp_path, series="/dev/null")
    assert refused(capsys, case) == [
        "dhopt: error: /dev/null: time series file a character device, expected a regular file"
    ]


def test_an_input_above_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DHOPT_MAX_INPUT_MB", "0.01")  # 10 kB: the default time series is larger
    size_MB = os.path.getsize(DEFAULT_TIMESERIES) / 1e6
    assert refused(capsys, case_file(tmp_path)) == [
        f"dhopt: error: {DEFAULT_TIMESERIES}: time series file {size_MB:.3g} MB, larger than the 0.01 MB an input "
        "may have (set DHOPT_MAX_INPUT_MB to read it)"
    ]


def test_a_toml_with_a_byte_order_mark_is_read_like_the_json_and_csv_loaders(tmp_path):
    case = case_file(tmp_path)
    case.write_bytes(b"\xef\xbb\xbf" + case.read_bytes())
    assert main(["validate", str(case)]) == 0


@pytest.mark.parametrize("network", ["empty", "net.nodes.csv"])
def test_a_sweep_network_override_without_its_files_is_one_line(tmp_path, network):
    (tmp_path / "empty").mkdir()
    (tmp_path / "net.nodes.csv").write_text("id,kind,x_m,y_m\n")
    case_file(tmp_path)
    sweep = tmp_path / "s.sweep.toml"
    sweep.write_text(f'base = "case.toml"\n[[scenario]]\nname = "a"\noverrides = {{ network = "{network}" }}\n')
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    missing = tmp_path / "empty" / "nodes.csv" if network == "empty" else tmp_path / "net.edges.csv"
    assert error.value.problems == [f"{missing}: network file not found (case 'a')"]


def test_a_sweep_path_that_is_a_symlink_loop_is_one_line(tmp_path):
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    case_file(tmp_path)
    sweep = tmp_path / "s.sweep.toml"
    sweep.write_text('base = "case.toml"\n[[scenario]]\nname = "a"\noverrides = { timeseries = "loop1" }\n')
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    assert error.value.problems == [f"{sweep}: key 'timeseries': {tmp_path / 'loop1'}: a symbolic link loop (case 'a')"]
    sweep.write_text('base = "loop1"\n')
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    assert error.value.problems == [f"{tmp_path / 'loop1'}: case file a symbolic link loop"]


def test_a_sweep_value_with_a_newline_keeps_every_message_on_one_line(tmp_path):
    case_file(tmp_path)
    sweep = tmp_path / "s.sweep.toml"
    sweep.write_text('base = "case.toml"\n[grid]\n"grid.import_limit_MW" = ["a\\nb"]\n')
    with pytest.raises(CaseError) as error:
        expand_sweep(sweep)
    assert len(error.value.problems) == 1 and "\n" not in error.value.problems[0]
    assert error.value.problems[0].endswith("""(case 'import_limit_MW="a\\nb"')""")


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("temperatures", "ground_degC", "nan", "temperatures.ground_degC"),
        ("heat_pump", "investment_EUR_per_MW", "inf", "heat_pump.investment_EUR_per_MW"),
        ("demand", "unmet_penalty_EUR_per_MWh", "inf", "demand.unmet_penalty_EUR_per_MWh"),
        ("temperatures", "heating_limit_degC", "inf", "temperatures.heating_limit_degC"),
        ("temperatures", "ground_degC", "-500.0", "temperatures.ground_degC"),
    ],
)
def test_non_finite_or_impossible_case_numbers_are_refused(tmp_path, capsys, section, key, value, expected):
    case = case_file(tmp_path)
    case.write_text(case.read_text() + f"[{section}]\n{key} = {value}\n")
    lines = refused(capsys, case)
    assert len(lines) == 1 and f"key '{expected}'" in lines[0] and "Traceback" not in lines[0]


def _series_with(tmp_path, column: str, row: int, text: str):
    lines = DEFAULT_TIMESERIES.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = text
    lines[row] = ",".join(cells)
    path = tmp_path / "series.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_time_series_cell_is_shown_as_written_and_ranges_are_checked(tmp_path, capsys):
    series = _series_with(tmp_path, "electricity_price_EUR_per_MWh", 3, "n/a")
    assert refused(capsys, case_file(tmp_path, series=series)) == [
        f"dhopt: error: {series}: row 4: column 'electricity_price_EUR_per_MWh': expected a number, got 'n/a'"
    ]
    series = _series_with(tmp_path, "it_utilisation", 5, "50")  # documented 0..1
    assert refused(capsys, case_file(tmp_path, series=series)) == [
        f"dhopt: error: {series}: row 6: column 'it_utilisation': expected a utilisation between 0 and 1 "
        "(source 'campus'), got 50"
    ]
    series = _series_with(tmp_path, "residential", 2, "-0.001")
    assert refused(capsys, case_file(tmp_path, series=series)) == [
        f"dhopt: error: {series}: row 3: column 'residential': expected a share of the year between 0 and 1, got -0.001"
    ]
