"""Batch runs: a small sweep on a 2-worker LocalCluster (one case broken), resume, combined results."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import xarray as xr
from builders import segfault_at_4_MW
from test_sweep import NETWORK, write_case, write_sweep

from dhopt import batch
from dhopt.batch import run_sweep
from dhopt.cli import main
from dhopt.errors import CaseError

SCENARIOS = """\
[grid]
"grid.import_limit_MW" = [10.0]

[[scenario]]
name = "base"

[[scenario]]
name = "cheap_power"
overrides = { "grid.tariff_EUR_per_MWh" = 5.0 }

[[scenario]]
name = "co2_150"
overrides = { "economics.co2_price_EUR_per_t" = 150.0 }

[[scenario]]
name = "broken"
overrides = { "storage.nodes" = ["nowhere"] }  # valid as a parameter; the network has no such node
"""
NAMES = ["base,import_limit_MW=10", "cheap_power,import_limit_MW=10", "co2_150,import_limit_MW=10"]
BROKEN = "broken,import_limit_MW=10"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Four 24-hour cases run once on a LocalCluster of two single-threaded workers."""
    directory = tmp_path_factory.mktemp("sweep")
    write_case(directory)
    sweep = write_sweep(directory, SCENARIOS)
    summary = run_sweep(sweep, directory / "out", workers=2, quiet=True)
    return sweep, summary


def test_batch_broken_case_recorded_and_others_finish(swept):
    sweep, summary = swept
    assert (summary.total, summary.ran, summary.skipped, summary.ok, summary.failed) == (4, 4, 0, 3, 1)
    table = pd.read_csv(summary.kpis_csv, keep_default_na=False)
    assert table["scenario"].tolist() == [*NAMES, BROKEN]
    assert table["status"].tolist() == ["ok", "ok", "ok", "failed"]
    error = table.set_index("scenario").loc[BROKEN, "error"]
    assert error == (f"{sweep} (case '{BROKEN}'): key 'storage.nodes': unknown node ids ['nowhere'] (not in {NETWORK})")
    broken_hash = table.set_index("scenario").loc[BROKEN, "hash"]
    status = json.loads((summary.out_dir / "cases" / broken_hash / "status.json").read_text())
    assert status["status"] == "failed" and status["error_type"] == "CaseError"
    assert status["overrides"] == {"storage.nodes": ["nowhere"], "grid.import_limit_MW": 10.0}
    for digest in table.loc[table["status"] == "ok", "hash"]:
        assert {p.name for p in (summary.out_dir / "cases" / digest).iterdir()} == {
            "results.nc",
            "design.csv",
            "kpis.json",
            "manifest.json",
            "case.toml",
            "status.json",
        }
    assert not [p for p in (summary.out_dir / "cases").iterdir() if p.name.startswith(".")]


def test_batch_kpis_follow_the_parameters(swept):
    table = pd.read_csv(swept[1].kpis_csv).set_index("scenario")
    assert table.loc[NAMES, "grid.tariff_EUR_per_MWh"].tolist() == [20.0, 5.0, 20.0]  # base value where not set
    assert table.loc[NAMES, "economics.co2_price_EUR_per_t"].tolist() == [80.0, 80.0, 150.0]
    # the electricity bill falls with the tariff; the case's optimum cost with it
    assert table.loc[NAMES[1], "annual_cost_EUR"] < table.loc[NAMES[0], "annual_cost_EUR"]
    assert table.loc[NAMES[2], "annual_cost_EUR"] > table.loc[NAMES[0], "annual_cost_EUR"]


def test_batch_combined_dataset_has_scenario_and_parameter_coords(swept):
    summary = swept[1]
    with xr.open_dataset(summary.combined_nc, engine="h5netcdf") as combined:
        assert combined["scenario"].values.tolist() == [*NAMES, BROKEN]
        assert combined["status"].values.tolist() == ["ok", "ok", "ok", "failed"]
        assert combined["grid.import_limit_MW"].dims == ("scenario",)
        assert combined["grid.tariff_EUR_per_MWh"].values.tolist() == [20.0, 5.0, 20.0, 20.0]
        assert combined["storage.nodes"].values.tolist()[-1] == '["nowhere"]'
        assert combined["co2_t"].dims == ("scenario",)
        assert combined["co2_t"].isnull().values.tolist() == [False, False, False, True]
        assert "hp_heat_MW" not in combined  # hourly series only when asked for


