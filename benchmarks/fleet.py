"""Scale of a fleet (issue 18): units in the buildings of the default district (Ballerup stand-in, 959
buildings), full year, against the default case in the same run.

    python benchmarks/fleet.py                 # the default case, then fleets of 50 and 200 units
    python benchmarks/fleet.py --units 50 100  # other fleet sizes

Each case is `dhopt.run.solve_case` end to end (load, typical-day design, full-year dispatch, the re-solve
without compute shifting, the reference without data centers) in a fresh process, so its peak memory
(``ru_maxrss``) is its own. A fleet case: one unit of 18 MW / N IT at each of the N largest buildings,
replacing the campus, 80 % utilised, half of the compute free to move. Prints one line per case: wall
time, peak memory, model size, the ratio to the default case and whether it met the target (< 60 s,
< 4 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S, TARGET_MB = 60.0, 4096.0
FLEET_IT_MW = 18.0


def fleet_case(directory: Path, units: int) -> Path:
    """The default case with a fleet of `units` units at the largest buildings, written to `directory`."""
    from dhopt.data import DEFAULT_CASE

    text = DEFAULT_CASE.read_text(encoding="utf-8")
    for name in ("ballerup.geojson", "dk_2019_hourly.csv"):
        text = text.replace(f'"{name}"', json.dumps(str(DEFAULT_CASE.parent / name)))
    text = text.replace('name = "ballerup"', f'name = "ballerup-fleet-{units}"')
    text += (
        f"\n[fleet]\nunit_it_MW = {FLEET_IT_MW / units!r}\nlargest = {units}\nsource_temperature_degC = 45.0\n"
        f"recovered_share = 0.95\ncompute_demand_MW = {0.8 * FLEET_IT_MW!r}\nflexible_share = 0.5\n"
        "building_supply_degC = 60.0\nreplaces_campus = true\n"
    )
    path = directory / f"fleet_{units}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def worker(case: str) -> None:
    """Solve one case (empty: the default) and print its record as JSON."""
    from dhopt.run import solve_case

    start = time.perf_counter()
    solution = solve_case(case or None)
    wall = time.perf_counter() - start
    record = {
        "wall_s": wall,
        "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "variables": solution.model.nvariables(),
        "phases_s": solution.timings_s,
        "fleet_units": solution.kpis.get("fleet_units", 0.0),
        "objective_EUR": solution.kpis["objective_EUR"],
    }
    print(json.dumps(record))


def run(case: str, label: str, timeout_s: float) -> dict:
    """One case in a fresh process; its record, or the reason it has none."""
    command = [sys.executable, __file__, "--worker", case]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"label": label, "error": f"stopped after {timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"label": label, "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return {"label": label, **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[50, 200], help="fleet sizes (default 50 200)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per case [s] (default 1800)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker)
        return
    with tempfile.TemporaryDirectory() as directory:
        records = [run("", "default", args.timeout)]
        records += [run(str(fleet_case(Path(directory), n)), f"fleet {n}", args.timeout) for n in args.units]
    base = records[0].get("wall_s")
    for r in records:
        if "error" in r:
            print(f"{r['label']:<10} {r['error']}")
            continue
        ratio = f"{r['wall_s'] / base:5.1f}x default" if base else ""
        met = "meets" if r["wall_s"] < TARGET_S and r["peak_MB"] < TARGET_MB else "misses"
        print(
            f"{r['label']:<10} {r['wall_s']:7.1f} s  {r['peak_MB']:7.0f} MB  {r['variables']:>10,} variables  "
            f"{ratio}  {met} the target (< {TARGET_S:.0f} s, < {TARGET_MB / 1024:.0f} GB)"
        )
        print(f"{'':<10} phases: " + ", ".join(f"{k} {v:.1f}" for k, v in r["phases_s"].items()))


if __name__ == "__main__":
    main()
