"""Result files: the mode a plain open() gives, all or nothing, and one schema for writer and readers."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest
import xarray as xr
from builders import radial_zone, solved_result

from dhopt.errors import CaseError
from dhopt.files import digest, new_directory, write_atomically
from dhopt.planning.hydraulics import open_result
from dhopt.report.files import write_file
from dhopt.report.load import load_result
from dhopt.results import write_results
from dhopt.schema import KPIS_JSON, MANIFEST_JSON, RESULT_FILES, RESULTS_NC, VARIABLES, dataset_problems

TEMPERATURES = {"supply_max_degC": 80.0, "return_degC": 40.0}


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory):
    """A solved four-hour result of the small radial network (as ``dhopt run --out``)."""
    return solved_result(tmp_path_factory.mktemp("result"), *radial_zone(), 4, TEMPERATURES)


def _restamp(folder) -> None:
    """Make `folder`'s manifest vouch for the files now in it."""
    files = {name: digest(folder / name) for name in RESULT_FILES}
    (folder / MANIFEST_JSON).write_text(json.dumps({"run_id": "test", "files": files}))


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_open_gives_under_the_umask(result_dir, tmp_path, umask, mode):
    result = load_result(result_dir)
    previous = os.umask(umask)
    try:
        written = write_results(tmp_path / "out", result.dataset, result.kpis, result.design)
        report = write_file(tmp_path / "report.html", b"<html></html>")
        staged = new_directory(tmp_path, ".tmp-")  # a batch case folder before its rename
    finally:
        os.umask(previous)
    assert _mode(staged) == mode | (0o111 & ~umask) and staged.name.startswith(".tmp-")
    assert [p.name for p in written] == [*RESULT_FILES, MANIFEST_JSON]
    assert {p.name: _mode(p) for p in written} == dict.fromkeys([*RESULT_FILES, MANIFEST_JSON], mode)
    assert _mode(report) == mode


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "kpis.json"
    target.write_text("old")

    def fail(temporary: str) -> None:
        with open(temporary, "w") as handle:
            handle.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, fail)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["kpis.json"]


def test_a_written_result_matches_the_schema(result_dir):
    with xr.open_dataset(result_dir / RESULTS_NC, engine="h5netcdf") as ds:
        assert dataset_problems(ds, result_dir / RESULTS_NC) == []
        assert set(VARIABLES) <= set(ds.variables)


def test_the_writer_refuses_a_dataset_the_readers_would_refuse(result_dir, tmp_path):
    result = load_result(result_dir)
    with pytest.raises(ValueError, match=r"results\.nc: missing variable\(s\) link_model_pipe$"):
        write_results(tmp_path / "out", result.dataset.drop_vars("link_model_pipe"), result.kpis, result.design)
    assert not (tmp_path / "out").exists()


