"""The one public solve path: load, reduce, design, dispatch, results, compare with no campus.

`solve_case` does it for a case; `solve_inputs` is its second half, for inputs that a planning
question changed beyond what a case can say (a pipe at another DN). `run_case` adds the writing:
it is what `dhopt run` and batch runs call; every planning command solves through `solve_case`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import xarray as xr

from dhopt.aggregate import can_aggregate, typical_days
from dhopt.backup import BACKUP_NOTE, served_co2_t, served_cost_EUR
from dhopt.case import Case, Horizon, load_case
from dhopt.contract import settle
from dhopt.data import DEFAULT_CASE
from dhopt.diagnose import explain_infeasible, refuse_non_finite
from dhopt.errors import CaseError, InfeasibleError, SolverError
from dhopt.grid import GRID_ROWS, grid_figures
from dhopt.inputs import Inputs, prepare_inputs
from dhopt.model import SIZED_VARIABLES, design_of
from dhopt.network import Network, load_network
from dhopt.phase_out import applies, phase_out_line, replacement_kpis, without_phase_out
from dhopt.reduce import Reduction, drop_campus_routes, reduce_network, with_built_pipes
from dhopt.results import (
    RESULT_FILES,
    design_table,
    kpis,
    network_layer,
    prepare_output,
    to_dataset,
    write_results,
)
from dhopt.reuse import ModelCache, Ready
from dhopt.solve import SolveOptions, SolveReport
from dhopt.trees import collapse_demand_trees

TWO_STAGE_ABOVE_HOURS = 2000
UNMET_NOTED_MWH = 0.05  # unmet heat below this is not noted (it prints as 0.0) [MWh/yr]
REFERENCE_UNMET_CAVEAT = f"compared like for like: {BACKUP_NOTE}"


@dataclass
class Solution:
    """A solved case: what was solved (`case`, `network`, the `inputs` of the last stage: the dispatch
    stage's network as built), the model and its solver report, the results and their KPIs."""

    case: Case
    network: Network
    inputs: Inputs
    model: pyo.ConcreteModel
    solve: SolveReport
    dataset: xr.Dataset  # hourly results, design and the network layer
    kpis: dict[str, float]
    design: pd.DataFrame  # `dhopt.results.design_table`
    reduction: Reduction | None
    timings_s: dict[str, float] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


class Phases:
    """Times each phase and reports one line per phase to `progress` (if any)."""

    def __init__(self, progress: Callable[[str], None] | None = None):
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.start = time.perf_counter()

    def done(self, name: str, detail: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self.start
        self.start = now
        if self.progress:
            self.progress(f"{name:<9} {self.timings[name]:7.2f} s  {detail}")


def network_notes(network: Network) -> list[str]:
    """The CRS line of a GIS network and one ``warning:`` line per repair `load_network` reported."""
    crs = [network.crs.note] if network.crs is not None else []
    return crs + [f"warning: {line}" for line in network.warnings]


def without_campus(inputs: Inputs) -> Inputs:
    """The same network and demand with no data-center campus, no storage and no candidate pipe that
    served only a campus (`dhopt.reduce.drop_campus_routes`), at least cost without a CO2 cap: the reference.

    Campuses with their own electricity (`dhopt.model.power`) stay, with that power side, but recover no
    heat (no heat pump, no direct exchange): their IT load is served either way, so the comparison
    prices the heat recovery alone. A fleet's units recover no heat either (no fleet in the reference)."""
    kept = inputs.sources.index.intersection(inputs.power.index)
    reference = drop_campus_routes(inputs).with_(
        scalars=replace(inputs.scalars, co2_cap_t=None, minimise_co2=False),
        sources=inputs.sources.loc[kept].assign(hp_max_MW=0.0),
        source_heat_MW=inputs.source_heat_MW[kept],
        cop=inputs.cop[kept],
        direct_ok=inputs.direct_ok[kept] & False,
        storage_sites=inputs.storage_sites.iloc[:0],
        fleet=inputs.fleet.iloc[:0],
        fleet_demand_MW=inputs.fleet_demand_MW.iloc[:, :0],
        fleet_el_per_heat_building=inputs.fleet_el_per_heat_building.iloc[:, :0],
        fleet_el_per_heat_network=inputs.fleet_el_per_heat_network.iloc[:, :0],
    )
    return reference


def uses_two_stage(horizon: Horizon, inputs: Inputs) -> bool:
    """Two-stage when asked for, or by default above TWO_STAGE_ABOVE_HOURS hours; needs whole days."""
    wanted = horizon.method == "two_stage" or (
        horizon.method == "auto" and len(inputs.weight_h) > TWO_STAGE_ABOVE_HOURS
    )
    return wanted and can_aggregate(inputs, horizon.typical_days)


def _cached(cache: ModelCache, ready: Ready, inputs: Inputs, options: SolveOptions, hourly: Inputs | None = None):
    """Run a model made ready by `cache`; an infeasible model is explained from its inputs, or for a model of
    typical days from the `hourly` inputs they stand for (with what typical days may add)."""
    try:
        return cache.run(ready, options)
    except InfeasibleError as error:
        explained = explain_infeasible(inputs if hourly is None else hourly)
        if hourly is not None and explained[0].startswith("no cause found"):
            explained = [
                "the design stage on typical days is infeasible, and no cause was found in the hours they stand "
                "for: typical days repeat a day's must-run surplus where the year does not; set [horizon] "
                'method = "monolithic" or more typical_days'
            ]
        raise InfeasibleError(error.problems + explained) from None


@dataclass(frozen=True)
class _Optimised:
    model: pyo.ConcreteModel
    report: SolveReport
    inputs: Inputs  # of the last stage
    model_inputs: Inputs  # the same with its demand trees joined to their hosts (`dhopt.trees`): the model's
    design_cost_EUR: float | None  # of the design stage (None if monolithic)
    grid_duals: dict[str, np.ndarray]  # duals of the grid-limit rows of the last stage, by row [EUR/yr per MW]


def as_built(inputs: Inputs, design: dict[str, dict]) -> tuple[Inputs, dict[str, dict]]:
    """The network as `design` built it, reduced again, and the design for it.

    Candidates not built go, built pipes become existing (`dhopt.reduce.with_built_pipes`), so pipes
    that never bind with the design merge into zones: the full-year dispatch gets the fewest zones.
    Storage capacities are re-keyed to the new zones; pipe decisions leave the design."""
    built, _ = reduce_network(with_built_pipes(inputs, design.get("pipes.build", {})))
    zone = dict(zip(inputs.node_zone.to_numpy(), built.node_zone.to_numpy()))  # old zone -> new zone
    storage = defaultdict(float)
    for site, value in design.get("storage.capacity_MWh", {}).items():
        storage[zone[site]] += value or 0.0
    kept = {name: values for name, values in design.items() if name not in ("pipes.build", "storage.capacity_MWh")}
    return built, kept | {"storage.capacity_MWh": dict(storage)}


def _optimise(inputs: Inputs, horizon: Horizon, options: SolveOptions, phases: Phases, cache: ModelCache) -> _Optimised:
    """Monolithic, or two stages: the design on typical days, then every hour of the horizon on the network
    as built (`as_built`) with the design's integer choices held (pipes and DNs, heat-pump units) and the
    continuous capacities (`SIZED_VARIABLES`: heat pumps, storage) sized again on the full horizon."""
    design = None
    design_cost = None
    if uses_two_stage(horizon, inputs):
        design_inputs = typical_days(inputs, horizon.typical_days)
        ready = cache.ready("design", collapse_demand_trees(design_inputs), options)
        design_model, design_report = _cached(cache, ready, design_inputs, options, hourly=inputs)
        design, design_cost = design_of(design_model), design_report.objective_EUR
        phases.done(
            "design",
            f"{horizon.typical_days} typical days + peak day, {design_model.nvariables()} variables: "
            f"{design_report.status}, gap {design_report.gap:.2%}, {design_cost:,.0f} EUR/yr",
        )
        inputs, design = as_built(inputs, design)
    model_inputs = collapse_demand_trees(inputs)
    ready = cache.ready("dispatch" if design is not None else "monolithic", model_inputs, options, design)
    phases.done(
        "build",
        (f"{len(inputs.nodes)} zones as built, " if design is not None else "")
        + (f"{len(model_inputs.nodes)} nodes with demand trees joined, " if model_inputs is not inputs else "")
        + f"{ready.model.nvariables()} variables, {ready.model.nconstraints()} constraints"
        + (" (an earlier case's model, updated in place)" if ready.reused else ""),
    )
    model, report = _cached(cache, ready, inputs, options)
    if design is not None:  # capacities sized again on every hour, from the held design's basis
        held = {name: values for name, values in design.items() if name not in SIZED_VARIABLES}
        ready = cache.release(ready, model_inputs, held)
        model, resized = _cached(cache, ready, inputs, options)
        report = replace(
            resized, handoff_s=report.handoff_s + resized.handoff_s, solve_s=report.solve_s + resized.solve_s
        )
    detail = f"{report.status}, cost {report.objective_EUR:,.0f} EUR/yr, gap {report.gap:.2%}"
    if design is not None:
        detail += f", heat pumps and storage sized on all {len(inputs.weight_h)} h"
    if design_cost is not None:
        detail += f" (design stage {design_cost / report.objective_EUR - 1:+.1%})"
    phases.done("dispatch" if design is not None else "solve", detail)
    return _Optimised(model, report, inputs, model_inputs, design_cost, cache.row_duals(ready, *GRID_ROWS))


def reference_kpis(inputs: Inputs, options: SolveOptions, cache: ModelCache | None = None) -> dict[str, float]:
    """KPIs of the same network and demand without the campus (existing plants only), from the
    `inputs` of a case before its design stage (best before reduction: a pipe forced because only the
    campus could feed a consumer must not stay in the reference)."""
    reference_inputs, _ = reduce_network(without_campus(inputs))  # pipes that only served the campus go
    cache = cache or ModelCache(keep=False)
    model_inputs = collapse_demand_trees(reference_inputs)
    model, _ = _cached(cache, cache.ready("reference", model_inputs, options), reference_inputs, options)
    return kpis(to_dataset(model, model_inputs), reference_inputs, model)


def compared_with(figures: dict, reference: dict) -> dict[str, float]:
    """A plan's figures against the reference without the campus, like for like: heat either leaves
    unmet is delivered by the backup e-boiler (`dhopt.backup`) on both sides."""
    return {
        "reference_co2_t": served_co2_t(reference),
        "co2_saved_t": served_co2_t(reference) - served_co2_t(figures),
        "reference_annual_cost_EUR": served_cost_EUR(reference),
        "reference_unmet_demand_MWh": reference["unmet_demand_MWh"],
        "reference_backup_MW": reference["unmet_backup_MW"],
        "annual_saving_EUR": served_cost_EUR(reference) - served_cost_EUR(figures),
    }


def _compared(inputs: Inputs, figures: dict, options: SolveOptions, cache: ModelCache) -> tuple[dict, str]:
    """The reference's KPIs and a line on it; a reference without a solution is NaN, noted."""
    try:
        if inputs.sources.empty and inputs.fleet.empty:  # the case is its own reference
            return figures, "no campus in this case: it is its own reference"
        reference = reference_kpis(inputs, options, cache)
        line = f"same network without the campus: {reference['co2_t']:,.0f} t CO2/yr"
        if reference["unmet_demand_MWh"] > UNMET_NOTED_MWH:
            line += (
                f"; it leaves {reference['unmet_demand_MWh']:,.1f} MWh/yr unmet, {REFERENCE_UNMET_CAVEAT} of "
                f"{reference['unmet_backup_MW']:,.1f} MW at {reference['unmet_backup_EUR']:,.0f} EUR/yr"
            )
        return reference, line
    except SolverError as error:  # the case itself solved; only the comparison is missing
        nan = float("nan")
        missing = ("co2_t", "annual_cost_EUR", "unmet_demand_MWh", "unmet_backup_MW", "unmet_backup_EUR")
        return dict.fromkeys(missing + ("unmet_backup_co2_t",), nan), (
            f"same network without the campus has no solution: {error.problems[-1]}"
        )


def _without_shifting(inputs: Inputs, horizon: Horizon, options: SolveOptions, figures: dict) -> dict[str, float]:
    """The fleet's figures with its compute held at each unit's capacity share (no flexible share, no
    deferral), solved again as the case is; the case's own figures when it has no freedom to move compute."""
    fixed = inputs.with_(scalars=replace(inputs.scalars, fleet_flexible_share=0.0, fleet_deferrable=False))
    if inputs.scalars.fleet_flexible_share > 0:
        solved = _optimise(fixed, horizon, options, Phases(), ModelCache(keep=False))
        figures = kpis(to_dataset(solved.model, solved.inputs), solved.inputs, solved.model)
    return {
        "heat_reused_without_shifting_MWh": figures["campus_heat_reused_MWh"],
        "fleet_heat_rejected_without_shifting_MWh": figures["fleet_heat_rejected_MWh"],
        "homes_heated_without_shifting": figures["homes_heated_by_campus"],
        "annual_cost_without_shifting_EUR": figures["annual_cost_EUR"],
    }


def _uncapped(case: Case, network: Network, options: SolveOptions) -> tuple[dict, xr.Dataset]:
    """KPIs and results of the same case without its phase-out (`dhopt.phase_out.without_phase_out`),
    designed and dispatched as the case is (`_optimise`), for what replaced the phased-out plants."""
    inputs, _ = reduce_network(prepare_inputs(without_phase_out(case), network))
    solved = _optimise(inputs, case.spec.horizon, options, Phases(), ModelCache(keep=False))
    dataset = to_dataset(solved.model, solved.model_inputs)
    return kpis(dataset, solved.inputs, solved.model), dataset


def solve_inputs(
    inputs: Inputs,
    case: Case,
    network: Network,
    options: SolveOptions = SolveOptions(),
    *,
    reference: bool = True,
    cache: ModelCache | None = None,
    phases: Phases | None = None,
    reduction: Reduction | None = None,
    reference_from: Inputs | None = None,
) -> Solution:
    """Solve reduced `inputs` of `case` on `network` as `solve_case` does: design (typical days) and
    dispatch, or monolithic, as the case's horizon says; the results; with `reference`, the same network
    without the campus (CO2 saved, annual saving), from `reference_from` (the inputs before reduction,
    so that no pipe forced for the campus's sake stays in it; default `inputs`). `cache` keeps built
    models for the next call."""
    phases = phases or Phases()
    cache = cache or ModelCache(keep=False)
    solved = _optimise(inputs, case.spec.horizon, options, phases, cache)
    model, report = solved.model, solved.report
    dataset = to_dataset(model, solved.model_inputs)
    for row, duals in solved.grid_duals.items():
        name, what = GRID_ROWS[row]
        dataset[name] = xr.DataArray(
            -duals,
            dims="time",
            attrs={"units": "EUR/yr per MW", "description": f"value of 1 MW more {what} limit in the step (-dual)"},
        )
    figures = kpis(dataset, solved.inputs, model) | grid_figures(dataset)
    dataset = dataset.merge(network_layer(network, solved.inputs, dataset))
    figures.update(mip_gap=report.gap, objective_EUR=float(pyo.value(model.cost)), horizon_h=float(case.hours))
    if solved.design_cost_EUR is not None:
        figures["design_stage_cost_EUR"] = solved.design_cost_EUR
    if not solved.inputs.fleet.empty:
        figures.update(_without_shifting(inputs, case.spec.horizon, options, figures))
        phases.done(
            "fixed", f"fleet without compute shifting: {figures['heat_reused_without_shifting_MWh']:,.0f} MWh/yr reused"
        )
    if reference:
        compared, note = _compared(inputs if reference_from is None else reference_from, figures, options, cache)
        figures.update(compared_with(figures, compared))
        figures.update(settle(dataset, solved.inputs, figures["annual_saving_EUR"]))
        phases.done("reference", note)
    if applies(case):
        uncapped, uncapped_ds = _uncapped(case, network, options)
        figures.update(replacement_kpis(case, figures, dataset, uncapped, uncapped_ds))
        phases.done("uncapped", phase_out_line(figures))
    refuse_non_finite(figures, case.path)  # an answer with NaN or infinite costs is no answer
    design = design_table(dataset)
    return Solution(case, network, solved.inputs, model, report, dataset, figures, design, reduction, phases.timings)


def solve_case(
    case: Case | str | Path | None = None,
    options: SolveOptions = SolveOptions(),
    *,
    network: Network | None = None,
    reference: bool = True,
    cache: ModelCache | None = None,
    progress: Callable[[str], None] | None = None,
    phases: Phases | None = None,
) -> Solution:
    """Solve one case (a `Case` or a case file; default: the embedded one) end to end: load, reduce,
    design, dispatch, results and, with `reference`, the comparison without the campus.

    `network`: the case's network already loaded (or changed by a planning question); `cache`: models
    kept from earlier calls, re-solved in place when only parameters differ (`dhopt.reuse`);
    `progress`: called with one line per phase (or `phases`, a running `Phases`)."""
    phases = phases or Phases(progress)
    case = case if isinstance(case, Case) else load_case(case or DEFAULT_CASE)
    network = network if network is not None else load_network(case.network_path, case.spec.network_options)
    phases.done(
        "load", f"case '{case.spec.name}' ({case.hours} h), {len(network.nodes)} nodes, {len(network.pipes)} pipes"
    )
    if phases.progress:  # topology from geometry's repairs and the CRS of a GIS network
        for line in network_notes(network):
            phases.progress(line)
    prepared = prepare_inputs(case, network)
    inputs, reduction = reduce_network(prepared)
    phases.done(
        "reduce",
        f"{reduction.nodes_before} -> {reduction.nodes_after} nodes, {reduction.pipes_before} -> "
        f"{reduction.pipes_after} pipes, {reduction.options_before} -> {reduction.options_after} DN choices",
    )
    return solve_inputs(
        inputs,
        case,
        network,
        options,
        reference=reference,
        cache=cache,
        phases=phases,
        reduction=reduction,
        reference_from=prepared,
    )


def _refuse_overwriting_inputs(case: Case, out_dir: Path) -> None:
    """A run never writes over its own case, network or time-series file."""
    inputs = {case.path.resolve(), case.network_path.resolve(), case.timeseries_path.resolve()}
    clashes = sorted(str(out_dir.resolve() / name) for name in RESULT_FILES if (out_dir.resolve() / name) in inputs)
    if clashes:
        raise CaseError(
            f"--out {out_dir}: would overwrite the input file(s) {', '.join(clashes)}; choose another directory"
        )


def run_case(
    case_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    options: SolveOptions = SolveOptions(),
    progress: Callable[[str], None] | None = None,
    cache: ModelCache | None = None,
) -> Solution:
    """`solve_case` on a case file (default: the embedded one), then its results written to `out_dir`
    (if given): results.nc, design.csv, kpis.json, each complete or absent."""
    phases = Phases(progress)
    case = load_case(case_path or DEFAULT_CASE)
    if out_dir is not None:
        _refuse_overwriting_inputs(case, Path(out_dir))
        prepare_output(Path(out_dir))  # a folder results can be written to, checked before the solve
    solution = solve_case(case, options, cache=cache, phases=phases)
    if out_dir is not None:
        report, dataset = solution.solve, solution.dataset
        dataset.attrs.update({k: float(v) for k, v in solution.kpis.items()})
        dataset.attrs.update(
            solver_status=str(report.status), timings_s=str(solution.timings_s), case_json=case.spec.model_dump_json()
        )
        solution.written = write_results(Path(out_dir), dataset, solution.kpis, solution.design)
        phases.done("write", f"{Path(out_dir)}/ ({', '.join(p.name for p in solution.written)})")
    return solution
