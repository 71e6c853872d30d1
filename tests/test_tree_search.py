"""The local search of the MIP start (`dhopt.tree_search`): exchanges priced on their loop alone equal
a full recount, and the improved start matches the design optimum on cases small enough to know it."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from builders import consumer, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.solve import solve
from dhopt.start import _graph, _tree, tree_data, tree_design
from dhopt.tree_search import UNCOVERED_EUR, RootedTree

CANDIDATE = {"status": "candidate", "dn_options": [32, 50, 80, 100, 150, 200, 250]}
GAS_BOILER = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}


def _inputs(tmp_path, nodes, pipes, **sections):
    network = write_network(tmp_path, nodes, pipes)
    case = write_case(tmp_path, network, write_series(tmp_path, 2), 2, horizon={"method": "monolithic"}, **sections)
    return reduce_network(prepare_inputs(load_case(case), load_network(network)))[0]


def _optimal_pipes(inputs) -> set[str]:
    model = build_model(inputs)
    solve(model)
    return {pipe for (pipe, _), build in model.pipes.build.items() if pyo.value(build) > 0.5}


def test_start_takes_the_shared_trunk_that_the_design_optimum_takes(tmp_path):
    # G feeds A (100 m away) and B (100.5 m away, 10 m beyond A). Each consumer's shortest path is
    # its own pipe from G; one trunk G-A and a short branch A-B cost less.
    nodes = [("G", 0, 0, GAS_BOILER), ("A", 100, 0, consumer(2.0)), ("B", 100, 10, consumer(1.5))]
    pipes = [("GA", "G", "A", CANDIDATE), ("GB", "G", "B", CANDIDATE), ("AB", "A", "B", CANDIDATE)]
    inputs = _inputs(tmp_path, nodes, pipes)
    graph = _graph(inputs)
    assert {graph.edges[e]["pipe"] for e in _tree(inputs, graph, ["G"]).edges} == {"GA", "GB"}  # shortest paths
    assert set(tree_design(inputs)) == {"GA", "AB"} == _optimal_pipes(inputs)


def _grid_inputs(tmp_path):
    """A 3 x 3 street grid of candidate pipes, a boiler in one corner, consumers of unequal demand."""
    demand = [0.0, 1.2, 0.3, 2.0, 0.0, 0.8, 0.4, 1.6, 2.5]
    nodes = [("N0", 0, 0, GAS_BOILER)] + [
        (f"N{i}", 150 * (i % 3), 120 * (i // 3), consumer(mw) if mw else {"kind": "junction"})
        for i, mw in enumerate(demand)
        if i
    ]
    pipes = [(f"H{i}", f"N{i}", f"N{i + 1}", CANDIDATE) for i in range(9) if i % 3 < 2]
    pipes += [(f"V{i}", f"N{i}", f"N{i + 3}", CANDIDATE) for i in range(6)]
    return _inputs(tmp_path, nodes, pipes)


def _cost(forest: RootedTree) -> float:
    """The tree's cost counted afresh: every pipe at its smallest covering option."""
    pipes, option = forest.options()
    padded = np.column_stack([forest.data.option_cost_EUR, np.full(len(forest.data.option_cost_EUR), UNCOVERED_EUR)])
    return float(padded[pipes, option].sum())


