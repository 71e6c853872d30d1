"""Connection planning and pipe upgrades on small cases whose answers are known by construction or by
hand: the cheaper connection point, an upgrade chosen exactly when it pays, the hours a bottleneck
runs at capacity and what one DN more is worth."""

from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo
import pytest
from builders import campus, consumer, existing, write_case, write_network, write_series

from dhopt import physics
from dhopt.case import load_case
from dhopt.cli import main
from dhopt.errors import NetworkError
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.planning.connection import plan_connection, routes
from dhopt.reduce import reduce_network
from dhopt.run import run_case, without_campus
from dhopt.solve import solve

HOURS = 4  # each step stands for 8760 / 4 = 2190 h
DELTA_T_K = 40.0  # supply 80 degC (outdoor -20 degC) minus return 40 degC
DRIVE_K = (80.0 - 8.0) + (40.0 - 8.0)  # loss driving temperature difference [K]
CHEAP, DEAR = 10.0, 60.0  # marginal cost of the waste-to-energy plant and of the gas boiler [EUR/MWh]
PIPE_ANNUITY = physics.annuity_factor(0.04, 40)


def capacity_MW(dn: int) -> float:
    """Heat a DN carries at 80/40 degC at the default hydraulic basis, 80 Pa/m and 3 m/s [MW]."""
    flow = physics.allowed_mass_flow_kg_per_s(physics.pipe_catalogue().loc[dn, "inner_diameter_m"], 80.0, 3.0)
    return float(physics.pipe_capacity_MW(flow, DELTA_T_K))


def loss_MW(dn: int, length_m: float) -> float:
    """Heat a pipe pair of this DN and length loses at 80/40 degC and 8 degC ground [MW]."""
    outer = physics.pipe_catalogue().loc[dn, "outer_diameter_m"]
    return float(physics.pair_loss_conductance_W_per_mK(outer)) * length_m * DRIVE_K * 1e-6


def plant(technology: str, cost: float) -> dict:
    """A 50 MW plant that emits nothing, so its cost is its marginal cost [EUR/MWh]."""
    return {"kind": "plant", "technology": technology, "capacity_MW": 50.0, "marginal_cost_EUR_per_MWh": cost,
            "co2_t_per_MWh": 0.0}  # fmt: skip


def feeder_case(tmp_path, pipe: dict, demand_shares, gas_pipe: dict | None = None, **sections):
    """Cheap heat at A reaches consumer C (1 MW x share of the year) only through pipe P, 1,000 m;
    a dear gas boiler G stands beside C (pipe PG, DN300, 10 m, with `gas_pipe`'s extra properties)."""
    nodes = [("A", 0, 0, plant("waste_to_energy", CHEAP)), ("C", 1000, 0, consumer(1.0)),
             ("G", 1000, 10, plant("gas_boiler", DEAR))]  # fmt: skip
    pipes = [
        ("P", "A", "C", {**existing(pipe.pop("dn"), 1000.0), **pipe}),
        ("PG", "G", "C", {**existing(300, 10.0), **(gas_pipe or {})}),
    ]
    series = write_series(tmp_path, HOURS, residential=[share / 8760.0 for share in demand_shares])
    return write_case(tmp_path, write_network(tmp_path, nodes, pipes), series, HOURS, **sections)


def hourly_cost(dn: int, demand_MW: float) -> float:
    """Hand calculation [EUR/h]: P carries min(capacity, what zone C needs); zone C needs the demand,
    the gas pipe's loss and half of P's loss; A supplies P's flow and the other half of its loss."""
    need = demand_MW + loss_MW(300, 10.0) + 0.5 * loss_MW(dn, 1000.0)
    flow = min(capacity_MW(dn), need)
    return CHEAP * (flow + 0.5 * loss_MW(dn, 1000.0)) + DEAR * (need - flow)


