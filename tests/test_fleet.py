"""A fleet of small data-center units in buildings (dhopt/model/fleet.py), on tiny networks with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from builders import HOURS_PER_YEAR, consumer, write_case, write_network, write_series

from dhopt import physics
from dhopt.case import load_case
from dhopt.errors import CaseError
from dhopt.fleet_costs import small_heat_pump_cost
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.planning.layouts import compare_layouts
from dhopt.run import solve_case

HOURS = 48
TINY_PLANT = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 1e-6}  # the network gives ~nothing
DIRECT = {"building_supply_degC": 35.0, "recovered_share": 1.0, "export": False}  # 45 degC water: direct use


def _case(tmp_path, hosts: dict[str, float], fleet: dict, **series):
    """Consumers `hosts` (id -> constant MW under the 1/8760 profile, or scaled by a `residential` series)
    each on its own short pipe from a plant that gives almost nothing: the units' heat is all they get."""
    nodes = [("G", 0, 0, TINY_PLANT)] + [(h, 10 * (i + 1), 0, consumer(mw)) for i, (h, mw) in enumerate(hosts.items())]
    pipes = [(f"P{h}", "G", h, {"status": "existing", "dn": 50, "length_m": 10.0}) for h in hosts]
    network = write_network(tmp_path, nodes, pipes)
    return write_case(tmp_path, network, write_series(tmp_path, HOURS, **series), HOURS, fleet=fleet)


def test_single_unit_uses_min_of_its_heat_and_the_building_demand(tmp_path):
    # demand swings between 0.5 and 1.5 MW around a 1 MW unit: heat used = min(unit heat, demand) each hour
    swing = 1.0 + 0.5 * np.sin(np.arange(HOURS) / 3.0)
    case = _case(tmp_path, {"B": 1.0}, {"unit_it_MW": 1.0, **DIRECT}, residential=swing / HOURS_PER_YEAR)
    ds = solve_case(case, reference=False).dataset
    used = ds["fleet_building_heat_MW"].values[0]
    np.testing.assert_allclose(used, np.minimum(1.0, swing), atol=1e-6)
    np.testing.assert_allclose(ds["fleet_rejected_MW"].values[0], 1.0 - np.minimum(1.0, swing), atol=1e-6)
    assert float(ds["fleet_hp_electricity_MW"].sum()) == pytest.approx(0.0, abs=1e-9)  # direct use, no lift


def test_compute_follows_heat_where_it_is_used(tmp_path):
    # two 1 MW units share 1 MW of compute; only A's building wants heat (1 MW): held at 0.5 MW each, A uses
    # 0.5 MW; free to move, all compute runs at A and A uses 1 MW: 0.5 MW moved every hour
    fleet = {"unit_it_MW": 1.0, "compute_demand_MW": 1.0, **DIRECT}
    figures = {}
    for share in (0.0, 0.3, 1.0):
        case = _case(tmp_path, {"A": 1.0, "B": 1e-4}, {**fleet, "flexible_share": share})
        figures[share] = solve_case(case, reference=False).kpis
    year_h = HOURS_PER_YEAR
    assert figures[0.0]["campus_heat_reused_MWh"] == pytest.approx(0.5 * year_h + 1e-4 * year_h, rel=1e-4)
    assert figures[1.0]["campus_heat_reused_MWh"] == pytest.approx(1.0 * year_h, rel=1e-4)
    assert figures[1.0]["fleet_compute_moved_MWh"] == pytest.approx(0.5 * year_h, rel=1e-3)
    assert figures[1.0]["heat_reused_without_shifting_MWh"] == pytest.approx(figures[0.0]["campus_heat_reused_MWh"])
    for share in (0.3, 1.0):  # freedom never lowers the heat reused
        assert figures[share]["campus_heat_reused_MWh"] >= figures[share]["heat_reused_without_shifting_MWh"] - 1e-6
    assert figures[0.3]["campus_heat_reused_MWh"] == pytest.approx((0.5 + 0.3 * 0.5) * year_h + 1e-4 * year_h, rel=1e-3)


