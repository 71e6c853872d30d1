"""Tests of benchmarks/synthetic.py: the generated street-grid districts load, add up and solve."""

from __future__ import annotations

import importlib.util
import sys
import time

import networkx as nx
import pytest
from builders import REPO

from dhopt.network import load_network
from dhopt.run import run_case

_spec = importlib.util.spec_from_file_location("synthetic", REPO / "benchmarks" / "synthetic.py")
synthetic = sys.modules["synthetic"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)


@pytest.fixture(scope="module")
def existing_100(tmp_path_factory):
    directory = tmp_path_factory.mktemp("synthetic")
    start = synthetic.peak_day_start_hour()
    return synthetic.write_district(directory, 100, "existing", seed=0, hours=24, start_hour=start)


def test_synthetic_existing_100_loads_with_the_requested_homes(existing_100):
    network = load_network(existing_100.with_suffix(".geojson"))
    consumers = network.nodes[network.nodes["kind"] == "consumer"]
    assert consumers["homes"].sum() == pytest.approx(100.0)
    assert consumers["homes"].between(1, 20).all()
    assert set(network.nodes["kind"]) == {"consumer", "junction", "plant", "source"}


def test_synthetic_existing_100_is_a_tree(existing_100):
    network = load_network(existing_100.with_suffix(".geojson"))
    existing = network.pipes[network.pipes["status"] == "existing"]
    graph = nx.Graph(list(zip(existing["from_node"], existing["to_node"])))
    assert nx.is_tree(graph)
    assert set(graph) == set(network.nodes.index) - {"campus"}  # the campus hangs on its candidate line
    assert network.pipes.loc["transmission", "status"] == "candidate"
    assert 2000 <= network.pipes.loc["transmission", "length_m"] <= 3000


def test_synthetic_existing_100_peak_day_solves_without_unmet_demand(existing_100):
    start = time.perf_counter()
    result = run_case(existing_100)
    assert time.perf_counter() - start < 10.0
    assert result.solve.status == "optimal"
    assert result.kpis["unmet_demand_MWh"] == pytest.approx(0.0, abs=1e-6)


def test_synthetic_same_seed_same_district_other_seed_other_district():
    first = synthetic.district(300, "candidate", seed=1)
    assert synthetic.district(300, "candidate", seed=1).features == first.features
    assert synthetic.district(300, "candidate", seed=2).features != first.features


def test_synthetic_candidate_keeps_street_loops_and_every_pipe_candidate(tmp_path):
    case = synthetic.write_district(tmp_path, 300, "candidate", seed=0, hours=24)
    network = load_network(case.with_suffix(".geojson"))
    assert set(network.pipes["status"]) == {"candidate"}
    graph = nx.Graph(list(zip(network.pipes["from_node"], network.pipes["to_node"])))
    assert nx.is_connected(graph) and not nx.is_tree(graph)
    assert network.nodes.loc[network.nodes["kind"] == "consumer", "homes"].sum() == pytest.approx(300.0)


def test_synthetic_unknown_flavour_raises():
    with pytest.raises(ValueError, match="flavour: expected one of"):
        synthetic.district(100, "planned")