def test_batch_rerun_skips_finished_cases_and_adds_hourly(swept):
    sweep, first = swept
    again = run_sweep(sweep, first.out_dir, workers=2, keep_hourly=True, quiet=True)
    assert (again.ran, again.skipped, again.ok, again.failed) == (0, 4, 3, 1)
    with xr.open_dataset(again.combined_nc, engine="h5netcdf") as combined:
        assert combined["hp_heat_MW"].dims == ("scenario", "source", "time")
        assert combined.sizes["time"] == 24
        assert combined["hp_heat_MW"].sel(scenario=BROKEN).isnull().all()
        assert not combined["hp_heat_MW"].sel(scenario=NAMES[0]).isnull().any()


def test_batch_different_sweep_into_same_out_refused(swept):
    sweep, summary = swept
    other = write_sweep(sweep.parent, '[grid]\n"grid.import_limit_MW" = [6.0]\n', name="other.sweep.toml")
    with pytest.raises(CaseError, match=r"holds results of another sweep .* use another --out or delete"):
        run_sweep(other, summary.out_dir, workers=0, quiet=True)
    assert main(["batch", str(other), "--out", str(summary.out_dir), "--workers", "0"]) == 2


def test_batch_cli_on_finished_sweep_prints_where_results_are(swept, capsys):
    sweep, summary = swept
    assert main(["batch", str(sweep), "--out", str(summary.out_dir)]) == 0
    printed = capsys.readouterr().out
    assert "4 of 4 cases already in" in printed and f"kpis: {summary.kpis_csv}" in printed


def test_batch_non_empty_directory_without_sweep_json_refused(tmp_path):
    write_case(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(CaseError, match="not empty and has no sweep.json"):
        run_sweep(write_sweep(tmp_path, ""), tmp_path / "out", workers=0, quiet=True)


def _fake_outcome(calls: list, interrupt_at: int | None = None, crash_at: int | None = None):
    def fake(case, files, time_limit_s, shown=None, reuse=True):
        calls.append(case["name"])
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        if len(calls) == crash_at:
            raise RuntimeError("boom")
        kpis = {"co2_t": float(case["grid"]["import_limit_MW"])}
        return {"status": "ok", "error": "", "error_type": "", "solver_status": "optimal", "wall_s": 0.0,
                "files": {"kpis.json": json.dumps(kpis).encode()}}  # fmt: skip

    return fake


def test_batch_interrupted_run_leaves_whole_cases_and_resumes_the_rest(tmp_path, monkeypatch):
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[grid]\n"grid.import_limit_MW" = [4.0, 8.0, 12.0, 16.0]\n')
    calls: list[str] = []
    monkeypatch.setattr(batch, "run_case_files", _fake_outcome(calls, interrupt_at=3))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, tmp_path / "out", workers=0, quiet=True, isolate=False)
    cases = sorted(p.name for p in (tmp_path / "out" / "cases").iterdir())
    assert len(cases) == 2 and not any(name.startswith(".") for name in cases)
    assert not (tmp_path / "out" / "kpis.csv").exists()
    (tmp_path / "out" / "cases" / ".tmp-leftover").mkdir()  # as a killed run would leave it
    calls.clear()
    summary = run_sweep(sweep, tmp_path / "out", workers=0, quiet=True, isolate=False)
    assert calls == ["import_limit_MW=12", "import_limit_MW=16"]
    assert (summary.ran, summary.skipped, summary.ok) == (2, 2, 4)
    assert not (tmp_path / "out" / "cases" / ".tmp-leftover").exists()
    assert pd.read_csv(summary.kpis_csv)["co2_t"].tolist() == [4.0, 8.0, 12.0, 16.0]


def test_batch_unexpected_exception_recorded_and_retried_on_request(tmp_path, monkeypatch):
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[grid]\n"grid.import_limit_MW" = [4.0, 8.0]\n')
    calls: list[str] = []
    monkeypatch.setattr(batch, "run_case_files", _fake_outcome(calls, crash_at=1))
    summary = run_sweep(sweep, tmp_path / "out", workers=0, quiet=True, isolate=False)
    assert (summary.ok, summary.failed) == (1, 1)
    table = pd.read_csv(summary.kpis_csv, keep_default_na=False)
    assert table["error"].tolist() == ["RuntimeError: boom", ""]
    assert run_sweep(sweep, tmp_path / "out", workers=0, quiet=True, isolate=False).ran == 0
    retried = run_sweep(sweep, tmp_path / "out", workers=0, quiet=True, retry_failed=True, isolate=False)
    assert (retried.ran, retried.ok, retried.failed) == (1, 2, 0)


def test_batch_second_run_into_a_busy_directory_refused(tmp_path):
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, "")
    (tmp_path / "out").mkdir()
    batch._claim(tmp_path / "out", sweep, batch.expand_sweep(sweep))
    with batch._locked(tmp_path / "out"), pytest.raises(CaseError, match="another dhopt batch is writing"):
        run_sweep(sweep, tmp_path / "out", workers=0, quiet=True)