def test_deferrable_compute_moves_to_the_hours_of_demand(tmp_path):
    # one unit of 1 MW at half load on average; the building wants 1 MW in the first 12 h of each day only:
    # deferred within the day, the 12 MWh of a day run in those 12 h and all of it is used
    day = np.tile(np.r_[np.ones(12), np.zeros(12)], HOURS // 24)
    fleet = {"unit_it_MW": 1.0, "compute_demand_MW": 0.5, "flexible_share": 1.0, "deferrable": True, **DIRECT}
    case = _case(tmp_path, {"A": 1.0}, fleet, residential=day / HOURS_PER_YEAR)
    figures = solve_case(case, reference=False).kpis
    assert figures["campus_heat_reused_MWh"] == pytest.approx(0.5 * HOURS_PER_YEAR, rel=1e-4)
    assert figures["heat_reused_without_shifting_MWh"] == pytest.approx(0.25 * HOURS_PER_YEAR, rel=1e-4)


def test_small_heat_pump_costs_are_the_catalogue_points():
    # DEA "40 Comp. hp, excess heat 1 / 3 / 10 MW", 2025 column: 1.2368, 0.8562, 0.6660 M EUR per MJ/s
    cost = small_heat_pump_cost([1.0, 3.0, 10.0, 30.0])
    np.testing.assert_allclose(cost["investment_EUR_per_MW"], [1.2368008e6, 0.8562467e6, 0.6659697e6, 0.6659697e6])
    np.testing.assert_allclose(cost["variable_om_EUR_per_MWh"], [2.69, 2.19, 1.69, 1.69])
    # below 1 MW: the larger of the 1 MW sheet and Wolf et al. 2014, 3468.35 Q_kW^-0.53 / 0.5 EUR/kW
    small = small_heat_pump_cost([0.5, 0.01])["investment_EUR_per_MW"].to_numpy()
    assert small[0] == pytest.approx(1.2368008e6)
    assert small[1] == pytest.approx(1000 * 3468.35 * 10.0**-0.53 / 0.5)
    between = small_heat_pump_cost([2.0])["investment_EUR_per_MW"].iloc[0]
    assert 0.8562467e6 < between < 1.2368008e6


def test_unit_costs_follow_their_size(tmp_path):
    case = _case(
        tmp_path, {"A": 1.0, "B": 30.0}, {"units_csv": str(_units(tmp_path, {"a": ("A", 0.2), "b": ("B", 8.0)}))}
    )
    loaded = load_case(case)
    fleet = prepare_inputs(loaded, load_network(loaded.network_path)).fleet
    expected = small_heat_pump_cost(fleet["hp_max_MW"].to_numpy())
    annual = physics.annuity_factor(0.04, 25.0) * expected["investment_EUR_per_MW"].to_numpy() + 2000.0
    np.testing.assert_allclose(fleet["annual_EUR_per_MW"], annual)
    assert fleet.loc["a", "investment_EUR_per_MW"] > fleet.loc["b", "investment_EUR_per_MW"]  # the small unit dearer


def test_identical_units_on_identical_buildings_give_identical_results(tmp_path):
    fleet = {"unit_it_MW": 0.8, "recovered_share": 1.0, "export": False}  # buildings at network temperature: lifted
    case = _case(tmp_path, {"A": 1.0, "B": 1.0, "C": 1.0}, fleet)
    ds = solve_case(case, reference=False).dataset
    for name in ("fleet_building_heat_MW", "fleet_hp_electricity_MW", "fleet_rejected_MW"):
        values = ds[name].values
        np.testing.assert_allclose(values, np.broadcast_to(values[0], values.shape), atol=1e-6)
    capacity = ds["fleet_hp_capacity_MW"].values
    np.testing.assert_allclose(capacity, capacity[0], rtol=1e-6)
    assert capacity[0] > 0


def _units(tmp_path, units: dict[str, tuple[str, float]]):
    path = tmp_path / "units.csv"
    path.write_text("id,host,it_MW\n" + "".join(f"{u},{h},{mw}\n" for u, (h, mw) in units.items()))
    return path


def test_a_unit_on_an_unknown_host_is_one_line(tmp_path):
    case = _case(tmp_path, {"A": 1.0}, {"units_csv": str(_units(tmp_path, {"a": ("A", 0.2), "b": ("X", 0.1)}))})
    loaded = load_case(case)
    with pytest.raises(CaseError) as error:
        prepare_inputs(loaded, load_network(loaded.network_path))
    assert error.value.problems == [
        f"{tmp_path / 'units.csv'}: row 3: field 'host': expected a consumer node of the network, got 'X'"
    ]


def test_compare_layouts_same_compute_one_campus_or_units(tmp_path):
    # 1 MW of compute: at a campus S behind a candidate pipe, or on a unit in A (2 MW of demand): all the
    # heat is used either way (1 MW x 8,760 h); only the campus needs the pipe
    nodes = [
        ("S", 0, 0, {"kind": "source", "it_load_MW": 5.0, "cooling": "liquid", "recovered_share": 1.0}),
        ("A", 100, 0, consumer(2.0)),
        ("G", 100, 10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}),
    ]
    pipes = [
        ("C", "S", "A", {"status": "candidate", "length_m": 100.0}),
        ("PG", "G", "A", {"status": "existing", "dn": 150, "length_m": 10.0}),
    ]
    network = write_network(tmp_path, nodes, pipes)
    fleet = {"unit_it_MW": 1.0, "compute_demand_MW": 1.0, "replaces_campus": True, **DIRECT}
    case = write_case(tmp_path, network, write_series(tmp_path, HOURS), HOURS, fleet=fleet)
    loaded = load_case(case)
    assert prepare_inputs(loaded, load_network(loaded.network_path)).sources.empty  # the fleet alone in `run`
    table = compare_layouts(case).set_index("layout")
    np.testing.assert_allclose(table["campus_heat_reused_MWh"], [HOURS_PER_YEAR, HOURS_PER_YEAR], rtol=1e-5)
    assert table.loc["campus", "new_pipes"] == 1 and table.loc["fleet", "new_pipes"] == 0
    assert table.loc["campus", "new_pipe_km"] == pytest.approx(0.1)
