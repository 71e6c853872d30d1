"""Run every case of a sweep on dask.distributed; each result written atomically; resumable.

``OUT/`` after `run_sweep`::

    sweep.json              what this directory holds (the sweep's identity); another sweep is refused
    cases/<hash>/           one complete directory per finished case, or none: results.nc,
                            design.csv, kpis.json, manifest.json (as ``dhopt run --out``), case.toml, status.json
    kpis.csv                one row per case: name, hash, status, error, parameters, every KPI
    combined.nc             the same with a ``scenario`` dimension (hourly series with keep_hourly)

Workers get the case and the bytes of its input files and send back the bytes of its results,
so a remote cluster (``scheduler=``) needs dhopt installed but no shared file system.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd
import xarray as xr

from dhopt.errors import CaseError, DhoptError
from dhopt.files import new_directory, write_atomically
from dhopt.sweep import SweepCase, expand_sweep, input_files, portable_case, sweep_identity, to_toml

if TYPE_CHECKING:
    from dhopt.solve import SolveOptions

STATUS = "status.json"
LOCAL_SCHEDULER = {  # a local worker runs one case at a time: the case running when it dies killed it
    "distributed.scheduler.allowed-failures": 0,  # recorded as crashed at once, not run on 3 more workers
    "distributed.scheduler.worker-saturation": 1.0,  # no case queued on a worker, so none dies with it
}


@dataclass(frozen=True)
class SweepSummary:
    """What a `run_sweep` call did and where the combined results are."""

    total: int  # cases in the sweep
    ran: int  # cases run by this call
    skipped: int  # cases whose result was already in OUT (resume)
    ok: int  # cases with a result, this call or before
    failed: int  # cases recorded as failed, this call or before
    wall_s: float  # time of this call [s]
    out_dir: Path
    kpis_csv: Path
    combined_nc: Path


_MODELS: dict[str, Any] = {}  # this process's `dhopt.reuse.ModelCache`, kept between the cases it runs


def run_case_files(
    case: dict[str, Any],
    files: dict[str, bytes],
    options: SolveOptions | None,
    shown: dict[str, str] | None = None,
    reuse: bool = True,
) -> dict[str, Any]:
    """Run one case in a private temporary directory (the task a worker runs).

    ``case`` is a `dhopt.sweep.portable_case` (its files under ``inputs/``); ``files`` maps the
    portable names of `dhopt.sweep.input_files` to their bytes; ``options``: HiGHS settings
    (default `SolveOptions()`, one thread). Returns the
    status (``ok``/``failed``), the error of a `DhoptError`, the wall time [s] and the bytes of
    the result files. ``shown`` names the files in error messages (``case.toml`` and each
    ``inputs/<portable name>`` -> what the user knows them as). Other exceptions propagate: they
    are bugs, recorded by the caller. ``reuse``: keep this process's built models for its next
    case and update them in place when only parameters differ (`dhopt.reuse`).
    """
    from dhopt.reuse import ModelCache
    from dhopt.run import run_case
    from dhopt.solve import SolveOptions

    cache = _MODELS.setdefault("cache", ModelCache()) if reuse else None
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dhopt-case-") as tmp:
        root = Path(tmp)
        for name, data in files.items():
            (root / "inputs" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "inputs" / name).write_bytes(data)
        (root / "case.toml").write_text(to_toml(case), encoding="utf-8")
        outcome: dict[str, Any] = {
            "status": "ok", "error": "", "error_type": "", "solver_status": "", "reused_model": False, "files": {}
        }  # fmt: skip
        try:
            result = run_case(root / "case.toml", root / "out", options or SolveOptions(), cache=cache)
            outcome["solver_status"] = result.solve.status
            outcome["reused_model"] = result.solve.reused
            outcome["files"] = {p.name: p.read_bytes() for p in result.written}
        except DhoptError as error:
            text = " | ".join(error.problems)
            for name, label in (shown or {}).items():
                for prefix in {str(root), str(root.resolve())}:
                    text = text.replace(f"{prefix}/{name}", label)
            outcome.update(status="failed", error=text, error_type=type(error).__name__)
        outcome["wall_s"] = time.perf_counter() - start
        return outcome


def _shown(sweep_path: Path, case: SweepCase) -> dict[str, str]:
    """Error messages name the sweep and the user's files, not a worker's temporary copies."""
    files = {f"inputs/{name}": str(path) for name, path in input_files(case.case).items()}
    network = portable_case(case.case)["network"]
    return {"case.toml": f"{sweep_path} (case '{case.name}')", network: case.case["network"], **files}


def _crash(error: BaseException) -> dict[str, Any]:
    text = str(error).strip().splitlines()
    return {
        "status": "failed",
        "error": f"{type(error).__name__}: {text[0] if text else 'no message'}",
        "error_type": type(error).__name__,
        "solver_status": "",
        "files": {},
        "wall_s": float("nan"),
    }


def _store(cases_dir: Path, case: SweepCase, outcome: dict[str, Any]) -> None:
    """Write a case directory under a temporary name, then rename it into place: complete or absent."""
    final = cases_dir / case.hash
    staging = new_directory(cases_dir, f".tmp-{case.hash[:16]}-")
    try:
        for name, data in outcome["files"].items():
            (staging / name).write_bytes(data)
        (staging / "case.toml").write_text(to_toml(case.case), encoding="utf-8")
        status = {k: v for k, v in outcome.items() if k != "files"}
        status.update(name=case.name, hash=case.hash, scenario=case.scenario, overrides=case.overrides)
        (staging / STATUS).write_text(json.dumps(status, indent=2, allow_nan=True) + "\n", encoding="utf-8")
        if final.exists():  # a failed case being retried: the old record goes only once the new is whole
            old = new_directory(cases_dir, f".old-{case.hash[:16]}-")
            os.replace(final, old)
            os.replace(staging, final)
            shutil.rmtree(old)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _claim(out: Path, sweep_path: Path, cases: list[SweepCase]) -> None:
    """Record the sweep in OUT/sweep.json, or refuse an OUT that holds anything else."""
    record = out / "sweep.json"
    identity = sweep_identity(cases)
    if record.is_file():
        held = json.loads(record.read_text(encoding="utf-8"))
        if held.get("identity") != identity:
            raise CaseError(
                f"{out}: holds results of another sweep ({held.get('sweep')}, identity {held.get('identity', '?')[:12]}), "
                f"not of {sweep_path} (identity {identity[:12]}); use another --out or delete {out}"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise CaseError(f"{out}: not empty and has no sweep.json; expected an empty or a dhopt batch directory")
    out.mkdir(parents=True, exist_ok=True)
    content = {
        "sweep": str(sweep_path.resolve()),
        "sweep_file_sha256": hashlib.sha256(sweep_path.read_bytes()).hexdigest(),
        "identity": identity,
        "cases": {c.name: c.hash for c in cases},
    }
    write_atomically(record, lambda p: Path(p).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8"))


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold OUT/.lock for the run: a second batch into the same OUT is refused, not interleaved.

    The lock (``flock``) goes with the process, so a killed run leaves no stale lock."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(out / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CaseError(
                f"{out}: another dhopt batch is writing into this directory; wait for it or use another --out"
            ) from None
        yield


def _finished(cases_dir: Path, case: SweepCase) -> dict[str, Any] | None:
    path = cases_dir / case.hash / STATUS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


class _Progress:
    """One text line: done / failed / remaining and the time left at the rate so far."""

    def __init__(self, total: int, stream: TextIO | None):
        self.total, self.stream, self.ok, self.failed = total, stream, 0, 0
        self.start = time.perf_counter()
        self.live = stream is not None and stream.isatty()

    def update(self, status: str | None = None) -> None:
        self.ok += status == "ok"
        self.failed += status == "failed"
        if self.stream is None:
            return
        finished = self.ok + self.failed
        elapsed = time.perf_counter() - self.start
        eta = _clock(elapsed / finished * (self.total - finished)) if finished else "?"
        line = (
            f"batch: {finished}/{self.total} [{self.ok} done, {self.failed} failed, {self.total - finished} remaining]"
            f" {_clock(elapsed)} elapsed, ETA {eta}"
        )
        print(f"\r{line:<90}" if self.live else line, end="" if self.live else "\n", file=self.stream, flush=True)

    def close(self) -> None:
        if self.live:
            print(file=self.stream)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"


@contextmanager
def _client(workers: int | None, scheduler: str | None, todo: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    import dask

    dashboard = ":0" if importlib.util.find_spec("bokeh") else None
    n_workers = max(1, min(workers or os.cpu_count() or 1, todo))
    nanny_log = logging.getLogger("distributed.nanny")
    level = nanny_log.level
    try:
        with (
            dask.config.set(LOCAL_SCHEDULER),
            LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=dashboard
            ) as cluster,
        ):
            try:
                with Client(cluster) as client:
                    yield client
            finally:  # a worker slow to exit (about 1 s of interpreter teardown) is killed after 4 s: harmless
                nanny_log.setLevel(logging.ERROR)
    finally:
        nanny_log.setLevel(level)


def _by_structure(cases: list[SweepCase]) -> list[SweepCase]:
    """Cases that differ only in parameters (`dhopt.reuse.PARAMETER_FIELDS`) next to each other, so a
    worker's next case can often reuse its built models."""
    from dhopt.reuse import structural_case

    return sorted(cases, key=lambda case: json.dumps(structural_case(case.case), sort_keys=True))


