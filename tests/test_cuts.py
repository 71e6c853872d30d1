"""The connection cuts keep the design optimum and raise the LP relaxation's bound."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest
from builders import campus, consumer, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.solve import solve

CANDIDATE = {"status": "candidate", "dn_options": [50, 80, 100, 150, 200]}


def ring_inputs(tmp_path):
    """A campus and three consumers on a ring of candidate pipes: no pipe is the only way to demand."""
    nodes = [("S", 0, 0, campus()), ("A", 300, 0, consumer(2.0)), ("B", 300, 300, consumer(1.0)),
             ("C", 0, 300, consumer(0.5))]  # fmt: skip
    pipes = [("SA", "S", "A", CANDIDATE), ("AB", "A", "B", CANDIDATE), ("BC", "B", "C", CANDIDATE),
             ("CS", "C", "S", CANDIDATE), ("SB", "S", "B", CANDIDATE)]  # fmt: skip
    network = write_network(tmp_path, nodes, pipes)
    case = write_case(tmp_path, network, write_series(tmp_path, 1), 1, horizon={"method": "monolithic"})
    return reduce_network(prepare_inputs(load_case(case), load_network(network)))[0]


def _relaxed_bound(model) -> float:
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    return solve(model).objective_EUR


def test_connection_cuts_keep_the_optimum_and_tighten_the_relaxation(tmp_path):
    inputs = ring_inputs(tmp_path)
    with_cuts = build_model(inputs)
    assert sorted(with_cuts.pipes.connect) == ["A", "B", "C"]  # every consumer; not the campus node
    without = build_model(inputs)
    without.pipes.connect.deactivate()
    assert solve(with_cuts).objective_EUR == pytest.approx(solve(without).objective_EUR, rel=1e-9)
    # each consumer node must pay for one whole pipe: the relaxation's bound rises
    relaxed_with, relaxed_without = build_model(inputs), build_model(inputs)
    relaxed_without.pipes.connect.deactivate()
    assert _relaxed_bound(relaxed_with) > _relaxed_bound(relaxed_without) * 1.01
