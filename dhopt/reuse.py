"""Keep built models in HiGHS and re-solve them when a case changes only parameters.

Cases of a sweep or an export curve often differ only in prices, costs, capacities or the import
limit. Those enter a built model only as objective coefficients, column bounds and the import
limit's row bounds, so the model held in HiGHS is updated in place (`changeColsCost`,
`changeColsBounds`, `changeRowsBounds`) and re-run from its last basis or solution, instead of
being built, compiled and passed anew.

Whether two inputs give the same structure is decided by `structure_key`: a hash of every input
except the parameters listed in `PARAMETER_FIELDS` and `PARAMETER_ARRAYS`. Anything else that
differs (network, demand, temperatures, COP, typical days, the set of candidate DNs...) gives
another key and a fresh build, so a reused model never silently keeps stale data.
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

from dhopt.handoff import Passed, pass_start, to_highs
from dhopt.inputs import Inputs
from dhopt.model import DESIGN_VARIABLES, PARAMETER_BOUNDS, build_model, fix_design, refresh_parameters
from dhopt.model.objective import cost_coefficients, cost_variables
from dhopt.solve import SolveOptions, SolveReport, apply_options, configured_highs, run_highs
from dhopt.start import set_start

# case fields that reach a built model only through its objective, column bounds or import limit
PARAMETER_FIELDS = {
    "": ("name", "description", "network", "timeseries"),  # files: their content is in the arrays
    "economics": ("discount_rate", "co2_price_EUR_per_t"),
    "heat_pump": ("investment_EUR_per_MW", "fixed_om_EUR_per_MW_yr", "variable_om_EUR_per_MWh", "lifetime_yr", "max_MW"),
    "storage": ("investment_EUR_per_MWh", "fixed_om_EUR_per_MWh_yr", "lifetime_yr"),
    "pipes": ("fixed_EUR_per_m", "EUR_per_m_per_mm", "lifetime_yr"),
    "demand": ("unmet_penalty_EUR_per_MWh",),
    "grid": ("tariff_EUR_per_MWh", "co2_t_per_MWh"),
}
# `Inputs` data that are such parameters: whole fields, or (field, columns)
PARAMETER_ARRAYS = {
    "electricity_EUR_per_MWh": None,
    "plant_cost_EUR_per_MWh": None,
    "forced_cost_EUR": None,
    "plants": ("capacity_MW", "must_run_MW"),
    "sources": ("hp_max_MW",),
    "options": ("annual_cost_EUR",),
}


def structural_case(case: dict, keep_files: bool = False) -> dict:
    """A copy of a case dictionary without its parameters (`PARAMETER_FIELDS`; of the import limit only
    whether there is one); `keep_files` keeps the network and time-series paths."""
    content = json.loads(json.dumps(case, default=str))
    for section, names in PARAMETER_FIELDS.items():
        part = content.get(section, {}) if section else content
        for name in names:
            if not (keep_files and name in ("network", "timeseries")):
                part.pop(name, None)
    grid = content.setdefault("grid", {})
    grid["import_limit_MW"] = grid.get("import_limit_MW") is not None  # its value is a parameter
    return content


def structure_key(inputs: Inputs) -> str:
    """Hash of everything in `inputs` that shapes the model (sets, matrix, other bounds)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(structural_case(inputs.case.spec.model_dump(mode="json")), sort_keys=True).encode())
    for name in Inputs.__dataclass_fields__:
        if name == "case":
            continue
        value, skip = getattr(inputs, name), PARAMETER_ARRAYS.get(name, ())
        if skip is None:
            continue
        if skip and isinstance(value, pd.DataFrame):
            value = value.drop(columns=[c for c in skip if c in value])
        digest.update(name.encode() + _fingerprint(value))
    return digest.hexdigest()


def _fingerprint(value) -> bytes:
    if isinstance(value, pd.DataFrame | pd.Series):
        columns = repr(list(value.columns)) if isinstance(value, pd.DataFrame) else repr(value.name)
        return columns.encode() + pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
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
    limit_rows: np.ndarray  # HiGHS rows of the import limit
    limit_offset_MW: np.ndarray  # row upper bound minus the import limit (constants moved out of the rows)


@dataclass(frozen=True)
class Ready:
    """A model in HiGHS, ready to run: updated in place (``reused``) or built, in ``seconds``."""

    held: _Held
    reused: bool
    seconds: float

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
    def run(ready: Ready, options: SolveOptions) -> tuple[pyo.ConcreteModel, SolveReport]:
        """Run HiGHS on a `ready` model; the solution is loaded into its Pyomo variables.

        The next update rewrites every cost and bound, so a failed run leaves the held model usable.
        Python's cyclic garbage collector is paused while models are built, updated and read back."""
        held = ready.held
        with PauseGC():  # a cyclic collection would walk every Pyomo component: 30 % of a build (benchmarks/README.md)
            report = run_highs(held.highs, held.passed.columns, held.model, options, ready.seconds)
        return held.model, replace(report, reused=ready.reused)

    @staticmethod
    def _build(key: str, inputs: Inputs, options: SolveOptions, design: dict | None) -> _Held:
        model = build_model(inputs)
        if design is not None:
            fix_design(model, design)
        else:
            set_start(model, inputs)
        highs = configured_highs(options)
        passed = to_highs(model, highs)
        limit = model.find_component("grid_limit")
        rows = np.array(
            [i for i, row in enumerate(passed.rows) if limit is not None and row.parent_component() is limit], np.int32
        )
        upper = np.asarray(highs.getLp().row_upper_) if len(rows) else np.zeros(0)
        offset = upper[rows] - pyo.value(model.import_limit_MW) if len(rows) else np.zeros(0)
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
        """Costs, bounds and the import limit of `inputs` (and `design`) into the held model and HiGHS."""
        model, highs, columns = held.model, held.highs, held.passed.columns
        refresh_parameters(model, inputs, held.cost_vars)
        if design is not None:
            fix_design(model, design)
        investment, operation, constant = cost_coefficients(model, inputs)
        cost = np.zeros(len(columns))
        cost[held.cost_columns] = np.concatenate([investment, operation])
        every = np.arange(len(columns), dtype=np.int32)
        highs.changeColsCost(len(every), every, cost)
        highs.changeObjectiveOffset(constant)
        bounded = [columns[j] for j in held.bounded]
        lower = np.fromiter((-np.inf if v.lb is None else v.lb for v in bounded), float, len(bounded))
        upper = np.fromiter((np.inf if v.ub is None else v.ub for v in bounded), float, len(bounded))
        highs.changeColsBounds(len(held.bounded), held.bounded, lower, upper)
        rows = held.limit_rows
        if len(rows):  # electricity_t <= limit
            upper_rows = pyo.value(model.import_limit_MW) + held.limit_offset_MW
            highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -np.inf), upper_rows)
        pass_start(highs, held.passed)  # the last solution: still feasible when only costs changed