def test_an_exchange_priced_on_its_loop_equals_a_full_recount(tmp_path):
    inputs = _grid_inputs(tmp_path)
    position = {n: i for i, n in enumerate(inputs.nodes)}
    row = {p: i for i, p in enumerate(inputs.pipes.index)}
    pipes = inputs.pipes
    every = {
        tuple(sorted((position[a], position[b]))): row[p]
        for p, a, b in zip(pipes.index, pipes["from_node"], pipes["to_node"])
    }
    graph = _graph(inputs)
    start = {}
    for a, b in _tree(inputs, graph, ["N0"]).edges:
        start[tuple(sorted((position[a], position[b])))] = row[graph.edges[a, b]["pipe"]]
    data, root = tree_data(inputs), [position["N0"]]
    forest = RootedTree(data, start, root)
    before = _cost(forest)
    added = [edge for edge in every if edge not in start]
    assert len(added) == 4  # 12 pipes, 9 nodes: four loops
    for u, v in added:
        change, child, near, far = forest.best_exchange(u, v, every[u, v])
        recounts = []  # every tree that adding u-v and dropping one pipe of its loop gives
        for dropped in start:
            trial = {**{e: p for e, p in start.items() if e != dropped}, (u, v): every[u, v]}
            candidate = RootedTree(data, trial, root)
            if (candidate.parent >= 0).sum() == len(inputs.nodes) - 1:  # still spanning
                recounts.append(_cost(candidate) - before)
        assert change == pytest.approx(min(0.0, min(recounts)), abs=1e-6)
        if child is not None:
            moved = RootedTree(data, dict(start), root)
            moved.exchange(child, near, far, every[u, v])
            assert _cost(moved) - before == pytest.approx(change, abs=1e-6)


def test_economic_start_leaves_out_a_consumer_worth_less_than_its_pipe(tmp_path):
    # F (1 kW) lies 3 km beyond A. It is served in the start only if its heat, valued at the penalty
    # less the heat's cost, pays for its pipe at the cheapest DN.
    nodes = [("G", 0, 0, GAS_BOILER), ("A", 300, 0, consumer(2.0)), ("B", 300, 300, consumer(1.0)),
             ("F", 3300, 0, consumer(0.001))]  # fmt: skip
    pipes = [("GA", "G", "A", CANDIDATE), ("AB", "A", "B", CANDIDATE), ("GB", "G", "B", CANDIDATE),
             ("AF", "A", "F", CANDIDATE)]  # fmt: skip
    for penalty, served in ((50.0, False), (10_000.0, True)):
        inputs = _inputs(tmp_path, nodes, pipes, demand={"connect_all": False, "unmet_penalty_EUR_per_MWh": penalty})
        data = tree_data(inputs)
        f, af = list(inputs.nodes).index("F"), list(inputs.pipes.index).index("AF")
        assert bool(data.droppable_EUR[f] > data.option_cost_EUR[af, 0]) is served  # the decision, by hand
        assert ("AF" in tree_design(inputs)) is served
        assert ("AF" in _optimal_pipes(inputs)) is served


def test_economic_start_drops_a_branch_whose_consumers_pay_only_for_their_own_pipes(tmp_path):
    # C1 and C2 hang 50 m off junction J, 3 km beyond A. Each pays for its own 50 m pipe, but at
    # 0.3 kW together they do not pay for the 3 km pipe to J as well; at 0.5 kW each they do.
    for kW, served in ((0.3, False), (0.5, True)):
        nodes = [("G", 0, 0, GAS_BOILER), ("A", 300, 0, consumer(2.0)), ("J", 3300, 0, {"kind": "junction"}),
                 ("C1", 3300, 50, consumer(kW / 1000)), ("C2", 3300, -50, consumer(kW / 1000))]  # fmt: skip
        pipes = [("GA", "G", "A", CANDIDATE), ("AJ", "A", "J", CANDIDATE), ("JC1", "J", "C1", CANDIDATE),
                 ("JC2", "J", "C2", CANDIDATE)]  # fmt: skip
        inputs = _inputs(tmp_path, nodes, pipes, demand={"connect_all": False})
        data, node, pipe = tree_data(inputs), list(inputs.nodes).index, list(inputs.pipes.index).index
        value = data.droppable_EUR[node("C1")] + data.droppable_EUR[node("C2")]
        assert data.droppable_EUR[node("C1")] > data.option_cost_EUR[pipe("JC1"), 0]  # a leaf alone pays
        branch = data.option_cost_EUR[[pipe("AJ"), pipe("JC1"), pipe("JC2")], 0].sum()
        assert bool(value > branch) is served  # the branch, by hand
        assert ({"AJ", "JC1", "JC2"} <= set(tree_design(inputs))) is served
        assert ({"AJ", "JC1", "JC2"} <= _optimal_pipes(inputs)) is served
