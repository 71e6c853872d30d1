"""The tree cuts (`dhopt.model.cuts`) keep the design optimum and raise the LP relaxation's bound."""

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
GAS_BOILER = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 10.0}


def _inputs(tmp_path, nodes, pipes, hours=1, series=None, **sections):
    network = write_network(tmp_path, nodes, pipes)
    series = write_series(tmp_path, hours, **(series or {}))
    case = write_case(tmp_path, network, series, hours, horizon={"method": "monolithic"}, **sections)
    return reduce_network(prepare_inputs(load_case(case), load_network(network)))[0]


def ring_inputs(tmp_path):
    """A campus and three consumers on a ring of candidate pipes: no pipe is the only way to demand."""
    nodes = [("S", 0, 0, campus()), ("A", 300, 0, consumer(2.0)), ("B", 300, 300, consumer(1.0)),
             ("C", 0, 300, consumer(0.5))]  # fmt: skip
    pipes = [("SA", "S", "A", CANDIDATE), ("AB", "A", "B", CANDIDATE), ("BC", "B", "C", CANDIDATE),
             ("CS", "C", "S", CANDIDATE), ("SB", "S", "B", CANDIDATE)]  # fmt: skip
    return _inputs(tmp_path, nodes, pipes)


def _optimum(inputs, cuts: bool, relaxed: bool = False) -> tuple[float, pyo.ConcreteModel]:
    model = build_model(inputs)
    if not cuts:
        model.tree.deactivate()
    if relaxed:
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    return solve(model).objective_EUR, model


def test_tree_cuts_keep_the_optimum_and_tighten_the_relaxation(tmp_path):
    inputs = ring_inputs(tmp_path)
    with_cuts, model = _optimum(inputs, cuts=True)
    assert sorted(model.tree.served) == ["A", "B", "C"]  # every consumer; not the campus node (a root)
    assert with_cuts == pytest.approx(_optimum(inputs, cuts=False)[0], rel=1e-9)
    # a design is a tree of whole pipes: the relaxation pays for (nearly) every pipe of one
    assert _optimum(inputs, cuts=True, relaxed=True)[0] > _optimum(inputs, cuts=False, relaxed=True)[0] * 1.01
    built = [e for (e, dn), y in model.pipes.build.items() if y.value > 0.5]
    assert len(built) == 3  # three consumers, one parent pipe each


def test_tree_cuts_hold_when_flows_reverse_between_hours(tmp_path):
    """Campus and gas boiler at the two ends of a ring: cheap power, the campus feeds everyone;
    dear power, the boiler does (no storage), and pipe flows reverse. The cuts (rooted trees, not flow directions)
    leave the optimum as it is."""
    nodes = [("S", 0, 0, campus(5.0)), ("A", 300, 0, consumer(2.0)), ("B", 600, 0, consumer(1.0)),
             ("C", 450, 300, consumer(0.5)), ("G", 700, 0, GAS_BOILER)]  # fmt: skip
    pipes = [("SA", "S", "A", CANDIDATE), ("AB", "A", "B", CANDIDATE), ("BG", "B", "G", CANDIDATE),
             ("AC", "A", "C", CANDIDATE), ("CB", "C", "B", CANDIDATE)]  # fmt: skip
    series = {"electricity_price_EUR_per_MWh": [5.0, 1000.0, 5.0, 1000.0]}
    inputs = _inputs(tmp_path, nodes, pipes, hours=4, series=series, storage={"max_MWh": 0.0})
    with_cuts, model = _optimum(inputs, cuts=True)
    flow = [model.pipes.flow_MW["AB", t].value for t in model.T]
    assert min(flow) < -1e-3 < 1e-3 < max(flow)  # the pipe A-B carries heat both ways
    assert with_cuts == pytest.approx(_optimum(inputs, cuts=False)[0], rel=1e-9)


def test_tree_cuts_let_economic_connection_leave_a_consumer_unserved(tmp_path):
    """Without connect_all, a 1 kW consumer 3 km away is cheaper to leave unserved at a 50 EUR/MWh
    penalty; the cuts ask a parent pipe only for the share of demand that is met."""
    nodes = [("S", 0, 0, campus()), ("A", 300, 0, consumer(2.0)), ("B", 300, 300, consumer(1.0)),
             ("F", 3300, 0, consumer(0.001))]  # fmt: skip
    pipes = [("SA", "S", "A", CANDIDATE), ("AB", "A", "B", CANDIDATE), ("SB", "S", "B", CANDIDATE),
             ("AF", "A", "F", CANDIDATE)]  # fmt: skip
    inputs = _inputs(tmp_path, nodes, pipes, demand={"connect_all": False, "unmet_penalty_EUR_per_MWh": 50.0})
    with_cuts, model = _optimum(inputs, cuts=True)
    assert model.unmet_MW["F", 0].value == pytest.approx(0.001)
    assert model.unmet_MW["A", 0].value == pytest.approx(0.0, abs=1e-9)
    assert with_cuts == pytest.approx(_optimum(inputs, cuts=False)[0], rel=1e-9)
