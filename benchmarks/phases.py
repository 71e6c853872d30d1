"""The benchmark worker: one case in a fresh process, timed phase by phase as `dhopt.run.run_case` runs it.

    python benchmarks/phases.py worker SPEC.json RESULT.json   # dhopt, phase by phase (+ MPS export)
    python benchmarks/phases.py raw SPEC.json RESULT.json      # HiGHS alone on the exported MPS

Called by benchmarks/run.py, one process per case, so ``ru_maxrss`` is the case's own peak. Phases:
load (case + network), prepare (inputs), reduce, [design stage: typical days, build, hand-off, solve,
read-back], build (+ fixed design), hand-off, solve, read-back, results (dataset + KPIs), reference
(the same network without the campus, as run_case solves it), write. Imports happen before the clock
starts. The record is saved after every phase, so a killed case keeps what it finished.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PHASES = (
    "load",
    "prepare",
    "reduce",
    "design_days",
    "design_build",
    "design_handoff",
    "design_solve",
    "design_readback",
    "build",
    "handoff",
    "solve",
    "readback",
    "resize",
    "results",
    "reference",
    "write",
)
TO_SOLUTION = PHASES[: PHASES.index("resize") + 1]  # load -> solution of the final model
STAGE = ("build", "handoff", "solve", "readback", "resize")  # the final model: build -> loaded solution


def dhopt_source_hash() -> str:
    """Short hash of dhopt's source files: the core changes while benchmarks run, this says which one ran."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((REPO / "dhopt").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def _rss_MB() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


class _Clock:
    """Phase timer that saves the record after every phase, so a killed case keeps what it finished."""

    def __init__(self, record: dict, path: Path):
        self.record, self.path = record, path
        self.record.setdefault("phases", {})
        self.start = time.perf_counter()

    def done(self, phase: str, seconds: float | None = None) -> None:
        self.record["phases"][phase] = time.perf_counter() - self.start if seconds is None else seconds
        self.record.setdefault("peak_rss_after_MB", {})[phase] = _rss_MB()  # which phase raised the peak
        self.save()
        self.start = time.perf_counter()  # saving is not part of the next phase

    def restart(self) -> None:
        self.start = time.perf_counter()

    def save(self) -> None:
        self.path.write_text(json.dumps(self.record, default=json_default))


def json_default(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _model_size(model) -> dict:
    import pyomo.environ as pyo

    variables = list(model.component_data_objects(pyo.Var, descend_into=True))
    free = [v for v in variables if not v.fixed]
    return {
        "variables": len(variables),
        "free_variables": len(free),
        "constraints": sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True, descend_into=True)),
        "binaries": sum(1 for v in free if v.is_binary()),
        "integers": sum(1 for v in free if v.is_integer() and not v.is_binary()),
    }


def _solve_timed(model, options, clock: _Clock, prefix: str):
    """dhopt.solve.solve, split into hand-off, HiGHS run and read-back (wall minus the two); returns the
    report, the HiGHS instance and what was passed to it."""
    from pyomo.common.gc_manager import PauseGC

    from dhopt.handoff import to_highs
    from dhopt.solve import configured_highs, run_highs

    start = time.perf_counter()
    with PauseGC():  # as dhopt.solve.solve
        highs = configured_highs(options)
        passed = to_highs(model, highs)
        report = run_highs(highs, passed.columns, model, options, handoff_s=time.perf_counter() - start)
    wall = time.perf_counter() - start
    handoff = getattr(report, "handoff_s", float("nan"))
    run = getattr(report, "solve_s", float("nan"))
    clock.record["phases"][f"{prefix}handoff"] = handoff
    clock.record["phases"][f"{prefix}solve"] = run
    clock.done(f"{prefix}readback", wall - handoff - run)
    return report, highs, passed


