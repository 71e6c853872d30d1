"""The shortest-path-tree MIP start is a feasible design: fixed, it serves every consumer."""

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
from dhopt.start import tree_design

CANDIDATE = {"status": "candidate", "dn_options": [32, 50, 80, 100, 150, 200, 250]}


def test_tree_start_joins_every_producer_and_carries_any_dispatch(tmp_path):
    # Consumers A, B, C on a street loop next to the peak boilers G; a campus S beyond C and a waste
    # incinerator W with must-run heat beyond A, both off every consumer's shortest path to G. The
    # start must join W (its must-run heat needs a way out) and size the pipes for the campus's heat
    # flowing towards G as well as for G's heat flowing out.
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}),
        ("A", 200, 0, consumer(2.0)),
        ("B", 200, 200, consumer(3.0)),
        ("C", 0, 200, consumer(1.0)),
        ("S", -400, 400, campus(8.0)),
        ("W", 600, 0, {"kind": "plant", "technology": "waste_to_energy", "capacity_MW": 1.0, "must_run_MW": 0.8}),
    ]
    pipes = [("GA", "G", "A", CANDIDATE), ("AB", "A", "B", CANDIDATE), ("BC", "B", "C", CANDIDATE),
             ("CG", "C", "G", CANDIDATE), ("SC", "S", "C", CANDIDATE), ("AW", "A", "W", CANDIDATE)]  # fmt: skip
    network = write_network(tmp_path, nodes, pipes)
    case = write_case(
        tmp_path, network, write_series(tmp_path, 2), 2, horizon={"method": "monolithic"}, demand={"connect_all": False}
    )
    inputs = reduce_network(prepare_inputs(load_case(case), load_network(network)))[0]
    design = tree_design(inputs)
    assert {"AW", "SC"} <= set(design)  # both producers off the consumers' paths are joined
    model = build_model(inputs)
    for (pipe, dn), build in model.pipes.build.items():
        build.fix(1.0 if design.get(pipe) == dn else 0.0)
    solve(model)
    unmet = sum(pyo.value(v) for v in model.unmet_MW.values())
    assert unmet == pytest.approx(0.0, abs=1e-6)
    assert pyo.value(model.campus.hp_heat_MW["S", 0]) > 0  # the campus heat does flow through the tree
