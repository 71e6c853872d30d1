"""Small models whose optimum is known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo
import pytest
from builders import campus, consumer, existing, write_case, write_network, write_series
from test_regimes import lorenz

from dhopt import physics
from dhopt.case import load_case
from dhopt.diagnose import bottlenecks
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.run import run_case
from dhopt.solve import solve

KELVIN = 273.15
COP_80_FROM_35 = lorenz(80.0, 40.0)  # 40 -> 80 degC from a source 45 degC cooled to 35 degC: 7.637
GAS_EUR_PER_MWH = 37.0 + 0.208 * 80.0  # default gas boiler: fuel + CO2 at 80 EUR/t


def pair_loss_MW(dn: int, length_m: float, drive_K: float) -> float:
    outer = physics.pipe_catalogue().loc[dn, "outer_diameter_m"]
    return float(physics.pair_loss_conductance_W_per_mK(outer)) * length_m * drive_K * 1e-6


def solved(case_path):
    inputs = prepare_inputs(load_case(case_path), load_network(load_case(case_path).network_path))
    model = build_model(inputs)
    report = solve(model)
    return inputs, model, report


def test_model_one_source_one_consumer_matches_closed_form(tmp_path):
    network = write_network(
        tmp_path, [("S", 0, 0, campus()), ("C", 100, 0, consumer(5.0))], [("P", "S", "C", existing(200, 100.0))]
    )
    case = write_case(tmp_path, network, write_series(tmp_path, 4), 4, grid={"tariff_EUR_per_MWh": 0.0})
    inputs, model, report = solved(case)
    assert inputs.cop.to_numpy() == pytest.approx(COP_80_FROM_35)  # hand calculation: 7.637
    assert COP_80_FROM_35 == pytest.approx(7.63678, rel=1e-5)
    heat = 5.0 + pair_loss_MW(200, 100.0, 80 + 40 - 2 * 8)
    hp_annual = physics.annuity_factor(0.04, 25) * 670_000 + 2_000
    expected = heat * hp_annual + 8760 * heat * (40.0 / COP_80_FROM_35 + 1.7)
    assert pyo.value(model.campus.hp_capacity_MW["S"]) == pytest.approx(heat, rel=1e-6)
    assert report.objective_EUR == pytest.approx(expected, rel=1e-6)
    assert pyo.value(model.storage.capacity_MWh["S"]) == pytest.approx(0.0, abs=1e-6)


def test_model_cop_follows_heating_curve(tmp_path):
    network = write_network(
        tmp_path, [("S", 0, 0, campus()), ("C", 100, 0, consumer(5.0))], [("P", "S", "C", existing(200, 100.0))]
    )
    series = write_series(tmp_path, 2, outdoor_temperature_degC=[-20.0, 20.0])
    inputs = prepare_inputs(load_case(write_case(tmp_path, network, series, 2)), load_network(network))
    assert inputs.supply_degC.tolist() == [80.0, 65.0]
    assert inputs.cop["S"].tolist() == pytest.approx([COP_80_FROM_35, lorenz(65.0, 40.0)])


def test_storage_shifts_heat_from_expensive_to_cheap_hour(tmp_path):
    boiler = {"kind": "plant", "technology": "electric_boiler", "capacity_MW": 30.0}
    network = write_network(
        tmp_path, [("B", 0, 0, boiler), ("C", 10, 0, consumer(10.0))], [("P", "B", "C", existing(300, 10.0))]
    )
    series = write_series(tmp_path, 2, electricity_price_EUR_per_MWh=[10.0, 100.0])
    storage = {"nodes": ["B"], "investment_EUR_per_MWh": 1.0, "fixed_om_EUR_per_MWh_yr": 0.0}
    storage |= {"charge_hours": 1.0, "loss_per_hour": 0.0}
    case = write_case(tmp_path, network, series, 2, storage=storage, grid={"tariff_EUR_per_MWh": 0.0})
    _, model, _ = solved(case)
    need = 10.0 + pair_loss_MW(300, 10.0, 104.0)
    assert pyo.value(model.storage.capacity_MWh["B"]) == pytest.approx(need, rel=1e-6)
    assert pyo.value(model.plants.heat_MW["B", 0]) == pytest.approx(2 * need, rel=1e-6)
    assert pyo.value(model.plants.heat_MW["B", 1]) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(("length_m", "built_dn"), [(2_000.0, 100), (40_000.0, None)])
def test_candidate_pipe_built_only_where_it_pays(tmp_path, length_m, built_dn):
    # Heat-pump heat saves about 320 kEUR/yr per MW against gas; a DN100 pipe costs about 29 EUR/m/yr:
    # break-even near 11 km.
    gas = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 10.0}
    nodes = [("S", 0, 0, campus()), ("C", 1000, 0, consumer(1.0)), ("G", 1000, 10, gas)]
    pipes = [
        ("T", "S", "C", {"status": "candidate", "length_m": length_m, "dn_options": [65, 80, 100, 125, 150]}),
        ("L", "G", "C", existing(100, 10.0)),
    ]
    network = write_network(tmp_path, nodes, pipes)
    case = write_case(tmp_path, network, write_series(tmp_path, 3), 3, grid={"tariff_EUR_per_MWh": 0.0})
    result = run_case(case)
    dn = result.dataset["pipe_dn"].sel(pipe="T").item()
    if built_dn is None:
        assert math.isnan(dn)
        assert result.kpis["hp_heat_MWh"] == pytest.approx(0.0, abs=1e-6)
        assert result.kpis["plant_heat_MWh"] == pytest.approx(
            result.kpis["heat_demand_MWh"] + result.kpis["network_losses_MWh"]
        )
    else:
        assert dn == built_dn
        assert result.kpis["plant_heat_MWh"] == pytest.approx(0.0, abs=1e-6)


def test_unmet_demand_reported_where_supply_falls_short(tmp_path):
    gas = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}
    network = write_network(
        tmp_path, [("G", 0, 0, gas), ("C", 10, 0, consumer(8.0))], [("P", "G", "C", existing(200, 10.0))]
    )
    result = run_case(write_case(tmp_path, network, write_series(tmp_path, 3), 3))
    short = 3.0 + pair_loss_MW(200, 10.0, 104.0)
    zone = result.dataset["node_zone"].sel(node="C").item()
    unmet = result.dataset["unmet_MW"].sel(zone=zone).to_numpy()
    assert unmet == pytest.approx(np.full(3, short), rel=1e-6)
    assert result.kpis["unmet_demand_MWh"] == pytest.approx(short * 8760, rel=1e-6)


def test_heat_pump_units_respect_minimum_part_load(tmp_path):
    gas = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}
    nodes = [
        ("S", 0, 0, campus(40.0)),
        ("C", 10, 0, {"kind": "consumer", "annual_heat_MWh": 8760.0}),
        ("G", 10, 10, gas),
    ]
    pipes = [("P", "S", "C", existing(300, 10.0)), ("L", "G", "C", existing(300, 10.0))]
    # Demand 10 MW then 0.5 MW: a 4 MW unit cannot run below 1 MW.
    series = write_series(tmp_path, 2, residential=[10.0 / 8760, 0.5 / 8760])
    heat_pump = {"unit_size_MW": 4.0, "min_part_load": 0.25}
    no_storage = {"max_MWh": 0.0}
    case = write_case(
        tmp_path, write_network(tmp_path, nodes, pipes), series, 2, heat_pump=heat_pump, storage=no_storage
    )
    _, model, _ = solved(case)
    assert pyo.value(model.campus.units["S"]) == pytest.approx(3)
    assert pyo.value(model.campus.hp_heat_MW["S", 1]) == pytest.approx(0.0, abs=1e-6)
    assert pyo.value(model.plants.heat_MW["G", 1]) > 0.5


def test_reduction_keeps_the_optimum_and_the_bottleneck(tmp_path):
    gas = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 50.0}
    nodes = [
        ("G", 0, 0, gas),
        ("J1", 100, 0, {"kind": "junction"}),
        ("J2", 200, 0, {"kind": "junction"}),
        ("C1", 300, 0, consumer(5.0)),
        ("C2", 200, 100, consumer(5.0)),
    ]
    pipes = [
        ("A", "G", "J1", existing(300, 100.0)),
        ("B", "J1", "J2", existing(300, 100.0)),
        ("C", "J2", "C1", existing(300, 100.0)),
        ("D", "J2", "C2", existing(65, 100.0)),  # carries about 0.5 MW at 40 K: the bottleneck
    ]
    case = load_case(write_case(tmp_path, write_network(tmp_path, nodes, pipes), write_series(tmp_path, 3), 3))
    full = prepare_inputs(case, load_network(case.network_path))
    reduced, sizes = reduce_network(full)
    assert (sizes.pipes_before, sizes.pipes_after) == (4, 1)
    assert list(reduced.pipes.index) == ["D"]
    full_report, reduced_report = solve(build_model(full)), solve(build_model(reduced))
    assert reduced_report.objective_EUR == pytest.approx(full_report.objective_EUR, rel=1e-9)
    assert reduced_report.objective_EUR > 8760 * 10_000 * 4.0  # most of C2's 5 MW is unmet
    result = run_case(case.path)
    [line] = bottlenecks(result.dataset)  # the DN65 pipe, every hour of the year
    assert line.startswith("bottleneck: pipe 'D' (existing, DN65) runs at capacity 8,760 h/yr")


def test_two_campuses_share_a_demand_neither_covers_alone(tmp_path):
    # Each 5 MW campus can lift at most 5 x COP/(COP - 1) = 5.75 MW to 80 degC; the consumer needs 8 MW.
    nodes = [("S1", 0, 0, campus(5.0)), ("S2", 200, 0, campus(5.0)), ("C", 100, 0, consumer(8.0))]
    pipes = [("P1", "S1", "C", existing(300, 100.0)), ("P2", "S2", "C", existing(300, 100.0))]
    case = write_case(tmp_path, write_network(tmp_path, nodes, pipes), write_series(tmp_path, 3), 3)
    inputs, model, _ = solved(case)
    most = 5.0 * COP_80_FROM_35 / (COP_80_FROM_35 - 1.0)
    heat = [pyo.value(model.campus.hp_heat_MW[s, 0]) for s in ("S1", "S2")]
    losses = 2 * pair_loss_MW(300, 100.0, 104.0)
    assert sum(heat) == pytest.approx(8.0 + losses, rel=1e-6)
    assert all(0.0 < h <= most + 1e-6 for h in heat)
    assert pyo.value(model.unmet_MW["C", 0]) == pytest.approx(0.0, abs=1e-6)
