"""One Pyomo model of a build-out pathway: the one-year model of each period as a block (`add_components`
on the period's inputs), linked by staged capacities, and one discounted objective.

For every design variable x (heat-pump MW and units, storage MWh, a pipe's DN binary, new units' MW,
pits) and period p, with n_(k,b) what is built of item k in period b (binary or integer like x):

    x_(k,p) = X_(k,p) + sum_(b <= p, k built in b lasts through p) n_(k,b)

(X: what was there before, e.g. a myopic plan's earlier builds), so capacity never falls but at the end
of a life: what would not last through a period retires at its start. The objective [EUR, discounted to
the first period's year y_0 at the case's rate r] is

    cost = sum_p D_p (operation_p + other annual costs_p) + sum_(k,b) c_(k,b) G_(k,b) n_(k,b)

with D_p the discounted years of period p, c_(k,b) the annual cost of a unit of k (annuity a(r, life) I +
fixed O&M, from period b's inputs) and G_(k,b) the discounted years of the periods it lasts through within
the horizon: annuities stop at the horizon's end, so the rest of the investment is its salvage value,
(c - F) times the discounted years of its life after the end. Optional limits per period b:
sum L_pipe n_(pipe,b) <= metres, sum of heat-pump and unit MW <= MW, sum (c - F) / a n <= budget [EUR].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from dhopt import physics
from dhopt.model import DESIGN_VARIABLES, POWER_CAPACITIES, add_components
from dhopt.model.objective import cost_coefficients, cost_variables
from dhopt.planning.pathway_inputs import PathwayInputs, alive, remaining_years

STAGED = tuple(name for name in DESIGN_VARIABLES if name not in POWER_CAPACITIES)
"""Staged design variables: every investment but a campus's own power side (refused in a pathway)."""
MW_ITEMS = ("campus.hp_capacity_MW", "production.capacity_MW")


@dataclass
class PathwayModel:
    """The model, its period blocks (by position), the staged items (name, index) and per (item, build
    position) the annual cost c [EUR/yr per unit], G [yr] and the salvage factor [yr]."""

    model: pyo.ConcreteModel
    blocks: dict[int, pyo.Block]
    items: list[tuple[str, object]]
    annual: dict[tuple[int, int], float] = field(default_factory=dict)
    charged_yr: dict[tuple[int, int], float] = field(default_factory=dict)
    salvage_yr: dict[tuple[int, int], float] = field(default_factory=dict)
    existing: dict[tuple[int, int], float] = field(default_factory=dict)  # (item, position) -> there before
    sources: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # periods whose builds last through


def _items(block: pyo.Block) -> list[tuple[str, object]]:
    return [(name, index) for name in STAGED if block.find_component(name) is not None
            for index in block.find_component(name)]  # fmt: skip


def _domain(var) -> pyo.Set:
    return pyo.Binary if var.is_binary() else pyo.NonNegativeIntegers if var.is_integer() else pyo.NonNegativeReals


def _lifetime(pi: PathwayInputs, name: str, index) -> float:
    return float(pi.items[name].at[index, "lifetime_yr"])


def _charged_years(pi: PathwayInputs, lifetime: float, built: int) -> float:
    """G: the discounted years of the periods that what is built in period `built` lasts through."""
    edges = pi.bounds
    return sum(
        pi.years_factor(edges[q], edges[q + 1])
        for q in range(built, len(pi.years))
        if alive(lifetime, edges[built], edges[q], edges[q + 1])
    )


def _add_blocks(pi: PathwayInputs, positions: list[int]) -> tuple[pyo.ConcreteModel, dict[int, pyo.Block]]:
    m = pyo.ConcreteModel(name=f"{pi.pathway.base.spec.name}_pathway")
    blocks = {}
    for p in positions:
        block = pyo.Block()
        m.add_component(f"y{pi.years[p]}", block)
        add_components(block, pi.inputs[p])
        block.cost.deactivate()
        blocks[p] = block
    return m, blocks


