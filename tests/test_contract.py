"""The heat contract splits the system saving between campus and utility; comparisons are like for like.

A campus S reaches consumer C (10 MW, flat) through two new pipes S-J-C; a gas boiler G stands at C.
Every price is flat (electricity 40 EUR/MWh + 20 tariff), so each figure can be computed by hand.
"""

from __future__ import annotations

import pytest
from builders import campus, consumer, existing, write_case, write_network, write_series

from dhopt.backup import BACKUP_BOILER
from dhopt.contract import bargaining_range
from dhopt.errors import CaseError
from dhopt.physics import annuity_factor
from dhopt.planning.export_curve import export_curve
from dhopt.run import run_case

HOURS = 4
ELECTRICITY = 40.0 + 20.0  # spot + default tariff [EUR/MWh]
GAS = 37.0 + 0.208 * 80.0  # gas boiler: fuel and O&M + CO2 at the default price [EUR/MWh]
CANDIDATE = {"status": "candidate", "dn_options": [200, 300], "length_m": 300.0}


def chain_case(tmp_path, name="chain", gas_MW=30.0, **sections):
    nodes = [("S", 0, 0, campus()), ("J", 300, 0, {"kind": "junction"}), ("C", 600, 0, consumer(10.0))]
    pipes = [("L1", "S", "J", CANDIDATE), ("L2", "J", "C", CANDIDATE)]
    if gas_MW:
        nodes.append(("G", 600, 10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": gas_MW}))
        pipes.append(("PG", "G", "C", existing(400, 10.0)))
    directory = tmp_path / name
    directory.mkdir()
    network = write_network(directory, nodes, pipes)
    return write_case(directory, network, write_series(directory, HOURS), HOURS, name=name, **sections)


def solved(tmp_path, name, **contract):
    return run_case(chain_case(tmp_path, name, contract=contract) if contract else chain_case(tmp_path, name))


def test_split_adds_up_to_the_system_saving_for_any_price_and_leaves_the_plan(tmp_path):
    runs = [solved(tmp_path, f"p{p}", heat_price_EUR_per_MWh=p) for p in (0.0, 15.0, 60.0)]
    for price, run in zip((0.0, 15.0, 60.0), runs):
        k = run.kpis
        assert k["campus_net_EUR"] + k["utility_saving_EUR"] == pytest.approx(k["annual_saving_EUR"], rel=1e-12)
        # paid heat: the waste heat the heat pumps take = their output minus their electricity
        assert k["contract_paid_heat_MWh"] == pytest.approx(k["hp_heat_MWh"] - k["hp_electricity_MWh"], rel=1e-9)
        assert k["campus_revenue_EUR"] == pytest.approx(price * k["contract_paid_heat_MWh"], rel=1e-12, abs=1e-9)
        assert k["campus_cost_EUR"] == 0.0  # the utility owns everything by default
        assert k["annual_cost_EUR"] == pytest.approx(runs[0].kpis["annual_cost_EUR"], rel=1e-12)  # same plan
    assert runs[0].kpis["annual_saving_EUR"] > 0 and runs[0].kpis["contract_paid_heat_MWh"] > 0
    # a dearer heat price moves money from utility to campus one for one
    moved = runs[2].kpis["campus_net_EUR"] - runs[1].kpis["campus_net_EUR"]
    assert moved == pytest.approx(45.0 * runs[0].kpis["contract_paid_heat_MWh"], rel=1e-9)
    assert runs[1].kpis["utility_saving_EUR"] - runs[2].kpis["utility_saving_EUR"] == pytest.approx(moved, rel=1e-9)


def test_campus_owned_assets_cost_it_what_a_hand_calculation_says_and_the_range_is_where_nobody_loses(tmp_path):
    owned = {"heat_pump_owner": "campus", "storage_owner": "campus", "connection_owner": "campus"}
    first = solved(tmp_path, "own", paid_heat="network_heat", heat_price_EUR_per_MWh=30.0, **owned)
    k, design = first.kpis, first.design.set_index(["component", "id"])["value"]
    hp_MW, storage_MWh = k["hp_capacity_MW"], k["storage_capacity_MWh"]
    heat_pumps = (annuity_factor(0.04, 25) * 670_000 + 2_000) * hp_MW + ELECTRICITY * k["hp_electricity_MWh"]
    heat_pumps += 1.7 * k["hp_heat_MWh"]
    storage = (annuity_factor(0.04, 40) * 3_036 + 8.8) * storage_MWh
    pipes = sum(annuity_factor(0.04, 40) * 300.0 * (180 + 4 * design["pipe", p]) for p in ("L1", "L2"))
    assert design["pipe", "L1"] > 0 and design["pipe", "L2"] > 0  # both connection pipes are built
    assert k["campus_heat_pump_cost_EUR"] == pytest.approx(heat_pumps, rel=1e-6)
    assert k["campus_storage_cost_EUR"] == pytest.approx(storage, rel=1e-6, abs=1e-6)
    assert k["campus_connection_cost_EUR"] == pytest.approx(pipes, rel=1e-9)
    assert k["contract_paid_heat_MWh"] == pytest.approx(k["campus_heat_to_network_MWh"], rel=1e-9)
    low, high = k["bargaining_min_EUR_per_MWh"], k["bargaining_max_EUR_per_MWh"]
    assert (low, high) == pytest.approx(
        bargaining_range(k["annual_saving_EUR"], k["campus_cost_EUR"], 0.0, k["contract_paid_heat_MWh"])
    )
    assert 0 < low < high
    at_low = solved(tmp_path, "low", paid_heat="network_heat", heat_price_EUR_per_MWh=low, **owned).kpis
    at_high = solved(tmp_path, "high", paid_heat="network_heat", heat_price_EUR_per_MWh=high, **owned).kpis
    assert at_low["campus_net_EUR"] == pytest.approx(0.0, abs=1e-6 * k["annual_saving_EUR"])
    assert at_high["utility_saving_EUR"] == pytest.approx(0.0, abs=1e-6 * k["annual_saving_EUR"])
    middle = solved(tmp_path, "mid", paid_heat="network_heat", **owned).kpis  # no price: the middle
    assert middle["campus_net_EUR"] == pytest.approx(0.5 * k["annual_saving_EUR"], rel=1e-9)
    assert middle["utility_npv_EUR"] == pytest.approx(middle["utility_saving_EUR"] / annuity_factor(0.04, 25))


def test_an_indexed_price_follows_electricity_and_the_avoided_boiler(tmp_path):
    run = solved(tmp_path, "indexed", heat_price_EUR_per_MWh=5.0, electricity_price_share=0.5, avoided_cost_share=0.25)
    k = run.kpis
    assert k["heat_price_mean_EUR_per_MWh"] == pytest.approx(5.0 + 0.5 * ELECTRICITY + 0.25 * GAS, rel=1e-9)
    index = 0.5 * ELECTRICITY + 0.25 * GAS  # the range of the constant part moves down by the index
    plain = solved(tmp_path, "plain", heat_price_EUR_per_MWh=5.0).kpis
    assert k["bargaining_max_EUR_per_MWh"] == pytest.approx(plain["bargaining_max_EUR_per_MWh"] - index, rel=1e-9)


def test_an_unknown_avoided_plant_is_refused_in_one_line(tmp_path):
    with pytest.raises(CaseError, match=r"key 'contract.avoided_plant': expected a plant node .*'G'.*got 'X'$"):
        solved(tmp_path, "bad", avoided_cost_share=1.0, avoided_plant="X")


def test_export_curve_splits_the_saving_with_the_heat_payment(tmp_path):
    # the utility's NPV falls by the heat payment's NPV when the price rises; the parts add up
    case = chain_case(tmp_path, "curve")
    cheap, _ = export_curve(case, [0, 10], heat_price_EUR_per_MWh=20.0)
    dear, _ = export_curve(case, [0, 10], heat_price_EUR_per_MWh=60.0)
    for table in (cheap, dear):
        parts = table["campus_net_EUR"] + table["utility_saving_EUR"]
        assert parts.to_numpy() == pytest.approx(table["annual_saving_EUR"].to_numpy(), rel=1e-12, abs=1e-6)
    paid = cheap["contract_paid_heat_MWh"].iloc[1]
    assert paid > 0 and dear["contract_paid_heat_MWh"].iloc[1] == pytest.approx(paid)
    fall = cheap["utility_npv_EUR"].iloc[1] - dear["utility_npv_EUR"].iloc[1]
    assert fall == pytest.approx(40.0 * paid / annuity_factor(0.04, 25), rel=1e-9)


def test_a_reference_that_leaves_demand_unmet_gets_a_backup_boiler(tmp_path):
    # no gas boiler: without the campus all 10 MW are unmet (and its connection, built because nothing else
    # reaches C, carries no heat and loses none); the comparison gives the reference an e-boiler of 10 MW
    run = run_case(chain_case(tmp_path, "alone", gas_MW=0.0))
    k = run.kpis
    unmet_MW = k["reference_unmet_demand_MWh"] / 8760.0
    assert unmet_MW == pytest.approx(10.0, rel=1e-9) and k["reference_backup_MW"] == pytest.approx(unmet_MW)
    b = BACKUP_BOILER
    per_MW = annuity_factor(0.04, b["lifetime_yr"]) * b["investment_EUR_per_MW"] + b["fixed_om_EUR_per_MW_yr"]
    energy = 8760.0 * unmet_MW * (ELECTRICITY / b["efficiency"] + b["variable_om_EUR_per_MWh"])
    assert k["reference_annual_cost_EUR"] == pytest.approx(per_MW * unmet_MW + energy, rel=1e-9)
    assert k["reference_co2_t"] == pytest.approx(8760.0 * unmet_MW * 0.135 / b["efficiency"], rel=1e-9)
    assert k["unmet_demand_MWh"] == pytest.approx(0.0, abs=1e-6)
    assert abs(k["energy_balance_residual_MWh"]) < 1e-6
    assert k["annual_saving_EUR"] == pytest.approx(k["reference_annual_cost_EUR"] - k["annual_cost_EUR"], rel=1e-12)
