"""Batch throughput (issue 4): the same sweep as a plain loop, in-process batch, and on Dask.

Six Ballerup cases of one week each (import limit x grid tariff) are run

* as a plain loop of `run_case` (no batch bookkeeping, no Dask, every model built),
* by `run_sweep(workers=0)` (the batch's hashing and atomic writes, no Dask), with every model
  built anew (``reuse=False``) and with models kept and updated in place (`dhopt.reuse`),
* by `run_sweep` on a LocalCluster of 1 and of 2 single-threaded workers, with and without reuse,

each into a fresh directory, and the cases per minute and Dask's overhead against the loop are
printed as a markdown snippet for benchmarks/README.md::

    python benchmarks/batch_throughput.py               # 6 cases x 168 h, ~3 min on 2 cores
    python benchmarks/batch_throughput.py --hours 8760  # the default sweep's full years, ~10 min
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from dhopt.batch import run_sweep
from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.run import run_case  # imported before timing: every contender starts warm in this process
from dhopt.sweep import expand_sweep, to_toml


def write_sweep(directory: Path, hours: int) -> Path:
    """A case file of `hours` hours and a 3 x 2 sweep over it."""
    (directory / "case.toml").write_text(
        f'name = "bench"\nnetwork = "{DEFAULT_NETWORK}"\n'
        f'timeseries = "{DEFAULT_TIMESERIES}"\n[horizon]\nhours = {hours}\n',
        encoding="utf-8",
    )
    sweep = directory / "bench.sweep.toml"
    sweep.write_text(
        'base = "case.toml"\n[grid]\n"grid.import_limit_MW" = [6.0, 9.0, 12.0]\n'
        '"grid.tariff_EUR_per_MWh" = [10.0, 30.0]\n',
        encoding="utf-8",
    )
    return sweep


def plain_loop(sweep: Path, directory: Path) -> float:
    """`run_case` on each expanded case, one after the other [s]."""
    start = time.perf_counter()
    for index, case in enumerate(expand_sweep(sweep)):
        path = directory / f"case_{index}.toml"
        path.write_text(to_toml(case.case), encoding="utf-8")
        run_case(path, directory / f"out_{index}")
    return time.perf_counter() - start


def batch(sweep: Path, out: Path, workers: int, reuse: bool) -> float:
    """`run_sweep` into a fresh directory [s]; every case must succeed."""
    summary = run_sweep(sweep, out, workers=workers, quiet=True, reuse=reuse)
    assert summary.ok == summary.total, f"{summary.failed} cases failed, see {summary.kpis_csv}"
    return summary.wall_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=168, help="hours per case (default 168)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dhopt-bench-") as tmp:
        root = Path(tmp)
        sweep = write_sweep(root, args.hours)
        cases = len(expand_sweep(sweep))
        (root / "loop").mkdir()
        timings = {"plain loop of run_case": plain_loop(sweep, root / "loop")}
        for workers in (0, 1, 2):
            where = "workers=0 (no Dask)" if workers == 0 else f"LocalCluster {workers} worker{'s' * (workers > 1)}"
            for reuse in (False, True):
                out = root / f"batch{workers}{'_reuse' * reuse}"
                timings[f"run_sweep, {where}, {'models reused' if reuse else 'built anew'}"] = batch(
                    sweep, out, workers, reuse
                )
    loop = timings["plain loop of run_case"]
    print(f"### Batch throughput: {cases} Ballerup cases of {args.hours} h\n")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| how | wall [s] | cases/min | vs plain loop |")
    print("|---|---:|---:|---:|")
    for name, seconds in timings.items():
        print(
            f"| {name} | {seconds:.1f} | {cases / seconds * 60:.1f} | {seconds - loop:+.1f} s ({seconds / loop - 1:+.0%}) |"
        )
    print(
        "\nDask's overhead is mostly fixed per run: starting the cluster, and each worker process importing "
        "dhopt (Pyomo, tsam, xarray) before its first case. With reuse, a worker builds its models for its first "
        "case only and updates them in place (costs, bounds, import limit) for the others."
    )


if __name__ == "__main__":
    main()
