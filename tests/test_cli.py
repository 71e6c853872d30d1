"""The command line end to end on a small case, and its one-line errors."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from pathlib import Path

import pytest
from builders import write_case, write_network, write_series

import dhopt
from dhopt import batch
from dhopt.cli import build_parser, installed_version, main
from dhopt.errors import CaseError
from dhopt.solve import SolveOptions


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
    assert "homes heated by waste heat" in printed
    # a day scaled to a year is said to be an extrapolation of that day
    assert "note: 24 h modelled (hours 0-23); every per-year figure is that period scaled by 8760/24 = 365.0" in printed
    assert {p.name for p in out.iterdir()} >= {"results.nc", "design.csv", "kpis.json"}
    assert not list(out.glob(".*.tmp"))  # nothing half-written left behind
    figures = json.loads((out / "kpis.json").read_text())
    # 100 homes of 18.1 MWh; 24 hours at a constant share of 1/8760 scaled to a year
    assert figures["heat_demand_MWh"] == pytest.approx(100 * 18.1)
    assert figures["horizon_h"] == 24
    # one line reconciles the recoverable campus heat with what the homes use
    recoverable = figures["campus_heat_available_MWh"]
    line = next(x for x in printed.splitlines() if x.startswith("campus heat: "))
    assert f"{recoverable:,.0f} MWh/yr recoverable = {recoverable / 18.1:,.0f} homes" in line
    assert f"{figures['rejected_heat_MWh'] / recoverable:.0%} rejected" in line


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


SOLVER_ARGS = ["--time-limit", "7", "--mip-gap", "0.02", "--threads", "2", "--verbose"]
SOLVING = ["run", "batch", "export-curve", "pareto", "regimes", "connect"]
PLANNING = [  # command, the module the CLI imports its planning function from when it runs, the function
    ("run", "dhopt.run", "run_case"),
    ("export-curve", "dhopt.planning.export_curve", "export_curve"),
    ("pareto", "dhopt.planning.pareto", "pareto_front"),
    ("regimes", "dhopt.planning.regimes", "regime_table"),
    ("connect", "dhopt.planning.connection", "plan_connection"),
]


def test_cli_version_prints_the_installed_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"dhopt {importlib.metadata.version('dhopt')}\n"


def test_cli_version_of_an_uninstalled_tree_is_the_package_version(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert installed_version() == dhopt.__version__


@pytest.mark.parametrize("argv", [["--help"]] + [[command, "--help"] for command in [*SOLVING, "validate", "report"]])
def test_cli_help_is_written_for_users_with_the_exit_codes(argv, capsys):
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "run_case" not in text and "Parses arguments" not in text
    assert "exit codes:" in text and "130  interrupted" in text and "4    hydraulic limits violated" in text


@pytest.mark.parametrize("command", SOLVING)
def test_cli_every_solving_command_takes_the_shared_options(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--time-limit S", "--mip-gap G", "--threads N", "--verbose", "--out DIR"):
        assert option in text, option


@pytest.mark.parametrize(
    "argv, flag, refusal",
    [  # every case path is missing: were a value let through, the command would stop without solving
        (["run", "missing.toml", "--time-limit", "-1"], "--time-limit", "expected a positive number of seconds, got '-1'"),
        (["run", "missing.toml", "--time-limit", "0"], "--time-limit", "expected a positive number of seconds, got '0'"),
        (["batch", "missing.toml", "--time-limit=nan"], "--time-limit", "expected a positive number of seconds, got 'nan'"),
        (["connect", "missing.toml", "--time-limit", "inf"], "--time-limit", "expected a positive number of seconds, got 'inf'"),
        (["pareto", "missing.toml", "--mip-gap", "1"], "--mip-gap", "expected a relative gap in [0, 1), e.g. 0.01, got '1'"),
        (["regimes", "missing.toml", "--mip-gap", "-0.1"], "--mip-gap", "expected a relative gap in [0, 1), e.g. 0.01, got '-0.1'"),
        (["export-curve", "missing.toml", "--threads", "0"], "--threads", "expected a whole number >= 1, got '0'"),
        (["batch", "missing.toml", "--threads", "-2"], "--threads", "expected a whole number >= 1, got '-2'"),
        (["run", "missing.toml", "--threads", "1.5"], "--threads", "expected a whole number >= 1, got '1.5'"),
        (["pareto", "missing.toml", "--points", "1"], "--points", "expected a whole number >= 2, got '1'"),
        (["connect", "missing.toml", "--upgrades", "-1"], "--upgrades", "expected a whole number >= 0, got '-1'"),
        (["batch", "missing.toml", "--workers", "-1"], "--workers", "expected a whole number >= 0, got '-1'"),
        (["regimes", "missing.toml", "--hours", "0"], "--hours", "expected a whole number >= 1, got '0'"),
        (["export-curve", "missing.toml", "--heat-price", "inf"], "--heat-price", "expected a finite number, got 'inf'"),
        (["hydraulics", "missing", "--max-velocity", "0"], "--max-velocity", "expected a positive number, got '0'"),
    ],
)  # fmt: skip
def test_cli_bad_number_refused_in_one_line(argv, flag, refusal, capsys):
    assert main(argv) == 2
    printed = capsys.readouterr()
    assert printed.err == f"dhopt {argv[0]}: error: argument {flag}: {refusal}\n"
    assert printed.out == ""


@pytest.mark.parametrize(
    "argv, refusal",
    [
        (["regimes", "--regime", "30/55"], "argument --regime: expected SUPPLY/RETURN in degC"),
        (["regimes", "--regime", "55/30", "missing.toml"], "argument --regime: expected SUPPLY/RETURN in degC"),
        (["export-curve", "missing.toml", "--mw", "30:0:5"], "argument --mw: expected START:STOP:STEP with 0 <="),
    ],
)
def test_cli_bad_regime_or_range_refused_in_one_line(argv, refusal, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dhopt {argv[0]}: error: {refusal}") and err.count("\n") == 1
    assert f"got {argv[-1]!r}" in err


def test_cli_regimes_take_several_values_after_the_case():
    parser = build_parser()
    args = parser.parse_args(["regimes", "c.toml", "--regime", "55/30", "80-65/40", "--regime", "65/35"])
    assert args.case == Path("c.toml")
    assert [r.label for r in args.regime] == ["55/30", "80-65/40", "65/35"]
    assert args.regime[1].supply_min_degC == 65.0
    assert parser.parse_args(["regimes", "--regime", "55/30", "65/35"]).case is None  # the embedded case
    assert parser.parse_args(["regimes"]).regime is None  # the default regimes


@pytest.mark.parametrize("command, module, function", PLANNING)
def test_cli_solving_command_passes_every_solver_option(command, module, function, monkeypatch, capsys):
    received = []

    def stop(*args, **kwargs):
        received.extend(value for value in [*args, *kwargs.values()] if isinstance(value, SolveOptions))
        raise CaseError("stopped before solving")

    monkeypatch.setattr(importlib.import_module(module), function, stop)
    assert main([command, "c.toml", *SOLVER_ARGS]) == 2
    assert main([command, "c.toml"]) == 2
    assert received == [SolveOptions(time_limit_s=7.0, mip_gap=0.02, threads=2, verbose=True), SolveOptions()]
    assert capsys.readouterr().err == "dhopt: error: stopped before solving\n" * 2


def test_cli_batch_passes_the_solver_options_to_each_case(tmp_path, monkeypatch):
    case = small_case(tmp_path)
    sweep = tmp_path / "s.sweep.toml"
    sweep.write_text(f'base = "{case.name}"\n[grid]\n"grid.import_limit_MW" = [4.0, 8.0]\n', encoding="utf-8")
    received = []

    def solved(case, files, options, shown=None, reuse=True):
        received.append(options)
        return {"status": "ok", "error": "", "error_type": "", "solver_status": "optimal", "wall_s": 0.0,
                "files": {"kpis.json": json.dumps({"co2_t": 1.0}).encode()}}  # fmt: skip

    monkeypatch.setattr(batch, "run_case_files", solved)
    argv = ["batch", str(sweep), "--workers", "0", "--in-process", "--time-limit", "5", "--mip-gap", "0.01"]
    assert main([*argv, "--out", str(tmp_path / "given")]) == 0
    assert main(["batch", str(sweep), "--workers", "0", "--in-process", "--out", str(tmp_path / "defaults")]) == 0
    given = SolveOptions(time_limit_s=5.0, mip_gap=0.01)
    assert received == [given, given, SolveOptions(), SolveOptions()]
    assert {options.threads for options in received} == {1}  # one HiGHS thread per worker unless --threads


def test_a_reference_that_leaves_demand_unmet_is_said_to_be_one(tmp_path, capsys):
    # 100 homes (1,810 MWh/yr, 0.21 MW flat) and a 0.05 MW boiler: without the campus, at least
    # (0.21 - 0.05) MW x 8760 h is unmet: the comparison prices that heat from a backup boiler
    nodes = [
        ("S", 0, 0, {"kind": "source", "it_load_MW": 5.0, "cooling": "liquid"}),
        ("C", 50, 0, {"kind": "consumer", "homes": 100}),
        ("G", 50, 20, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 0.05}),
    ]
    pipes = [("T", "S", "C", {"status": "existing", "dn": 100}), ("L", "G", "C", {"status": "existing", "dn": 100})]
    case = write_case(tmp_path, write_network(tmp_path, nodes, pipes), write_series(tmp_path, 24), 24)
    assert main(["run", str(case), "--out", str(tmp_path / "out")]) == 0
    figures = json.loads((tmp_path / "out" / "kpis.json").read_text())
    assert figures["unmet_demand_MWh"] == pytest.approx(0.0, abs=1e-6)
    assert figures["reference_unmet_demand_MWh"] >= (100 * 18.1 / 8760 - 0.05) * 8760 * (1 - 1e-9)
    printed = capsys.readouterr().out
    assert "note: the network without the campus leaves" in printed and "like for like" in printed
    # the reference is given the backup e-boiler it lacks: its cost and CO2 include that boiler's
    assert figures["reference_backup_MW"] >= 100 * 18.1 / 8760 - 0.05 - 1e-9
    assert figures["annual_saving_EUR"] > 0