def _widen_bounds(blocks: dict[int, pyo.Block], items: list) -> None:
    """Each staged variable's upper bound: the largest over the periods (capacity built for a later, larger
    period stays within an earlier period's bound)."""
    for name, index in items:
        bounds = [b.find_component(name)[index].ub for b in blocks.values()]
        largest = None if any(u is None for u in bounds) else max(bounds)
        for block in blocks.values():
            block.find_component(name)[index].setub(largest)


def build_pathway_model(
    pi: PathwayInputs,
    positions: list[int] | None = None,
    *,
    existing: dict[tuple[int, int], float] | None = None,
    build_in: list[int] | None = None,
    discounted: bool = True,
) -> PathwayModel:
    """The model of the periods at `positions` (default all); `existing`: (item, position) -> capacity
    already there; building only in `build_in` (default every period); `discounted=False`: every
    factor 1 (a single year alone, as a myopic planner sees it)."""
    positions = list(range(len(pi.years))) if positions is None else positions
    m, blocks = _add_blocks(pi, positions)
    items = _items(blocks[positions[0]])
    _widen_bounds(blocks, items)
    pm = PathwayModel(m, blocks, items)
    m.K = pyo.RangeSet(0, len(items) - 1) if items else pyo.Set(initialize=[])
    m.B = pyo.Set(initialize=positions, doc="periods (positions) in which something may be built")
    first = blocks[positions[0]]
    m.built = pyo.Var(m.K, m.B, within=lambda _, k, b: _domain(first.find_component(items[k][0])[items[k][1]]))
    allowed = set(positions if build_in is None else build_in)
    for k in m.K:
        for b in m.B:
            if b not in allowed:
                m.built[k, b].fix(0)
    pm.existing = existing or {}
    edges = pi.bounds
    for k, (name, index) in enumerate(items):
        life = _lifetime(pi, name, index)
        for p in positions:
            pm.sources[k, p] = [b for b in positions if b <= p and alive(life, edges[b], edges[p], edges[p + 1])]

    def link(m, k, p):
        name, index = items[k]
        added = sum(m.built[k, b] for b in pm.sources[k, p])
        return blocks[p].find_component(name)[index] == pm.existing.get((k, p), 0.0) + added

    m.link = pyo.Constraint(m.K, m.B, rule=link)
    m.cost = pyo.Objective(expr=_objective(pi, pm, positions, discounted), sense=pyo.minimize)
    _add_limits(pi, pm, positions)
    return pm


def _objective(pi: PathwayInputs, pm: PathwayModel, positions: list[int], discounted: bool):
    """The discounted cost of the module doc (with `discounted=False`: D = G = 1)."""
    staged = {}
    for p, block in pm.blocks.items():
        staged |= {id(block.find_component(n)[i]): (k, p) for k, (n, i) in enumerate(pm.items)}
    terms, coefs, constant = [], [], 0.0
    for p in positions:
        block = pm.blocks[p]
        factor = pi.operation_factor[p] if discounted else 1.0
        investment_vars, _ = cost_variables(block)
        investment, _, fixed = cost_coefficients(block, pi.inputs[p])
        constant += factor * fixed
        for var, c in zip(investment_vars, investment):
            if id(var) not in staged:  # the tonnes above a CO2 cap: a cost of the period's years
                terms.append(var)
                coefs.append(factor * float(c))
                continue
            k, _ = staged[id(var)]
            name, index = pm.items[k]
            life = _lifetime(pi, name, index)
            pm.annual[k, p] = float(c)
            pm.charged_yr[k, p] = _charged_years(pi, life, p) if discounted else 1.0
            rest = remaining_years(life, pi.years[p], pi.end_year)
            pm.salvage_yr[k, p] = float(sum(pi.discount(int(y)) for y in rest)) if discounted else 0.0
            terms.append(pm.model.built[k, p])
            coefs.append(float(c) * pm.charged_yr[k, p])
    operation = sum((pi.operation_factor[p] if discounted else 1.0) * pm.blocks[p].operation_EUR for p in positions)
    return operation + LinearExpression(constant=constant, linear_coefs=coefs, linear_vars=terms)


