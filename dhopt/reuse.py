"""Keep built models in HiGHS and re-solve them when a case changes only parameters.

Cases of a sweep or an export curve often differ only in prices, costs, capacities or the import
limit. Those enter a built model only as objective coefficients, column bounds and the import
limit's row bounds, so the model held in HiGHS is updated in place (`changeColsCost`,
`changeColsBounds`, `changeRowsBounds`) and re-run from its last basis or solution, instead of
being built, compiled and passed anew.

Whether two inputs give the same structure is decided by `structure_key`, a hash of what
`dhopt.inputs.structural_items` yields: every input not declared re-solvable where it is defined
(`dhopt.inputs.declared`). Anything else that differs (network, demand, temperatures, COP, typical
days, the set of candidate DNs...) gives another key and a fresh build, so a reused model never
silently keeps stale data; the update rewrites every channel a re-solvable input may use
(`dhopt.inputs.resolve_channels`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from dhopt.case import resolvable_fields
from dhopt.handoff import Passed, pass_start, to_highs
from dhopt.inputs import BOUNDS, COST, RESULTS, ROWS, Inputs, resolve_channels, structural_items
from dhopt.model import (
    DESIGN_VARIABLES,
    PARAMETER_BOUNDS,
    ROW_LIMITS,
    SIZED_VARIABLES,
    build_model,
    fix_design,
    refresh_parameters,
    release_sizes,
)
from dhopt.model.objective import cost_variables, objective_coefficients
from dhopt.solve import SolveOptions, SolveReport, apply_options, configured_highs, run_highs
from dhopt.start import set_start

PRIMAL_SIMPLEX = 4  # HiGHS simplex_strategy
PARAMETER_FIELDS = resolvable_fields()
"""Case fields that reach a built model only through its objective, column bounds or import limit."""


def structural_case(case: dict) -> dict:
    """A copy of a case dictionary without its re-solvable fields (`PARAMETER_FIELDS`; of an optional one,
    such as the import limit, only whether it is given): cases with equal copies may share one model
    (`dhopt.batch` orders by it)."""
    content = json.loads(json.dumps(case, default=str))
    for section, names in PARAMETER_FIELDS.items():
        part = content.get(section, {}) if section else content
        for name, optional in names.items():
            if optional:
                part[name] = part.get(name) is not None  # its value is a parameter, its presence is not
            else:
                part.pop(name, None)
    return content


def structure_key(inputs: Inputs) -> str:
    """Hash of everything in `inputs` that shapes the model (`dhopt.inputs.structural_items`)."""
    digest = hashlib.sha256()
    for name, value in structural_items(inputs):
        digest.update(name.encode() + _fingerprint(value))
    return digest.hexdigest()


def _fingerprint(value) -> bytes:
    if isinstance(value, pd.DataFrame | pd.Series):
        columns = repr(list(value.columns)) if isinstance(value, pd.DataFrame) else repr(value.name)
        hashed = pd.util.hash_pandas_object(value, index=True) if len(value) else pd.Series(dtype="uint64")
        return columns.encode() + hashed.to_numpy().tobytes()
    if isinstance(value, pd.Index):
        return _fingerprint(value.to_series())
    if isinstance(value, np.ndarray):
        return repr((value.shape, value.dtype.str)).encode() + np.ascontiguousarray(value).tobytes()
    return repr(value).encode()


@dataclass
class _Held:
    key: str
    model: pyo.ConcreteModel
    highs: highspy.Highs
    passed: Passed
    bounded: np.ndarray  # HiGHS columns whose bounds `refresh_parameters` or `fix_design` may change
    cost_vars: tuple[list, list]  # `cost_variables(model)`: investment, operation
    cost_columns: np.ndarray  # their HiGHS columns, in the same order
    limit_rows: np.ndarray  # HiGHS rows of the row limits (`dhopt.model.ROW_LIMITS`)
    limit_offset: np.ndarray  # row upper bound minus its limit (constants moved out of the rows) [MW or t]


@dataclass(frozen=True)
class Ready:
    """A model in HiGHS, ready to run: updated in place (``reused``) or built, in ``seconds``."""

    held: _Held
    reused: bool
    seconds: float
    primal: bool = False  # run primal simplex (the basis is primal feasible after `release`)

    @property
    def model(self) -> pyo.ConcreteModel:
        return self.held.model


class ModelCache:
    """Solves models, keeping the last one of each role ("design", "dispatch", "reference") in HiGHS.

    ``keep=False`` keeps nothing: every call builds and solves afresh (a single run). Counters:
    ``built`` and ``reused`` calls."""

    def __init__(self, keep: bool = True):
        self.keep = keep
        self.held: dict[str, _Held] = {}
        self.built = 0
        self.reused = 0

    def solve(
        self, role: str, inputs: Inputs, options: SolveOptions, design: dict | None = None
    ) -> tuple[pyo.ConcreteModel, SolveReport]:
        """Solve `inputs` (with `design` held fixed, if given); raise `SolverError` without a solution."""
        return self.run(self.ready(role, inputs, options, design), options)

    def ready(self, role: str, inputs: Inputs, options: SolveOptions, design: dict | None = None) -> Ready:
        """The model of `inputs` in HiGHS: the held one updated in place when the structure is the same,
        else a new build (which replaces the held one)."""
        start = time.perf_counter()
        key = structure_key(inputs) if self.keep else ""
        held = self.held.get(role)
        reused = held is not None and held.key == key
        self.held.pop(role, None)  # held again only once whole: a failed update leaves nothing stale
        with PauseGC():  # see `run`
            if reused:
                self._update(held, inputs, design)
                apply_options(held.highs, options)
                self.reused += 1
            else:
                held = self._build(key, inputs, options, design)
                self.built += 1
        if self.keep:
            self.held[role] = held
        return Ready(held, reused, time.perf_counter() - start)

    @staticmethod
    def release(ready: Ready, inputs: Inputs, held: dict[str, dict]) -> Ready:
        """The model of `ready`, just solved with a design held, with its continuous capacities free again
        (`dhopt.model.release_sizes`): run it next to size them from that solution's basis, with the
        freed capacities at their upper bounds (`_sized_at_upper`) and primal simplex."""
        start = time.perf_counter()
        with PauseGC():
            release_sizes(ready.held.model, inputs, held)
            _bounds_to_highs(ready.held, inputs)
            _sized_at_upper(ready.held)
        return Ready(ready.held, ready.reused, time.perf_counter() - start, primal=True)

    @staticmethod
    def run(ready: Ready, options: SolveOptions) -> tuple[pyo.ConcreteModel, SolveReport]:
        """Run HiGHS on a `ready` model; the solution is loaded into its Pyomo variables.

        The next update rewrites every cost and bound, so a failed run leaves the held model usable.
        Python's cyclic garbage collector is paused while models are built, updated and read back."""
        held = ready.held
        _, strategy = held.highs.getOptionValue("simplex_strategy")  # (status, value)
        if ready.primal:
            held.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        try:
            # a cyclic collection would walk every Pyomo component: 30 % of a build (benchmarks/README.md)
            with PauseGC():
                report = run_highs(held.highs, held.passed.columns, held.model, options, ready.seconds)
        finally:
            held.highs.setOptionValue("simplex_strategy", strategy)
        return held.model, replace(report, reused=ready.reused)

    @staticmethod
    def row_duals(ready: Ready, *constraints: str) -> dict[str, np.ndarray]:
        """Duals of the rows of each of `constraints` (indexed by time step) at the last run of `ready`, in
        time-step order [objective units per unit of the row bound]; a constraint the model lacks is left out.

        A model with integer columns has no duals: they are fixed at the solution, the LP run again for
        them (once for all `constraints`), and the columns restored (a model kept for the next case stays
        as it was)."""
        held = ready.held
        components = {name: held.model.find_component(name) for name in constraints}
        components = {name: component for name, component in components.items() if component is not None}
        if not components:
            return {}
        duals = _row_duals(held)
        found = {}
        for name, component in components.items():
            rows = [(row.index(), i) for i, row in enumerate(held.passed.rows) if row.parent_component() is component]
            found[name] = duals[np.array([i for _, i in sorted(rows)], dtype=np.int32)]
        return found

    @staticmethod
    def _build(key: str, inputs: Inputs, options: SolveOptions, design: dict | None) -> _Held:
        model = build_model(inputs)
        if design is not None:
            fix_design(model, design)
        else:
            set_start(model, inputs)
        highs = configured_highs(options)
        passed = to_highs(model, highs)
        rows, offset = _limit_rows(model, passed, highs)
        parametric = {id(model.find_component(name)) for name in PARAMETER_BOUNDS + DESIGN_VARIABLES}
        bounded = [j for j, v in enumerate(passed.columns) if id(v.parent_component()) in parametric]
        column_of = {id(v): j for j, v in enumerate(passed.columns)}
        cost_vars = cost_variables(model)
        return _Held(
            key,
            model,
            highs,
            passed,
            np.array(bounded, dtype=np.int32),
            cost_vars,
            np.array([column_of[id(v)] for v in cost_vars[0] + cost_vars[1]], dtype=np.int32),
            rows,
            offset,
        )

    @staticmethod
    def _update(held: _Held, inputs: Inputs, design: dict | None) -> None:
        """Every re-solvable input of `inputs` (and `design`) into the held model and HiGHS, channel by
        channel as `dhopt.inputs` declares them."""
        refresh_parameters(held.model, inputs, held.cost_vars)
        if design is not None:
            fix_design(held.model, design)
        channels = set(resolve_channels()) | ({BOUNDS} if design is not None else set())
        for channel in channels:
            _TO_HIGHS[channel](held, inputs)
        pass_start(held.highs, held.passed)  # the last solution: still feasible when only costs changed


