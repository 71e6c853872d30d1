"""Hand a built model to HiGHS in memory (Pyomo's persistent `highs` interface) and report status.

HiGHS threads are pinned (default 1) and the random seed fixed, so the same inputs give the
same answer.
"""

from __future__ import annotations

import io
import math
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from dhopt.errors import SolverError


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float | None = None
    mip_gap: float = 1e-4
    threads: int = 1
    verbose: bool = False


@dataclass(frozen=True)
class SolveReport:
    status: str  # "optimal" or "time_limit" (a feasible solution whose gap is reported)
    objective_EUR: float
    bound_EUR: float
    gap: float  # relative MIP gap [-]; 0 for an LP solved to optimality
    solve_s: float


def _gap(objective: float, bound: float) -> float:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve(model: pyo.ConcreteModel, options: SolveOptions = SolveOptions()) -> SolveReport:
    """Solve in place; raise `SolverError` when there is no usable solution."""
    solver = Highs()
    config = {
        "tee": options.verbose,
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "threads": options.threads,
        "rel_gap": options.mip_gap,
        "solver_options": {"random_seed": 0, "log_to_console": options.verbose, "output_flag": options.verbose},
    }
    if options.time_limit_s is not None:
        config["time_limit"] = options.time_limit_s
    start = time.perf_counter()
    stream = sys.stdout if options.verbose else io.StringIO()
    with redirect_stdout(stream):
        results = solver.solve(model, **config)
    elapsed = time.perf_counter() - start
    condition = results.termination_condition
    if condition in (TerminationCondition.provenInfeasible, TerminationCondition.locallyInfeasible):
        raise SolverError("the model is infeasible: " + _infeasible_hint(model))
    if condition == TerminationCondition.infeasibleOrUnbounded:
        raise SolverError("the model is infeasible or unbounded: " + _infeasible_hint(model))
    if results.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
        if condition == TerminationCondition.maxTimeLimit:
            raise SolverError(f"no feasible solution found within the time limit of {options.time_limit_s} s")
        raise SolverError(f"HiGHS stopped without a solution ({condition.name})")
    results.solution_loader.load_vars()
    objective = float(results.incumbent_objective)
    bound = results.objective_bound
    bound = float(bound) if bound is not None else objective
    optimal = condition == TerminationCondition.convergenceCriteriaSatisfied
    return SolveReport(
        status="optimal" if optimal else "time_limit",
        objective_EUR=objective,
        bound_EUR=bound,
        gap=0.0 if optimal and bound == objective else _gap(objective, bound),
        solve_s=elapsed,
    )


def _infeasible_hint(model: pyo.ConcreteModel) -> str:
    """Name the structural conflict the model can have: must-run heat with nowhere to go."""
    plants = model.plants
    must_run = sum(plants.heat_MW[p, 0].lb for p in plants.P)
    if must_run > 0:
        return (
            f"plants must run at {must_run:.1f} MW in total (must_run_MW) - check that demand plus "
            "losses plus storage can absorb it in every hour (constraint family heat_balance)"
        )
    return "check pipe capacities and plant limits (constraint family heat_balance)"
