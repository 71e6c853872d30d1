"""Demand trees (`dhopt.trees`): joining the subtrees that hold only demand behind binding pipes to their
host gives the optimum, the unmet demand and the heat each consumer receives of the model without it."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from builders import REPO, campus, consumer, existing, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.physics import allowed_mass_flow_kg_per_s, pipe_capacity_MW, pipe_diameters_m
from dhopt.reduce import reduce_network
from dhopt.run import solve_case
from dhopt.solve import solve

HOURS = 48
PLANT = ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 50.0})
TRUNK = ("PG", "G", "R", existing(300, 10.0))


def tree() -> tuple[list, list]:
    """A plant G at junction R; behind binding pipes: consumer A (one level); junction K (no demand)
    with consumers L and M, each behind its own binding pipe; consumer N with consumer P behind it
    (both pipes bind: how N and P share a shortage is not unique, their sum is)."""
    nodes = [
        PLANT,
        ("R", 10, 0, {"kind": "junction"}),
        ("A", 110, 0, consumer(2.0)),
        ("K", 10, 100, {"kind": "junction"}),
        ("L", 10, 200, consumer(0.5)),
        ("M", 110, 100, consumer(0.4)),
        ("N", 10, -100, consumer(0.3)),
        ("P", 10, -200, consumer(0.2)),
    ]
    pipes = [
        TRUNK,
        ("RA", "R", "A", existing(100, 100.0)),
        ("RK", "R", "K", existing(80, 100.0)),
        ("KL", "L", "K", existing(50, 100.0)),  # drawn from the consumer: its flow is negative
        ("KM", "K", "M", existing(50, 100.0)),
        ("RN", "R", "N", existing(40, 100.0)),
        ("NP", "N", "P", existing(32, 100.0)),
    ]
    return nodes, pipes


def ring() -> tuple[list, list]:
    """A ring R-X-Y-R of pipes that may bind (by the bounds) but together carry all, with trees off it:
    consumer X1 behind a binding pipe at X, junction Y1 at Y with consumers Y2 (binding) and Y3."""
    nodes = [
        PLANT,
        ("R", 10, 0, {"kind": "junction"}),
        ("X", 110, 50, consumer(0.7)),
        ("Y", 110, -50, consumer(0.5)),
        ("X1", 210, 50, consumer(0.3)),
        ("Y1", 210, -50, {"kind": "junction"}),
        ("Y2", 310, -50, consumer(0.15)),
        ("Y3", 210, -150, consumer(0.05)),
    ]
    pipes = [
        TRUNK,
        ("RX", "R", "X", existing(100, 110.0)),
        ("XY", "X", "Y", existing(100, 100.0)),
        ("YR", "Y", "R", existing(100, 110.0)),
        ("XX1", "X", "X1", existing(40, 100.0)),
        ("YY1", "Y", "Y1", existing(65, 100.0)),
        ("Y1Y2", "Y1", "Y2", existing(32, 100.0)),
        ("Y1Y3", "Y1", "Y3", existing(32, 100.0)),
    ]
    return nodes, pipes


def with_campus(nodes: list, pipes: list) -> tuple[list, list]:
    """The network with a campus S joined to R by a candidate pipe (a design decision)."""
    link = {"status": "candidate", "dn_options": [50, 100, 150], "length_m": 800.0}
    return nodes + [("S", -800, 0, campus(2.0))], pipes + [("SR", "S", "R", link)]


def solved(tmp_path, network: tuple[list, list], demand_trees: bool, **sections):
    return solve_case(solved_case(tmp_path, network, demand_trees, **sections), reference=False)


def solved_case(tmp_path, network: tuple[list, list], demand_trees: bool = True, **sections):
    """The case of `network` over HOURS hours (varying temperature, demand and price), monolithic."""
    folder = tmp_path / ("trees" if demand_trees else "zones")
    folder.mkdir()
    hour = np.arange(HOURS)
    series = write_series(
        folder,
        HOURS,
        outdoor_temperature_degC=-20.0 + 30.0 * (hour % 24) / 23.0,  # supply 80 -> 65 degC: capacity varies
        residential=(1.0 + 0.4 * np.sin(hour / 3.0)) / 8760.0,
        electricity_price_EUR_per_MWh=40.0 + 30.0 * np.cos(hour / 5.0),
    )
    horizon = {"method": "monolithic", "demand_trees": demand_trees}
    return write_case(folder, write_network(folder, *network), series, HOURS, horizon=horizon, **sections)


def delivered_MWh(solution) -> dict[str, float]:
    """Heat delivered over the horizon per demand zone [MWh]."""
    ds = solution.dataset
    served = ((ds["demand_MW"] - ds["unmet_MW"].clip(max=ds["demand_MW"])) * ds["weight_h"]).sum("time")
    return served.to_series().to_dict()


def capacity_MW(dn: int, delta_K: np.ndarray) -> np.ndarray:
    """Capacity of a catalogue DN at the case's hydraulic basis (80 Pa/m, 3 m/s) [MW]."""
    inner_m, _ = pipe_diameters_m(np.array([dn]), np.array([np.nan]))
    return pipe_capacity_MW(allowed_mass_flow_kg_per_s(inner_m, 80.0, 3.0), delta_K)


