"""Build-out pathway: staged capacities against answers computed by hand from the inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import campus, consumer, existing, write_case, write_network, write_series

from dhopt import physics
from dhopt.errors import CaseError
from dhopt.model import build_model
from dhopt.pathway_case import load_pathway
from dhopt.planning.pathway import at_once_plan, myopic_plan, pathway_plan
from dhopt.planning.pathway_inputs import pathway_inputs
from dhopt.solve import SolveOptions, solve

OPTIONS = SolveOptions(mip_gap=1e-7)
HOURS = 24
RATE = 0.04


def _toml(tables: str, items: list[dict]) -> str:
    def value(v):
        return repr(v).replace("'", '"') if not isinstance(v, dict) else "{ " + ", ".join(
            f"{k} = {value(x)}" for k, x in v.items()) + " }"  # fmt: skip

    return "".join(f"\n[[{tables}]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in item.items()) for item in items)


def one_zone_case(tmp_path, periods: list[dict], pathway: dict | None = None, heat_pump: dict | None = None, **kw):
    """A campus S, a consumer C (4 MW flat) and a gas boiler G joined by short DN300 pipes (one zone), flat
    price and -20 degC; no storage; `periods` the `[[periods]]` tables."""
    nodes = [
        ("S", 0, 0, campus(20.0)),
        ("C", 10, 0, consumer(kw.pop("demand_MW", 4.0))),
        ("G", 20, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 30.0, "marginal_cost_EUR_per_MWh": 30.0}),
    ]  # fmt: skip
    pipes = [("P1", "S", "C", existing(300, 10.0)), ("P2", "G", "C", existing(300, 10.0))]
    network = write_network(tmp_path, nodes, pipes)
    series = write_series(tmp_path, HOURS, electricity_price_EUR_per_MWh=kw.pop("price", 60.0))
    sections = {"storage": {"max_MWh": 0.0}, "economics": {"discount_rate": RATE}, "heat_pump": heat_pump or {}}
    path = write_case(tmp_path, network, series, HOURS, **sections)
    text = path.read_text()
    if pathway:
        text += "[pathway]\n" + "".join(f"{k} = {v!r}\n" for k, v in pathway.items())
    path.write_text(text + _toml("periods", periods))
    return path


def _net_value_per_MW(pi, p: int) -> float:
    """v_p: a year's saving of 1 MW of heat pump running every hour instead of gas, less its annual cost
    [EUR/yr per MW] (by hand from the period's inputs: gas marginal + CO2, electricity / COP + O&M)."""
    inputs = pi.inputs[p]
    gas = float(inputs.plant_cost_EUR_per_MWh["G"].iloc[0])
    hp = (
        float(inputs.electricity_EUR_per_MWh.iloc[0] / inputs.cop["S"].iloc[0])
        + inputs.scalars.hp_variable_om_EUR_per_MWh
    )
    return 8760.0 * (gas - hp) - inputs.scalars.hp_annual_EUR_per_MW


def _load_MW(pi) -> float:
    """Demand plus the zone's fixed pipe loss [MW] (flat)."""
    inputs = pi.inputs[0]
    return float(
        inputs.demand_MW.to_numpy().sum(axis=1).max() + (inputs.fixed_loss_MW_per_K.sum() * inputs.loss_drive_K).max()
    )


def _discounted_years(start: int, stop: int) -> float:
    return sum((1 + RATE) ** -(y - 2030) for y in range(start, stop))


@pytest.mark.parametrize(("second_scale", "early"), [(1.13, True), (1.165, False)])
def test_build_early_only_if_the_discounted_saving_pays(tmp_path, second_scale, early):
    """Period 1 (2030-34) a heat pump pays; period 2 (2035-39) electricity is dearer, so it runs but does not
    pay its annuity. Built in 2030 it stays: the pathway builds it iff D_1 v_1 + D_2 v_2 > 0; the myopic
    plan builds it whenever v_1 > 0, and then costs L (D_1 v_1 + D_2 v_2) more when that sum is negative."""
    case = one_zone_case(tmp_path, [{"year": 2030}, {"year": 2035, "electricity_price_scale": second_scale}],
                         {"end_year": 2040}, price=266.6)  # fmt: skip
    pi = pathway_inputs(load_pathway(case))
    v1, v2 = _net_value_per_MW(pi, 0), _net_value_per_MW(pi, 1)
    d1, d2 = _discounted_years(2030, 2035), _discounted_years(2035, 2040)
    assert v1 > 0 > v2 and v2 + pi.inputs[1].scalars.hp_annual_EUR_per_MW > 0  # it runs in period 2
    assert pi.operation_factor == pytest.approx([d1, d2])
    load = _load_MW(pi)
    assert (d1 * v1 + d2 * v2 > 0) == early  # the two cases of the hand answer
    plan = pathway_plan(pi, OPTIONS)
    built_2030 = plan.builds.query("variable == 'campus.hp_capacity_MW' and year == 2030")["amount"].sum()
    assert built_2030 == pytest.approx(load if early else 0.0, abs=1e-6)
    myopic = myopic_plan(pi, OPTIONS)
    assert myopic.builds.query("year == 2030")["amount"].sum() == pytest.approx(load, abs=1e-6)
    lost = 0.0 if early else -load * (d1 * v1 + d2 * v2)
    assert myopic.cost_EUR - plan.cost_EUR == pytest.approx(lost, rel=1e-6, abs=1.0)


def test_identical_periods_give_the_one_year_answer(tmp_path):
    """Three identical periods: each is the one-year optimum, and the pathway's cost is sum_p D_p times it."""
    case = one_zone_case(tmp_path, [{"year": 2030}, {"year": 2035}, {"year": 2040}], {"end_year": 2045})
    pi = pathway_inputs(load_pathway(case))
    one_year = build_model(pi.inputs[0])
    solve(one_year, OPTIONS)
    annual = float(one_year.cost())
    plan = pathway_plan(pi, OPTIONS)
    assert plan.cost_EUR == pytest.approx(annual * _discounted_years(2030, 2045), rel=1e-7)
    assert plan.periods["annual_cost_EUR"].to_numpy() == pytest.approx(np.full(3, annual), rel=1e-7)
    assert set(plan.builds["year"]) == {2030}  # all built at once
    assert at_once_plan(pi, OPTIONS).cost_EUR == pytest.approx(plan.cost_EUR, rel=1e-7)


def test_capacities_never_fall_except_at_retirement(tmp_path):
    """Demand grows 4 -> 6 -> 8 MW over 2030, 2035, 2040 with heat pumps lasting 10 years: capacity is the sum of
    what was built and still lasts; it falls only in 2040, by what was built in 2030, which is built again."""
    periods = [{"year": 2030}, {"year": 2035, "demand_scale": 1.5}, {"year": 2040, "demand_scale": 2.0}]
    case = one_zone_case(tmp_path, periods, {"end_year": 2045}, heat_pump={"lifetime_yr": 10.0})
    pi = pathway_inputs(load_pathway(case))
    plan = pathway_plan(pi, OPTIONS)
    capacity = plan.periods["hp_capacity_MW"].to_numpy()
    built = plan.builds.query("variable == 'campus.hp_capacity_MW'").groupby("year")["amount"].sum()
    built = built.reindex([2030, 2035, 2040], fill_value=0.0).to_numpy()
    assert capacity == pytest.approx([built[0], built[0] + built[1], built[1] + built[2]], abs=1e-6)
    assert capacity[1] >= capacity[0] - 1e-9 and capacity[2] >= capacity[1] - built[0] - 1e-9
    assert capacity[0] > 0 and capacity[2] > capacity[0]  # the heat pump pays (v > 0) and follows the load
    # what is built in 2040 lasts 2040-2049: five of its ten years' annuities are charged, the rest is salvage
    hp = pi.pathway.base.spec.heat_pump
    late = plan.builds.query("variable == 'campus.hp_capacity_MW' and year == 2040")
    annuity = physics.annuity_factor(RATE, 10.0) * hp.investment_EUR_per_MW
    salvage = late["amount"].sum() * annuity * _discounted_years(2045, 2050)
    assert late["salvage_EUR"].sum() == pytest.approx(salvage, rel=1e-9)


@pytest.mark.parametrize("limit", ["max_MW_per_period", "max_investment_EUR_per_period"])
def test_a_limit_per_period_and_bad_input(tmp_path, limit):
    """A limit of 3 MW, or of 3 MW's overnight investment (3 x the case's EUR/MW), caps each period's heat
    pump (4 MW, then 8 MW of load, so it binds in both); a period override of a fixed section is one line."""
    periods = [{"year": 2030}, {"year": 2035, "demand_scale": 2.0}]
    value = 3.0 if limit == "max_MW_per_period" else 3.0 * 670_000.0  # the default investment_EUR_per_MW
    case = one_zone_case(tmp_path, periods, {"end_year": 2040, limit: value})
    plan = pathway_plan(pathway_inputs(load_pathway(case)), OPTIONS)
    per_year = plan.builds.query("variable == 'campus.hp_capacity_MW'").groupby("year")["amount"].sum()
    assert per_year.to_numpy() == pytest.approx([3.0, 3.0], abs=1e-6)
    assert plan.builds["investment_EUR"].sum() == pytest.approx(6.0 * 670_000.0, rel=1e-9)
    bad = one_zone_case(tmp_path, [{"year": 2030, "case": {"horizon": {"hours": 48}}}])
    with pytest.raises(CaseError, match=r"periods\.0\.case\.horizon"):
        load_pathway(bad)
    gone = one_zone_case(tmp_path, [{"year": 2030, "retired_plants": ["S"]}])
    with pytest.raises(CaseError, match=r"periods\.0\.retired_plants': expected plant ids .* got 'S'"):
        pathway_inputs(load_pathway(gone))


def test_full_year_of_identical_days_matches_the_typical_days(tmp_path, capsys):
    """Ten days of one repeated day (daily demand and price profiles): each period's typical days stand for
    it exactly, so the dispatch of every hour with the pathway's capacities held costs what the pathway's period
    does; `dhopt pathway --full-year` prints the table and writes its files."""
    from dhopt.cli import main

    wave = np.tile(np.sin(np.arange(24) / 24 * 2 * np.pi), 10)
    case = one_zone_case(tmp_path, [{"year": 2030}, {"year": 2035, "demand_scale": 1.5}], {"end_year": 2040})
    write_series(tmp_path, 240, electricity_price_EUR_per_MWh=60.0 + 40.0 * wave, residential=(1 + 0.2 * wave) / 8760)
    text = case.read_text().replace(f"hours = {HOURS}", 'hours = 240\nmethod = "two_stage"\ntypical_days = 2')
    case.write_text(text)
    out = tmp_path / "out"
    assert main(["pathway", str(case), "--full-year", "--out", str(out), "--mip-gap", "1e-7"]) == 0
    printed = capsys.readouterr().out
    assert "value of planning ahead" in printed and "full year" in printed
    table = pd.read_csv(out / "pathway.csv")
    assert table["full_year_annual_cost_EUR"].to_numpy() == pytest.approx(table["annual_cost_EUR"].to_numpy(), rel=1e-6)
    assert table["alone_annual_cost_EUR"].to_numpy() == pytest.approx(table["annual_cost_EUR"].to_numpy(), rel=1e-9)
    assert (out / "pathway.png").stat().st_size > 0
    assert set(pd.read_csv(out / "plans.csv")["plan"]) == {"pathway", "at once", "myopic"}
    builds = pd.read_csv(out / "builds.csv")
    assert builds.columns.is_unique and builds["plan"].isin(["pathway", "at once", "myopic"]).all()