def _resize_timed(model, built, design: dict, options, clock: _Clock, highs, passed):
    """As dhopt.run: the dispatch solved again from its basis with heat pumps and storage free."""
    import numpy as np
    from pyomo.common.gc_manager import PauseGC

    from dhopt.model import SIZED_VARIABLES, release_sizes
    from dhopt.solve import run_highs

    with PauseGC():
        release_sizes(model, built, {k: v for k, v in design.items() if k not in SIZED_VARIABLES})
        columns = [j for j, v in enumerate(passed.columns) if v.parent_component().name in SIZED_VARIABLES]
        sized = [passed.columns[j] for j in columns]
        lower = np.array([v.lb if v.lb is not None else -np.inf for v in sized], dtype=float)
        upper = np.array([v.ub if v.ub is not None else np.inf for v in sized], dtype=float)
        highs.changeColsBounds(len(columns), np.array(columns, dtype=np.int32), lower, upper)
        report = run_highs(highs, passed.columns, model, options, handoff_s=0.0)
    clock.done("resize")
    return report


def _options(spec: dict):
    from dhopt.solve import SolveOptions

    keys = {k: spec[k] for k in ("time_limit_s", "mip_gap") if spec.get(k) is not None}
    return SolveOptions(threads=1, **keys)


def _front(case_path: Path, clock: _Clock):
    """load, prepare, reduce - as run_case does."""
    from dataclasses import asdict

    from dhopt.case import load_case
    from dhopt.inputs import prepare_inputs
    from dhopt.network import load_network
    from dhopt.reduce import reduce_network

    record = clock.record
    case = load_case(case_path)
    network = load_network(case.network_path)
    clock.done("load")
    prepared = prepare_inputs(case, network)
    clock.done("prepare")
    inputs, reduction = reduce_network(prepared)
    clock.done("reduce")
    record["reduction"] = asdict(reduction)
    record["homes_total"] = float(network.nodes["homes"].fillna(0).sum())
    record["hours"] = case.hours
    return case, network, inputs


def _design_stage(case, inputs, options, clock: _Clock):
    """The design stage of a two-stage case (typical days); None for a monolithic case."""
    from pyomo.common.gc_manager import PauseGC

    from dhopt.aggregate import typical_days
    from dhopt.model import build_model, design_of
    from dhopt.run import uses_two_stage
    from dhopt.start import set_start

    record = clock.record
    record["method"] = "two_stage" if uses_two_stage(case.spec.horizon, inputs) else "monolithic"
    if record["method"] != "two_stage":
        return None
    design_inputs = typical_days(inputs, case.spec.horizon.typical_days)
    clock.done("design_days")
    with PauseGC():  # as dhopt.reuse.ModelCache builds
        design_model = build_model(design_inputs)
        set_start(design_model, design_inputs)  # as run_case: the improved tree (dhopt.start) as MIP start
    clock.done("design_build")
    report = _solve_timed(design_model, options, clock, "design_")[0]
    record.update(design_status=report.status, design_objective_EUR=report.objective_EUR, design_gap=report.gap)
    record["design_size"] = _model_size(design_model)
    design = design_of(design_model)
    clock.restart()
    return design


def worker(spec_path: Path, result_path: Path) -> None:
    """Run one case (spec JSON) and write its record (JSON) to `result_path`."""
    spec = json.loads(spec_path.read_text())
    record = {"name": spec["name"], "status": "running", "import_rss_MB": None, "dhopt_hash": dhopt_source_hash()}
    clock = _Clock(record, result_path)
    import highspy  # noqa: F401  (import time is not a phase: import everything the phases use first)
    import pyomo.environ as pyo  # noqa: F401

    import dhopt.run  # noqa: F401  (imports every dhopt layer run_case uses)

    record["import_rss_MB"] = _rss_MB()
    record["load_average_at_start"] = os.getloadavg()[0]
    cpu_start, wall_start = _cpu_s(), time.perf_counter()
    clock.restart()
    try:
        options = _options(spec)
        if spec.get("kind") == "resolve":
            resolve(spec, clock, options)
        else:
            run_phases(spec, clock, options)
        record["status"] = record.get("solve_status", "ok")
    except Exception as error:  # record and go on: the runner keeps the other cases
        after = f"after {list(record['phases'])[-1]}" if record["phases"] else "in load"
        first_line = str(error).splitlines()[0] if str(error) else ""
        record["status"] = "error"
        record["message"] = f"{type(error).__name__} {after}: {first_line}"
        record["traceback"] = traceback.format_exc()[-3000:]
    record["peak_rss_MB"] = record.get("peak_rss_MB") or _rss_MB()
    # single-threaded work: CPU time / wall time well below 1 means the machine was busy with other work
    record["cpu_share"] = (_cpu_s() - cpu_start) / (time.perf_counter() - wall_start)
    record["load_average_at_end"] = os.getloadavg()[0]
    clock.save()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _final_model(spec: dict, clock: _Clock, options):
    """As run_case: load, reduce, design stage if two-stage, then the model to solve, built on the
    network as built with the design fixed (two-stage) or with the tree start (dhopt.start)
    (monolithic). Returns case, network, the reduced inputs, the inputs of the final model, design
    (None if monolithic) and model."""
    from pyomo.common.gc_manager import PauseGC

    from dhopt.model import build_model, fix_design
    from dhopt.run import as_built
    from dhopt.start import set_start

    case, network, inputs = _front(Path(spec["case_path"]), clock)
    design = _design_stage(case, inputs, options, clock)
    built = inputs
    if design is not None:
        built, design = as_built(inputs, design)
        clock.record["zones_as_built"] = len(built.nodes)
    with PauseGC():  # as dhopt.reuse.ModelCache builds
        model = build_model(built)
        if design is not None:
            fix_design(model, design)
        else:
            set_start(model, built)
    clock.done("build")
    return case, network, inputs, built, design, model