def _row_duals(held: _Held) -> np.ndarray:
    """Row duals of the last run; of a MIP, those of its LP with the integer columns fixed at the solution."""
    highs = held.highs
    integer = held.passed.integer.astype(np.int32)
    if not len(integer):
        return np.asarray(highs.getSolution().row_dual, dtype=float)
    lp = highs.getLp()
    lower, upper = np.asarray(lp.col_lower_)[integer], np.asarray(lp.col_upper_)[integer]
    value = np.round(np.asarray(highs.getSolution().col_value)[integer])
    continuous = np.full(len(integer), highspy.HighsVarType.kContinuous)
    highs.changeColsIntegrality(len(integer), integer, continuous)
    highs.changeColsBounds(len(integer), integer, value, value)
    try:
        highs.run()
        duals = np.asarray(highs.getSolution().row_dual, dtype=float)
    finally:
        highs.changeColsIntegrality(len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger))
        highs.changeColsBounds(len(integer), integer, lower, upper)
    return duals


def _costs_to_highs(held: _Held, inputs: Inputs) -> None:
    """Objective coefficients and constant of `inputs` into HiGHS (`changeColsCost`)."""
    investment, operation, constant = objective_coefficients(held.model, inputs)
    cost = np.zeros(len(held.passed.columns))
    cost[held.cost_columns] = np.concatenate([investment, operation])
    every = np.arange(len(cost), dtype=np.int32)
    held.highs.changeColsCost(len(every), every, cost)
    held.highs.changeObjectiveOffset(constant)