# ------------------------------------------------------------------ (b) upgrade chosen when it pays
@pytest.mark.parametrize("share_of_saving, upgraded", [(0.9, True), (1.1, False)])
def test_upgrade_chosen_exactly_when_its_annual_cost_is_below_the_saving(tmp_path, share_of_saving, upgraded):
    # 3 MW at C; DN100 carries 1.54 MW, DN150 4.42 MW (all of it). The upgrade's annualised cost is
    # set to 90 % / 110 % of the hand-computed saving through the pipe cost per metre and mm.
    saving = 8760.0 * (hourly_cost(100, 3.0) - hourly_cost(150, 3.0))
    assert capacity_MW(100) < 3.0 < capacity_MW(150) - loss_MW(150, 1000.0)  # the construction holds
    per_mm = share_of_saving * saving / (PIPE_ANNUITY * 1000.0 * 150)
    case = feeder_case(
        tmp_path, {"dn": 100, "upgrade_dn_options": [150]}, [3.0] * HOURS,
        pipes={"fixed_EUR_per_m": 0.0, "EUR_per_m_per_mm": per_mm},
    )  # fmt: skip
    result = run_case(case)
    design = result.design.set_index(["component", "id"])["value"]
    assert design["pipe_upgrade", "P"] == (150 if upgraded else 0)
    expected = 8760.0 * hourly_cost(150, 3.0) + share_of_saving * saving if upgraded else 8760.0 * hourly_cost(100, 3.0)
    assert result.kpis["annual_cost_EUR"] == pytest.approx(expected, rel=1e-7)
    assert abs(result.kpis["energy_balance_residual_MWh"]) < 1e-6  # an upgrade's extra loss is counted


def test_reduction_with_upgrade_options_keeps_the_optimum(tmp_path):
    # P (DN100, may become DN150/200) binds and stays a model pipe with its upgrades; PG (DN300, may
    # become DN400) never binds: it merges into a zone and its upgrade options go. Same optimum.
    upgrades = {"dn": 100, "upgrade_dn_options": [150, 200]}
    gas_pipe = {"upgrade_dn_options": [400]}
    case = feeder_case(tmp_path, upgrades, [3.0, 1.0, 2.0, 3.0], gas_pipe, pipes={"EUR_per_m_per_mm": 1.0})
    full = prepare_inputs(load_case(case), load_network(tmp_path / "net.geojson"))
    assert len(full.options) == 3 + 2  # P at DN100, 150 and 200; PG at DN300 and 400
    reduced, sizes = reduce_network(full)
    assert list(reduced.pipes.index) == ["P"] and sizes.options_after == 1  # DN150 covers P's bound: DN200 goes
    full_model, reduced_model = build_model(full), build_model(reduced)
    full_cost, reduced_cost = solve(full_model).objective_EUR, solve(reduced_model).objective_EUR
    assert reduced_cost == pytest.approx(full_cost, rel=1e-9)
    assert round(pyo.value(reduced_model.pipes.build["P", 150])) == 1


# ---------------------------------------------- (c) bottleneck hours and (b') the value of one DN more
def test_bottleneck_table_hours_and_upgrade_value_by_hand(tmp_path):
    # Demand 3, 1, 3, 1 MW: DN100 (1.54 MW) is at capacity in the two 3 MW steps, 2 x 2190 h/yr.
    # One DN more (DN125, 2.70 MW, still too small for 3 MW) saves the gas it displaces in those
    # hours but loses more heat in every hour.
    case = feeder_case(tmp_path, {"dn": 100}, [3.0, 1.0, 3.0, 1.0])
    plan = plan_connection(case)
    [row] = plan.bottlenecks.itertuples()
    assert (row.pipe, row.dn_mm, row.hours_at_capacity_h) == ("P", 100, pytest.approx(4380.0))
    assert row.max_flow_MW == pytest.approx(capacity_MW(100), rel=1e-9)
    saving = 4380.0 * (hourly_cost(100, 3.0) - hourly_cost(125, 3.0) + hourly_cost(100, 1.0) - hourly_cost(125, 1.0))
    annual = PIPE_ANNUITY * 1000.0 * (180.0 + 4.0 * 125)
    assert row.upgrade_dn_mm == 125 and row.upgrade_annual_cost_EUR == pytest.approx(annual, rel=1e-9)
    assert row.saving_EUR == pytest.approx(saving, rel=1e-6)
    assert row.upgrade_value_EUR == pytest.approx(saving - annual, rel=1e-6)
    assert plan.routes.empty  # no candidate pipes: nothing to connect


