"""Command line: `dhopt run [CASE]`, `dhopt validate CASE`. Parses arguments, calls `run_case`.

Exit codes: 0 success, 2 bad input (case or network), 3 solver failure (infeasible, no solution
within the time limit), 130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from dhopt.errors import DhoptError, SolverError
from dhopt.kpi_format import kpi

KPIS_SHOWN = (
    "heat_demand_MWh",
    "heat_delivered_MWh",
    "unmet_demand_MWh",
    "homes_served",
    "campus_heat_to_network_MWh",
    "homes_heated_by_campus",
    "campus_heat_reused_share",
    "energy_reuse_factor",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "hp_electricity_MWh",
    "hp_mean_cop",
    "plant_heat_MWh",
    "network_losses_MWh",
    "rejected_heat_MWh",
    "levelised_cost_of_heat_EUR_per_MWh",
    "annual_cost_EUR",
    "annual_saving_EUR",
    "co2_t",
    "co2_saved_t",
    "energy_balance_residual_MWh",
)


def format_kpis(figures: dict[str, float]) -> str:
    """One line per KPI: label, value, unit."""
    lines = []
    for key in KPIS_SHOWN:
        shown = kpi(key)
        lines.append(f"{shown.label:<32} {shown.text(figures.get(key, float('nan'))):>14}  {shown.unit}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dhopt", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="solve a case (default: the embedded Ballerup case) and print its KPIs")
    run.add_argument("case", nargs="?", type=Path, help="case file (.toml)")
    run.add_argument("--out", type=Path, help="write results.nc, design.csv and kpis.json here")
    run.add_argument("--time-limit", type=float, metavar="S", help="solver time limit [s]")
    run.add_argument("--mip-gap", type=float, default=1e-4, metavar="G", help="relative MIP gap (default 1e-4)")
    run.add_argument("--threads", type=int, default=1, metavar="N", help="HiGHS threads (default 1)")
    run.add_argument("--verbose", action="store_true", help="show the solver log")
    run.add_argument(
        "--report", action="store_true", help="also write the HTML report beside the results (default --out results/CASE)"
    )
    validate = commands.add_parser("validate", help="check a case and its network without solving")
    validate.add_argument("case", type=Path)
    report = commands.add_parser("report", help="write an HTML report (with PNG figures) of a result directory")
    report.add_argument("result_dir", type=Path, help="directory written by dhopt run --out")
    report.add_argument("--out", type=Path, help="HTML file (default RESULT_DIR/report.html)")
    batch = commands.add_parser("batch", help="run every case of a sweep file on a Dask cluster")
    batch.add_argument("sweep", type=Path, help="sweep file (.sweep.toml)")
    batch.add_argument("--out", type=Path, help="result directory (default: beside the sweep file)")
    batch.add_argument("--workers", type=int, metavar="N", help="local workers (default: one per core)")
    batch.add_argument("--scheduler", metavar="ADDRESS", help="submit to an existing Dask scheduler instead")
    batch.add_argument("--time-limit", type=float, metavar="S", help="solver time limit per case [s]")
    batch.add_argument("--hourly", action="store_true", help="keep hourly series in the combined dataset")
    return parser


def _run(args) -> None:
    from dhopt.diagnose import unmet_summary
    from dhopt.run import run_case
    from dhopt.solve import SolveOptions

    options = SolveOptions(args.time_limit, args.mip_gap, args.threads, args.verbose)
    if args.report and args.out is None:  # the report sits beside the results: give them a home
        args.out = Path("results") / (args.case.stem if args.case else "ballerup")
    result = run_case(args.case, args.out, options, progress=print)
    if result.solve.status != "optimal":
        print(f"note: stopped at the time limit; best solution shown, gap {result.solve.gap:.2%}")
    print()
    print(format_kpis(result.kpis))
    for line in unmet_summary(result.dataset):
        print(line)
    built = result.design[result.design["value"] > 0]
    print("\ndesign: " + "; ".join(f"{r.component} {r.id} {r.quantity}={r.value:,.1f}" for r in built.itertuples()))
    if args.report:
        from dhopt.report import write_report

        print(f"report: {write_report(args.out)}")


def _report(args) -> None:
    from dhopt.report import write_report

    print(f"report: {write_report(args.result_dir, args.out)}")


def _batch(args) -> None:
    from dhopt.batch import run_sweep

    run_sweep(
        args.sweep,
        out_dir=args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        time_limit_s=args.time_limit,
        keep_hourly=args.hourly,
    )


def _validate(args) -> None:
    from dhopt.case import load_case
    from dhopt.inputs import prepare_inputs
    from dhopt.network import load_network

    case = load_case(args.case)
    network = load_network(case.network_path)
    inputs = prepare_inputs(case, network)
    print(
        f"ok: {args.case}: {case.hours} h, {len(network.nodes)} nodes, {len(network.pipes)} pipes, "
        f"{len(inputs.consumers)} consumers ({inputs.consumers['annual_heat_MWh'].sum():,.0f} MWh/yr), "
        f"{len(inputs.sources)} campus(es), {len(inputs.plants)} plants"
    )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # a terminated run stops like Ctrl-C: written files stay whole
    try:
        {"run": _run, "validate": _validate, "report": _report, "batch": _batch}[args.command](args)
    except DhoptError as error:
        for line in error.problems:
            print(f"dhopt: error: {line}", file=sys.stderr)
        return 3 if isinstance(error, SolverError) else 2
    except KeyboardInterrupt:
        print("dhopt: interrupted; results written so far are complete, nothing half-written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