def _run_dask(sweep_path, todo, out, options, workers, scheduler, progress, stream, reuse) -> None:
    from distributed import as_completed

    with _client(workers, scheduler, len(todo)) as client:
        if stream is not None:
            where = scheduler or f"a LocalCluster of {len(client.scheduler_info()['workers'])} workers"
            dashboard = f", dashboard {client.dashboard_link}" if importlib.util.find_spec("bokeh") else ""
            print(f"batch: {len(todo)} cases to run on {where}{dashboard}", file=stream)
        futures, run_id = {}, uuid.uuid4().hex[:8]
        shipped = _ship_inputs(client, todo, run_id)

        def submit(case: SweepCase):
            files = {name: shipped[p] for name, p in input_files(case.case).items()}
            args = (portable_case(case.case), files, options, _shown(sweep_path, case), reuse)
            future = client.submit(run_case_files, *args, key=f"dhopt-case-{case.hash[:16]}-{run_id}")
            futures[future] = case
            return future

        # as many cases in flight as the cluster has threads: a worker holds only the case it runs, so a
        # case that kills it is the only one lost with it
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        waiting = iter(todo)
        try:
            running = as_completed([submit(case) for case in itertools.islice(waiting, max(1, threads))])
            for future in running:
                try:
                    outcome = future.result()
                except Exception as error:  # worker crash (KilledWorker), a cancelled task, or a bug
                    outcome = _lost(error)
                _store(out / "cases", futures.pop(future), outcome)
                progress.update(outcome["status"])
                if (case := next(waiting, None)) is not None:
                    running.add(submit(case))
        except BaseException:
            client.cancel(list(futures))
            raise