# ------------------------------------------------------------- (a) the cheaper connection point
def two_routes(tmp_path, near_dn: int, routes=("far", "near")):
    """Campus S and consumer C (8 MW, gas boiler beside it); S may connect at J1 through 2,000 m or
    at J2 through 1,000 m of candidate pipe (`routes`: which of the two exist), each junction joined
    to C by 100 m of existing pipe (J1: DN300; J2: `near_dn`)."""
    nodes = [("S", 0, 0, campus(10.0)), ("J1", 2000, 0, {"kind": "junction"}), ("J2", 0, 1000, {"kind": "junction"}),
             ("C", 2000, 1000, consumer(8.0)), ("G", 2000, 1010, plant("gas_boiler", DEAR))]  # fmt: skip
    route = {"status": "candidate", "dn_options": [200, 250, 300]}
    pipes = [
        *[
            (name, "S", end, {**route, "length_m": length})
            for name, end, length in (("far", "J1", 2000.0), ("near", "J2", 1000.0))
            if name in routes
        ],
        ("E1", "J1", "C", existing(300, 100.0)),
        ("E2", "J2", "C", existing(near_dn, 100.0)),
        ("EG", "G", "C", existing(300, 10.0)),
    ]
    return write_case(tmp_path, write_network(tmp_path, nodes, pipes), write_series(tmp_path, HOURS), HOURS)


@pytest.mark.parametrize("near_dn, chosen, point", [(300, "near", "J2"), (32, "far", "J1")])
def test_the_cheaper_connection_point_is_chosen(tmp_path, near_dn, chosen, point):
    # Equal but for length, the shorter route to J2 is cheaper. Behind DN32 (0.09 MW) J2 cannot take
    # the campus heat: the heat pumps' 8 MW would be gas at 60 EUR/MWh instead of about 12, far more
    # than the 1,000 m of extra pipe, so the longer route to J1 is cheaper.
    plan = plan_connection(two_routes(tmp_path, near_dn))
    table = plan.routes.set_index("route")
    assert set(table.index) == {"near", "far"} and table["campus"].eq("S").all()
    assert table.loc[chosen, "built"] and not table.drop(chosen)["built"].any()
    assert table.loc[chosen, "connection_point"] == point
    dn = table.loc[chosen, "dn_mm"]
    length = table.loc[chosen, "length_m"]
    assert table.loc[chosen, "annual_cost_EUR"] == pytest.approx(PIPE_ANNUITY * length * (180.0 + 4.0 * dn), rel=1e-9)
    alone = table["annual_cost_alone_EUR"]
    assert alone[chosen] == pytest.approx(plan.solved.kpis["annual_cost_EUR"], rel=1e-9)
    assert alone.drop(chosen).iloc[0] > alone[chosen]  # each route solved on its own: the other costs more


def test_reference_without_campus_drops_both_connection_routes(tmp_path):
    # Without the campus its two routes would join J1 and J2 through the empty site (a candidate loop
    # kept by the reduction); they served only the campus and go. The reference is the gas boiler
    # alone: 8 MW plus the three existing pipes' losses, every hour.
    case = load_case(two_routes(tmp_path, 300))
    inputs, _ = reduce_network(prepare_inputs(case, load_network(case.network_path)))
    assert {"near", "far"} <= set(inputs.pipes.index)
    reference, sizes = reduce_network(without_campus(inputs))
    assert reference.pipes.empty and sizes.options_after == 0  # an LP: no route, no DN choice
    result = run_case(case.path)
    gas_MW = 8.0 + 2 * loss_MW(300, 100.0) + loss_MW(300, 10.0)
    assert result.kpis["reference_annual_cost_EUR"] == pytest.approx(8760.0 * DEAR * gas_MW, rel=1e-9)


def test_routes_are_chains_of_candidate_pipes_through_empty_junctions(tmp_path):
    nodes = [("S", 0, 0, campus()), ("J", 500, 0, {"kind": "junction"}), ("K", 1000, 0, {"kind": "junction"}),
             ("C", 1500, 0, consumer(1.0))]  # fmt: skip
    pipes = [("a", "S", "J", {"status": "candidate"}), ("b", "J", "K", {"status": "candidate"}),
             ("E", "K", "C", existing(100, 500.0))]  # fmt: skip
    table = routes(load_network(write_network(tmp_path, nodes, pipes)))
    assert table["route"].to_dict() == {"a": "a", "b": "a"}
    assert table.loc["b", ["route_from", "route_to", "connection_point", "campus"]].tolist() == ["S", "K", "K", "S"]


