"""The command line end to end on a small case, and its one-line errors."""

from __future__ import annotations

import json

import pytest
from builders import write_case, write_network, write_series

from dhopt.cli import main


def small_case(tmp_path, pipe_length_m: float = 50.0):
    nodes = [
        ("S", 0, 0, {"kind": "source", "it_load_MW": 5.0, "cooling": "liquid"}),
        ("C", 50, 0, {"kind": "consumer", "homes": 100}),
        ("G", 50, 20, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
    ]
    pipes = [
        ("T", "S", "C", {"status": "candidate", "length_m": pipe_length_m}),
        ("L", "G", "C", {"status": "existing", "dn": 100}),
    ]
    return write_case(tmp_path, write_network(tmp_path, nodes, pipes), write_series(tmp_path, 24), 24)


def test_cli_run_writes_results_and_prints_kpis(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(small_case(tmp_path)), "--out", str(out), "--threads", "1"]) == 0
    printed = capsys.readouterr().out
    for phase in ("load", "reduce", "build", "solve", "write"):
        assert any(line.startswith(phase) for line in printed.splitlines()), phase
    assert "homes heated by the campus" in printed
    assert {p.name for p in out.iterdir()} >= {"results.nc", "design.csv", "kpis.json"}
    assert not list(out.glob(".*.tmp"))  # nothing half-written left behind
    figures = json.loads((out / "kpis.json").read_text())
    # 100 homes of 18.1 MWh; 24 hours at a constant share of 1/8760 scaled to a year
    assert figures["heat_demand_MWh"] == pytest.approx(100 * 18.1)


def test_cli_validate_accepts_a_good_case(tmp_path, capsys):
    assert main(["validate", str(small_case(tmp_path))]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_cli_validate_names_the_broken_pipe(tmp_path, capsys):
    assert main(["validate", str(small_case(tmp_path, pipe_length_m=-5.0))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "net.geojson" in err[0] and "'T'" in err[0] and "length_m" in err[0]


def test_cli_missing_case_file_is_one_line(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert capsys.readouterr().err.strip() == f"dhopt: error: {tmp_path / 'nope.toml'}: case file not found"