def _bytes(data: bytes) -> bytes:
    return data


def _ship_inputs(client, todo: list[SweepCase], run_id: str) -> dict[Path, Any]:
    """Each input file once on the cluster, as the result of a task that holds its bytes: a worker lost
    with a copy (a case that crashed it) costs a recomputation from the scheduler's copy, not the
    other cases (scattered data has no such recipe: its loss cancelled every case that needed it)."""
    paths = sorted({p for case in todo for p in input_files(case.case).values()})
    return {
        p: client.submit(_bytes, p.read_bytes(), key=f"dhopt-input-{i}-{run_id}", pure=False)
        for i, p in enumerate(paths)
    }


def _run_loop(sweep_path, todo, out, options, progress, reuse, isolate: bool) -> None:
    """The cases one after the other: in one child process (`_CaseProcess`), or with `isolate` false in
    this one (a crash of the solver then ends the batch)."""
    with _CaseProcess() if isolate else ExitStack() as runner:
        for case in todo:
            files = {name: p.read_bytes() for name, p in input_files(case.case).items()}
            task = (portable_case(case.case), files, options, _shown(sweep_path, case), reuse)
            outcome = runner.run(task) if isolate else _in_process(task)
            _store(out / "cases", case, outcome)
            progress.update(outcome["status"])


def _in_process(task: tuple) -> dict[str, Any]:
    try:
        return run_case_files(*task)
    except Exception as error:  # a bug in one case should not stop the others
        return _crash(error)


class _CaseProcess:
    """One child process that runs cases one after another (keeping its built models between them), so
    a case that crashes the process (a segfault in the solver, the out-of-memory killer) takes down only
    that process: the case is recorded as crashed with its signal, the next one gets a fresh process."""

    def __enter__(self) -> _CaseProcess:
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._connection.send(None)  # the child's loop ends
        except OSError:
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()

    def _start(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or solver state copied
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, run_case_files), daemon=True)
        self._process.start()
        child.close()

    def run(self, task: tuple) -> dict[str, Any]:
        """The outcome of `run_case_files(*task)` in the child; a crash recorded when the child dies."""
        try:
            self._connection.send(task)
            return self._connection.recv()
        except (EOFError, OSError):
            self._process.join()
            outcome = _died(self._process.exitcode)
            self._start()
            return outcome