def test_readers_name_the_file_and_what_is_missing(result_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(result_dir, broken)
    with xr.open_dataset(result_dir / RESULTS_NC, engine="h5netcdf") as ds:
        stored = ds.load()
    stored.drop_vars(["pipe_flow_MW"]).assign(cop=stored["cop"].T).to_netcdf(broken / RESULTS_NC, engine="h5netcdf")
    _restamp(broken)  # as an older dhopt's complete folder would be
    with pytest.raises(CaseError) as report:
        load_result(broken)
    assert report.value.problems == [
        f"{broken / RESULTS_NC}: missing variable(s) pipe_flow_MW; written by an older dhopt? run dhopt run --out again",
        f"{broken / RESULTS_NC}: variable 'cop': dims ('time', 'source'), units 1; expected ('source', 'time'), 1; "
        "written by an older dhopt? run dhopt run --out again",
    ]
    with pytest.raises(CaseError, match=r"missing variable\(s\) pipe_flow_MW;") as hydraulics:
        open_result(broken)
    assert len(hydraulics.value.problems) == 1


def test_a_missing_result_directory_or_file_is_one_line_each(tmp_path):
    with pytest.raises(CaseError) as nowhere:
        open_result(tmp_path / "nowhere")
    assert nowhere.value.problems == [
        f"{tmp_path / 'nowhere'}: no such result directory; write one with dhopt run CASE --out DIR"
    ]
    with pytest.raises(CaseError) as empty:
        load_result(tmp_path)
    assert empty.value.problems == [
        f"{tmp_path / name}: missing; write it with dhopt run CASE --out {tmp_path}" for name in RESULT_FILES
    ]


def test_a_folder_with_files_of_two_runs_or_a_stopped_write_is_refused(result_dir, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(result_dir, mixed)
    figures = json.loads((mixed / KPIS_JSON).read_text())
    (mixed / KPIS_JSON).write_text(json.dumps({**figures, "annual_cost_EUR": 1.0}))  # another run's kpis.json
    with pytest.raises(CaseError) as refused:
        load_result(mixed)
    assert refused.value.problems == [
        f"{mixed / KPIS_JSON}: not the file its run wrote (manifest {mixed / MANIFEST_JSON}): files of different "
        f"runs; run dhopt run CASE --out {mixed} again"
    ]
    (mixed / MANIFEST_JSON).unlink()  # as a run killed while writing leaves it
    with pytest.raises(CaseError, match=r"manifest\.json: missing, so the results are incomplete"):
        open_result(mixed)


def test_a_rewrite_removes_what_a_killed_writer_left_and_marks_the_set_anew(result_dir, tmp_path):
    result = load_result(result_dir)
    out = tmp_path / "out"
    write_results(out, result.dataset, result.kpis, result.design)
    first = json.loads((out / MANIFEST_JSON).read_text())
    (out / ".results.nc.0123456789ab.tmp").write_bytes(b"half a file")  # SIGKILL during a write
    write_results(out, result.dataset, result.kpis, result.design)
    assert sorted(p.name for p in out.iterdir()) == sorted([*RESULT_FILES, MANIFEST_JSON])
    again = json.loads((out / MANIFEST_JSON).read_text())
    assert again["run_id"] != first["run_id"] and again["files"] == first["files"]
    assert load_result(out).kpis == result.kpis


def test_an_output_that_cannot_be_written_is_refused_before_the_solve(tmp_path):
    from builders import campus, consumer, existing, write_case, write_network, write_series

    from dhopt.run import run_case

    nodes = [("S", 0, 0, campus()), ("C", 10, 0, consumer(1.0))]
    case = write_case(tmp_path, write_network(tmp_path, nodes, [("P", "S", "C", existing(100, 10.0))]),
                      write_series(tmp_path, 2), 2)  # fmt: skip
    afile = tmp_path / "afile"
    afile.write_text("")
    for out, expected in [
        (afile, f"--out {afile}: expected a folder for the results, got an existing file"),
        (afile / "sub", f"--out {afile / 'sub'}: cannot write there (Not a directory)"),
    ]:
        phases = []
        with pytest.raises(CaseError) as refused:
            run_case(case, out, progress=phases.append)
        assert refused.value.problems == [expected]
        assert not any(line.startswith("solve") for line in phases)  # nothing was solved


def test_a_write_that_fails_after_the_solve_is_one_line_and_leaves_no_manifest(result_dir, tmp_path, monkeypatch):
    result = load_result(result_dir)
    import dhopt.results as results

    monkeypatch.setattr(results, "free_bytes", lambda directory: 1000)
    with pytest.raises(CaseError, match=r"out: 0 MB free, the results need about [0-9.]+ MB$"):
        write_results(tmp_path / "out", result.dataset, result.kpis, result.design)

    def full_disk(self, path, **kwargs):
        raise RuntimeError("NetCDF: HDF error (No space left on device)")

    monkeypatch.undo()
    monkeypatch.setattr(xr.Dataset, "to_netcdf", full_disk)
    with pytest.raises(CaseError) as failed:
        write_results(tmp_path / "full", result.dataset, result.kpis, result.design)
    assert failed.value.problems == [
        f"{tmp_path / 'full'}: cannot write the results (NetCDF: HDF error (No space left on device)); free space or "
        "choose another --out"
    ]
    assert list((tmp_path / "full").iterdir()) == []
