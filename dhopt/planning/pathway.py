"""A build-out pathway: what to build in which period, and the value of planning ahead.

Three plans of the same periods (`dhopt.planning.pathway_model`), each costed by the same discounted
objective [EUR at the first period's year]:

- ``pathway``: every period's builds chosen together, with foresight;
- ``at once``: everything built in the first period and kept;
- ``myopic``: each period optimised alone (its one-year annual cost, what is already built carried
  forward at no cost), then the builds it chose costed over the horizon.

`value of planning ahead` = cost(myopic) - cost(pathway) and cost(at once) - cost(pathway), both >= 0 up
to the MIP gap. Each period's figures are from its design model (typical days + peak day), per year;
`check_periods` solves each period alone with the pathway's capacities of then held (on the typical days,
and with ``full_year`` on every hour as `dhopt.run` dispatches a held design).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from dhopt.inputs import Inputs
from dhopt.model import build_model, design_of, fix_design
from dhopt.planning.pathway_inputs import PathwayInputs, alive
from dhopt.planning.pathway_model import (
    PathwayModel,
    build_pathway_model,
    builds,
    built_values,
    capacities,
    fix_builds,
    set_start,
)
from dhopt.results import kpis, to_dataset
from dhopt.reuse import ModelCache
from dhopt.run import as_built
from dhopt.solve import SolveOptions, SolveReport, solve

PERIOD_KPIS = (
    "hp_capacity_MW", "storage_capacity_MWh", "new_production_capacity_MW", "heat_delivered_MWh",
    "unmet_demand_MWh", "homes_heated_by_campus", "annual_cost_EUR", "co2_t",
)  # fmt: skip


@dataclass
class Plan:
    """A solved plan: its name, discounted cost [EUR], solver report, builds and per-period figures."""

    name: str
    cost_EUR: float
    report: SolveReport
    builds: pd.DataFrame
    periods: pd.DataFrame
    model: PathwayModel


def gas_share(ds, inputs: Inputs) -> float:
    """Heat of the gas boilers over the heat delivered, in the year [-]."""
    heat = (ds["plant_heat_MW"] * ds["weight_h"]).sum("time").to_series()
    gas = heat[inputs.plants["technology"].reindex(heat.index).eq("gas_boiler")].sum()
    delivered = float(((ds["demand_MW"] - ds["unmet_MW"].clip(max=ds["demand_MW"])) * ds["weight_h"]).sum())
    return float(gas / delivered) if delivered else 0.0


def period_figures(pi: PathwayInputs, pm: PathwayModel) -> pd.DataFrame:
    """Per period of a solved model: `PERIOD_KPIS` of its year, the gas share and D_p x its annual cost."""
    rows = []
    for p, block in pm.blocks.items():
        ds = to_dataset(block, pi.inputs[p])
        figures = kpis(ds, pi.inputs[p], block)
        row = {"year": pi.years[p], **{k: figures.get(k, 0.0) for k in PERIOD_KPIS}}
        row["gas_share"] = gas_share(ds, pi.inputs[p])
        row["discounted_years"] = pi.operation_factor[p]
        rows.append(row)
    return pd.DataFrame(rows)


def _solved(pi: PathwayInputs, pm: PathwayModel, name: str, options: SolveOptions) -> Plan:
    report = solve(pm.model, options)
    cost = float(pyo.value(pm.model.cost))
    return Plan(name, cost, report, builds(pi, pm), period_figures(pi, pm), pm)


def pathway_plan(pi: PathwayInputs, options: SolveOptions, start: Plan | None = None) -> Plan:
    """Every period's builds chosen together (foresight); `start`: a plan whose builds are the MIP start."""
    pm = build_pathway_model(pi)
    if start is not None:
        set_start(pm, built_values(start.model))
    return _solved(pi, pm, "pathway", options)


def at_once_plan(pi: PathwayInputs, options: SolveOptions, start: Plan | None = None) -> Plan:
    """Everything built in the first period and kept; `start`: a plan whose largest capacities, all built
    in the first period, are the MIP start."""
    pm = build_pathway_model(pi, build_in=[0])
    if start is not None:
        largest: dict[tuple[int, int], float] = {}
        for (k, _), value in capacities(start.model).items():
            largest[k, 0] = max(largest.get((k, 0), 0.0), value)
        set_start(pm, largest)
    return _solved(pi, pm, "at once", options)