def _serve(connection, runner) -> None:
    """The child's loop: run each task sent, send back its outcome (a bug in one case is recorded)."""
    while (task := connection.recv()) is not None:
        try:
            outcome = runner(*task)
        except Exception as error:
            outcome = _crash(error)
        connection.send(outcome)


def _lost(error: BaseException) -> dict[str, Any]:
    """The record of a Dask task that did not return: a lost worker (killed, crashed, or its task
    cancelled with it) is recorded as crashed; any other exception as the bug it is."""
    name = type(error).__name__
    if name in ("KilledWorker", "CancelledError", "FutureCancelledError", "CommClosedError"):
        text = f"the worker running this case was lost ({name}: {str(error).strip().splitlines()[0] if str(error).strip() else 'no message'})"
        return {**_crash(RuntimeError(text)), "error_type": "Crashed"}
    return _crash(error)


def _died(exitcode: int | None) -> dict[str, Any]:
    """The record of a case whose process died: by which signal, or with which exit code."""
    import signal

    if exitcode is not None and exitcode < 0:
        how = f"signal {-exitcode} ({signal.Signals(-exitcode).name})"
    else:
        how = f"exit code {exitcode}"
    return {**_crash(RuntimeError(f"the process running this case died: {how}")), "error_type": "Crashed"}


def run_sweep(
    sweep_path: str | Path,
    out_dir: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    options: SolveOptions | None = None,
    keep_hourly: bool = False,
    retry_failed: bool = False,
    quiet: bool = False,
    reuse: bool = True,
    isolate: bool = True,
) -> SweepSummary:
    """Run every case of a sweep not yet in ``out_dir`` and combine all results.

    ``workers``: processes of the local Dask cluster (default: one per core); ``0`` runs the
    cases one after the other without Dask, in one child process that a crashing case takes down alone
    (it is recorded as crashed with its signal and the next case gets a new process), or with
    ``isolate`` false in this process. ``scheduler``: address of an
    existing Dask scheduler instead. ``options``: HiGHS settings of each case (`run_case_files`). Cases with a
    result (ok or failed) are skipped, failed ones are run again with ``retry_failed``.
    ``quiet``: no progress line and no summary on stdout. ``reuse``: each worker keeps its built
    models and updates them in place for a case that differs only in parameters (`dhopt.reuse`).
    """
    start = time.perf_counter()
    stream = None if quiet else sys.stdout
    sweep_path = Path(sweep_path)
    cases = expand_sweep(sweep_path)
    out = Path(out_dir) if out_dir is not None else sweep_path.with_name(sweep_path.name.split(".")[0] + ".batch")
    _claim(out, sweep_path, cases)
    with _locked(out):
        todo = _by_structure(_pending(out / "cases", cases, retry_failed, stream))
        progress = _Progress(len(todo), stream)
        try:
            if todo and workers == 0 and not scheduler:
                _run_loop(sweep_path, todo, out, options, progress, reuse, isolate)
            elif todo:
                _run_dask(sweep_path, todo, out, options, workers, scheduler, progress, stream, reuse)
        finally:
            progress.close()
        kpis_csv, combined_nc = combine(out, cases, keep_hourly)
        report_html = _batch_report(kpis_csv, out / "report.html")
    statuses = [(_finished(out / "cases", c) or {}).get("status") for c in cases]
    summary = SweepSummary(
        total=len(cases),
        ran=len(todo),
        skipped=len(cases) - len(todo),
        ok=statuses.count("ok"),
        failed=statuses.count("failed"),
        wall_s=time.perf_counter() - start,
        out_dir=out,
        kpis_csv=kpis_csv,
        combined_nc=combined_nc,
    )
    if stream is not None:
        print(
            f"batch: {summary.ok} ok, {summary.failed} failed of {summary.total} in {summary.wall_s:.0f} s", file=stream
        )
        print(f"kpis: {kpis_csv}\ncombined: {combined_nc}\nreport: {report_html}", file=stream)
    return summary


