"""A terminated run stops in one line with exit code 130, wherever it was, even inside a model rule."""

from __future__ import annotations

import logging
import os
import signal
import time

import pyomo.environ as pyo

import dhopt.run
from dhopt.cli import main


def _terminated_while_building(*args, **kwargs):
    """A model build that receives SIGTERM inside a constraint rule (as a run killed mid-build)."""
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(3))

    def rule(m, i):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1.0)  # the handler runs here, inside Pyomo's construction of the rule
        return m.x[i] >= 0

    model.c = pyo.Constraint(range(3), rule=rule)
    raise AssertionError("SIGTERM did not stop the build")


def test_sigterm_inside_a_model_rule_is_one_line_and_exit_130(monkeypatch, capsys, caplog):
    monkeypatch.setattr(dhopt.run, "solve_case", _terminated_while_building)
    before = signal.getsignal(signal.SIGTERM)
    with caplog.at_level(logging.INFO):
        code = main(["run"])
    assert code == 130
    assert capsys.readouterr().err.splitlines() == [
        "dhopt: interrupted; results written so far are complete, nothing half-written"
    ]
    assert not [r for r in caplog.records if r.name.startswith("pyomo") and r.levelno >= logging.WARNING]  # no dump
    assert signal.getsignal(signal.SIGTERM) is before  # main leaves the caller's handlers as they were
    assert logging.getLogger("pyomo").level == logging.NOTSET  # and Pyomo's logging
