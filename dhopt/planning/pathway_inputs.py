"""The inputs of a build-out pathway: one `Inputs` per period on one common reduced network, the discount
factors of the years each period stands for, and the lifetimes and fixed O&M of what may be built.

Every period's inputs are those of its own one-year case (`dhopt.pathway_case.period_case` on
`period_network`), reduced alike so that the periods share every pipe, zone and design variable:
dead ends and chains from the last period (every consumer that ever joins is on it), the DN options and
zones from the largest flow bound over the periods (`dhopt.bounds.pipe_bounds`), so each step stays exact
in every period; sole feeds are not forced (a district joining later is connected when it joins).

Discounting (real rate r, base year y_0 = the first period's year): period p stands for the years
y_p .. y_(p+1) - 1, so its operating cost counts D_p = sum_y (1 + r)^-(y - y_0) times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhopt.aggregate import typical_days
from dhopt.bounds import pipe_bounds
from dhopt.errors import CaseError
from dhopt.inputs import Inputs, prepare_inputs
from dhopt.network import Network, load_network
from dhopt.pathway_case import PathwayCase, period_case, period_network
from dhopt.production_inputs import technology_table
from dhopt.reduce import merge_chains, merge_zones, prune_dead_ends, prune_options
from dhopt.run import uses_two_stage


@dataclass(frozen=True)
class PathwayInputs:
    """Per period (in year order): `years`, the inputs of its design model (`inputs`: typical days + peak
    day, or every hour), of its full year (`hourly`) and D_p (`operation_factor`); the horizon's end,
    discount rate and `items` (per design variable: lifetime_yr, fixed_om per unit and year)."""

    pathway: PathwayCase
    network: Network
    years: list[int]
    end_year: int
    discount_rate: float
    inputs: list[Inputs]
    hourly: list[Inputs]
    items: dict[str, pd.DataFrame]

    def discount(self, year: int) -> float:
        """(1 + r)^-(year - y_0) [-]."""
        return (1.0 + self.discount_rate) ** -(year - self.years[0])

    def years_factor(self, start: int, stop: int) -> float:
        """sum of `discount` over the years start .. stop - 1 [yr]."""
        return float(sum(self.discount(y) for y in range(start, stop)))

    @property
    def bounds(self) -> list[int]:
        """First year of each period and the end of the horizon."""
        return [*self.years, self.end_year]

    @property
    def operation_factor(self) -> list[float]:
        """D_p [yr]: the discounted years period p stands for."""
        edges = self.bounds
        return [self.years_factor(a, b) for a, b in zip(edges, edges[1:])]


def _shared_shape(prepared: list[Inputs]) -> list[Inputs]:
    """Every period's inputs on the dead-end and chain reduction of the last period's (the most consumers)."""
    shaped = merge_chains(prune_dead_ends(prepared[-1]))
    keep = {"pipes": shaped.pipes, "options": shaped.options, "pipe_members": shaped.pipe_members}
    return [inputs.with_(**keep) for inputs in prepared]


def common_reduction(prepared: list[Inputs]) -> list[Inputs]:
    """`prepared` (one per period) reduced onto the same pipes, DN options and zones (module doc)."""
    shaped = _shared_shape(prepared)
    need = pd.concat([pipe_bounds(inputs)["need_MW_per_K"] for inputs in shaped], axis=1).max(axis=1)
    reduced = [merge_zones(prune_options(inputs, need), need) for inputs in shaped]
    first = reduced[0]
    for inputs in reduced[1:]:
        differ = [name for name, index in _shape(inputs).items() if not index.equals(_shape(first)[name])]
        if differ:
            raise CaseError(
                f"{first.scalars.name}: period {inputs.scalars.name} differs from the first in its {', '.join(differ)}; "
                "every period must keep the same zones, pipes, DN choices, storage sites and new units"
            )
    return reduced


def _shape(inputs: Inputs) -> dict[str, pd.Index]:
    """What must be the same in every period for the staged variables to link."""
    return {
        "zones": inputs.nodes, "pipes": inputs.pipes.index, "DN choices": inputs.options.index,
        "storage sites": inputs.storage_sites.index, "new units": inputs.units.index, "pits": inputs.pits.index,
    }  # fmt: skip


def _unit_items(case) -> pd.DataFrame:
    """Lifetime and fixed O&M [EUR/yr per MW, pits per MWh] of each new unit and pit, from its
    [[new_production]] entry or else the DEA figure."""
    table = technology_table()
    rows = {}
    for entry in case.spec.new_production:
        om = "fixed_om_EUR_per_MWh_yr" if entry.technology == "ptes" else "fixed_om_EUR_per_MW_yr"
        own = [getattr(entry, name) for name in ("lifetime_yr", om)]
        figures = [float(table.at[entry.technology, n] if v is None else v) for n, v in zip(("lifetime_yr", om), own)]
        rows |= {f"{entry.technology}@{node}": figures for node in entry.nodes}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["lifetime_yr", "fixed_om"])


def item_table(case, inputs: Inputs) -> dict[str, pd.DataFrame]:
    """Per staged design variable: lifetime_yr [yr] and fixed_om [EUR/yr per MW, MWh or pipe] by index."""
    spec = case.spec
    hp, st = spec.heat_pump, spec.storage
    units = _unit_items(case)

    def frame(index, lifetime, fixed_om) -> pd.DataFrame:
        return pd.DataFrame({"lifetime_yr": lifetime, "fixed_om": fixed_om}, index=pd.Index(list(index)))

    pits = units.reindex(inputs.pits.index)
    return {
        "campus.hp_capacity_MW": frame(inputs.sources.index, hp.lifetime_yr, hp.fixed_om_EUR_per_MW_yr),
        "campus.units": frame(inputs.sources.index, hp.lifetime_yr, 0.0),
        "storage.capacity_MWh": frame(inputs.storage_sites.index, st.lifetime_yr, st.fixed_om_EUR_per_MWh_yr),
        "pipes.build": frame(inputs.options.index, spec.pipes.lifetime_yr, 0.0),
        "production.capacity_MW": units.reindex(inputs.units.index),
        "pits.capacity_MWh": pits,
        "pits.built": pits.assign(fixed_om=0.0),
    }


def pathway_inputs(pathway: PathwayCase, typical: int | None = None) -> PathwayInputs:
    """The `PathwayInputs` of a pathway case: each period's case on its network, reduced alike, its design
    stage on `typical` (default: the case's) typical days + peak day where the case is two-stage."""
    base = pathway.base
    network = load_network(base.network_path, base.spec.network_options)
    cases = [period_case(pathway, i) for i in range(len(pathway.spec.periods))]
    prepared = [prepare_inputs(c, period_network(pathway, network, i)) for i, c in enumerate(cases)]
    hourly = common_reduction(prepared)
    days = typical or base.spec.horizon.typical_days
    designs = [typical_days(h, days) if uses_two_stage(base.spec.horizon, h) else h for h in hourly]
    return PathwayInputs(
        pathway=pathway,
        network=network,
        years=pathway.years,
        end_year=pathway.spec.end_year,
        discount_rate=base.spec.economics.discount_rate,
        inputs=designs,
        hourly=hourly,
        items=item_table(base, hourly[0]),
    )


def alive(lifetime_yr: float, built: int, start: int, stop: int) -> bool:
    """Whether what is built in year `built` lasts through the period start .. stop - 1 (it retires at the
    start of the first period it would not last through)."""
    return start >= built and stop <= built + lifetime_yr + 1e-9


def remaining_years(lifetime_yr: float, built: int, end: int) -> np.ndarray:
    """The years of its life after the horizon (from `end`) of what is built in year `built`."""
    return np.arange(end, int(np.ceil(built + lifetime_yr - 1e-9)))
