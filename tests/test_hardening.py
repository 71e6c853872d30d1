"""Infeasibility explained, unmet demand located, time limits, determinism, inputs never overwritten,
and a well-scaled model."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from builders import REPO, write_case, write_network, write_series
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from dhopt.case import load_case
from dhopt.cli import main
from dhopt.data import DEFAULT_CASE, DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.diagnose import unmet_summary
from dhopt.errors import CaseError, InfeasibleError, SolverError
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.run import run_case
from dhopt.solve import SolveOptions


def plant_and_consumer(tmp_path, plant: dict, consumer_MW: float, hours: int = 4, **sections):
    nodes = [
        ("G", 0, 0, {"kind": "plant", **plant}),
        ("C", 10, 0, {"kind": "consumer", "annual_heat_MWh": consumer_MW * 8760}),
    ]
    network = write_network(tmp_path, nodes, [("P", "G", "C", {"status": "existing", "dn": 300, "length_m": 10.0})])
    return write_case(tmp_path, network, write_series(tmp_path, hours), hours, **sections)


def test_must_run_with_nowhere_to_go_is_explained(tmp_path):
    wte = {"technology": "waste_to_energy", "capacity_MW": 10.0, "must_run_MW": 6.0}
    case = plant_and_consumer(tmp_path, wte, consumer_MW=2.0)
    with pytest.raises(InfeasibleError) as caught:
        run_case(case)
    text = str(caught.value)
    assert "must-run heat has nowhere to go from hour 0: plants G must deliver 6.00 MW but demand 2.00 MW" in text
    assert "constraint families plants.heat_MW (lower bound must_run_MW), heat_balance and storage" in text


def test_must_run_that_storage_takes_but_cannot_give_back_is_explained(tmp_path):
    # 40 MW must-run against 1 MW of demand: a 5,000 MWh store takes 39 MW (< its 83 MW) every hour
    # of the 4, but its level is cyclic, so it can never give that heat back: the conflict is named
    wte = {"technology": "waste_to_energy", "capacity_MW": 50.0, "must_run_MW": 40.0}
    case = plant_and_consumer(tmp_path, wte, consumer_MW=1.0, storage={"nodes": ["C"], "max_MWh": 5000.0})
    with pytest.raises(InfeasibleError) as caught:
        run_case(case)
    text = str(caught.value)
    assert "must-run heat has nowhere to go from hour 3: plants G must deliver 40.00 MW" in text
    assert "storage (5,000 MWh, 83.33 MW) cannot take the rest or give it back later" in text
    assert "always fits" not in text


def test_cli_infeasible_exits_3_with_reason(tmp_path, capsys):
    wte = {"technology": "waste_to_energy", "capacity_MW": 10.0, "must_run_MW": 6.0}
    assert main(["run", str(plant_and_consumer(tmp_path, wte, consumer_MW=2.0))]) == 3
    err = capsys.readouterr().err
    assert err.startswith("dhopt: error: the model is infeasible") and "nowhere to go" in err


def test_unmet_demand_is_located_in_space_and_time(tmp_path):
    gas = {"technology": "gas_boiler", "capacity_MW": 1.0}
    result = run_case(plant_and_consumer(tmp_path, gas, consumer_MW=3.0))
    [line] = unmet_summary(result.dataset)
    assert "1 consumers: C" in line and "in 4 of 4 time steps, from hour 0" in line
    assert result.kpis["unmet_demand_MWh"] == pytest.approx(2.0 * 8760, rel=1e-3)  # plus a few kW of losses


def test_same_inputs_give_identical_results(tmp_path):
    short = tmp_path / "short.toml"
    short.write_text(
        DEFAULT_CASE.read_text()
        .replace("hours = 8760", "hours = 48")
        .replace(f'"{DEFAULT_NETWORK.name}"', f'"{DEFAULT_NETWORK}"')
        .replace(f'"{DEFAULT_TIMESERIES.name}"', f'"{DEFAULT_TIMESERIES}"')
    )
    first, second = run_case(short), run_case(short)
    assert json.dumps(first.kpis, sort_keys=True) == json.dumps(second.kpis, sort_keys=True)
    assert first.design.equals(second.design)


def test_time_limit_without_a_solution_is_a_clear_error(tmp_path):
    # The real 1,939-node district with every pipe a candidate: no solution in a millisecond.
    case = write_case(tmp_path, REPO / "networks" / "topotherm_district.nodes.csv", DEFAULT_TIMESERIES, 2)
    with pytest.raises(SolverError, match="no feasible solution found within the time limit of 0.001 s"):
        run_case(case, options=SolveOptions(time_limit_s=0.001))


def test_run_refuses_to_overwrite_its_inputs(tmp_path):
    gas = {"technology": "gas_boiler", "capacity_MW": 5.0}
    case = plant_and_consumer(tmp_path, gas, consumer_MW=1.0)
    clash = tmp_path / "design.csv"
    series = write_series(tmp_path, 4)
    series.rename(clash)
    text = case.read_text().replace(str(series), str(clash))
    case.write_text(text)
    with pytest.raises(CaseError, match="would overwrite the input file"):
        run_case(case, tmp_path)
    assert clash.read_text().startswith("hour,")


def test_default_model_is_well_scaled(tmp_path):
    case = load_case(DEFAULT_CASE)
    inputs, _ = reduce_network(prepare_inputs(case, load_network(case.network_path)))
    form = LinearStandardFormCompiler().write(build_model(inputs.at_steps(np.arange(48), inputs.weight_h[:48], 48)))
    matrix = np.abs(form.A.data)
    assert matrix.max() / matrix.min() < 1e5  # MW and MWh scaling: no W, no arbitrary big-M
    costs = np.abs(form.c.data)
    assert costs.max() / costs.min() < 1e8


def test_a_solution_with_non_finite_figures_is_never_reported_as_one(tmp_path, capsys):
    # a cost of 1e308 per MWh is finite but overflows the annual cost: refused (exit 2 once the loader
    # bounds it, or 3 from the figures' check), never exit 0 with 'n/a' costs
    plant = {"technology": "gas_boiler", "capacity_MW": 10.0, "marginal_cost_EUR_per_MWh": 1e308}
    case = plant_and_consumer(tmp_path, plant, consumer_MW=2.0)
    code = main(["run", str(case)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code in (2, 3) and len(err) == 1 and "Traceback" not in err[0]
    assert code == 2 or err[0].startswith(f"dhopt: error: {case}: the solution's figures are not finite (")


def test_non_finite_figures_are_named():
    from dhopt.diagnose import non_finite_figures

    figures = {"annual_cost_EUR": float("nan"), "co2_cap_t": float("nan"), "campus_revenue_EUR": float("inf"), "x": 1.0}
    assert non_finite_figures(figures) == ["annual_cost_EUR = nan", "campus_revenue_EUR = inf"]  # no cap: NaN by design


def test_an_infinite_demand_is_named_as_the_cause_not_must_run_heat(tmp_path):
    from dhopt.diagnose import explain_infeasible

    case = plant_and_consumer(tmp_path, {"technology": "gas_boiler", "capacity_MW": 10.0}, consumer_MW=2.0)
    inputs = prepare_inputs(load_case(case), load_network(tmp_path / "net.geojson"))
    consumers = inputs.consumers.assign(annual_heat_MWh=np.inf)  # as from homes = 1e308
    assert explain_infeasible(replace(inputs, consumers=consumers)) == [
        "consumer 'C': its hourly demand is inf MW, not a finite number (an annual heat or a number of homes too "
        "large to compute with); expected a demand within the network's reach"
    ]


def test_a_plan_that_takes_no_campus_heat_prints_no_nan_price(tmp_path, capsys):
    from builders import campus, consumer

    nodes = [("S", 0, 0, campus(5.0)), ("G", 0, 50, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20.0}),
             ("C", 100, 0, consumer(1.0))]  # fmt: skip
    pipes = [("L", "S", "C", {"status": "candidate"}), ("M", "G", "C", {"status": "existing", "dn": 150})]
    network = write_network(tmp_path, nodes, pipes)
    case = write_case(tmp_path, network, write_series(tmp_path, 4), 4, heat_pump={"investment_EUR_per_MW": 1e9})
    assert main(["run", str(case)]) == 0
    out = capsys.readouterr().out
    assert "contract: the plan takes no heat from the campus, so nothing is paid for and there is no price" in out
    assert not [line for line in out.splitlines() if line.startswith("contract:") and "nan" in line]


def test_an_infeasible_typical_day_design_is_explained_from_the_hours_it_stands_for(tmp_path):
    # 20 MW of must-run heat; demand 25 MW but 5 MW for ten days in a row; storage of up to 1,200 MWh (20 MW):
    # the ten days' surplus (3,600 MWh) has nowhere to go. Typical days, each counted once, would seem to fit
    # it; the explanation comes from the hours they stand for
    hours = 24 * 30
    nodes = [
        ("W", 0, 0, {"kind": "plant", "technology": "waste_to_energy", "capacity_MW": 30.0, "must_run_MW": 20.0}),
        ("C", 100, 0, {"kind": "consumer", "annual_heat_MWh": 10.0 * 8760}),
    ]
    network = write_network(tmp_path, nodes, [("P", "W", "C", {"status": "existing", "dn": 400, "length_m": 100.0})])
    day = np.arange(hours) // 24
    series = write_series(tmp_path, hours, residential=np.where((day >= 10) & (day < 20), 5.0, 25.0) / (10.0 * 8760))
    storage = {"max_MWh": 1200.0, "nodes": ["W"], "charge_hours": 60.0}
    case = write_case(tmp_path, network, series, hours, horizon={"method": "two_stage"}, storage=storage)
    with pytest.raises(InfeasibleError) as error:
        run_case(case)
    assert "must-run heat has nowhere to go from hour" in error.value.problems[-1]