def overnight_EUR(pi: PathwayInputs, pm: PathwayModel, k: int, p: int) -> float:
    """Overnight investment of a unit of item k built in period p, (c - F) / a(r, life) [EUR]."""
    name, index = pm.items[k]
    life = _lifetime(pi, name, index)
    fixed_om = float(pi.items[name].at[index, "fixed_om"])
    return (pm.annual.get((k, p), 0.0) - fixed_om) / physics.annuity_factor(pi.discount_rate, life)


def _add_limits(pi: PathwayInputs, pm: PathwayModel, positions: list[int]) -> None:
    """The per-period limits of `[pathway]`: metres of pipe, MW of heat pumps and units, overnight EUR."""
    limits = pi.pathway.spec.pathway
    m, items = pm.model, pm.items
    length = pi.inputs[positions[0]].pipes["length_m"]
    weights = {
        "pipe_m_limit": (limits.max_pipe_m_per_period, lambda k, p: length[items[k][1][0]] if items[k][0] == "pipes.build" else 0.0),
        "MW_limit": (limits.max_MW_per_period, lambda k, p: 1.0 if items[k][0] in MW_ITEMS else 0.0),
        "budget_limit": (limits.max_investment_EUR_per_period, lambda k, p: overnight_EUR(pi, pm, k, p)),
    }  # fmt: skip
    for name, (limit, weight) in weights.items():
        if limit is not None:
            rule = lambda m, p, weight=weight, limit=limit: sum(weight(k, p) * m.built[k, p] for k in m.K) <= limit  # noqa: E731
            m.add_component(name, pyo.Constraint(m.B, rule=rule))


def builds(pi: PathwayInputs, pm: PathwayModel) -> pd.DataFrame:
    """What a solved model builds: one row per (item, period) with something built: variable, index,
    year, amount [MW, MWh, 1 for a pipe], overnight investment and salvage value [EUR, discounted]."""
    rows = []
    for (k, p), var in pm.model.built.items():
        amount = float(var.value or 0.0)
        if amount <= 1e-6:
            continue
        name, index = pm.items[k]
        fixed_om = float(pi.items[name].at[index, "fixed_om"])
        rows.append({
            "variable": name, "index": index, "year": pi.years[p], "amount": amount,
            "investment_EUR": amount * overnight_EUR(pi, pm, k, p),
            "salvage_EUR": amount * (pm.annual.get((k, p), 0.0) - fixed_om) * pm.salvage_yr.get((k, p), 0.0),
        })  # fmt: skip
    columns = ["variable", "index", "year", "amount", "investment_EUR", "salvage_EUR"]
    return pd.DataFrame(rows, columns=columns)


def built_values(pm: PathwayModel) -> dict[tuple[int, int], float]:
    """(item, position) -> what the solved model builds there."""
    return {key: float(var.value or 0.0) for key, var in pm.model.built.items()}


def fix_builds(pm: PathwayModel, values: dict[tuple[int, int], float]) -> None:
    """Hold what is built at `values` ((item, position) -> amount; integers rounded)."""
    for key, var in pm.model.built.items():
        value = values.get(key, 0.0)
        var.fix(round(value) if var.is_integer() else max(value, 0.0))


def capacities(pm: PathwayModel) -> dict[tuple[int, int], float]:
    """(item, position) -> the staged variable's value in that period of a solved model."""
    return {
        (k, p): float(block.find_component(name)[index].value or 0.0)
        for p, block in pm.blocks.items()
        for k, (name, index) in enumerate(pm.items)
    }


def set_start(pm: PathwayModel, values: dict[tuple[int, int], float]) -> None:
    """A MIP start: what is built, `values` ((item, position) -> amount), and the integer design variables of
    each period it implies (`dhopt.handoff.pass_start` hands integer values to HiGHS)."""
    for key, var in pm.model.built.items():
        if not var.fixed:
            var.set_value(values.get(key, 0.0), skip_validation=True)
    for (k, p), sources in pm.sources.items():
        name, index = pm.items[k]
        var = pm.blocks[p].find_component(name)[index]
        if var.is_integer():
            there = pm.existing.get((k, p), 0.0) + sum(pm.model.built[k, b].value or 0.0 for b in sources)
            var.set_value(there, skip_validation=True)