def test_upgrade_value_is_the_difference_of_two_optimised_networks(tmp_path):
    # Near route only, behind DN150: one DN more (DN200) is worth the optimal annual cost with DN150
    # less that with DN200 (a network file of its own, heat pump re-sized) less DN200's annuity.
    (tmp_path / "b").mkdir()
    near_dn150, near_dn200 = two_routes(tmp_path, 150, ["near"]), two_routes(tmp_path / "b", 200, ["near"])
    [row] = plan_connection(near_dn150).bottlenecks.itertuples()
    assert (row.pipe, row.hours_at_capacity_h, row.upgrade_dn_mm) == ("E2", 8760.0, 200)
    with_dn150 = run_case(near_dn150).kpis["annual_cost_EUR"]
    with_dn200 = run_case(near_dn200).kpis["annual_cost_EUR"]
    annuity = PIPE_ANNUITY * 100.0 * (180.0 + 4.0 * 200)
    assert row.upgrade_annual_cost_EUR == pytest.approx(annuity, rel=1e-9)
    assert row.upgrade_value_EUR == pytest.approx(with_dn150 - with_dn200 - annuity, rel=1e-6)
    assert row.upgrade_value_EUR > 1e6  # the campus's heat pumps replace gas behind the larger pipe


# ------------------------------------------------------------------------------- (d) CLI end to end
def test_cli_connect_writes_tables_and_map(tmp_path, capsys):
    # Behind DN150 (4.4 MW) J2 takes about half of the 8 MW the campus could deliver: the far route
    # wins, and on its own the near route would keep E2 at capacity in every hour.
    out = tmp_path / "out"
    assert main(["connect", str(two_routes(tmp_path, 150)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "connection: route 'far' S -> J1 (2,000 m" in printed
    assert "not chosen: route 'near' S -> J2 (1,000 m)" in printed
    assert "then existing pipe 'E2' (DN150) at capacity 8,760 h/yr, worth +" in printed
    connection = pd.read_csv(out / "connection.csv")
    assert connection.set_index("route")["built"].to_dict() == {"far": True, "near": False}
    [row] = pd.read_csv(out / "bottlenecks.csv").itertuples()
    assert (row.scenario, row.pipe, row.hours_at_capacity_h) == ("route 'near' only", "E2", 8760.0)
    assert row.max_flow_MW == pytest.approx(capacity_MW(150), rel=1e-9)
    assert (out / "connection.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "connection.png").stat().st_size > 20_000


# ---------------------------------------------------------------------------- (e) bad upgrade options
@pytest.mark.parametrize(
    "value, got",
    [
        ([80, 150], "got 80 (not above DN100)"),
        ([160], "got 160 (not a catalogue DN)"),
        ("wide", "got 'wide' (not a catalogue DN)"),
        ([], "got []"),
    ],
)
def test_bad_upgrade_dn_options_is_one_line(tmp_path, capsys, value, got):
    case = feeder_case(tmp_path, {"dn": 100, "upgrade_dn_options": value}, [1.0] * HOURS)
    assert main(["validate", str(case)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"dhopt: error: {tmp_path / 'net.geojson'}: feature 3 (id 'P'): field 'upgrade_dn_options'")
    assert line.endswith(got)


def test_upgrade_dn_options_from_a_csv_network(tmp_path):
    (tmp_path / "nodes.csv").write_text("id,kind,x_m,y_m,it_load_MW,cooling,annual_heat_MWh\n"
                                        "S,source,0,0,5,liquid,\nC,consumer,100,0,,,8760\n")  # fmt: skip
    (tmp_path / "edges.csv").write_text("id,from,to,length_m,status,dn,upgrade_dn_options\n"
                                        "P,S,C,100,existing,100,200;150\nQ,S,C,100,existing,100,\n")  # fmt: skip
    pipes = load_network(tmp_path).pipes
    assert pipes["upgrade_dn_options"].to_dict() == {"P": (150, 200), "Q": ()}


def test_upgrade_dn_options_refused_on_a_candidate(tmp_path):
    nodes = [("S", 0, 0, campus()), ("C", 100, 0, consumer(1.0))]
    pipes = [("P", "S", "C", {"status": "candidate", "upgrade_dn_options": [200]})]
    with pytest.raises(NetworkError, match=r"field 'upgrade_dn_options': expected nothing on a candidate pipe"):
        load_network(write_network(tmp_path, nodes, pipes))
