"""Solve a built model with HiGHS in memory (`dhopt.handoff`) and report status, gap and time.

HiGHS threads are pinned (default 1) and its random seed fixed, so the same inputs give the same
answer. HiGHS's root reduced-cost heuristic is off (`QUIET_HEURISTICS`): on dhopt's design MILPs it
found nothing the other heuristics and dhopt's own start (`dhopt.start`) did not, while taking most
of the time (README "Speed").
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum

import highspy
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from dhopt.errors import InfeasibleError, SolverError
from dhopt.handoff import load_solution, to_highs

Status = highspy.HighsModelStatus
INFEASIBLE = (Status.kInfeasible, Status.kUnboundedOrInfeasible)
LIMITS = (Status.kTimeLimit, Status.kIterationLimit, Status.kSolutionLimit, Status.kInterrupt)
# Measured on design MILPs (1 thread): the default case's typical days 9.0 s -> 2.5 s to the same
# optimum; topotherm peak hour, synthetic 100/200-home candidates: incumbent within 0.4 %, bound alike,
# at the same time limit. RINS and RENS stay on: without them those candidates ended 1.5 % worse.
QUIET_HEURISTICS = {"mip_heuristic_run_root_reduced_cost": False}


class SolveStatus(StrEnum):
    """How a solve that returned a solution ended (without one, `SolverError` is raised instead)."""

    OPTIMAL = "optimal"  # optimal within the relative MIP gap
    TIME_LIMIT = "time_limit"  # stopped at a limit with a feasible solution; its gap is reported

    @classmethod
    def of(cls, status: highspy.HighsModelStatus) -> SolveStatus:
        """The status of a HiGHS run that has a feasible solution."""
        return cls.OPTIMAL if status == Status.kOptimal else cls.TIME_LIMIT


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float | None = None
    mip_gap: float = 1e-4
    threads: int = 1
    verbose: bool = False


@dataclass(frozen=True)
class SolveReport:
    status: SolveStatus
    objective_EUR: float
    bound_EUR: float
    gap: float  # relative MIP gap [-]; 0 for an LP solved to optimality
    handoff_s: float  # Pyomo model -> HiGHS in memory [s]
    solve_s: float  # HiGHS run [s]
    reused: bool = False  # an earlier case's model updated in place (`dhopt.reuse`), not built


def configured_highs(options: SolveOptions) -> highspy.Highs:
    """A HiGHS instance with dhopt's settings: pinned threads, fixed seed, gap, time limit."""
    highs = highspy.Highs()
    apply_options(highs, options)
    return highs


def apply_options(highs: highspy.Highs, options: SolveOptions) -> None:
    """Set output, threads, seed, gap, time limit (none: unlimited) and `QUIET_HEURISTICS` on a HiGHS instance."""
    highs.setOptionValue("output_flag", options.verbose)
    highs.setOptionValue("threads", options.threads)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("mip_rel_gap", options.mip_gap)
    highs.setOptionValue("time_limit", float("inf") if options.time_limit_s is None else float(options.time_limit_s))
    for name, value in QUIET_HEURISTICS.items():
        highs.setOptionValue(name, value)


def solve(model: pyo.ConcreteModel, options: SolveOptions = SolveOptions()) -> SolveReport:
    """Solve in place; raise `SolverError` when there is no usable solution."""
    start = time.perf_counter()
    with PauseGC():  # no cyclic collection walking the model's components (`dhopt.reuse.ModelCache.run`)
        highs = configured_highs(options)
        passed = to_highs(model, highs)
        return run_highs(highs, passed.columns, model, options, handoff_s=time.perf_counter() - start)


def run_highs(
    highs: highspy.Highs, columns: list, model: pyo.ConcreteModel, options: SolveOptions, handoff_s: float
) -> SolveReport:
    """Run a HiGHS instance that holds `model`, load its solution into the Pyomo variables and report.

    Raises `InfeasibleError` for an infeasible model and `SolverError` when there is no solution."""
    start = time.perf_counter()
    highs.run()
    solve_s = time.perf_counter() - start
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status in INFEASIBLE:
        raise InfeasibleError("the model is infeasible (HiGHS: " + highs.modelStatusToString(status) + ")")
    if not has_solution:
        if status in LIMITS:
            raise SolverError(f"no feasible solution found within the time limit of {options.time_limit_s} s")
        raise SolverError(f"HiGHS stopped without a solution ({highs.modelStatusToString(status)})")
    load_solution(highs, columns)
    objective = float(info.objective_function_value)  # = model.cost at the loaded solution (offset included)
    is_mip = info.mip_node_count >= 0
    bound = float(info.mip_dual_bound) if is_mip else objective
    gap = float(info.mip_gap) if is_mip else 0.0
    return SolveReport(
        status=SolveStatus.of(status),
        objective_EUR=objective,
        bound_EUR=bound,
        gap=gap if math.isfinite(gap) else math.inf,
        handoff_s=handoff_s,
        solve_s=solve_s,
    )
