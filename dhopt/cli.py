"""Command line: `dhopt run [CASE]`, `dhopt validate CASE`. Parses arguments, calls `run_case`.

Also `dhopt export-curve CASE`, `dhopt pareto CASE`, `dhopt hydraulics RESULT_DIR`, `dhopt regimes [CASE]`,
`dhopt connect [CASE]` (`dhopt.planning`).

Exit codes: 0 success, 2 bad input (case or network), 3 solver failure (infeasible, no solution
within the time limit), 4 hydraulic limits violated, 130 interrupted.
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
    batch.add_argument(
        "--no-reuse", dest="reuse", action="store_false", help="build every case's models anew (default: a worker "
        "updates its last models in place for a case that differs only in prices, costs or limits)"
    )  # fmt: skip
    curve = commands.add_parser("export-curve", help="solve a case across heat-export capacities; table, plot, knee")
    curve.add_argument("case", type=Path, help="case file (.toml)")
    curve.add_argument("--mw", default="0:30:5", metavar="START:STOP:STEP", help="export capacities [MW] (default 0:30:5)")
    curve.add_argument("--out", type=Path, help="directory (default results/CASE-export-curve)")
    curve.add_argument("--heat-price", type=float, metavar="EUR_PER_MWH", help="campus heat price (default: LCOH without campus)")
    curve.add_argument("--time-limit", type=float, metavar="S", help="solver time limit per point [s]")
    pareto = commands.add_parser("pareto", help="cost-CO2 trade-off by the epsilon-constraint method; table and plot")
    pareto.add_argument("case", type=Path, help="case file (.toml)")
    pareto.add_argument("--points", type=int, default=5, metavar="N", help="points on the front, ends included (default 5)")
    pareto.add_argument("--out", type=Path, help="directory (default results/CASE-pareto)")
    pareto.add_argument("--time-limit", type=float, metavar="S", help="solver time limit per solve [s]")
    hydraulics = commands.add_parser(
        "hydraulics", help="pressure drop, velocity and consumer supply temperature at the peak and summer low-load hour"
    )
    hydraulics.add_argument("result_dir", type=Path, help="directory written by dhopt run --out")
    hydraulics.add_argument("--max-pressure-drop", type=float, default=250.0, metavar="PA_PER_M", help="default 250 Pa/m")
    hydraulics.add_argument("--max-velocity", type=float, default=3.0, metavar="M_PER_S", help="default 3 m/s")
    hydraulics.add_argument(
        "--min-supply-degC", type=float, default=50.0, metavar="DEGC",
        help="lowest supply at a consumer without its own min_supply_degC (default 50, domestic hot water)",
    )
    hydraulics.add_argument(
        "--pandapipes", action="store_true",
        help="also solve both hours' supply networks with pandapipes and compare (hydraulics_pandapipes.csv)",
    )
    regimes = commands.add_parser("regimes", help="solve a case under supply/return temperature regimes; table, plot")
    regimes.add_argument("case", nargs="?", type=Path, help="case file (.toml; default: the embedded Ballerup case)")
    regimes.add_argument(
        "--regime", action="append", metavar="S/R", help="supply/return degC, e.g. 55/30, or a curve 80-65/40; "
        "repeat for several (default 55/30 65/35 75/40 80/45); the case's own temperatures are the baseline",
    )
    regimes.add_argument("--hours", type=int, metavar="H", help="model only the first H hours of the case's horizon")
    regimes.add_argument("--out", type=Path, help="directory (default results/CASE-regimes)")
    regimes.add_argument("--time-limit", type=float, metavar="S", help="solver time limit per regime [s]")
    connect = commands.add_parser(
        "connect", help="best connection point and DN, existing pipes at capacity and their upgrade value"
    )
    connect.add_argument("case", nargs="?", type=Path, help="case file (.toml; default: the embedded Ballerup case)")
    connect.add_argument("--out", type=Path, help="directory (default results/CASE-connection)")
    connect.add_argument("--upgrades", type=int, default=5, metavar="N", help="bottlenecks valued by a re-solve (default 5)")
    connect.add_argument("--time-limit", type=float, metavar="S", help="solver time limit per solve [s]")
    return parser


def _run(args) -> None:
    from dhopt.diagnose import bottlenecks, unmet_summary
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
    for line in unmet_summary(result.dataset) + bottlenecks(result.dataset):
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
        reuse=args.reuse,
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


def _export_curve(args) -> None:
    from dhopt.planning.export_curve import export_curve, parse_mw_range, write_export_curve
    from dhopt.solve import SolveOptions

    table, knee, price = export_curve(args.case, parse_mw_range(args.mw), args.heat_price, SolveOptions(args.time_limit), print)
    out = args.out or Path("results") / f"{args.case.stem}-export-curve"
    written = write_export_curve(out, table, knee, f"{args.case.stem}: heat-export curve ({price:.1f} EUR/MWh)")
    print(table.drop(columns=["solver_status", "mip_gap"]).to_string(index=False, float_format="{:,.1f}".format))
    print(f"knee: {table['export_MW'].iloc[knee]:g} MW" if knee is not None else "knee: none within the range")
    print("written: " + ", ".join(str(p) for p in written))


def _pareto(args) -> None:
    from dhopt.planning.pareto import pareto_front, write_pareto
    from dhopt.solve import SolveOptions

    table = pareto_front(args.case, args.points, SolveOptions(args.time_limit), print)
    out = args.out or Path("results") / f"{args.case.stem}-pareto"
    written = write_pareto(out, table, f"{args.case.stem}: cost-CO2 trade-off")
    print(table.drop(columns=["solver_status", "mip_gap"]).to_string(index=False, float_format="{:,.1f}".format))
    print("written: " + ", ".join(str(p) for p in written))


def _hydraulics(args) -> int:
    from dhopt.planning.hydraulics import Limits, check_dataset, open_result, summary_lines
    from dhopt.planning.hydraulics_figure import hydraulics_figure
    from dhopt.planning.output import write_figure, write_table

    limits = Limits(args.max_pressure_drop, args.max_velocity, args.min_supply_degC)
    ds = open_result(args.result_dir)
    check = check_dataset(ds, limits)
    written = [
        write_table(args.result_dir / "hydraulics.csv", check.pipes),
        write_table(args.result_dir / "consumer_temperatures.csv", check.consumers),
        write_figure(args.result_dir / "hydraulics.png", hydraulics_figure(ds, check, limits)),
    ]
    print("\n".join(summary_lines(check)))
    violating = set(check.violations["pipes"])
    if args.pandapipes:
        from dhopt.planning.pandapipes_export import cross_check, write_cross_check
        from dhopt.planning.pandapipes_export import summary_lines as pandapipes_lines

        cross = cross_check(ds, check, limits)
        written += write_cross_check(args.result_dir, cross)
        print("\n".join(pandapipes_lines(cross)))
        violating.update(cross.violations)
    print("written: " + ", ".join(str(p) for p in written))
    if args.pandapipes and not cross.hours["converged"].all():
        print("dhopt: hydraulics: pandapipes' pipeflow did not converge; see the lines above", file=sys.stderr)
        return 3
    pipes, consumers = len(violating), len(check.violations["consumers"])
    if pipes or consumers:
        print(f"dhopt: hydraulics: {pipes} pipe(s) and {consumers} consumer(s) violate the limits", file=sys.stderr)
        return 4
    print("hydraulics: every pipe and consumer within the limits")
    return 0


def _regimes(args) -> None:
    from dhopt.planning.regimes import DEFAULT_REGIMES, parse_regime, regime_table, summary_lines, write_regimes
    from dhopt.run import DEFAULT_CASE
    from dhopt.solve import SolveOptions

    case = args.case or DEFAULT_CASE
    regimes = [parse_regime(text) for text in args.regime or DEFAULT_REGIMES]
    table, notes = regime_table(case, regimes, args.hours, SolveOptions(args.time_limit), print)
    out = args.out or Path("results") / f"{case.stem}-regimes"
    written = write_regimes(out, table, f"{case.stem}: temperature regimes")
    print("\n".join(summary_lines(table) + notes))
    print("written: " + ", ".join(str(p) for p in written))


def _connect(args) -> None:
    from dhopt.planning.connection import plan_connection, summary, write_connection
    from dhopt.run import DEFAULT_CASE
    from dhopt.solve import SolveOptions

    case = args.case or DEFAULT_CASE
    plan = plan_connection(case, SolveOptions(args.time_limit), args.upgrades, print)
    written = write_connection(args.out or Path("results") / f"{case.stem}-connection", plan)
    print("\n".join(summary(plan)))
    print("written: " + ", ".join(str(p) for p in written))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # a terminated run stops like Ctrl-C: written files stay whole
    try:
        commands = {"run": _run, "validate": _validate, "report": _report, "batch": _batch}
        commands.update({"export-curve": _export_curve, "pareto": _pareto, "hydraulics": _hydraulics})
        commands["regimes"] = _regimes
        commands["connect"] = _connect
        code = commands[args.command](args)
    except DhoptError as error:
        for line in error.problems:
            print(f"dhopt: error: {line}", file=sys.stderr)
        return 3 if isinstance(error, SolverError) else 2
    except KeyboardInterrupt:
        print("dhopt: interrupted; results written so far are complete, nothing half-written", file=sys.stderr)
        return 130
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
