"""The `dhopt` command: its arguments (validated as they are parsed), one handler per subcommand.

Handlers call the library (`dhopt.run.run_case`, `dhopt.batch.run_sweep`, `dhopt.planning`); its
modules are imported when a command runs, so `dhopt --help` answers at once.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import math
import signal
import sys
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from dhopt.errors import CaseError, DhoptError, SolverError
from dhopt.kpi_format import FLEET_SHOWN, horizon_note, kpi

if TYPE_CHECKING:
    from dhopt.solve import SolveOptions

DESCRIPTION = (
    "Plan how a data-center campus feeds its waste heat into a district-heating network: which pipes to "
    "build and with which DN, how many MW of booster heat pumps and MWh of storage, what it costs per year, "
    "how many homes the campus heats and how much CO2 it saves. A case is a .toml file naming a network, "
    "time series and costs; where CASE is optional the embedded Ballerup case is used."
)
EXIT_CODES = """\
exit codes:
  0    ok (at a time limit: the best solution found, with its gap); a batch also with failed cases
  1    a bug in dhopt (a traceback): please report the input
  2    bad input: a case, time series, network, sweep or argument; one line per problem
  3    solver failure: infeasible, no solution within the time limit, or non-finite figures
  4    hydraulic limits violated (dhopt hydraulics)
  130  interrupted (Ctrl-C or SIGTERM); files already written are complete"""
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
    "grid_limit_binding_h",
    "grid_limit_value_EUR_per_MW_yr",
    "plant_heat_MWh",
    "network_losses_MWh",
    "rejected_heat_MWh",
    "levelised_cost_of_heat_EUR_per_MWh",
    "annual_cost_EUR",
    "annual_saving_EUR",
    "campus_net_EUR",
    "utility_saving_EUR",
    "co2_t",
    "co2_saved_t",
    "energy_balance_residual_MWh",
)


def production_shown(figures: dict[str, float]) -> tuple[str, ...]:
    """The new-production KPIs to print when the case has new units or pits: per technology, then the
    totals, the pit storage, its summer heat carried into winter and the phase-out comparison."""
    if not any(
        k.startswith("new_") and k.endswith("_capacity_MW") for k in figures if k != "new_production_capacity_MW"
    ):
        if not figures.get("pit_storage_capacity_MWh") and "phase_out_extra_cost_EUR" not in figures:
            return ()
    technologies = [k for k in figures if k.startswith("new_") and k not in PRODUCTION_TOTALS]
    comparison = [k for k in PHASE_OUT_SHOWN if k in figures]
    return (*technologies, *PRODUCTION_TOTALS, *comparison)


PRODUCTION_TOTALS = (
    "new_production_capacity_MW",
    "new_production_heat_MWh",
    "new_production_electricity_MWh",
    "pit_storage_capacity_MWh",
    "pit_discharge_MWh",
    "ptes_summer_heat_to_winter_MWh",
)
PHASE_OUT_SHOWN = ("phased_out_heat_MWh", "uncapped_phased_out_heat_MWh", "phase_out_co2_avoided_t",
                   "phase_out_extra_cost_EUR", "co2_avoided_cost_EUR_per_t")  # fmt: skip


POWER_SHOWN = (
    "pv_capacity_MWp",
    "battery_energy_MWh",
    "battery_power_MW",
    "backup_capacity_MW",
    "backup_MWh",
    "backup_hours_h",
    "curtailed_it_MWh",
    "curtailed_hours_h",
    "grid_import_MWh",
    "it_served_MWh",
    "pv_spilled_MWh",
    "campus_heat_reused_MWh",
    "levelised_cost_of_compute_energy_EUR_per_MWh",
    "power_balance_residual_MW",
)
"""Shown after `KPIS_SHOWN` for a case whose campuses have their own electricity (`dhopt.model.power`)."""
EXPORT_SHOWN = (
    "grid_export_MWh",
    "grid_export_revenue_EUR",
    "grid_export_limit_binding_h",
    "grid_export_limit_value_EUR_per_MW_yr",
    "backup_while_exporting_h",
)
"""Shown after `POWER_SHOWN` for a case whose campuses may export (`grid.export_limit_MW` above 0)."""


def format_kpis(figures: dict[str, float]) -> str:
    """One line per KPI: label, value, unit (new production's and the power side's too, when the case has them)."""
    shown = KPIS_SHOWN + production_shown(figures) + (POWER_SHOWN if "it_served_MWh" in figures else ())
    shown += EXPORT_SHOWN if "grid_export_limit_binding_h" in figures else ()
    shown += FLEET_SHOWN if "fleet_units" in figures else ()
    lines, width = [], max(len(kpi(key).label) for key in shown)
    for key in shown:
        item = kpi(key)
        lines.append(f"{item.label:<{width}} {item.text(figures.get(key, float('nan'))):>14}  {item.unit}")
    return "\n".join(lines)


def installed_version() -> str:
    """The installed distribution's version; the source tree's when dhopt runs uninstalled."""
    try:
        return importlib.metadata.version("dhopt")
    except importlib.metadata.PackageNotFoundError:
        from dhopt import __version__

        return __version__


def _number(convert, accept, expected: str):
    """An argparse type: the text as a finite number that `accept`s, else one line with what was expected."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