@pytest.mark.parametrize(
    ("network", "unique"),
    [(tree(), ["A", "L", "M"]), (ring(), ["X", "Y", "X1", "Y2", "Y3"]), (with_campus(*tree()), ["A", "L", "M"])],
    ids=["tree", "ring", "tree-with-candidate"],
)
def test_demand_trees_give_the_unreduced_optimum_unmet_demand_and_deliveries(tmp_path, network, unique):
    joined, zones = solved(tmp_path, network, True), solved(tmp_path, network, False)
    assert len(joined.model.N) < len(zones.model.N)  # the trees are gone from the model
    assert joined.kpis["objective_EUR"] == pytest.approx(zones.kpis["objective_EUR"], rel=1e-7)
    assert joined.kpis["unmet_demand_MWh"] > 1.0  # pipes bind: demand is left unmet
    for name in ("unmet_demand_MWh", "network_losses_MWh", "annual_cost_EUR", "plant_heat_MWh"):
        assert joined.kpis[name] == pytest.approx(zones.kpis[name], rel=1e-6, abs=1e-6), name
    assert abs(joined.kpis["energy_balance_residual_MWh"]) < 1e-6
    expected, got = delivered_MWh(zones), delivered_MWh(joined)
    assert set(got) == set(expected)  # every demand zone is reported, as without the reduction
    for zone in unique:  # zones whose delivery the optimum fixes
        assert got[zone] == pytest.approx(expected[zone], rel=1e-6), zone
    if "N" in got:  # N and P share the shortage of pipe RN in some way; together they get what RN carries
        assert got["N"] + got["P"] == pytest.approx(expected["N"] + expected["P"], rel=1e-6)


def test_a_consumer_behind_a_binding_pipe_receives_its_capacity_and_the_flows_are_read_back(tmp_path):
    solution = solved(tmp_path, tree(), True)
    ds = solution.dataset
    delta_K = ds["supply_temperature_degC"].to_numpy() - 40.0
    # A behind DN100 receives what it needs plus the pipe's half loss at A, at most the pipe's capacity
    flow_A = ds["pipe_flow_MW"].sel(pipe="RA").to_numpy()
    loss_A = 0.5 * ds["pipe_loss_MW"].sel(pipe="RA").to_numpy()
    demand_A = ds["demand_MW"].sel(zone="A").to_numpy()
    cap_A = capacity_MW(100, delta_K)
    assert flow_A == pytest.approx(np.minimum(cap_A, demand_A + loss_A), rel=1e-6)
    assert (flow_A > cap_A - 1e-9).sum() >= HOURS // 2  # it binds in the colder hours
    received = demand_A - ds["unmet_MW"].sel(zone="A").to_numpy()
    assert received == pytest.approx(flow_A - loss_A, rel=1e-6)
    # K has no demand: what flows into it is what leaves to L and M plus its pipes' half losses
    flows = ds["pipe_flow_MW"]
    half = 0.5 * ds["pipe_loss_MW"].sel(pipe=["RK", "KL", "KM"]).sum("pipe")
    balance = flows.sel(pipe="RK") + flows.sel(pipe="KL") - flows.sel(pipe="KM") - half
    assert np.abs(balance.to_numpy()).max() < 1e-6
    assert set(ds["pipe"].values) >= {"RA", "RK", "KL", "KM", "RN", "NP"}  # peeled pipes reported too


def test_the_reduction_keeps_minimising_co2_exact(tmp_path):
    objective = {"minimise": "co2"}
    joined = solved(tmp_path, with_campus(*tree()), True, objective=objective)
    zones = solved(tmp_path, with_campus(*tree()), False, objective=objective)
    assert joined.kpis["objective_EUR"] == pytest.approx(zones.kpis["objective_EUR"], rel=1e-6)
    assert joined.kpis["co2_t"] == pytest.approx(zones.kpis["co2_t"], rel=1e-6, abs=1e-6)
    assert joined.kpis["unmet_demand_MWh"] == pytest.approx(zones.kpis["unmet_demand_MWh"], rel=1e-6)


def test_a_pipe_from_the_only_producing_side_carries_heat_one_way_at_the_same_optimum(tmp_path):
    nodes, pipes = with_campus(*tree())
    link = {"status": "candidate", "dn_options": [25, 32], "length_m": 50.0}  # a new consumer Q at K
    nodes, pipes = nodes + [("Q", 60, 100, consumer(0.05))], pipes + [("KQ", "K", "Q", link)]
    case_path = solved_case(tmp_path, (nodes, pipes), demand={"connect_all": False})
    case = load_case(case_path)
    inputs, _ = reduce_network(prepare_inputs(case, load_network(case.network_path)))
    direction = inputs.pipes["direction"]
    # production lies on R's side of every pipe but the campus link SR (G at R, S at its end): heat flows
    # away from R only there, either way through SR
    assert direction["RA"] == 1.0 and direction["KL"] == -1.0 and direction["KQ"] == 1.0 and direction["SR"] == 0.0
    one_way = build_model(inputs)
    both_ways = build_model(inputs.with_(pipes=inputs.pipes.assign(direction=0.0)))
    assert len(one_way.pipes.backward_limit) == HOURS  # SR's only
    assert len(both_ways.pipes.backward_limit) == 2 * HOURS
    assert one_way.pipes.flow_MW["KL", 0].ub == 0.0 and one_way.pipes.flow_MW["RA", 0].lb == 0.0
    assert solve(one_way).objective_EUR == pytest.approx(solve(both_ways).objective_EUR, rel=1e-9)


def _benchmark(name: str):
    """A module of benchmarks/ (they import each other by name)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_binding_benchmark_district_has_the_share_of_pipes_that_cannot_carry_their_demand(tmp_path):
    _benchmark("synthetic")
    binding = _benchmark("binding")
    case = binding.synthetic.write_district(tmp_path, 300, "existing", hours=24, bind_share=0.2)
    binds, pipes = binding.binding_pipes(case)
    assert binds / pipes == pytest.approx(0.2, abs=0.01)
    plain = binding.synthetic.write_district(tmp_path, 300, "existing", hours=24)
    assert binding.binding_pipes(plain) == (0, pipes)  # sized with head-room, nothing binds
