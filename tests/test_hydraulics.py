"""Hydraulic check of every original pipe: flows rebuilt inside zones against hand sums, supply
temperature against the hand-computed exponential decay, the checked hours, the exit code."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import campus, consumer, existing, radial_zone, solved_result

from dhopt.cli import main
from dhopt.physics import pair_loss_conductance_W_per_mK, pipe_catalogue
from dhopt.planning.hydraulics import check_result, checked_hours
from dhopt.planning.link_flows import tree_flows

HOURS = 4
TEMPERATURES = {"supply_max_degC": 80.0, "return_degC": 40.0, "ground_degC": 8.0}  # outdoor -20: supply 80
DRIVE_K = (80.0 - 8.0) + (40.0 - 8.0)  # loss drive of a supply + return pair [K]
CP = 4187.0  # [J/(kg K)]


def loss_MW(dn: int, length_m: float) -> float:
    """Heat loss of a pipe pair at 80/40 degC in 8 degC ground [MW]: U L [(Ts - Tg) + (Tr - Tg)]."""
    outer = pipe_catalogue().at[dn, "outer_diameter_m"]
    return float(pair_loss_conductance_W_per_mK(outer)) * length_m * DRIVE_K * 1e-6


def solve(tmp_path, nodes, pipes, **series):
    return solved_result(tmp_path, nodes, pipes, HOURS, TEMPERATURES, **series)


def test_flows_in_a_radial_zone_are_the_downstream_sums(tmp_path):
    # S (campus) -P (DN100, binds: a model pipe)- A; zone A: A-B (2 MW), B-C (3 MW), D (1 MW)-A, boiler G-A.
    # Each zone pipe carries the demand beyond it plus the losses beyond it (half of each pipe's loss
    # sits at each of its ends): P2 = 3 + l/2, P1 = 2 + 3 + l/2 + l/2 + l/2, P3 (from D to A) = -(1 + l/2).
    nodes, pipes = radial_zone()
    check = check_result(solve(tmp_path, nodes, pipes))
    peak = check.pipes[check.pipes["check"] == "peak"].set_index("pipe")
    assert peak.loc["P", "status"] == "model"
    assert set(peak.loc[["P1", "P2", "P3", "PG"], "status"]) == {"zone"}
    loss = loss_MW(300, 100.0)
    assert peak.loc["P2", "flow_MW"] == pytest.approx(3.0 + loss / 2, abs=1e-6)
    assert peak.loc["P1", "flow_MW"] == pytest.approx(5.0 + 1.5 * loss, abs=1e-6)
    assert peak.loc["P3", "flow_MW"] == pytest.approx(-(1.0 + loss / 2), abs=1e-6)
    # what P and PG bring towards A covers all of it: 6 MW, the three pipes' losses and the halves of
    # P's and PG's losses booked at A
    assert peak.loc["P", "flow_MW"] + peak.loc["PG", "flow_MW"] == pytest.approx(
        6.0 + 3 * loss + loss_MW(100, 500.0) / 2 + loss_MW(400, 10.0) / 2, abs=1e-6
    )
    assert check.hours["balance_residual_MW"].max() < 1e-6


def test_consumer_supply_temperature_is_the_exponential_decay(tmp_path):
    # One DN50 pipe, 1 km, to a 50 kW consumer: it carries 50 kW plus the half of its loss at the
    # consumer's end, m = Q / (cp 40 K); T = 8 + (80 - 8) exp(-U L / (m cp)).
    nodes = [("S", 0, 0, campus()), ("C", 1000, 0, consumer(0.05))]
    check = check_result(solve(tmp_path, nodes, [("P", "S", "C", existing(50, 1000.0))]))
    u_W_per_mK = float(pair_loss_conductance_W_per_mK(pipe_catalogue().at[50, "outer_diameter_m"]))
    heat_MW = 0.05 + u_W_per_mK * 1000.0 * DRIVE_K * 1e-6 / 2
    mass_kg_per_s = heat_MW * 1e6 / (CP * 40.0)
    expected_degC = 8.0 + 72.0 * math.exp(-u_W_per_mK * 1000.0 / (mass_kg_per_s * CP))
    consumers = check.consumers.set_index("check")
    assert consumers.loc["peak", "supply_degC"] == pytest.approx(expected_degC, abs=1e-6)
    assert 80.0 - expected_degC > 5.0  # the decay is a sizeable effect here, not a rounding
    assert check.pipes.set_index("check").loc["peak", "flow_MW"] == pytest.approx(heat_MW, abs=1e-9)


def test_low_load_hour_is_the_lowest_summer_demand():
    # A year whose lowest demand is in winter (hour 100) and lower still in September (hour 6000):
    # the summer low-load hour is the lowest of June-August (hours 3624-5831), here hour 4000.
    demand = np.full(8760, 10.0)
    demand[100], demand[6000], demand[4000], demand[3623], demand[5832] = 0.1, 0.2, 0.5, 0.3, 0.3
    demand[20] = 50.0
    assert checked_hours(np.arange(8760), demand) == {"peak": 20, "summer low load": 4000}
    # A horizon of January hours only has no summer: its own lowest hour, at its position
    assert checked_hours(np.arange(48, 52), [5.0, 1.0, 7.0, 2.0]) == {"peak": 2, "lowest load": 1}


def test_cold_consumer_at_low_load_fails_the_check(tmp_path, capsys):
    # DN50 (U = 0.1618 W/(m K)), 3 km to a consumer of 50 kW, 2.5 kW in hour 2. Half the pipe's loss,
    # 0.1618 x 3000 x 104 K / 2 = 25.2 kW, is carried too. At 2.5 kW the water crawls and cools below 50 degC:
    # m = 27.7 kW / (cp 40 K) = 0.1656 kg/s, T = 8 + 72 exp(-0.1618 x 3000 / (0.1656 x 4187)) = 43.76 degC;
    # at 50 kW (m = 0.449 kg/s) it arrives at 63.6 degC.
    nodes = [("S", 0, 0, campus()), ("C", 3000, 0, consumer(0.05))]
    shares = np.array([1.0, 1.0, 0.05, 1.0]) / 8760.0
    out = solve(tmp_path, nodes, [("P", "S", "C", existing(50, 3000.0))], residential=shares)
    assert main(["hydraulics", str(out)]) == 4
    printed = capsys.readouterr()
    assert "violation: consumer C at lowest load hour 2" in printed.out
    assert "0 pipe(s) and 1 consumer(s) violate" in printed.err
    table = pd.read_csv(out / "consumer_temperatures.csv").set_index("check")
    assert table.loc["peak", "supply_degC"] == pytest.approx(63.6, abs=0.05)
    assert pd.isna(table.loc["peak", "violation"])
    assert table.loc["lowest load", "supply_degC"] == pytest.approx(43.76, abs=0.01)
    assert (out / "hydraulics.png").stat().st_size > 10_000
    assert main(["hydraulics", str(out), "--min-supply-degC", "43"]) == 0


def test_tree_flows_two_feeds_exact_loop_not_reconstructed():
    # Path 0-1-2-3 fed at both ends (+4 at node 0, +1 at node 3), 5 MW drawn at node 1: the middle
    # pipes carry what each side must pass on. Adding a pipe 1-3 closes a loop 1-2-3: those three
    # pipes have no unique flow; the pipe 0-1 (a bridge) still has.
    injection = np.array([[4.0], [-5.0], [0.0], [1.0]])
    flows, residual = tree_flows(4, np.array([0, 1, 2]), np.array([1, 2, 3]), injection)
    assert flows[:, 0].tolist() == pytest.approx([4.0, -1.0, -1.0])
    assert residual[0] == pytest.approx(0.0)
    flows, _ = tree_flows(4, np.array([0, 1, 2, 1]), np.array([1, 2, 3, 3]), injection)
    assert flows[0, 0] == pytest.approx(4.0)
    assert np.isnan(flows[1:, 0]).all()


def test_consumer_own_minimum_supply_overrides_the_default(tmp_path):
    # The consumer of the test above asks for 45 degC itself: 43.76 degC at low load fails even
    # when the default minimum is lowered to 43 degC.
    nodes = [("S", 0, 0, campus()), ("C", 3000, 0, {**consumer(0.05), "min_supply_degC": 45.0})]
    shares = np.array([1.0, 1.0, 0.05, 1.0]) / 8760.0
    out = solve(tmp_path, nodes, [("P", "S", "C", existing(50, 3000.0))], residential=shares)
    assert main(["hydraulics", str(out), "--min-supply-degC", "43"]) == 4
    table = pd.read_csv(out / "consumer_temperatures.csv").set_index("check")
    assert table["min_supply_degC"].tolist() == [45.0, 45.0]
    assert table.loc["lowest load", "violation"] == "supply 43.76 degC < 45 degC"


def test_chain_of_candidates_carries_the_model_flow_along_its_direction(tmp_path):
    # Candidates Q1 (S->J) and Q2 (C->J, drawn backwards) through an empty junction J are one model
    # pipe; a boiler at C keeps it from being the only feed. Both pipes carry the model pipe's flow,
    # Q2 with the opposite sign.
    candidate = {"status": "candidate", "length_m": 300.0, "dn_options": [100, 150, 200]}
    nodes = [
        ("S", 0, 0, campus()),
        ("J", 300, 0, {"kind": "junction"}),
        ("C", 600, 0, consumer(2.0)),
        ("G", 600, 10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 30.0}),
    ]
    pipes = [("Q1", "S", "J", candidate), ("Q2", "C", "J", candidate), ("PG", "G", "C", existing(400, 10.0))]
    out = solve(tmp_path, nodes, pipes)
    check = check_result(out)
    peak = check.pipes[check.pipes["check"] == "peak"].set_index("pipe")
    assert peak.loc[["Q1", "Q2"], "status"].tolist() == ["model", "model"]
    assert peak.loc["Q1", "flow_MW"] > 1.0  # the campus heat is cheaper: the chain is built and used
    assert peak.loc["Q2", "flow_MW"] == pytest.approx(-peak.loc["Q1", "flow_MW"])
    assert check.hours["balance_residual_MW"].max() < 1e-6
