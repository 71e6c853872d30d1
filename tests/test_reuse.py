"""Models kept in HiGHS and updated in place give the same answers as models built anew."""

from __future__ import annotations

import pytest

from dhopt.case import load_case
from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.reuse import ModelCache, structure_key
from dhopt.run import run_case
from dhopt.solve import SolveOptions

NETWORK, SERIES = DEFAULT_NETWORK, DEFAULT_TIMESERIES
OPTIONS = SolveOptions(mip_gap=1e-7)
COMPARED = ("objective_EUR", "design_stage_cost_EUR", "hp_capacity_MW", "storage_capacity_MWh", "co2_t", "reference_co2_t")


def ballerup(tmp_path, name: str, **sections) -> str:
    """A January week of the default network, two-stage on 3 typical days, with `sections` overridden."""
    base = {
        "horizon": {"hours": 168, "method": "two_stage", "typical_days": 3},
        "grid": {"import_limit_MW": 12.0},
    }
    for section, keys in sections.items():
        base.setdefault(section, {}).update(keys)
    lines = [f'name = "{name}"', f'network = "{NETWORK}"', f'timeseries = "{SERIES}"']
    for section, keys in base.items():
        lines += [f"[{section}]"] + [f"{key} = {value!r}" for key, value in keys.items()]
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


# each changes only prices, costs, capacities or the import limit: the structure stays the same
PARAMETER_CHANGES = {
    "tariff": {"grid": {"tariff_EUR_per_MWh": 45.0}},
    "limit_and_co2": {"grid": {"import_limit_MW": 5.0}, "economics": {"co2_price_EUR_per_t": 200.0}},
    "small_heat_pump": {"heat_pump": {"max_MW": 8.0, "investment_EUR_per_MW": 900_000.0}},
    "cheap_storage": {"storage": {"investment_EUR_per_MWh": 300.0, "fixed_om_EUR_per_MWh_yr": 1.0}},
    "discount": {"economics": {"discount_rate": 0.08}, "demand": {"unmet_penalty_EUR_per_MWh": 500.0}},
}


def test_parameter_changes_reuse_the_models_and_match_fresh_builds(tmp_path):
    cache = ModelCache()
    paths = [ballerup(tmp_path, "base")] + [ballerup(tmp_path, n, **c) for n, c in PARAMETER_CHANGES.items()]
    warm = [run_case(path, options=OPTIONS, cache=cache) for path in paths]
    # design and reference built once, then updated for every other case; the dispatch runs on the
    # network as built, so it is updated exactly when the case builds the same pipes as the one before
    pipes = [frozenset(r.design[r.design["component"] == "pipe"][["id", "value"]].itertuples(index=False)) for r in warm]
    same_pipes = [False] + [pipes[i] == pipes[i - 1] for i in range(1, len(pipes))]
    assert [r.solve.reused for r in warm] == same_pipes
    assert any(same_pipes) and not all(same_pipes[1:])  # both paths are exercised
    assert cache.reused == 2 * len(PARAMETER_CHANGES) + sum(same_pipes)
    assert cache.built == 3 + len(PARAMETER_CHANGES) - sum(same_pipes)
    for path, result in zip(paths, warm):
        fresh = run_case(path, options=OPTIONS)
        for name in COMPARED:
            assert result.kpis[name] == pytest.approx(fresh.kpis[name], rel=1e-6, abs=1e-6), (path.stem, name)
        assert result.dataset["hp_heat_MW"].values == pytest.approx(fresh.dataset["hp_heat_MW"].values, abs=1e-5)
    # the changes act: a dearer grid or a smaller heat pump costs more than the base case
    by_name = {path.stem: result.kpis for path, result in zip(paths, warm)}
    assert by_name["tariff"]["objective_EUR"] > by_name["base"]["objective_EUR"]
    assert by_name["small_heat_pump"]["hp_capacity_MW"] <= 8.0 + 1e-9
    assert by_name["discount"]["objective_EUR"] > by_name["base"]["objective_EUR"]  # dearer capital


def test_a_structural_change_builds_anew(tmp_path):
    cache = ModelCache()
    base = run_case(ballerup(tmp_path, "base"), options=OPTIONS, cache=cache)
    colder = ballerup(tmp_path, "colder", temperatures={"return_degC": 35.0})  # COP, capacity, losses change
    warm = run_case(colder, options=OPTIONS, cache=cache)
    assert cache.built == 6 and cache.reused == 0
    assert not warm.solve.reused
    assert warm.kpis["objective_EUR"] == pytest.approx(run_case(colder, options=OPTIONS).kpis["objective_EUR"])
    assert warm.kpis["objective_EUR"] != pytest.approx(base.kpis["objective_EUR"])


def _inputs(path):
    case = load_case(path)
    return reduce_network(prepare_inputs(case, load_network(case.network_path)))[0]


def test_structure_key_ignores_parameters_only(tmp_path):
    base = structure_key(_inputs(ballerup(tmp_path, "base")))
    for name, change in PARAMETER_CHANGES.items():
        assert structure_key(_inputs(ballerup(tmp_path, name, **change))) == base, name
    structural = {
        "carnot": {"heat_pump": {"carnot_efficiency": 0.45}},
        "hours": {"horizon": {"hours": 144}},
        "no_limit_switch": {"heat_pump": {"unit_size_MW": 5.0}},
        "storage_loss": {"storage": {"loss_per_hour": 1e-3}},
        "largest_storage": {"storage": {"max_MWh": 40.0}},  # it bounds pipe flows (dhopt.bounds)
    }
    for name, change in structural.items():
        assert structure_key(_inputs(ballerup(tmp_path, name, **change))) != base, name