seconds = _number(float, lambda v: v > 0, "a positive number of seconds")
positive_float = _number(float, lambda v: v > 0, "a positive number")
finite_float = _number(float, lambda v: True, "a finite number")
relative_gap = _number(float, lambda v: 0 <= v < 1, "a relative gap in [0, 1), e.g. 0.01")


def whole_number(minimum: int):
    """An argparse type: a whole number not below `minimum`."""
    return _number(int, lambda v: v >= minimum, f"a whole number >= {minimum}")


def _parsed(parse, text: str, flag: str):
    """`parse(text)`; its `CaseError` as an argparse error in the form of the others."""
    try:
        return parse(text)
    except CaseError as error:
        expected = error.problems[0].removeprefix(f"{flag} {text!r}: ")
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}") from None


def regime(text: str):
    """An argparse type: a `dhopt.planning.regimes.Regime` from ``S/R`` or ``S_MAX-S_MIN/R``."""
    from dhopt.planning.regimes import parse_regime

    return _parsed(parse_regime, text, "--regime")


def mw_range(text: str) -> list[float]:
    """An argparse type: the export capacities [MW] of ``START:STOP:STEP``."""
    from dhopt.planning.export_curve import parse_mw_range

    return _parsed(parse_mw_range, text, "--mw")


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``dhopt run: error: argument --x: ...`` (exit 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _command(commands, name: str, summary: str, details: str) -> argparse.ArgumentParser:
    """A subcommand: `summary` in ``dhopt --help``; `summary` and `details` in its own --help."""
    text = textwrap.fill(f"{summary[0].upper()}{summary[1:]}. {details}", width=100)
    return commands.add_parser(
        name, help=summary, description=text, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def _case_argument(parser: argparse.ArgumentParser, optional: bool = False) -> None:
    if optional:
        parser.add_argument("case", nargs="?", type=Path, help="case file (.toml; default: the embedded Ballerup case)")
    else:
        parser.add_argument("case", type=Path, help="case file (.toml)")


def _out_option(parser: argparse.ArgumentParser, help: str, metavar: str = "DIR") -> None:
    parser.add_argument("--out", type=Path, metavar=metavar, help=help)


def _solver_options(parser: argparse.ArgumentParser, each: str) -> None:
    """--time-limit, --mip-gap, --threads, --verbose: the HiGHS settings of every command that solves."""
    group = parser.add_argument_group("solver options")
    group.add_argument(
        "--time-limit", type=seconds, metavar="S", help=f"HiGHS time limit per {each} [s]; the best solution "
        "found by then is used, with its gap (default: none)",
    )  # fmt: skip
    group.add_argument("--mip-gap", type=relative_gap, metavar="G", help="relative MIP gap to stop at (default 1e-4)")
    group.add_argument(
        "--threads", type=whole_number(1), metavar="N", help=f"HiGHS threads per {each} (default 1, reproducible)"
    )
    group.add_argument("--verbose", action="store_true", help="show the HiGHS log")


def solve_options(args: argparse.Namespace) -> SolveOptions:
    """The `SolveOptions` of the solver options given; those not given keep `SolveOptions`'s defaults."""
    from dhopt.solve import SolveOptions

    given = {"time_limit_s": args.time_limit, "mip_gap": args.mip_gap, "threads": args.threads}
    return SolveOptions(verbose=args.verbose, **{key: value for key, value in given.items() if value is not None})


def _add_case_commands(commands) -> None:
    """run, validate, report, batch."""
    run = _command(
        commands, "run", "solve a case and print its KPIs, bottlenecks, unmet demand and design",
        "One progress line per phase with its time.",
    )  # fmt: skip
    _case_argument(run, optional=True)
    _out_option(run, "write results.nc (hourly series, design, network), design.csv and kpis.json into DIR "
                "(default: none; results/CASE with --report)")  # fmt: skip
    run.add_argument("--report", action="store_true", help="also write DIR/report.html with its PNG figures")
    _solver_options(run, "solve")
    run.set_defaults(handler=_run)
    validate = _command(
        commands, "validate", "check a case, its time series and its network without solving",
        "Prints one summary line, or every problem found, one line each.",
    )  # fmt: skip
    _case_argument(validate)
    validate.set_defaults(handler=_validate)
    report = _command(
        commands, "report", "write a self-contained HTML report with PNG figures of a result directory",
        "The figures are written beside the report.",
    )  # fmt: skip
    report.add_argument("result_dir", type=Path, help="directory written by dhopt run --out")
    _out_option(report, "HTML file (default RESULT_DIR/report.html)", metavar="FILE")
    report.set_defaults(handler=_report)
    batch = _command(
        commands, "batch", "run every case of a sweep file on Dask; resumable",
        "Writes OUT/cases/<hash>/ as each case finishes, then OUT/kpis.csv (a row per case), OUT/combined.nc and "
        "OUT/report.html. Run again, it skips the cases already finished. Each worker solves one case at a "
        "time with --threads HiGHS threads.",
    )  # fmt: skip
    batch.add_argument("sweep", type=Path, help="sweep file (.sweep.toml)")
    _out_option(batch, "result directory (default NAME.batch beside the sweep file NAME.sweep.toml)")
    batch.add_argument(
        "--workers", type=whole_number(0), metavar="N", help="local workers (default: one per core; 0: one case "
        "after the other without Dask, in one child process a crashing case takes down alone)",
    )  # fmt: skip
    batch.add_argument("--retry-failed", action="store_true", help="run failed and crashed cases again "
                       "(default: a rerun skips every case with a record)")  # fmt: skip
    batch.add_argument("--in-process", dest="isolate", action="store_false", help="with --workers 0: run the "
                       "cases in this process (for debugging; a solver crash then ends the batch)")  # fmt: skip
    batch.add_argument("--scheduler", metavar="ADDRESS", help="submit to an existing Dask scheduler instead")
    batch.add_argument("--hourly", action="store_true", help="keep hourly series in the combined dataset")
    batch.add_argument(
        "--no-reuse", dest="reuse", action="store_false", help="build every case's models anew (default: a worker "
        "updates its last models in place for a case that differs only in prices, costs or limits)",
    )  # fmt: skip
    _solver_options(batch, "case")
    batch.set_defaults(handler=_batch)


def _add_planning_commands(commands) -> None:
    """export-curve, pareto, regimes, connect: planning questions answered by several solves."""
    curve = _command(
        commands, "export-curve", "KPIs, NPVs and the knee across the campus's heat-export capacities",
        "Solves the case at each capacity; writes export_curve.csv and export_curve.png.",
    )  # fmt: skip
    _case_argument(curve)
    curve.add_argument("--mw", type=mw_range, default="0:30:5", metavar="START:STOP:STEP", help="export capacities "
                       "[MW] (default 0:30:5)")  # fmt: skip
    curve.add_argument("--heat-price", type=finite_float, metavar="EUR_PER_MWH", help="constant part of the "
                       "heat price (default: the case's [contract]; without one, each point's middle of the "
                       "bargaining range)")  # fmt: skip
    pareto = _command(
        commands, "pareto", "cost-CO2 trade-off by the epsilon-constraint method",
        "Least cost, least CO2, then least cost under CO2 caps in between; writes pareto.csv and pareto.png.",
    )  # fmt: skip
    _case_argument(pareto)
    pareto.add_argument("--points", type=whole_number(2), default=5, metavar="N", help="points on the front, "
                        "ends included (default 5)")  # fmt: skip
    regimes = _command(
        commands, "regimes", "the case under other supply/return temperatures: the value of a lower one",
        "Solves the case under its own temperatures (the baseline) and each regime; writes regimes.csv and "
        "regimes.png.",
    )  # fmt: skip
    _case_argument(regimes, optional=True)
    regimes.add_argument(
        "--regime", type=regime, nargs="+", action="extend", metavar="S/R", help="supply/return [degC], e.g. "
        "--regime 55/30 65/35, or a heating curve 80-65/40 (default 55/30 65/35 75/40 80/45)",
    )  # fmt: skip
    regimes.add_argument("--hours", type=whole_number(1), metavar="H", help="model only the first H hours of the case")
    connect = _command(
        commands, "connect", "where to connect the campus and with which DN; the existing pipes at capacity",
        "Every candidate route, each connection route on its own, and the value of one DN more for the first "
        "bottlenecks; writes connection.csv, bottlenecks.csv and connection.png.",
    )  # fmt: skip
    _case_argument(connect, optional=True)
    connect.add_argument("--upgrades", type=whole_number(0), default=5, metavar="N", help="bottlenecks valued by "
                         "a re-solve each (default 5)")  # fmt: skip
    layouts = _command(
        commands, "compare-layouts", "one campus against a fleet of small units in buildings, same compute",
        "Solves the case's district with its campus running the fleet's compute demand, then with the fleet "
        "instead; tabulates cost, heat reused, grid peak, CO2 and new pipes; writes layouts.csv.",
    )  # fmt: skip
    _case_argument(layouts)
    for parser, name, handler, each in (
        (layouts, "layouts", _compare_layouts, "layout"),
        (curve, "export-curve", _export_curve, "point"),
        (pareto, "pareto", _pareto, "point"),
        (regimes, "regimes", _regimes, "regime"),
        (connect, "connection", _connect, "solve"),
    ):
        _out_option(parser, f"directory for the tables and figures (default results/CASE-{name})")
        _solver_options(parser, each)
        parser.set_defaults(handler=handler, out_name=name)


def _add_validation_command(commands) -> None:
    validate = _command(
        commands, "validate-projects", "published data-center heat-reuse schemes against dhopt",
        "Solves every case of FOLDER/projects.toml (default cases/validation) and prints, per scheme, each "
        "published figure, dhopt's figure and the difference; writes validation.csv and validation.png.",
    )  # fmt: skip
    validate.add_argument("folder", type=Path, nargs="?", default=Path("cases/validation"), metavar="FOLDER")
    validate.add_argument(
        "--hours", type=whole_number(1), metavar="H", help="model only the first H hours of each case"
    )
    _out_option(validate, "directory for validation.csv and validation.png (default FOLDER/results)")
    _solver_options(validate, "case")
    validate.set_defaults(handler=_validate_projects)


def _validate_projects(args) -> None:
    from dhopt.planning.output import write_figure, write_table
    from dhopt.planning.validation import compare_projects, comparison_figure, comparison_lines

    table = compare_projects(args.folder, args.hours, solve_options(args), print)
    out = args.out or args.folder / "results"
    written = [
        write_table(out / "validation.csv", table),
        write_figure(out / "validation.png", comparison_figure(table)),
    ]
    print("\n".join(comparison_lines(table)))
    if args.hours:
        print(horizon_note(args.hours))
    print("written: " + ", ".join(str(p) for p in written))


def _add_export_gis_command(commands) -> None:
    export = _command(
        commands, "export-gis", "write a result's design as GeoPackage and GeoJSON layers for QGIS",
        "Pipes (DN, built/existing, peak flow, hours at capacity, velocity and pressure drop at the peak hour) and "
        "consumers (heat delivered, unmet, supply temperature at the peak hour), in the input's CRS: design.gpkg, "
        "pipes.geojson, consumers.geojson and manifest.json in DIR (default RESULT_DIR/gis).",
    )  # fmt: skip
    export.add_argument("result_dir", type=Path, help="directory written by dhopt run --out")
    export.add_argument("--out", type=Path, default=None, metavar="DIR", help="folder for the layers")
    export.set_defaults(handler=_export_gis)


def _add_hydraulics_command(commands) -> None:
    hydraulics = _command(
        commands, "hydraulics", "pressure drop, velocity and consumer supply temperature of a result",
        "At the peak and the summer low-load hour; writes hydraulics.csv, consumer_temperatures.csv and "
        "hydraulics.png into RESULT_DIR; exit code 4 when a limit is violated.",
    )  # fmt: skip
    hydraulics.add_argument("result_dir", type=Path, help="directory written by dhopt run --out")
    hydraulics.add_argument(
        "--max-pressure-drop", type=positive_float, metavar="PA_PER_M",
        help="default: the case's [pipes] max_pressure_drop_Pa_per_m, the basis of the model's pipe capacities",
    )  # fmt: skip
    hydraulics.add_argument(
        "--max-velocity", type=positive_float, metavar="M_PER_S",
        help="default: the case's [pipes] max_velocity_m_per_s",
    )  # fmt: skip
    hydraulics.add_argument(
        "--min-supply-degC", type=finite_float, default=50.0, metavar="DEGC",
        help="lowest supply at a consumer without its own min_supply_degC (default 50, domestic hot water)",
    )  # fmt: skip
    hydraulics.add_argument(
        "--pandapipes", action="store_true",
        help="also solve both hours' supply networks with pandapipes and compare (hydraulics_pandapipes.csv)",
    )  # fmt: skip
    hydraulics.set_defaults(handler=_hydraulics)


PATHWAY_MIP_GAP = 0.01  # `dhopt pathway`'s default relative MIP gap per plan [-]


def _add_pathway_command(commands) -> None:
    """pathway: a staged build-out over investment periods."""
    pathway = _command(
        commands, "pathway", "what to build in which period of a build-out pathway, and the value of planning ahead",
        "Solves the periods of a pathway case ([[periods]]) together, then the same with everything built at once "
        "and myopically (each period alone); prints a table per period and writes pathway.csv, plans.csv, "
        f"builds.csv and pathway.png. Default MIP gap {PATHWAY_MIP_GAP:g} per plan.",
    )  # fmt: skip
    _case_argument(pathway)
    pathway.add_argument("--full-year", action="store_true", help="also dispatch every period's full year with "
                         "the pathway's capacities of then held")  # fmt: skip
    pathway.add_argument("--typical-days", type=whole_number(1), metavar="N", help="typical days per period "
                         "(default: the case's [horizon] typical_days)")  # fmt: skip
    _out_option(pathway, "directory for the tables and figure (default results/CASE-pathway)")
    _solver_options(pathway, "plan")
    pathway.set_defaults(handler=_pathway, out_name="pathway")


def _pathway(args) -> None:
    from dhopt.pathway_case import load_pathway
    from dhopt.planning.pathway import solve_pathway
    from dhopt.planning.pathway_inputs import pathway_inputs
    from dhopt.planning.pathway_output import summary_lines, write_pathway

    args.mip_gap = PATHWAY_MIP_GAP if args.mip_gap is None else args.mip_gap
    pi = pathway_inputs(load_pathway(args.case), args.typical_days)
    answer = solve_pathway(pi, solve_options(args), full_year=args.full_year, progress=print)
    print("\n".join(summary_lines(pi, answer)))
    written = write_pathway(_out_dir(args, args.case), answer, f"{args.case.stem}: build-out pathway")
    print("written: " + ", ".join(str(p) for p in written))


def build_parser() -> argparse.ArgumentParser:
    """The `dhopt` argument parser; each subcommand's handler is in ``args.handler``."""
    parser = Parser(
        prog="dhopt", description=textwrap.fill(DESCRIPTION, width=100), epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True, metavar="COMMAND")
    _add_case_commands(commands)
    _add_planning_commands(commands)
    _add_pathway_command(commands)
    _add_hydraulics_command(commands)
    _add_validation_command(commands)
    _add_export_gis_command(commands)
    return parser


def _out_dir(args: argparse.Namespace, case: Path) -> Path:
    """--out, or results/CASE-NAME for a planning command."""
    return args.out or Path("results") / f"{case.stem}-{args.out_name}"


def _run(args) -> None:
    from dhopt.contract import contract_line
    from dhopt.diagnose import bottlenecks, campus_heat_explained, unmet_summary
    from dhopt.grid import export_limit_line, grid_limit_line
    from dhopt.phase_out import phase_out_line
    from dhopt.run import REFERENCE_UNMET_CAVEAT, UNMET_NOTED_MWH, run_case
    from dhopt.solve import SolveStatus

    if args.report and args.out is None:  # the report sits beside the results: give them a home
        args.out = Path("results") / (args.case.stem if args.case else "ballerup")
    result = run_case(args.case, args.out, solve_options(args), progress=print)
    if result.solve.status is not SolveStatus.OPTIMAL:
        print(f"note: stopped at the time limit; best solution shown, gap {result.solve.gap:.2%}")
    print()
    print(format_kpis(result.kpis))
    horizon = result.case.spec.horizon
    notes = [horizon_note(horizon.hours, horizon.start_hour)]
    unmet_MWh = result.kpis.get("reference_unmet_demand_MWh", 0.0)
    if unmet_MWh > UNMET_NOTED_MWH:
        notes.append(
            f"note: the network without the campus leaves {unmet_MWh:,.1f} MWh/yr unmet: {REFERENCE_UNMET_CAVEAT}"
        )
    notes.insert(0, campus_heat_explained(result.dataset, result.kpis))
    notes.insert(1, grid_limit_line(result.dataset, result.kpis))
    notes.insert(2, export_limit_line(result.dataset, result.kpis))
    if result.kpis.get("contract_paid_heat_MWh", 0.0) > 0:
        notes.insert(2, contract_line(result.kpis, result.inputs.scalars))
    elif "campus_net_EUR" in result.kpis:  # no price to show: nothing is paid for
        notes.insert(
            2, "contract: the plan takes no heat from the campus, so nothing is paid for and there is no price"
        )
    if "phase_out_extra_cost_EUR" in result.kpis:
        notes.insert(0, phase_out_line(result.kpis))
    for line in unmet_summary(result.dataset) + bottlenecks(result.dataset) + [n for n in notes if n]:
        print(line)
    built = result.design[result.design["value"] > 0]
    fleet = built["component"] == "fleet_heat_pump"  # one line for the fleet, not one entry per unit
    if fleet.any():
        print(f"\nfleet: {fleet.sum()} units with a small heat pump, {built.loc[fleet, 'value'].sum():,.2f} MW in all")
    built = built[~fleet]
    if built.empty:
        print("\ndesign: no campus heat pump, storage, new production or pipe built")
    else:
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
        options=solve_options(args),
        keep_hourly=args.hourly,
        reuse=args.reuse,
        isolate=args.isolate,
        retry_failed=args.retry_failed,
    )


def _validate(args) -> None:
    from dhopt.case import load_case
    from dhopt.inputs import prepare_inputs
    from dhopt.network import load_network
    from dhopt.run import network_notes

    case = load_case(args.case)
    network = load_network(case.network_path, case.spec.network_options)
    inputs = prepare_inputs(case, network)
    for line in network_notes(network):
        print(line)
    print(
        f"ok: {args.case}: {case.hours} h, {len(network.nodes)} nodes, {len(network.pipes)} pipes, "
        f"{len(inputs.consumers)} consumers ({inputs.consumers['annual_heat_MWh'].sum():,.0f} MWh/yr), "
        f"{len(inputs.sources)} campus(es), {len(inputs.plants)} plants"
    )


def _export_curve(args) -> None:
    from dhopt.planning.export_curve import export_curve, write_export_curve

    table, knee = export_curve(args.case, args.mw, args.heat_price, solve_options(args), print)
    price = "per the case's [contract]" if args.heat_price is None else f"{args.heat_price:g} EUR/MWh"
    title = f"{args.case.stem}: heat-export curve (heat price: {price})"
    written = write_export_curve(_out_dir(args, args.case), table, knee, title)
    print(table.drop(columns=["solver_status", "mip_gap"]).to_string(index=False, float_format="{:,.1f}".format))
    print(f"knee: {table['export_MW'].iloc[knee]:g} MW" if knee is not None else "knee: none within the range")
    _print_horizon_note(args.case)
    print("written: " + ", ".join(str(p) for p in written))


def _print_horizon_note(case_path: Path) -> None:
    """The extrapolation note of a case whose horizon is shorter than a year (`horizon_note`)."""
    from dhopt.case import load_case

    horizon = load_case(case_path).spec.horizon
    note = horizon_note(horizon.hours, horizon.start_hour)
    if note:
        print(note)


def _pareto(args) -> None:
    from dhopt.planning.pareto import pareto_front, write_pareto

    table = pareto_front(args.case, args.points, solve_options(args), print)
    written = write_pareto(_out_dir(args, args.case), table, f"{args.case.stem}: cost-CO2 trade-off")
    print(table.drop(columns=["solver_status", "mip_gap"]).to_string(index=False, float_format="{:,.1f}".format))
    _print_horizon_note(args.case)
    print("written: " + ", ".join(str(p) for p in written))


def _export_gis(args) -> None:
    from dhopt.planning.gis_export import export_gis

    written = export_gis(args.result_dir, args.out)
    print("written: " + ", ".join(str(p) for p in written))


def _hydraulics(args) -> int:
    from dhopt.planning.hydraulics import case_limits, check_dataset, open_result, summary_lines
    from dhopt.planning.hydraulics_figure import hydraulics_figure
    from dhopt.planning.output import write_figure, write_table

    ds = open_result(args.result_dir)
    limits = case_limits(ds, args.max_pressure_drop, args.max_velocity, args.min_supply_degC)
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

    case = args.case or DEFAULT_CASE
    regimes = args.regime or [parse_regime(text) for text in DEFAULT_REGIMES]
    table, notes = regime_table(case, regimes, args.hours, solve_options(args), print)
    written = write_regimes(_out_dir(args, case), table, f"{case.stem}: temperature regimes")
    print("\n".join(summary_lines(table) + notes))
    print("written: " + ", ".join(str(p) for p in written))


def _connect(args) -> None:
    from dhopt.planning.connection import plan_connection, summary, write_connection
    from dhopt.run import DEFAULT_CASE

    case = args.case or DEFAULT_CASE
    plan = plan_connection(case, solve_options(args), args.upgrades, print)
    written = write_connection(_out_dir(args, case), plan)
    print("\n".join(summary(plan)))
    print("written: " + ", ".join(str(p) for p in written))


def _compare_layouts(args) -> None:
    from dhopt.case import load_case
    from dhopt.planning.layouts import compare_layouts, summary, write_layouts

    table = compare_layouts(args.case, solve_options(args), print)
    written = write_layouts(_out_dir(args, args.case), table)
    print("\n".join(summary(table, load_case(args.case).hours)))
    print("written: " + ", ".join(str(p) for p in written))


def _interrupt(signum, frame):
    """Ctrl-C or SIGTERM: stop like Ctrl-C, without the dump of the model rule it stopped in."""
    logging.getLogger("pyomo").setLevel(logging.CRITICAL + 1)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (`EXIT_CODES`)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or an argument refused in one line
        return int(stop.code or 0)
    if threading.current_thread() is not threading.main_thread():
        return _handled(args)
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    level = logging.getLogger("pyomo").level  # `_interrupt` silences Pyomo on the way out
    for number in kept:  # a terminated run stops like Ctrl-C: written files stay whole
        signal.signal(number, _interrupt)
    try:
        return _handled(args)
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)
        logging.getLogger("pyomo").setLevel(level)


def entry() -> None:
    """The ``dhopt`` command: `main`, then exit with its code; a SIGTERM that comes once the work is done
    and written (while Python shuts down) no longer turns the exit code into 143."""
    code = main()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(code)


def _handled(args: argparse.Namespace) -> int:
    """The command's exit code; a `DhoptError` or an interrupt as one line on stderr."""
    try:
        code = args.handler(args)
    except DhoptError as error:
        for line in error.problems:
            print(f"dhopt: error: {line}", file=sys.stderr)
        return 3 if isinstance(error, SolverError) else 2
    except KeyboardInterrupt:
        print("dhopt: interrupted; results written so far are complete, nothing half-written", file=sys.stderr)
        return 130
    return code or 0


if __name__ == "__main__":
    entry()
