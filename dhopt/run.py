"""Run one case end to end: load, reduce, build, solve, compare with no campus, write.

`run_case` is what the CLI calls and what batch runs map over cases.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from dhopt.case import load_case
from dhopt.inputs import Inputs, prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.reduce import Reduction, reduce_network
from dhopt.results import design_table, kpis, to_dataset, write_results
from dhopt.solve import SolveOptions, SolveReport, solve

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASE = PROJECT_ROOT / "cases" / "ballerup.toml"


@dataclass
class RunResult:
    dataset: xr.Dataset
    kpis: dict[str, float]
    design: pd.DataFrame
    solve: SolveReport
    reduction: Reduction
    timings_s: dict[str, float] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)


class _Phases:
    """Times each phase and reports one line per phase."""

    def __init__(self, progress: Callable[[str], None] | None):
        self.progress = progress
        self.timings: dict[str, float] = {}

    def done(self, name: str, start: float, detail: str) -> None:
        self.timings[name] = time.perf_counter() - start
        if self.progress:
            self.progress(f"{name:<9} {self.timings[name]:7.2f} s  {detail}")


def without_campus(inputs: Inputs) -> Inputs:
    """The same network and demand with no data-center campus and no storage: the reference."""
    none = inputs.sources.index[:0]
    return inputs.with_(
        sources=inputs.sources.loc[none],
        source_heat_MW=inputs.source_heat_MW[none],
        cop=inputs.cop[none],
        direct_ok=inputs.direct_ok[none],
        storage_sites=inputs.storage_sites.iloc[:0],
    )


def solve_inputs(inputs: Inputs, options: SolveOptions):
    """Build and solve; return the model, its solve report and the build time [s]."""
    start = time.perf_counter()
    model = build_model(inputs)
    build_s = time.perf_counter() - start
    return model, solve(model, options), build_s


def run_case(
    case_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    options: SolveOptions = SolveOptions(),
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Solve one case (default: the embedded Ballerup case) and optionally write its results."""
    phases = _Phases(progress)
    start = time.perf_counter()
    case = load_case(case_path or DEFAULT_CASE)
    network = load_network(case.network_path)
    phases.done(
        "load", start, f"case '{case.spec.name}' ({case.hours} h), {len(network.nodes)} nodes, {len(network.pipes)} pipes"
    )

    start = time.perf_counter()
    inputs, reduction = reduce_network(prepare_inputs(case, network))
    phases.done(
        "reduce",
        start,
        f"{reduction.nodes_before} -> {reduction.nodes_after} nodes, {reduction.pipes_before} -> {reduction.pipes_after} pipes",
    )

    start = time.perf_counter()
    model = build_model(inputs)
    phases.done("build", start, f"{model.nvariables()} variables, {model.nconstraints()} constraints")

    start = time.perf_counter()
    report = solve(model, options)
    phases.done("solve", start, f"{report.status}, cost {report.objective_EUR:,.0f} EUR/yr, gap {report.gap:.2%}")

    start = time.perf_counter()
    dataset = to_dataset(model, inputs)
    figures = kpis(dataset, inputs, model)
    reference_model, reference_report, _ = solve_inputs(without_campus(inputs), options)
    reference = kpis(to_dataset(reference_model, without_campus(inputs)), without_campus(inputs), reference_model)
    figures["reference_co2_t"] = reference["co2_t"]
    figures["co2_saved_t"] = reference["co2_t"] - figures["co2_t"]
    figures["reference_annual_cost_EUR"] = reference["annual_cost_EUR"]
    figures["annual_saving_EUR"] = reference["annual_cost_EUR"] - figures["annual_cost_EUR"]
    figures["mip_gap"] = report.gap
    phases.done("reference", start, f"same network without the campus: {reference['co2_t']:,.0f} t CO2")

    design = design_table(dataset)
    result = RunResult(dataset, figures, design, report, reduction, phases.timings)
    if out_dir is not None:
        start = time.perf_counter()
        dataset.attrs.update({k: float(v) for k, v in figures.items()})
        result.written = write_results(Path(out_dir), dataset, figures, design)
        phases.done("write", start, f"{Path(out_dir)}/ ({', '.join(p.name for p in result.written)})")
    return result
