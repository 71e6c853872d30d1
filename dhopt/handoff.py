"""Hand a Pyomo model to HiGHS in memory: Pyomo's standard-form compiler gives the sparse matrix,
highspy's `passModel` takes it; the solution is written back into the Pyomo variables.

Measured faster than Pyomo's persistent `highs` interface and than an LP-file round trip
(`benchmarks/handoff.py`, README "Speed").
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

LESS, GREATER = 1, -1  # row multipliers of the mixed standard form: <= rhs, >= rhs (0: = rhs)


@dataclass(frozen=True)
class Passed:
    """What `to_highs` handed over: the Pyomo variable of each column, the constraint of each row and
    the positions of the integer columns."""

    columns: list
    rows: list
    integer: np.ndarray


def to_highs(model: pyo.ConcreteModel, highs: highspy.Highs) -> Passed:
    """Pass `model` (one linear objective) to `highs`; return its columns' variables and rows' constraints."""
    form = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    columns = form.columns
    lower = np.array([-np.inf if v.lb is None else v.lb for v in columns], dtype=float)
    upper = np.array([np.inf if v.ub is None else v.ub for v in columns], dtype=float)
    multiplier = np.array([sense for _, sense in form.rows], dtype=int)
    rhs = np.asarray(form.rhs, dtype=float)
    matrix = form.A.tocsc()

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(columns), len(rhs)
    lp.col_cost_ = form.c.toarray().ravel() if form.c.shape[0] else np.zeros(len(columns))
    lp.offset_ = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.row_lower_ = np.where(multiplier == LESS, -np.inf, rhs)
    lp.row_upper_ = np.where(multiplier == GREATER, np.inf, rhs)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.sense_ = highspy.ObjSense.kMaximize if form.objectives[0].sense == pyo.maximize else highspy.ObjSense.kMinimize
    integer = np.array([v.is_integer() for v in columns], dtype=bool)
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer]
    highs.passModel(lp)
    passed = Passed(columns, [row for row, _ in form.rows], np.flatnonzero(integer))
    pass_start(highs, passed)
    return passed


def pass_start(highs: highspy.Highs, passed: Passed) -> None:
    """Integer variables that carry a value are a (partial) MIP start; HiGHS completes the rest."""
    columns = passed.columns
    index = [i for i in passed.integer if columns[i].value is not None]
    if index:
        values = np.array([columns[i].value for i in index], dtype=float)
        highs.setSolution(len(index), np.array(index, dtype=np.int32), values)


def load_solution(highs: highspy.Highs, columns: list) -> None:
    """Write HiGHS's column values into the Pyomo variables."""
    for var, value in zip(columns, highs.getSolution().col_value, strict=True):
        var.set_value(value, skip_validation=True)