def _sized_at_upper(held: _Held) -> None:
    """Put the freed capacity columns (`SIZED_VARIABLES`) of the held basis at their upper bounds where
    they are nonbasic: the held solution's basis then stays primal feasible (more capacity than used is
    always feasible), where at the new lower bound (0) it would not be. Primal simplex from there sized
    the 1,800-home synthetic district's in 3.3 s of HiGHS instead of dual simplex's 17.2 s; the default
    case's in 9.2 s instead of 7.1 s (benchmarks/README.md)."""
    sized = {id(held.model.find_component(name)) for name in SIZED_VARIABLES}
    basis = held.highs.getBasis()
    status = list(basis.col_status)
    for j, var in enumerate(held.passed.columns):
        if id(var.parent_component()) in sized and var.ub is not None and status[j] != highspy.HighsBasisStatus.kBasic:
            status[j] = highspy.HighsBasisStatus.kUpper
    basis.col_status = status
    held.highs.setBasis(basis)


def _bounds_to_highs(held: _Held, inputs: Inputs) -> None:
    """The bounds of the parametric and design columns, as set on the Pyomo variables, into HiGHS."""
    bounded = [held.passed.columns[j] for j in held.bounded]
    lower = np.fromiter((-np.inf if v.lb is None else v.lb for v in bounded), float, len(bounded))
    upper = np.fromiter((np.inf if v.ub is None else v.ub for v in bounded), float, len(bounded))
    held.highs.changeColsBounds(len(held.bounded), held.bounded, lower, upper)


def _limit_values(model: pyo.ConcreteModel, rows: list) -> np.ndarray:
    """The parameter value of each row limit (`dhopt.model.ROW_LIMITS`) in `rows` (constraint data)."""
    params = {model.find_component(row): model.find_component(name) for row, name, _ in ROW_LIMITS}
    params.pop(None, None)
    values = []
    for row in rows:
        param = params[row.parent_component()]
        values.append(pyo.value(param[row.index()] if param.is_indexed() else param))
    return np.array(values, dtype=float)


def _limit_rows(model: pyo.ConcreteModel, passed: Passed, highs: highspy.Highs) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS rows of the row limits and each row's upper bound minus its limit (constants moved out)."""
    built = {model.find_component(row) for row, _, _ in ROW_LIMITS} - {None}
    rows = np.array([i for i, row in enumerate(passed.rows) if row.parent_component() in built], dtype=np.int32)
    upper = np.asarray(highs.getLp().row_upper_)[rows] if len(rows) else np.zeros(0)
    return rows, upper - _limit_values(model, [passed.rows[i] for i in rows])


def _rows_to_highs(held: _Held, inputs: Inputs) -> None:
    """electricity_t <= import limit_t, co2 - excess <= cap: the rows' upper bounds into HiGHS."""
    rows = held.limit_rows
    if len(rows):
        values = _limit_values(held.model, [held.passed.rows[i] for i in rows])
        held.highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -np.inf), values + held.limit_offset)


_TO_HIGHS = {COST: _costs_to_highs, BOUNDS: _bounds_to_highs, ROWS: _rows_to_highs, RESULTS: lambda held, inputs: None}
"""The HiGHS side of each channel of `dhopt.inputs.resolve_channels` (the Pyomo side: `refresh_parameters`)."""
