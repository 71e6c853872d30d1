"""Benchmark dhopt phase by phase against HiGHS alone (issue 3, item 5).

    python benchmarks/run.py [--quick] [--out benchmarks/results] [--only NAME ...] [--no-readme]

Each case runs in a fresh Python process (benchmarks/phases.py), so its peak resident memory
(``ru_maxrss``) is its own, timed phase by phase as `dhopt.run.run_case` runs it. The model dhopt
solves last (the dispatch LP of a two-stage case, else the MILP) is written once as MPS and solved by
HiGHS alone in another fresh process (readModel, threads = 1, same gap and time limit): overhead =
dhopt ÷ HiGHS alone on the same model.

Results go to ``OUT/<timestamp>.csv`` and ``.json``; the table between the markers in
``benchmarks/README.md`` is regenerated (benchmarks/report.py). A case that raises is recorded with
its error and the run goes on; a case running past ``--case-timeout`` seconds is killed and recorded
as ``timeout`` with the phases it finished.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402
from phases import PHASES, STAGE, TO_SOLUTION, dhopt_source_hash  # noqa: E402
from report import README, markdown, write_outputs  # noqa: E402

from dhopt.data import DEFAULT_CASE  # noqa: E402

TOPOTHERM = REPO / "networks" / "topotherm_district.nodes.csv"
ECONOMIC_HEAT_PRICE_EUR_PER_MWH = 60.0  # what a consumer pays for heat: connected only where it covers the cost
CASE_TIMEOUT_S = 1500.0  # a case (dhopt or HiGHS alone) running longer is killed and recorded


# ------------------------------------------------------------------------------------------ cases
def cases(quick: bool) -> list[dict]:
    """The benchmark cases; the full run adds the growth curve, bigger designs and the re-solve."""
    peak = synthetic.peak_day_start_hour()
    listed = [
        dict(name="default", source="default", raw=True),
        dict(name="synthetic_existing_1000", source="synthetic", homes=1000, flavour="existing", raw=True),
        dict(
            name="synthetic_candidate_500_peakday",
            source="synthetic",
            homes=500,
            flavour="candidate",
            hours=24,
            start_hour=peak,
            time_limit_s=30.0,
            raw=not quick,
        ),
        dict(
            name="topotherm_peakhour",  # issue 3: one peak snapshot, all consumers, <= 1 % in <= 20 s
            source="topotherm",
            hours=1,
            start_hour=peak + int(_peak_hour_of_day()),
            time_limit_s=20.0,
            mip_gap=0.01,
            raw=not quick,  # HiGHS alone on a time-limited MILP takes the whole limit again
        ),
    ]
    if quick:
        return listed
    listed += [
        dict(name=f"synthetic_existing_{homes}", source="synthetic", homes=homes, flavour="existing", raw=True)
        for homes in (100, 2000, 5000, 20000)
    ]
    listed += [
        dict(
            name="synthetic_candidate_2000_peakday",
            source="synthetic",
            homes=2000,
            flavour="candidate",
            hours=24,
            start_hour=peak,
            time_limit_s=300.0,
            raw=True,
        ),
        dict(
            name="topotherm_peakday_300s",
            source="topotherm",
            hours=24,
            start_hour=peak,
            time_limit_s=300.0,
            raw=True,
        ),
        dict(
            name="topotherm_peakhour_300s",
            source="topotherm",
            hours=1,
            start_hour=peak + int(_peak_hour_of_day()),
            time_limit_s=300.0,
            raw=True,
        ),
        dict(
            name="topotherm_peakhour_econ",  # issue 3: economic connection, <= 1 % in <= 120 s
            source="topotherm",
            hours=1,
            start_hour=peak + int(_peak_hour_of_day()),
            time_limit_s=120.0,
            mip_gap=0.01,
            demand={"connect_all": False, "unmet_penalty_EUR_per_MWh": ECONOMIC_HEAT_PRICE_EUR_PER_MWH},
            raw=True,
        ),
        dict(
            name="topotherm_peakday",
            source="topotherm",
            hours=24,
            start_hour=peak,
            time_limit_s=60.0,
            mip_gap=0.01,
            raw=True,
        ),
        dict(name="resolve_default", source="default", kind="resolve"),
    ]
    return listed


def _peak_hour_of_day() -> int:
    import pandas as pd

    share = pd.read_csv(synthetic.SERIES)["residential"].to_numpy()
    return int(share.argmax()) % 24


def write_case_file(spec: dict, work: Path) -> Path:
    """The case TOML of `spec` (generated into `work` unless it is the default case)."""
    if spec["source"] == "default":
        return DEFAULT_CASE
    hours, start = spec.get("hours", 8760), spec.get("start_hour", 0)
    if spec["source"] == "synthetic":
        return synthetic.write_district(work, spec["homes"], spec["flavour"], spec.get("seed", 0), hours, start)
    if spec["source"] == "topotherm":
        return synthetic.write_case(work, TOPOTHERM, spec["name"], hours, start, demand=spec.get("demand"))
    raise ValueError(f"case {spec['name']}: unknown source {spec['source']!r}")


# ------------------------------------------------------------------------------- worker (one case)
# ----------------------------------------------------------------------------------------- parent
def _spawn(mode: str, spec: dict, work: Path, timeout_s: float) -> tuple[dict | None, str | None, float]:
    """Run this script as `mode` worker on `spec` in a fresh process; (result, problem, wall)."""
    spec_path = work / f"{spec['name']}.{mode}.spec.json"
    result_path = work / f"{spec['name']}.{mode}.result.json"
    spec_path.write_text(json.dumps(spec))
    result_path.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "phases.py"), mode, str(spec_path), str(result_path)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        problem = None if done.returncode == 0 else f"exit code {done.returncode}: {done.stderr.strip()[-300:]}"
    except subprocess.TimeoutExpired:
        problem = f"timeout: killed after {timeout_s:.0f} s"
    wall = time.perf_counter() - start
    result = json.loads(result_path.read_text()) if result_path.exists() and result_path.stat().st_size else None
    return result, problem, wall


def run_case_spec(spec: dict, work: Path, timeout_s: float) -> dict:
    """Generate the case, run dhopt on it, then HiGHS alone on its MPS; one flat-ish record."""
    start = time.perf_counter()
    try:
        spec["case_path"] = str(write_case_file(spec, work))
    except Exception as error:
        return {"name": spec["name"], "status": "error", "message": f"generating the case: {error}", "phases": {}}
    generate_s = time.perf_counter() - start
    spec["mps_path"] = str(work / f"{spec['name']}.mps")
    record, problem, wall = _spawn("worker", spec, work, timeout_s)
    record = record or {"name": spec["name"], "phases": {}}
    record.update(spec=spec, generate_s=generate_s, process_wall_s=wall)
    if problem:
        record["status"] = "timeout" if problem.startswith("timeout") else "crashed"
        record["message"] = problem
    phases = record.get("phases", {})
    record["e2e_s"] = sum(phases.get(p, 0.0) for p in PHASES)
    record["to_solution_s"] = sum(phases.get(p, 0.0) for p in TO_SOLUTION)
    record["stage_s"] = sum(phases.get(p, 0.0) for p in STAGE)
    if spec.get("raw") and Path(spec["mps_path"]).exists() and record.get("status") not in ("error", "crashed"):
        raw, raw_problem, _ = _spawn("raw", spec, work, timeout_s)
        record["raw"] = raw or {"status": raw_problem}
        if raw and raw["solve_s"] > 0:
            record["overhead_e2e"] = record["e2e_s"] / raw["solve_s"]
            record["overhead_stage"] = record["stage_s"] / raw["solve_s"]
        Path(spec["mps_path"]).unlink(missing_ok=True)
    return record


def machine() -> dict:
    memory_kB = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import highspy
    import pyomo

    def git(*args) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    return {
        "dhopt_hash_at_start": dhopt_source_hash(),
        "cores": os.cpu_count(),
        "memory_GB": round(memory_kB / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "highspy": _version("highspy", highspy),
        "pyomo": pyomo.__version__,
        "commit": git("rev-parse", "--short", "HEAD"),
        "dhopt_uncommitted_files": len(git("status", "--porcelain", "--", "dhopt").splitlines()),
    }


def _version(name: str, module) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return getattr(module, "__version__", "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the four quick cases (< 3 min on 2 cores)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="directory for <timestamp>.csv/.json")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these cases")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the table in benchmarks/README.md")
    parser.add_argument("--case-timeout", type=float, default=CASE_TIMEOUT_S, metavar="S")
    parser.add_argument("--work", type=Path, help="keep generated cases here (default: a temporary directory)")
    args = parser.parse_args()

    started = time.perf_counter()
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
    meta = {
        "command": command.strip(),
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
    }
    listed = cases(args.quick)
    if args.only:
        listed = [c for c in listed if c["name"] in args.only]
    records = []
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        for spec in listed:
            print(f"{spec['name']} ...", flush=True)
            record = run_case_spec(spec, work, args.case_timeout)
            records.append(record)
            phases = " ".join(f"{p} {s:.1f}" for p, s in record.get("phases", {}).items())
            print(
                f"  {record.get('status')} e2e {record.get('e2e_s', 0):.1f} s [{phases}] "
                f"HiGHS alone {(record.get('raw') or {}).get('solve_s', float('nan')):.2f} s "
                f"peak {record.get('peak_rss_MB') or 0:,.0f} MB {record.get('message', '')}",
                flush=True,
            )
    meta["wall_s"] = time.perf_counter() - started
    stem = write_outputs(records, meta, args.out, readme=not args.no_readme)
    print()
    print(markdown(records, meta))
    print(f"\nwritten: {stem}.csv, {stem}.json" + ("" if args.no_readme else f", {README}"))


if __name__ == "__main__":
    main()