def run_phases(spec: dict, clock: _Clock, options) -> None:
    """Every phase of run_case, timed; then the final model is written as MPS for HiGHS alone."""
    from dhopt.errors import SolverError
    from dhopt.results import design_table, kpis, network_layer, to_dataset, write_results
    from dhopt.run import reference_kpis

    record = clock.record
    case, network, inputs, built, design, model = _final_model(spec, clock, options)
    report, highs, passed = _solve_timed(model, options, clock, "")
    if design is not None:
        report = _resize_timed(model, built, design, options, clock, highs, passed)
    record.update(solve_status=report.status, objective_EUR=report.objective_EUR, gap=report.gap)
    record["bound_EUR"] = getattr(report, "bound_EUR", None)

    dataset = to_dataset(model, built)
    figures = kpis(dataset, built, model)
    dataset = dataset.merge(network_layer(network, built, dataset))
    clock.done("results")
    record["unmet_demand_MWh"] = figures.get("unmet_demand_MWh")
    try:  # as run_case: a case without a campus is its own reference
        if not inputs.sources.empty:
            reference_kpis(inputs, options)
    except SolverError as error:  # as run_case: the comparison is missing, the case stands
        record["reference_message"] = str(error).splitlines()[-1]
    clock.done("reference")
    with tempfile.TemporaryDirectory() as out:
        design_frame = design_table(dataset)
        dataset.attrs.update({k: float(v) for k, v in figures.items()})
        write_results(Path(out), dataset, figures, design_frame)
        clock.done("write")
    record["peak_rss_MB"] = _rss_MB()  # before the MPS export below
    record["size"] = _model_size(model)
    if spec.get("raw"):
        _export_mps(model, Path(spec["mps_path"]), record)
    clock.save()


def _export_mps(model, path: Path, record: dict) -> None:
    import highspy

    from dhopt.handoff import to_highs

    start = time.perf_counter()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    to_highs(model, highs)
    highs.writeModel(str(path))
    lp = highs.getLp()
    record["highs_size"] = {
        "columns": highs.getNumCol(),
        "rows": highs.getNumRow(),
        "nonzeros": highs.getNumNz(),
        "integer_columns": int(sum(1 for i in lp.integrality_ if int(i) != 0)) if len(lp.integrality_) else 0,
    }
    record["mps_write_s"] = time.perf_counter() - start
    record["mps_MB"] = path.stat().st_size / 1e6


