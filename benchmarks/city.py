"""Benchmark: pipe design at city scale, a synthetic district of about 10,000 candidate pipes.

    python benchmarks/city.py [--homes 8500] [--time-limit 600] [--mip-gap 0.01] [--out DIR]

writes the candidate district of `synthetic.py` (8,500 homes: 10,060 candidate pipes, street loops
included, every pipe a decision) over its peak-demand day (24 h, monolithic: the design stage of a
full-year run sees the same day among its typical days) and solves it through `dhopt.run.solve_case`
without the reference (which would solve a second MILP of the same size), with HiGHS's time limit.
Prints the phase lines, the MILP's size, the gap reached and its bound, and writes ``DIR/city.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import pyomo.environ as pyo
import synthetic

from dhopt.run import solve_case
from dhopt.solve import SolveOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=8500)
    parser.add_argument("--time-limit", type=float, default=600.0, help="HiGHS time limit [s]")
    parser.add_argument("--mip-gap", type=float, default=0.01, help="HiGHS relative gap to stop at [-]")
    parser.add_argument("--out", type=Path, default=Path("city_benchmark"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    peak = synthetic.peak_day_start_hour()
    case = synthetic.write_district(args.out, args.homes, "candidate", hours=24, start_hour=peak)
    case.write_text(case.read_text().replace("[horizon]\n", '[horizon]\nmethod = "monolithic"\n'))
    start = time.perf_counter()
    options = SolveOptions(time_limit_s=args.time_limit, mip_gap=args.mip_gap)
    solution = solve_case(case, options, reference=False, progress=print)
    report, model = solution.solve, solution.model
    record = {
        "case": case.name,
        "pipes": solution.reduction.pipes_before,
        "pipes_kept": solution.reduction.pipes_after,
        "binaries": sum(1 for v in model.component_data_objects(pyo.Var) if v.is_binary()),
        "variables": model.nvariables(),
        "constraints": model.nconstraints(),
        "status": str(report.status),
        "gap": report.gap,
        "objective_EUR": report.objective_EUR,
        "bound_EUR": report.bound_EUR,
        "highs_s": report.solve_s,
        "end_to_end_s": time.perf_counter() - start,
        "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "unmet_demand_MWh": solution.kpis["unmet_demand_MWh"],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(record, indent=2))
    (args.out / "city.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