def _carried(pi: PathwayInputs, items: list, chosen: dict, p: int) -> dict:
    """(item, p) -> what earlier periods of `chosen` built of it that lasts through period p."""
    edges = pi.bounds
    carried = {}
    for (k, b), amount in chosen.items():
        name, index = items[k]
        life = float(pi.items[name].at[index, "lifetime_yr"])
        if b < p and alive(life, edges[b], edges[p], edges[p + 1]):
            carried[k, p] = carried.get((k, p), 0.0) + amount
    return carried


def myopic_plan(pi: PathwayInputs, options: SolveOptions) -> Plan:
    """Each period alone (its annual cost; earlier builds carried forward, sunk), then costed over the horizon."""
    chosen: dict[tuple[int, int], float] = {}
    items: list = []
    for p in range(len(pi.years)):
        alone = build_pathway_model(pi, [p], existing=_carried(pi, items, chosen, p), discounted=False)
        items = alone.items
        solve(alone.model, options)
        chosen |= {key: value for key, value in built_values(alone).items() if key[1] == p}
    pm = build_pathway_model(pi)
    fix_builds(pm, chosen)
    return _solved(pi, pm, "myopic", options)


def check_periods(pi: PathwayInputs, plan: Plan, options: SolveOptions, full_year: bool = False) -> pd.DataFrame:
    """Each period solved alone with the plan's capacities of then held: its annual cost [EUR/yr] on the
    typical days (equal to the plan's, up to the gap) and, with `full_year`, on every hour (the network as
    built, as `dhopt.run` dispatches a held design), with that year's heat, homes, CO2 and gas share."""
    rows = []
    for p, block in plan.model.blocks.items():
        design = design_of(block)
        alone = build_model(pi.inputs[p])
        fix_design(alone, design)
        solve(alone, options)
        row = {"year": pi.years[p], "plan_annual_cost_EUR": float(pyo.value(block.cost))}
        row["alone_annual_cost_EUR"] = float(pyo.value(alone.cost))
        if full_year:
            row |= _full_year(pi.hourly[p], design, options)
        rows.append(row)
    return pd.DataFrame(rows)


def _full_year(hourly: Inputs, design: dict, options: SolveOptions) -> dict[str, float]:
    """Every hour of one period with `design` held, on the network as built."""
    built, held = as_built(hourly, design)
    model, _ = ModelCache(keep=False).solve("dispatch", built, options, held)
    ds = to_dataset(model, built)
    figures = kpis(ds, built, model)
    return {
        "full_year_annual_cost_EUR": figures["annual_cost_EUR"],
        "full_year_heat_delivered_MWh": figures["heat_delivered_MWh"],
        "full_year_unmet_demand_MWh": figures["unmet_demand_MWh"],
        "full_year_homes_heated_by_campus": figures["homes_heated_by_campus"],
        "full_year_co2_t": figures["co2_t"],
        "full_year_gas_share": gas_share(ds, built),
    }


@dataclass
class PathwayAnswer:
    plans: dict[str, Plan]
    checks: pd.DataFrame

    @property
    def pathway(self) -> Plan:
        return self.plans["pathway"]

    def value_of_planning_EUR(self, other: str) -> float:
        """Discounted cost of plan `other` minus the pathway's [EUR]."""
        return self.plans[other].cost_EUR - self.pathway.cost_EUR


def solve_pathway(
    pi: PathwayInputs,
    options: SolveOptions = SolveOptions(),
    *,
    full_year: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PathwayAnswer:
    """The pathway, the build-at-once and the myopic plans, and the check of each period alone."""
    say = progress or (lambda line: None)
    plans: dict[str, Plan] = {}
    # the myopic plan is quick and starts the pathway; the pathway's largest capacities start the plan at once
    for name, planner, start in (("myopic", myopic_plan, None), ("pathway", pathway_plan, "myopic"),
                                 ("at once", at_once_plan, "pathway")):  # fmt: skip
        plan = planner(pi, options) if start is None else planner(pi, options, plans[start])
        plans[name] = plan
        say(f"{name:<9} {plan.report.solve_s:7.2f} s  {plan.report.status}, gap {plan.report.gap:.2%}, "
            f"{plan.cost_EUR:,.0f} EUR discounted to {pi.years[0]}")  # fmt: skip
    checks = check_periods(pi, plans["pathway"], options, full_year)
    worst = float(np.max(np.abs(checks["alone_annual_cost_EUR"] / checks["plan_annual_cost_EUR"] - 1.0)))
    say(f"check     each period alone with the pathway's capacities: largest difference {worst:.2%}")
    return PathwayAnswer(plans, checks)
