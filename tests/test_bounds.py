"""Demand as profile shares x annual heat, and pipe flow bounds without hour x node arrays."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from builders import consumer, existing, write_case, write_network, write_series

from dhopt import physics
from dhopt.bounds import peak_hours, pipe_bounds
from dhopt.case import load_case
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.reduce import reduce_network

GAS = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 3.0}


def pair_loss_MW_per_K(dn: int, length_m: float) -> float:
    outer = physics.pipe_catalogue().loc[dn, "outer_diameter_m"]
    return float(physics.pair_loss_conductance_W_per_mK(outer)) * length_m * 1e-6


def prepared(tmp_path, nodes, pipes, hours, **series):
    return prepared_with_case(tmp_path, nodes, pipes, hours, **series)[0]


def prepared_with_case(tmp_path, nodes, pipes, hours, **series):
    network = write_network(tmp_path, nodes, pipes)
    case = load_case(write_case(tmp_path, network, write_series(tmp_path, hours, **series), hours))
    return prepare_inputs(case, load_network(network)), case


def test_demand_is_each_profile_share_times_the_annual_heat_of_its_consumers(tmp_path):
    residential, commercial = np.array([1.0, 0.4, 0.7]) / 8760, np.array([0.2, 0.9, 0.5]) / 8760  # [1/h]
    nodes = [
        ("G", 0, 0, GAS),
        ("J", 100, 0, {"kind": "junction"}),
        ("A", 200, 0, consumer(2.0)),
        ("B", 200, 100, {**consumer(3.0), "profile": "commercial"}),
        ("C", 300, 0, {"kind": "consumer", "annual_heat_MWh": 1234.5}),
    ]
    pipes = [("F", "G", "J", existing(300, 50.0))] + [(f"P{n}", "J", n, existing(150, 50.0)) for n in "ABC"]
    inputs, case = prepared_with_case(tmp_path, nodes, pipes, 3, residential=residential, commercial=commercial)
    annual = {"A": 2.0 * 8760.0, "B": 3.0 * 8760.0, "C": 1234.5}
    read = case.timeseries  # the shares as read from the CSV [1/h]
    assert read["residential"].to_numpy() == pytest.approx(residential, rel=1e-15)
    share = {"A": read["residential"].to_numpy(), "B": read["commercial"].to_numpy()}
    share["C"] = share["A"]
    demand = inputs.demand_MW
    for node in "ABC":
        assert (demand[node].to_numpy() == share[node] * annual[node]).all()  # exact: one product each
    assert (demand[["G", "J"]].to_numpy() == 0.0).all()
    reduced, _ = reduce_network(inputs)  # every pipe is far larger than its flow: one zone
    [zone] = reduced.nodes
    expected = sum(share[n] * annual[n] for n in "ABC")
    assert reduced.demand_MW[zone].to_numpy() == pytest.approx(expected, rel=1e-12)


def test_peak_hours_keep_the_largest_value_of_every_nondecreasing_function():
    rng = np.random.default_rng(3)
    points = rng.random((3000, 3)) * [1.0, 50.0, 0.02]
    kept = peak_hours(points)
    assert 0 < len(kept) < 200 and (np.diff(kept) > 0).all()
    dropped = np.setdiff1d(np.arange(len(points)), kept)
    covered = (points[dropped, None, :] <= points[None, kept, :]).all(axis=2)
    assert covered.any(axis=1).all()  # each dropped hour is covered in every feature by a kept one
    within = (points[kept, None, :] <= points[None, kept, :]).all(axis=2)
    assert within.sum(axis=1).tolist() == [1] * len(kept)  # and no kept hour covers another
    for weights in rng.random((50, 3)):
        bound = np.minimum(weights[0] * points[:, 2], points @ weights)  # like min(supply, absorb) / dT
        assert bound[kept].max() == bound.max()


def test_loop_and_its_feed_carry_at_most_the_supply_beyond_the_feed(tmp_path):
    # A 3 MW boiler feeds a loop of two consumers through pipe F. Hour 0 (-20 degC: supply 80 degC,
    # dT 40 K): 5 MW demand, so at most the boiler's 3 MW cross. Hour 1 (20 degC: 65 degC, dT 25 K):
    # 2 MW demand plus the loop's losses cross. Bound per kelvin: the larger of both hours.
    nodes = [("G", 0, 0, GAS), ("J", 100, 0, {"kind": "junction"})]
    nodes += [("C1", 200, 0, consumer(2.5)), ("C2", 200, 100, consumer(2.5))]
    pipes = [("F", "G", "J", existing(150, 300.0))]
    pipes += [("L1", "J", "C1", existing(100, 100.0)), ("L2", "C1", "C2", existing(80, 100.0))]
    pipes += [("L3", "C2", "J", existing(100, 141.0))]
    inputs = prepared(
        tmp_path, nodes, pipes, 2, outdoor_temperature_degC=[-20.0, 20.0], residential=[1 / 8760, 0.4 / 8760]
    )
    assert inputs.supply_degC.tolist() == [80.0, 65.0]
    loop_loss = sum(pair_loss_MW_per_K(dn, m) for dn, m in ((100, 100.0), (80, 100.0), (100, 141.0)))
    loss_per_K = loop_loss + 0.5 * pair_loss_MW_per_K(150, 300.0)  # half of F's loss is charged to J
    drive = np.array([80.0 + 40.0 - 2 * 8.0, 65.0 + 40.0 - 2 * 8.0])  # (T_s - T_g) + (T_r - T_g) [K]
    absorb = np.array([5.0, 2.0]) + loss_per_K * drive
    expected = max(min(3.0, absorb[0]) / 40.0, min(3.0, absorb[1]) / 25.0)
    assert expected == pytest.approx(absorb[1] / 25.0)  # the 3 MW cap binds in hour 0 only
    bounds = pipe_bounds(inputs)
    assert bounds["need_MW_per_K"].to_numpy() == pytest.approx([expected] * 4, rel=1e-12)
    assert bounds["sole_feed"].tolist() == [True, False, False, False]  # beyond F: demand, no production


def test_prepare_and_reduce_form_no_hour_by_node_array(tmp_path):
    # 3,000 consumers over 8,760 hours: one float64 hour x node array of demand would take 210 MB.
    count, hours = 3000, 8760
    nodes = [("G", 0, 0, {**GAS, "capacity_MW": 100.0}), ("J", 0, 10, {"kind": "junction"})]
    nodes += [(f"C{i}", i, 20, {"kind": "consumer", "annual_heat_MWh": 10.0 + i % 7}) for i in range(count)]
    pipes = [("F", "G", "J", existing(300, 100.0))]
    pipes += [(f"P{i}", "J", f"C{i}", existing(25, 20.0)) for i in range(count)]
    residential = np.random.default_rng(0).random(hours) / (0.5 * hours)
    network = write_network(tmp_path, nodes, pipes)
    case = load_case(write_case(tmp_path, network, write_series(tmp_path, hours, residential=residential), hours))
    network = load_network(network)
    tracemalloc.start()
    try:
        reduced, sizes = reduce_network(prepare_inputs(case, network))
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dense_bytes = hours * (count + 2) * 8
    assert peak_bytes < dense_bytes / 4
    assert sizes.nodes_before == count + 2 and len(reduced.nodes) < 10
