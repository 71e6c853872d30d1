"""Models kept in HiGHS and updated in place give the same answers as models built anew."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from dhopt.case import load_case
from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.inputs import BOUNDS, COST, RESULTS, ROWS, prepare_inputs, resolve_channels
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.results import kpis, to_dataset
from dhopt.reuse import PARAMETER_FIELDS, ModelCache, structure_key
from dhopt.run import run_case
from dhopt.solve import SolveOptions

NETWORK, SERIES = DEFAULT_NETWORK, DEFAULT_TIMESERIES
OPTIONS = SolveOptions(mip_gap=1e-7)
COMPARED = (
    "objective_EUR",
    "design_stage_cost_EUR",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "co2_t",
    "reference_co2_t",
)


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
    pipes = [
        frozenset(r.design[r.design["component"] == "pipe"][["id", "value"]].itertuples(index=False)) for r in warm
    ]
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
        "lorenz": {"heat_pump": {"lorenz_efficiency": 0.6}},
        "approach": {"heat_pump": {"approach_K": 3.0}},
        "source_cooling": {"heat_pump": {"source_cooling_K": 8.0}},
        "hours": {"horizon": {"hours": 144}},
        "no_limit_switch": {"heat_pump": {"unit_size_MW": 5.0}},
        "storage_loss": {"storage": {"loss_per_hour": 1e-3}},
        "largest_storage": {"storage": {"max_MWh": 40.0}},  # it bounds pipe flows (dhopt.bounds)
    }
    for name, change in structural.items():
        assert structure_key(_inputs(ballerup(tmp_path, name, **change))) != base, name


def _merged(*parts: dict) -> dict:
    """Case sections merged section by section (later parts win)."""
    merged: dict = {}
    for part in parts:
        for section, keys in part.items():
            merged.setdefault(section, {}).update(keys)
    return merged


def test_every_case_field_marked_resolvable_keeps_the_structure(tmp_path):
    # the case-level marking (dhopt.case.RESOLVABLE) agrees with the inputs-level one (dhopt.inputs.declared):
    # each marked field changed alone leaves the structure key as it was
    optional = {"heat_pump": {"max_MW": 15.0}, "grid": {"import_limit_MW": 9.0}, "objective": {"co2_cap_t": 5e3}}
    for capped in (False, True):  # under a CO2 cap the grid factor is a coefficient of the cap's row
        given = optional if capped else {k: v for k, v in optional.items() if k != "objective"}
        given = _merged(given, {"horizon": {"hours": 48, "method": "monolithic"}})
        base_path = ballerup(tmp_path, f"marked{capped}", **given)
        base, spec = structure_key(_inputs(base_path)), load_case(base_path).spec
        tried = 0
        for section, names in PARAMETER_FIELDS.items():
            for name in names:
                if not section or (section == "objective") != capped or (capped and name == "co2_t_per_MWh"):
                    continue  # top-level name and description: text only, checked by the re-solve test
                value = _other(getattr(spec, section), name)
                path = ballerup(tmp_path, f"{name}{capped}", **_merged(given, {section: {name: value}}))
                assert structure_key(_inputs(path)) == base, (section, name)
                tried += 1
        assert tried == (
            1 if capped else sum(len(n) for s, n in PARAMETER_FIELDS.items() if s not in ("", "objective"))
        )


def _other(section, name: str):
    """Another valid value of a case field: a number scaled, an unset one set, a choice's other option."""
    value = getattr(section, name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * 1.1 + 0.01
    choices = typing.get_args(type(section).model_fields[name].annotation)
    if value is None:
        return {"avoided_plant": "wte"}.get(name, 10.0)
    return next(c for c in choices if c != value)


def _scaled(inputs, name: str, factor: float):
    """`inputs` with the re-solvable input `name` (a field, a scalar or a table's columns) times `factor`."""
    if name.startswith("scalars."):
        field_name = name.removeprefix("scalars.")
        value = getattr(inputs.scalars, field_name)
        value = value + "-changed" if isinstance(value, str) else value * factor
        return inputs.with_(scalars=dataclasses.replace(inputs.scalars, **{field_name: value}))
    value = getattr(inputs, name)
    columns = {spec.name: spec.metadata["columns"] for spec in dataclasses.fields(inputs)}[name]
    if columns:
        return inputs.with_(**{name: value.assign(**{c: value[c] * factor for c in columns})})
    return inputs.with_(**{name: value * factor})


def test_every_resolvable_input_re_solves_to_a_fresh_build(tmp_path):
    # every input declared re-solvable (dhopt.inputs.declared), changed alone and all at once: the model
    # kept in HiGHS and updated in place gives the answer of a model built anew
    path = ballerup(tmp_path, "every", horizon={"hours": 24, "method": "monolithic"}, heat_pump={"max_MW": 15.0})
    plain = _inputs(path)
    model, _ = ModelCache(keep=False).solve("monolithic", plain, OPTIONS)
    cap_t = 0.97 * kpis(to_dataset(model, plain), plain, model)["co2_t"]  # a cap that binds
    capped = plain.with_(scalars=dataclasses.replace(plain.scalars, co2_cap_t=cap_t))
    channels = resolve_channels()
    names = [n for channel in (COST, BOUNDS, ROWS, RESULTS) for n in channels.get(channel, ())]
    assert set(channels) <= {COST, BOUNDS, ROWS, RESULTS} and len(names) >= 15
    cache = ModelCache()
    base = cache.solve("monolithic", capped, OPTIONS)[1].objective_EUR
    moved, everything = [], capped
    for name in names:
        if name == "scalars.plant_cap_MWh":  # no phase-out in this case: tests/test_production.py re-solves it
            continue
        factor = {"scalars.co2_cap_t": 0.8, "import_limit_MW": 0.1}.get(name, 1.3)
        changed = _scaled(capped, name, factor)
        if name == "scalars.grid_co2_t_per_MWh":  # under a cap, a coefficient of its row: a new build
            assert structure_key(changed) != structure_key(capped)
            continue
        everything = _scaled(everything, name, factor)
        assert structure_key(changed) == structure_key(capped), name
        warm = cache.solve("monolithic", changed, OPTIONS)[1]
        assert warm.reused, name
        fresh = ModelCache(keep=False).solve("monolithic", changed, OPTIONS)[1]
        assert warm.objective_EUR == pytest.approx(fresh.objective_EUR, rel=1e-6), name
        if name in channels.get(RESULTS, ()):  # reaches the KPIs only
            assert warm.objective_EUR == pytest.approx(base, rel=1e-9), name
        else:
            moved.append(name) if warm.objective_EUR != pytest.approx(base, rel=1e-9) else None
    warm = cache.solve("monolithic", everything, OPTIONS)[1]
    assert warm.reused
    assert warm.objective_EUR == pytest.approx(
        ModelCache(keep=False).solve("monolithic", everything, OPTIONS)[1].objective_EUR, rel=1e-6
    )
    # the changes act: each moves the optimum, but for inputs that do not enter this day's optimum: no pipe
    # is forced, no demand is unmet, no storage pays within one day, and the CO2 weight of unmet heat
    # enters only a CO2 objective
    idle = {"forced_cost_EUR", "scalars.unmet_penalty_EUR_per_MWh", "scalars.storage_annual_EUR_per_MWh"}
    idle |= {"units", "unit_cost", "pit_cost", "scalars.plant_cap_MWh"}  # no new production here (test_production.py)
    idle |= {"power", "power_cost"}  # no campus of this case has its own electricity (tests/test_power.py)
    idle |= {"export_limit_MW", "export_price_EUR_per_MWh"}  # nothing to export without it (tests/test_export.py)
    acting = [n for n in names if n not in channels.get(RESULTS, ())]
    assert set(acting) - set(moved) <= idle | {"scalars.unmet_co2_t_per_MWh"}