def resolve(spec: dict, clock: _Clock, options) -> None:
    """Change prices, then capacities, of a solved full-year dispatch: re-solve in place vs build anew.

    Changes, one after the other: (1) electricity price +25 % (heat-pump and electric-boiler costs);
    (2) then every plant's capacity -5 %. Re-solve: `dhopt.reuse.ModelCache` updates the model it
    holds in HiGHS (costs, bounds) and runs it from its last basis. Rebuild: a cache that keeps
    nothing, i.e. `build_model` on the changed inputs with the design fixed, hand-off and solve.
    """
    import numpy as np

    from dhopt.reuse import ModelCache

    record = clock.record
    case, network, _, inputs, design, model = _final_model(spec, clock, options)
    del model  # the cache builds its own
    cache = ModelCache()
    ready = cache.ready("dispatch", inputs, options, design)
    clock.done("handoff")
    _, report = cache.run(ready, options)
    clock.done("solve")
    record["objective_EUR"] = report.objective_EUR

    price = inputs.electricity_EUR_per_MWh * 1.25
    plant_cost = inputs.plant_cost_EUR_per_MWh + np.outer(
        (price - inputs.electricity_EUR_per_MWh).to_numpy(), inputs.plant_electricity_per_heat.to_numpy()
    )
    priced = inputs.with_(electricity_EUR_per_MWh=price, plant_cost_EUR_per_MWh=plant_cost)
    smaller = priced.with_(plants=inputs.plants.assign(capacity_MW=inputs.plants["capacity_MW"] * 0.95))
    record["resolve"] = []
    for change, changed in (("electricity price x1.25", priced), ("then plant capacities x0.95", smaller)):
        start = time.perf_counter()
        fresh = ModelCache(keep=False).ready("dispatch", changed, options, design)
        build_s = time.perf_counter() - start
        _, rebuilt = ModelCache.run(fresh, options)
        rebuild_s = time.perf_counter() - start

        start = time.perf_counter()
        ready = cache.ready("dispatch", changed, options, design)
        _, resolved = cache.run(ready, options)
        resolve_s = time.perf_counter() - start
        del fresh  # freeing the rebuilt model is neither's cost: not inside the re-solve's clock
        record["resolve"].append(
            {
                "change": change,
                "rebuild_build_s": build_s,
                "rebuild_s": rebuild_s,
                "resolve_s": resolve_s,
                "resolve_update_s": ready.seconds,
                "resolve_highs_s": resolved.solve_s,
                "speedup": rebuild_s / resolve_s,
                "rebuild_objective_EUR": rebuilt.objective_EUR,
                "resolve_objective_EUR": resolved.objective_EUR,
                "objective_rel_diff": abs(resolved.objective_EUR - rebuilt.objective_EUR) / abs(rebuilt.objective_EUR),
                "reused": resolved.reused,
                "resolve_simplex_iterations": int(ready.held.highs.getInfo().simplex_iteration_count),
                "highs_model_status": resolved.status,
            }
        )
        clock.save()
    ok = all(r["reused"] and r["highs_model_status"] == "optimal" and r["objective_rel_diff"] < 1e-6
             for r in record["resolve"])  # fmt: skip
    record["solve_status"] = "optimal" if ok else "check: re-solve and rebuild disagree"
    record["peak_rss_MB"] = _rss_MB()
    clock.save()


def raw_worker(spec_path: Path, result_path: Path) -> None:
    """HiGHS alone on the MPS file of a case: readModel, threads = 1, run."""
    import highspy

    spec = json.loads(spec_path.read_text())
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("mip_rel_gap", spec.get("mip_gap") or 1e-4)
    if spec.get("time_limit_s"):
        highs.setOptionValue("time_limit", float(spec["time_limit_s"]))
    start = time.perf_counter()
    highs.readModel(spec["mps_path"])
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    highs.run()
    solve_s = time.perf_counter() - start
    info = highs.getInfo()
    is_mip = info.mip_node_count >= 0
    result = {
        "read_s": read_s,
        "solve_s": solve_s,
        "status": highs.modelStatusToString(highs.getModelStatus()),
        "objective_EUR": info.objective_function_value,
        "gap": (info.mip_gap if math.isfinite(info.mip_gap) else None) if is_mip else 0.0,
        "peak_rss_MB": _rss_MB(),
    }
    result_path.write_text(json.dumps(result))


if __name__ == "__main__":
    {"worker": worker, "raw": raw_worker}[sys.argv[1]](Path(sys.argv[2]), Path(sys.argv[3]))