def _pending(cases_dir: Path, cases: list[SweepCase], retry_failed: bool, stream: TextIO | None) -> list[SweepCase]:
    """Cases without a complete directory (or failed ones, with ``retry_failed``); clears what a
    killed run left half-written."""
    cases_dir.mkdir(exist_ok=True)
    for stale in [*cases_dir.glob(".tmp-*"), *cases_dir.glob(".old-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    records = {c.hash: _finished(cases_dir, c) for c in cases}
    todo = [c for c in cases if records[c.hash] is None or (retry_failed and records[c.hash]["status"] != "ok")]
    if stream is not None and len(todo) < len(cases):
        print(
            f"batch: {len(cases) - len(todo)} of {len(cases)} cases already in {cases_dir.parent}, skipped", file=stream
        )
    return todo


def _column(values: list[Any]) -> np.ndarray:
    """Parameter values as one NetCDF-friendly array: float (None -> NaN) or text."""
    if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
        return np.array([np.nan if v is None else float(v) for v in values])
    return np.array([v if isinstance(v, str) else json.dumps(v) for v in values], dtype=str)


def _table(out: Path, cases: list[SweepCase]) -> pd.DataFrame:
    parameters = list(dict.fromkeys(k for c in cases for k in c.overrides))
    rows = []
    for case in cases:
        status = _finished(out / "cases", case) or {"status": "missing", "error": "not run (interrupted)"}
        kpi_file = out / "cases" / case.hash / "kpis.json"
        figures = json.loads(kpi_file.read_text(encoding="utf-8")) if kpi_file.is_file() else {}
        row = {"scenario": case.name, "hash": case.hash, "status": status["status"], "error": status.get("error", "")}
        row.update(scenario_set=case.scenario or "", solver_status=status.get("solver_status", ""))
        row["wall_s"] = status.get("wall_s", float("nan"))
        row["reused_model"] = bool(status.get("reused_model", False))
        for key in parameters:  # the value the case ran with, overridden or from the base
            *sections, field = key.split(".")
            table = case.case
            for section in sections:
                table = table[section]
            row[key] = table.get(field)
        rows.append(row | figures)
    frame = pd.DataFrame(rows)
    for key in parameters:
        frame[key] = _column(frame[key].tolist())
    return frame


def _hourly(out: Path, frame: pd.DataFrame, files: ExitStack) -> xr.Dataset:
    """Variables with a time dimension of every solved case, stacked along `scenario` (lazily;
    the files stay open in ``files`` until the caller has written the result)."""
    parts = []
    for name, digest in frame.loc[frame["status"] == "ok", ["scenario", "hash"]].itertuples(index=False):
        path = out / "cases" / digest / "results.nc"
        ds = files.enter_context(xr.open_dataset(path, engine="h5netcdf", chunks={}))
        hourly = ds[[v for v in ds.data_vars if "time" in ds[v].dims]]
        hourly.attrs = {}
        parts.append(hourly.expand_dims(scenario=[name]))
    if not parts:
        return xr.Dataset()
    stacked = xr.concat(parts, dim="scenario", join="outer", data_vars="all", coords="minimal", compat="override")
    return stacked.reindex(scenario=frame["scenario"].to_numpy())


def _batch_report(kpis_csv: Path, out: Path) -> Path:
    """The sweep's comparison charts and sortable table (`dhopt.report.write_batch_report`)."""
    from dhopt.report import write_batch_report

    return write_batch_report(pd.read_csv(kpis_csv), out)


def combine(out: Path, cases: list[SweepCase], keep_hourly: bool = False) -> tuple[Path, Path]:
    """Write OUT/kpis.csv and OUT/combined.nc from the case directories (each written atomically)."""
    frame = _table(out, cases)
    kpis_csv, combined_nc = out / "kpis.csv", out / "combined.nc"
    write_atomically(kpis_csv, lambda p: frame.to_csv(p, index=False))
    labels = ["hash", "status", "error", "scenario_set", "solver_status"]
    parameters = [k for k in frame.columns if k in {key for c in cases for key in c.overrides}]
    figures = [k for k in frame.columns if k not in {"scenario", "wall_s", "reused_model", *labels, *parameters}]
    combined = xr.Dataset(
        {k: ("scenario", frame[k].to_numpy(dtype=float)) for k in ["wall_s", *figures]}
        | {"reused_model": ("scenario", frame["reused_model"].to_numpy(dtype=bool))},
        coords={"scenario": frame["scenario"].to_numpy(dtype=str)}
        | {k: ("scenario", frame[k].fillna("").to_numpy(dtype=str)) for k in labels}
        | {k: ("scenario", frame[k].to_numpy()) for k in parameters},
        attrs={"sweep": json.loads((out / "sweep.json").read_text(encoding="utf-8"))["sweep"]},
    )
    with ExitStack() as files:
        if keep_hourly:
            combined = combined.merge(_hourly(out, frame, files))
        write_atomically(combined_nc, lambda p: combined.to_netcdf(p, engine="h5netcdf"))
    return kpis_csv, combined_nc
