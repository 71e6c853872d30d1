"""New heat production, pit storage and the gas phase-out, against answers computed by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from builders import consumer, existing, write_case, write_network, write_series

from dhopt import physics
from dhopt.case import load_case
from dhopt.errors import CaseError
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.production_inputs import technology_table
from dhopt.reduce import reduce_network
from dhopt.reuse import ModelCache, structure_key
from dhopt.run import run_case, solve_case
from dhopt.solve import SolveOptions

PRICE = 150.0  # spot price [EUR/MWh], high enough that gas is the cheapest heat without a phase-out
TARIFF = 20.0  # default grid tariff [EUR/MWh]
OUTDOOR = 0.0  # constant outdoor temperature [degC]
DEMAND = 5.0  # flat demand [MW]
OPTIONS = SolveOptions(mip_gap=1e-7)
HEAT_PUMP = [{"technology": "air_source_hp_10MW", "nodes": ["C"]}, {"technology": "electric_boiler", "nodes": ["C"]}]


def _toml(entries: list[dict]) -> str:
    lines = []
    for entry in entries:
        lines.append("[[new_production]]")
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def two_plant_case(tmp_path, entries=HEAT_PUMP, hours: int = 24, name: str = "gas", **sections):
    """A gas boiler G and a consumer C of flat DEMAND joined by a 1 m DN300 pipe (losses negligible), flat
    price and outdoor temperature; `entries` the `[[new_production]]` tables."""
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}),
        ("C", 100, 0, consumer(DEMAND)),
    ]
    network = write_network(tmp_path, nodes, [("P", "G", "C", existing(300, 1.0))])
    series = write_series(tmp_path, hours, electricity_price_EUR_per_MWh=PRICE, outdoor_temperature_degC=OUTDOOR)
    sections = {"horizon": {"method": "monolithic"}, **sections}
    path = write_case(tmp_path, network, series, hours, name=name, **sections)
    path.write_text(path.read_text() + _toml(entries))
    return path


def _hand_cop() -> float:
    """The air-source COP by hand: Lorenz COP between the network (40 degC -> the heating curve's supply at
    0 degC outdoors) and the air (0 -> -5 degC), lorenz efficiency 0.67, approach 5 K."""
    supply = 80.0 - (80.0 - 65.0) * (OUTDOOR - -12.0) / (16.0 - -12.0)
    return float(physics.lorenz_cop(40.0, supply, OUTDOOR, OUTDOOR - 5.0, 0.67, 5.0))


def _heat_pump_annual_EUR(capacity_MW: float, heat_MWh: float, cop: float) -> float:
    """(a I + F) C + heat ((p + tariff) / COP + v), DEA air source 10 MW, 2025, at 4 %."""
    dea = technology_table().loc["air_source_hp_10MW"]
    per_MW = physics.annuity_factor(0.04, 25.0) * dea["investment_EUR_per_MW"] + dea["fixed_om_EUR_per_MW_yr"]
    return per_MW * capacity_MW + heat_MWh * ((PRICE + TARIFF) / cop + dea["variable_om_EUR_per_MWh"])


def test_forbidding_gas_builds_the_cheapest_replacement_by_hand(tmp_path):
    case = two_plant_case(tmp_path, economics={"year": 2030}, phase_out={"forbidden_from": 2030})
    result = solve_case(case, OPTIONS)
    k = result.kpis
    cop, annual_MWh = _hand_cop(), DEMAND * 8760.0
    # the heat pump (about 64 EUR/MWh at full load) beats the e-boiler (about 173); capacity = the flat demand
    assert k["new_air_source_hp_10MW_capacity_MW"] == pytest.approx(DEMAND, rel=1e-4)
    assert k["new_electric_boiler_capacity_MW"] == pytest.approx(0.0, abs=1e-6)
    assert k["plant_heat_MWh"] == pytest.approx(0.0, abs=1e-6) and k["unmet_demand_MWh"] == pytest.approx(0.0)
    assert k["annual_cost_EUR"] == pytest.approx(_heat_pump_annual_EUR(DEMAND, annual_MWh, cop), rel=1e-4)
    assert result.dataset["unit_cop"].values[0] == pytest.approx(cop)
    # against the same case without the phase-out: gas only, at 37 EUR/MWh + 80 EUR/t x 0.208 t/MWh
    gas_EUR, gas_t = annual_MWh * (37.0 + 80.0 * 0.208), annual_MWh * 0.208
    assert k["uncapped_annual_cost_EUR"] == pytest.approx(gas_EUR, rel=1e-4)
    assert k["uncapped_phased_out_heat_MWh"] == pytest.approx(annual_MWh, rel=1e-4)
    assert k["replaced_by_new_air_source_hp_10MW_MWh"] == pytest.approx(annual_MWh, rel=1e-4)
    hp_t = 0.135 * annual_MWh / cop
    per_t = (_heat_pump_annual_EUR(DEMAND, annual_MWh, cop) - gas_EUR) / (gas_t - hp_t)
    assert k["co2_avoided_cost_EUR_per_t"] == pytest.approx(per_t, rel=1e-3)
    assert abs(k["energy_balance_residual_MWh"]) < 1e-6


def test_before_the_year_gas_is_not_forbidden(tmp_path):
    case = two_plant_case(tmp_path, economics={"year": 2029}, phase_out={"forbidden_from": 2030})
    k = solve_case(case, OPTIONS).kpis
    assert k["new_production_capacity_MW"] == pytest.approx(0.0, abs=1e-6)
    assert k["phased_out_heat_MWh"] == pytest.approx(DEMAND * 8760.0, rel=1e-4)
    assert k["phase_out_co2_avoided_t"] == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize(
    "cap, gas_MWh",
    [
        ({"max_MWh": 10_000.0}, 10_000.0),
        ({"max_demand_share": 0.25}, 0.25 * DEMAND * 8760.0),
        ({"max_full_load_hours": 500.0}, 500.0 * 20.0),
        ({"max_MWh": 1e6}, DEMAND * 8760.0),  # a cap above the demand: allowed, it does not bind
    ],
)
def test_a_gas_cap_is_met_exactly_and_the_rest_comes_from_the_replacement(tmp_path, cap, gas_MWh):
    k = solve_case(two_plant_case(tmp_path, phase_out=cap), OPTIONS).kpis
    demand_MWh = DEMAND * 8760.0
    assert k["plant_heat_MWh"] == pytest.approx(gas_MWh, rel=1e-6, abs=0.5)  # unbinding: the demand + 0.3 MWh loss
    assert k["new_air_source_hp_10MW_heat_MWh"] == pytest.approx(demand_MWh - gas_MWh, rel=1e-4, abs=1.0)
    # flat demand and prices: the heat pump runs flat at what gas leaves
    assert k["new_air_source_hp_10MW_capacity_MW"] == pytest.approx((demand_MWh - gas_MWh) / 8760.0, abs=1e-3)
    assert k["unmet_demand_MWh"] == pytest.approx(0.0) and abs(k["energy_balance_residual_MWh"]) < 1e-6


def test_a_co2_price_path_prices_the_case_year_and_drives_out_gas(tmp_path):
    # 2028 between 2025 (80 EUR/t) and 2030 (1,000 EUR/t): 632 EUR/t, gas at 37 + 632 x 0.208 = 168 EUR/MWh
    case = two_plant_case(tmp_path, economics={"year": 2028})
    text = case.read_text().replace(
        "year = 2028", "year = 2028\nco2_price_path_EUR_per_t = { 2025 = 80.0, 2030 = 1000.0 }"
    )
    case.write_text(text)
    from dhopt.production_inputs import co2_price_EUR_per_t

    assert co2_price_EUR_per_t(load_case(case)) == pytest.approx(80.0 + 3 / 5 * 920.0)
    k = solve_case(case, OPTIONS).kpis
    assert k["plant_heat_MWh"] == pytest.approx(0.0, abs=1e-3)
    assert k["uncapped_phased_out_heat_MWh"] == pytest.approx(DEMAND * 8760.0, rel=1e-4)  # at the constant 80 EUR/t


def test_air_source_cop_at_the_dea_reference_point(tmp_path):
    # DEA sheet 40, air source 10 MW, 2025: COP 3.50 at -1 degC ambient, district heating 35/70 degC; the
    # Lorenz COP with the efficiency the sheet implies (0.696, dhopt.case.HeatPump) meets it within 1 %
    assert float(physics.lorenz_cop(35.0, 70.0, -1.0, -6.0, 0.696, 5.0)) == pytest.approx(3.50, rel=0.01)
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}),
        ("C", 100, 0, consumer(1)),
    ]
    network = write_network(tmp_path, nodes, [("P", "G", "C", existing(300, 1.0))])
    series = write_series(tmp_path, 24, outdoor_temperature_degC=-1.0)
    temperatures = {"supply_max_degC": 70.0, "supply_min_degC": 70.0, "return_degC": 35.0}
    case = write_case(tmp_path, network, series, 24, temperatures=temperatures, heat_pump={"lorenz_efficiency": 0.696})
    sizes = [{"technology": f"air_source_hp_{s}", "nodes": ["C"]} for s in ("10MW", "3MW", "1MW")]
    case.write_text(case.read_text() + _toml(sizes))
    cop = prepare_inputs(load_case(case), load_network(network)).unit_cop.iloc[0]
    assert cop["air_source_hp_10MW@C"] == pytest.approx(3.50, rel=0.01)
    assert cop["air_source_hp_3MW@C"] == pytest.approx(3.15, rel=0.01)  # the smaller units' nameplate COPs
    assert cop["air_source_hp_1MW@C"] == pytest.approx(2.60, rel=0.01)


# --- pit thermal storage across the seasons -------------------------------------------------------
WINTER_MW, SUMMER_MW, WTE_MW = 10.0, 2.0, 6.0  # demand October-April, May-September; waste-to-energy size
SUMMER = (2880, 6552)  # hours of May-September


def seasonal_case(tmp_path, pit: dict, method: str = "monolithic", name: str = "season"):
    horizon = {"method": method} | ({"typical_days": 4} if method == "two_stage" else {})
    """Waste-to-energy W (6 MW at 5 EUR/MWh, no CO2 price) and gas G (37 EUR/MWh) feed a consumer C of 10 MW
    in winter and 2 MW in summer: 4 MW of cheap summer heat is spare, winter gas makes up 4 MW."""
    hours = np.arange(8760)
    summer = (hours >= SUMMER[0]) & (hours < SUMMER[1])
    demand = np.where(summer, SUMMER_MW, WINTER_MW)
    nodes = [
        ("W", 0, 0, {"kind": "plant", "technology": "waste_to_energy", "capacity_MW": WTE_MW}),
        ("G", 0, 100, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}),
        ("C", 100, 0, {"kind": "consumer", "annual_heat_MWh": float(demand.sum())}),
    ]
    pipes = [("P", "W", "C", existing(300, 1.0)), ("Q", "G", "C", existing(300, 1.0))]
    network = write_network(tmp_path, nodes, pipes)
    series = write_series(tmp_path, 8760, residential=demand / demand.sum())
    economics = {"co2_price_EUR_per_t": 0.0}
    case = write_case(tmp_path, network, series, 8760, name=name, economics=economics, horizon=horizon)
    case.write_text(case.read_text() + _toml([{"technology": "ptes", "nodes": ["C"], **pit}]))
    return case


def _pit_annual_EUR_per_MWh(pit: dict) -> float:
    dea = technology_table().loc["ptes"]
    investment = pit.get("investment_EUR_per_MWh", dea["investment_EUR_per_MWh"])
    return physics.annuity_factor(0.04, 30.0) * investment + pit.get("fixed_om_EUR_per_MWh_yr", 2.5)


def test_pit_storage_is_built_and_carries_summer_heat_into_winter_when_cheap(tmp_path):
    cheap = {"investment_EUR_per_MWh": 20.0, "investment_fixed_EUR": 0.0, "fixed_om_EUR_per_MWh_yr": 0.0}
    # by hand: a MWh of pit taken in summer and given back in winter saves at least 37 kept - 5 EUR, kept =
    # (1 - loss)^8760 at the DEA 0.08 K/day over 55 K; its annuity is 0.058 x 20 = 1.16 EUR/yr: it pays
    kept = (1.0 - 0.08 / 55.0 / 24.0) ** 8760
    assert 37.0 * kept - 5.0 > _pit_annual_EUR_per_MWh(cheap)
    result = solve_case(seasonal_case(tmp_path, cheap), OPTIONS)
    k, ds = result.kpis, result.dataset
    assert k["pit_storage_capacity_MWh"] > 1000.0
    summer = (ds["time"].values >= SUMMER[0]) & (ds["time"].values < SUMMER[1])
    discharge = ds["pit_discharge_MW"].sum("pit").values
    assert discharge[~summer].sum() > 1000.0 and discharge[summer].sum() < 1e-3 * discharge.sum()
    assert 0.0 < k["ptes_summer_heat_to_winter_MWh"] <= k["pit_discharge_MWh"] + 1e-6
    assert abs(k["energy_balance_residual_MWh"]) < 1e-4
    # the cost by hand: waste heat at 5 and gas at 37 EUR/MWh plus the pit's annuity; without the pit gas
    # covers the 4 MW winter gap, so the stored MWh's saving pays its annuity
    wte_MWh, gas_MWh = (ds["plant_heat_MW"] * ds["weight_h"]).sum("time").values
    pit_EUR = _pit_annual_EUR_per_MWh(cheap) * k["pit_storage_capacity_MWh"]
    assert k["annual_cost_EUR"] == pytest.approx(5.0 * wte_MWh + 37.0 * gas_MWh + pit_EUR, rel=1e-6)
    winter_h = 8760 - (SUMMER[1] - SUMMER[0])
    plain_EUR = 5.0 * (WTE_MW * winter_h + SUMMER_MW * (8760 - winter_h)) + 37.0 * (WINTER_MW - WTE_MW) * winter_h
    assert k["annual_cost_EUR"] < plain_EUR


@pytest.mark.parametrize("pit", [{}, {"investment_EUR_per_MWh": 5_000.0}], ids=["DEA", "dear"])
def test_pit_storage_is_not_built_when_its_cost_does_not_pay(tmp_path, pit):
    # by hand: one seasonal cycle a year saves at most 37 - 5 = 32 EUR per MWh of pit (no loss); the DEA pit
    # costs a(4 %, 30) x 653 + 2.5 = 40.3 EUR/MWh/yr plus 106 kEUR/yr per pit built: it never pays
    assert _pit_annual_EUR_per_MWh(pit) > 37.0 - 5.0
    k = solve_case(seasonal_case(tmp_path, pit, method="two_stage"), OPTIONS).kpis  # designed on typical days
    assert k["pit_storage_capacity_MWh"] == pytest.approx(0.0, abs=1e-6)
    assert k["ptes_summer_heat_to_winter_MWh"] == pytest.approx(0.0, abs=1e-6)


def test_pit_storage_on_typical_days_carries_heat_across_seasons(tmp_path):
    # two-stage: the design on typical days links the pit's state across the real sequence of days
    cheap = {"investment_EUR_per_MWh": 20.0, "investment_fixed_EUR": 0.0, "fixed_om_EUR_per_MWh_yr": 0.0}
    result = solve_case(seasonal_case(tmp_path, cheap, method="two_stage"), OPTIONS)
    # the design stage neglects the decay within a day in the pit's bounds: within 10 % of the full year
    assert result.kpis["design_stage_cost_EUR"] == pytest.approx(result.kpis["objective_EUR"], rel=0.1)
    assert result.kpis["pit_storage_capacity_MWh"] > 1000.0
    assert result.kpis["ptes_summer_heat_to_winter_MWh"] > 1000.0


def test_production_prices_and_the_gas_cap_re_solve_in_place(tmp_path):
    case = load_case(two_plant_case(tmp_path, phase_out={"max_MWh": 20_000.0}))
    inputs = reduce_network(prepare_inputs(case, load_network(case.network_path)))[0]
    cache = ModelCache()
    cache.solve("monolithic", inputs, OPTIONS)
    changes = {
        "unit_cost": inputs.unit_cost * 1.7,
        "scalars": dataclasses.replace(inputs.scalars, plant_cap_MWh=5_000.0),
        "units": inputs.units.assign(max_MW=2.0),
    }
    for name, value in changes.items():
        changed = inputs.with_(**{name: value})
        assert structure_key(changed) == structure_key(inputs), name
        _, warm = cache.solve("monolithic", changed, OPTIONS)
        _, fresh = ModelCache(keep=False).solve("monolithic", changed, OPTIONS)
        assert warm.reused and warm.objective_EUR == pytest.approx(fresh.objective_EUR, rel=1e-7), name


def test_new_units_are_in_the_results_and_the_report(tmp_path):
    out = tmp_path / "out"
    solution = run_case(two_plant_case(tmp_path, phase_out={"max_MWh": 10_000.0}), out)
    design = solution.design.set_index("id")
    assert design.loc["air_source_hp_10MW@C", "component"] == "new_production"
    assert "pit_storage" not in set(design["component"])
    from dhopt.report import write_report

    html = write_report(out).read_text()
    assert "new air_source_hp_10MW@C" in html or "air_source_hp_10MW" in html
    assert "New heat production" in html


BAD = [
    ({"new_production": [{"technology": "steam_turbine", "nodes": ["C"]}]}, r"new_production\.0\.technology"),
    ({"new_production": [{"technology": "electric_boiler", "nodes": ["X"]}]}, r"new_production\.0\.nodes.*'X'"),
    ({"new_production": [{"technology": "electric_boiler", "nodes": ["C"], "max_MW": -1.0}]}, r"max_MW.*greater"),
    ({"new_production": [{"technology": "ptes", "nodes": ["C"], "max_MWh": float("nan")}]}, r"max_MWh.*finite"),
    ({"new_production": [{"technology": "ptes", "nodes": ["C"], "max_MW": 3.0}]}, r"no max_MW for technology"),
    ({"phase_out": {"max_MWh": -5.0}}, r"phase_out\.max_MWh.*greater than or equal to 0"),
    ({"phase_out": {"plants": ["C"]}}, r"phase_out\.plants.*'C'"),
    ({"phase_out": {"forbidden_from": 2030}}, r"expected economics\.year"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[m for _, m in BAD])
def test_bad_production_input_is_one_line_naming_file_and_key(tmp_path, change, message):
    entries = change.pop("new_production", [])
    path = two_plant_case(tmp_path, entries=entries, **change)
    with pytest.raises(CaseError, match=message) as error:
        case = load_case(path)
        prepare_inputs(case, load_network(case.network_path))
    assert str(path) in str(error.value) and len(str(error.value).splitlines()) == 1
