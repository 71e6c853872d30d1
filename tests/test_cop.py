"""The heat-pump COP (`physics.lorenz_cop`) against published large heat pumps, its closed form and
monotonicity, and the source defaults by cooling type (`dhopt.cooling`) as the network and inputs apply them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import consumer, existing, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.physics import log_mean_K, lorenz_cop

KELVIN = 273.15
ETA_L, APPROACH_K = 0.67, 5.0  # the case defaults

# Published points: (sink in, sink out, source in, source out) [degC], published COP.
# Danish Energy Agency, Technology Data for Generation of Electricity and District Heating, sheet 40
# (compression heat pumps), nameplate "total efficiency, net" for 2025:
DEA_EXCESS_HEAT = ((35.0, 70.0, 25.0, 15.0), 5.1)  # 10 MW, cooling water 25 -> 15 degC, DH 35/70
DEA_SEAWATER = ((40.0, 80.0, 4.0, 1.0), 3.4)  # 20 MW, sea water at 4 degC (cooling of ~3 K assumed), DH 40/80
DEA_AIR_SOURCE = ((35.0, 70.0, -1.0, -6.0), 3.5)  # 10 MW, ambient -1 degC (air cooled ~5 K assumed), DH 35/70
# Drammen (Norway) seawater ammonia heat pump: fjord 8 -> 4 degC, DH 60 -> 90 degC, COP 3.05 (EHPA; Hoffmann &
# Pearson 2011) - not one of the points the Lorenz efficiency was fitted to
DRAMMEN = ((60.0, 90.0, 8.0, 4.0), 3.05)


@pytest.mark.parametrize(
    ("temperatures", "published"),
    [DEA_EXCESS_HEAT, DEA_SEAWATER, DEA_AIR_SOURCE, DRAMMEN],
    ids=["dea_excess_heat", "dea_seawater", "dea_air_source", "drammen"],
)
def test_lorenz_cop_within_5_percent_of_published_heat_pumps(temperatures, published):
    assert float(lorenz_cop(*temperatures, ETA_L, APPROACH_K)) == pytest.approx(published, rel=0.05)


def test_lorenz_cop_without_glide_is_carnot_on_shifted_temperatures():
    # sink at 70 degC throughout, source at 20 degC throughout: T_H = 75 degC, T_L = 15 degC
    t_high, t_low = 70.0 + APPROACH_K + KELVIN, 20.0 - APPROACH_K + KELVIN
    expected = 0.6 * t_high / (t_high - t_low)  # 0.6 * 348.15 / 60 = 3.4815
    assert float(lorenz_cop(70.0, 70.0, 20.0, 20.0, 0.6, APPROACH_K)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(3.4815)


def test_log_mean_of_equal_temperatures_is_that_temperature_and_lies_between():
    assert float(log_mean_K(320.0, 320.0)) == 320.0
    mean = float(log_mean_K(308.15, 343.15))
    assert 308.15 < mean < (308.15 + 343.15) / 2  # the log mean lies below the arithmetic mean
    assert mean == pytest.approx((343.15 - 308.15) / math.log(343.15 / 308.15))


def test_lorenz_cop_falls_with_lift():
    supply = np.linspace(60.0, 95.0, 8)
    cop = lorenz_cop(40.0, supply, 45.0, 35.0, ETA_L, APPROACH_K)
    assert np.all(np.diff(cop) < 0)  # hotter supply: lower COP
    source = np.linspace(10.0, 45.0, 8)
    cop = lorenz_cop(40.0, 80.0, source, source - 10.0, ETA_L, APPROACH_K)
    assert np.all(np.diff(cop) > 0)  # warmer source: higher COP
    approaches = lorenz_cop(40.0, 80.0, 45.0, 35.0, ETA_L, np.array([0.0, 2.5, 5.0, 10.0]))
    assert np.all(np.diff(approaches) < 0)  # larger heat-exchanger approach: more lift


def test_lorenz_cop_lift_floor_keeps_it_finite():
    # a source hotter than the sink: the lift is floored at 5 K, COP = eta T_H / 5
    cop = float(lorenz_cop(40.0, 40.0, 60.0, 60.0, ETA_L, 0.0))
    assert cop == pytest.approx(ETA_L * (40.0 + KELVIN) / 5.0)


def _source_network(tmp_path, source: dict):
    nodes = [("S", 0, 0, {"kind": "source", "it_load_MW": 10.0, **source}), ("C", 10, 0, consumer(5.0))]
    return write_network(tmp_path, nodes, [("P", "S", "C", existing(400, 10.0))])


def _inputs(tmp_path, source: dict, **heat_pump):
    network = _source_network(tmp_path, source)
    case = write_case(tmp_path, network, write_series(tmp_path, 4), 4, heat_pump=heat_pump)
    return prepare_inputs(load_case(case), load_network(network))


def test_air_cooled_source_defaults_colder_than_liquid(tmp_path):
    air = load_network(_source_network(tmp_path, {"cooling": "air"})).nodes.loc["S"]
    liquid = load_network(_source_network(tmp_path, {"cooling": "liquid"})).nodes.loc["S"]
    assert air.source_temperature_degC < liquid.source_temperature_degC
    assert (air.source_temperature_degC, air.recovered_share) == (27.0, 0.90)  # dhopt/cooling.py
    assert (liquid.source_temperature_degC, liquid.recovered_share) == (45.0, 0.80)


def test_explicit_node_values_win_over_cooling_defaults(tmp_path):
    node = load_network(
        _source_network(tmp_path, {"cooling": "air", "source_temperature_degC": 35.0, "recovered_share": 0.6})
    ).nodes.loc["S"]
    assert (node.source_temperature_degC, node.recovered_share) == (35.0, 0.6)


def test_cop_uses_return_supply_and_evaporator_cooling_of_the_cooling_type(tmp_path):
    # outdoor -20 degC: supply 80 degC; return 40 degC (defaults); air 27 -> 20 degC, liquid 45 -> 35 degC
    air = _inputs(tmp_path, {"cooling": "air"})
    assert air.cop["S"].to_numpy() == pytest.approx(lorenz_cop(40.0, 80.0, 27.0, 20.0, ETA_L, APPROACH_K))
    liquid = _inputs(tmp_path, {"cooling": "liquid"})
    assert liquid.cop["S"].to_numpy() == pytest.approx(lorenz_cop(40.0, 80.0, 45.0, 35.0, ETA_L, APPROACH_K))
    assert liquid.cop["S"].iloc[0] > air.cop["S"].iloc[0]
    # the heat the model may draw is the recovered share of the IT load
    assert air.source_heat_MW["S"].iloc[0] == pytest.approx(10.0 * 0.90)


def test_case_source_cooling_and_lorenz_efficiency_win(tmp_path):
    inputs = _inputs(tmp_path, {"cooling": "air"}, source_cooling_K=3.0, lorenz_efficiency=0.5, approach_K=2.0)
    assert inputs.cop["S"].to_numpy() == pytest.approx(lorenz_cop(40.0, 80.0, 27.0, 24.0, 0.5, 2.0))