def test_batch_writes_a_comparison_report(swept):
    page = (swept[1].out_dir / "report.html").read_text()
    assert "<table" in page and "data:image/png;base64," in page
    for name in NAMES:  # every finished scenario is a row of the table
        assert name in page


def test_batch_cases_differing_in_prices_reuse_the_models_with_the_same_answers(tmp_path, monkeypatch):
    """One process, three price cases: the first builds, the others update its models in place."""
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, SCENARIOS.split('[[scenario]]\nname = "broken"')[0])  # the three that run
    monkeypatch.setattr(batch, "_MODELS", {})  # no model left by another test in this process
    reused = run_sweep(sweep, tmp_path / "reused", workers=0, quiet=True)
    fresh = run_sweep(sweep, tmp_path / "fresh", workers=0, quiet=True, reuse=False)
    warm, cold = pd.read_csv(reused.kpis_csv), pd.read_csv(fresh.kpis_csv)
    assert warm["reused_model"].tolist() == [False, True, True]
    assert not cold["reused_model"].any()
    for column in ("objective_EUR", "co2_t", "hp_capacity_MW", "reference_co2_t"):
        assert warm[column].to_numpy() == pytest.approx(cold[column].to_numpy(), rel=1e-6), column
    assert warm["objective_EUR"].nunique() == 3  # the prices matter


def test_a_case_that_kills_its_process_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    # the first case's process dies by SIGSEGV (as a solver crash); the batch records it with the signal,
    # runs the others in a new process, and a resume skips it unless asked to retry
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[grid]\n"grid.import_limit_MW" = [4.0, 8.0, 12.0]\n')
    monkeypatch.setattr(batch, "run_case_files", segfault_at_4_MW)  # a module function: it reaches the child
    summary = run_sweep(sweep, tmp_path / "out", workers=0, quiet=True)
    assert (summary.ran, summary.ok, summary.failed) == (3, 2, 1)
    table = pd.read_csv(summary.kpis_csv, keep_default_na=False).set_index("scenario")
    assert (
        table.loc["import_limit_MW=4", "error"]
        == "RuntimeError: the process running this case died: signal 11 (SIGSEGV)"
    )
    assert table.loc["import_limit_MW=8", "status"] == "ok" and table.loc["import_limit_MW=12", "status"] == "ok"
    status = json.loads(
        (summary.out_dir / "cases" / table.loc["import_limit_MW=4", "hash"] / "status.json").read_text()
    )
    assert status["error_type"] == "Crashed"
    assert run_sweep(sweep, tmp_path / "out", workers=0, quiet=True).ran == 0  # skipped on resume
    assert run_sweep(sweep, tmp_path / "out", workers=0, quiet=True, retry_failed=True).ran == 1


def test_a_case_that_kills_its_dask_worker_is_recorded_and_no_other_case_dies_with_it(tmp_path, monkeypatch):
    # one single-threaded worker: the 4 MW case kills it (SIGSEGV); it is recorded as crashed at once (not
    # tried on three more workers), and the cases after it run on the restarted worker (they used to be
    # cancelled with the worker's scattered input files, 'already forgotten')
    write_case(tmp_path)
    sweep = write_sweep(tmp_path, '[grid]\n"grid.import_limit_MW" = [4.0, 8.0, 12.0]\n')
    monkeypatch.setattr(batch, "run_case_files", segfault_at_4_MW)  # a module function: workers import it
    summary = run_sweep(sweep, tmp_path / "out", workers=1, quiet=True)
    table = pd.read_csv(summary.kpis_csv, keep_default_na=False).set_index("scenario")
    assert (summary.ok, summary.failed) == (2, 1), table["error"].to_dict()
    assert table.loc["import_limit_MW=4", "error"].startswith(
        "RuntimeError: the worker running this case was lost (KilledWorker: Attempted to run task"
    )
    assert "on 1 different workers" in table.loc["import_limit_MW=4", "error"]


def test_a_lost_dask_worker_is_recorded_as_a_crash_not_as_a_bug():
    class KilledWorker(Exception):  # noqa: N818 - the name distributed gives it
        pass

    lost = batch._lost(KilledWorker("Attempted to run task on 3 different workers, all of which died"))
    assert lost["error_type"] == "Crashed" and lost["status"] == "failed"
    assert lost["error"].startswith("RuntimeError: the worker running this case was lost (KilledWorker: Attempted")
    assert batch._lost(ValueError("a bug"))["error"] == "ValueError: a bug"
