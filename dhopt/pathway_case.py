"""Pathway case files: a one-year case plus `[pathway]` and `[[periods]]`, and the case of each period.

A pathway case is an ordinary case (its keys are the first period's starting point) with

- ``[[periods]]``: investment periods in year order, each overriding what changes by then: ``it_load_scale``
  (every campus's IT load, so its heat), ``demand_scale`` (every consumer's heat), ``electricity_price_scale``
  (the spot price), ``retired_plants`` (plant ids with no capacity from that year on, cumulative), and
  ``case``: any case sections deep-merged into the case (``economics``, ``grid``, ``phase_out``,
  ``heat_pump``, ``storage``, ``contract``, ``campus``, ``timeseries``); ``economics.year`` is the period's year,
  so ``co2_price_path_EUR_per_t`` and ``phase_out.forbidden_from`` follow the periods;
- ``[pathway]``: ``end_year`` (the horizon ends on 1 January of it; default: the last period lasts as long as
  the one before), per-period limits on what is built (``max_pipe_m_per_period``, ``max_MW_per_period``,
  ``max_investment_EUR_per_period``), and ``[[pathway.joins]]``: consumers (ids or shell patterns, or all
  inside ``box_m = [x_min, y_min, x_max, y_max]``) with no heat demand before ``year``.
"""

from __future__ import annotations

import copy
import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dhopt.case import Case, case_from_dict, read_toml
from dhopt.errors import CaseError
from dhopt.network import Network

PATHWAY_KEYS = ("pathway", "periods")
FIXED_SECTIONS = (
    "name", "network", "network_options", "horizon", "temperatures", "demand", "pipes", "objective",
    "new_production", "pv", "battery", "backup",
)  # fmt: skip
"""Case keys a period may not override: they shape the network or the model, the same in every period."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Join(_Strict):
    """Consumers that are not on the network before `year` (no heat demand then)."""

    year: int = Field(..., ge=2000, le=2100, description="first year with their demand")
    consumers: list[str] | None = Field(None, min_length=1, description="consumer ids or shell patterns (C_1*)")
    box_m: tuple[float, float, float, float] | None = Field(
        None, description="every consumer with x_min <= x_m <= x_max and y_min <= y_m <= y_max [m]"
    )

    @model_validator(mode="after")
    def _one_way(self):
        if (self.consumers is None) == (self.box_m is None):
            raise ValueError("expected exactly one of consumers or box_m")
        return self


class Period(_Strict):
    """One investment period: its first year and what differs from the case by then."""

    year: int = Field(..., ge=2000, le=2100, description="first year of the period")
    it_load_scale: float = Field(1.0, ge=0, le=100, description="every campus's IT load x this [-]")
    demand_scale: float = Field(1.0, ge=0, le=100, description="every consumer's annual heat x this [-]")
    electricity_price_scale: float = Field(1.0, ge=0, le=100, description="the spot price x this [-]")
    retired_plants: list[str] = Field([], description="plant ids with no capacity from this period on")
    case: dict = Field({}, description="case sections deep-merged into the case for this period")


class Pathway(_Strict):
    end_year: int | None = Field(None, ge=2001, le=2200, description="the horizon ends on 1 January of this year")
    max_pipe_m_per_period: float | None = Field(None, ge=0, description="pipe trench laid in one period [m]")
    max_MW_per_period: float | None = Field(None, ge=0, description="heat pumps and new units built in one period [MW]")
    max_investment_EUR_per_period: float | None = Field(None, ge=0, description="overnight investment per period [EUR]")
    joins: list[Join] = Field([], description="consumers joining in a later year")


class PathwaySpec(_Strict):
    pathway: Pathway = Pathway()
    periods: list[Period] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _ordered(self):
        years = [p.year for p in self.periods]
        if any(b <= a for a, b in zip(years, years[1:])):
            raise ValueError(f"expected periods in increasing year order, got years {years}")
        if self.pathway.end_year is not None and self.pathway.end_year <= years[-1]:
            raise ValueError(f"expected pathway.end_year after the last period ({years[-1]})")
        fixed = [f"periods.{i}.case.{k}" for i, p in enumerate(self.periods) for k in p.case if k in FIXED_SECTIONS]
        if fixed:
            raise ValueError(f"expected no override of {', '.join(fixed)} (the same in every period)")
        return self

    @property
    def end_year(self) -> int:
        """1 January of the year after the horizon: `end_year`, or the last period as long as the one before."""
        years = [p.year for p in self.periods]
        if self.pathway.end_year is not None:
            return self.pathway.end_year
        return years[-1] + (years[-1] - years[-2] if len(years) > 1 else 1)


@dataclass(frozen=True)
class PathwayCase:
    """A pathway case: the base case (the file without `PATHWAY_KEYS`), its parsed dictionary and the pathway."""

    base: Case
    data: dict
    spec: PathwaySpec

    @property
    def years(self) -> list[int]:
        return [p.year for p in self.spec.periods]


def load_pathway(path: str | Path) -> PathwayCase:
    """Read a pathway case file: the base case as `dhopt.case.load_case` reads it, and its periods."""
    path = Path(path)
    data = read_toml(path)
    if "periods" not in data:
        raise CaseError(f"{path}: key 'periods': missing (a pathway case lists its [[periods]], each with a year)")
    try:
        spec = PathwaySpec.model_validate({k: data[k] for k in PATHWAY_KEYS if k in data})
    except ValidationError as error:
        raise CaseError([_problem(path, e) for e in error.errors()]) from None
    base = {k: v for k, v in data.items() if k not in PATHWAY_KEYS}
    base = _merged({"economics": {"year": spec.periods[0].year}}, base)  # the first period's, unless given
    case = case_from_dict(path, base)
    if case.spec.own_power or case.spec.objective.minimise != "cost":
        raise CaseError(f"{path}: a pathway minimises cost on the grid: expected no [pv], [battery], [backup], "
                        "value of lost compute, grid.connected = false or objective.minimise = 'co2'")  # fmt: skip
    return PathwayCase(case, base, spec)


def _problem(path: Path, error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    got = error.get("input")
    got_text = "" if isinstance(got, dict | list) else f", got {got!r}"
    return f"{path}: key '{where}': {error['msg'].removeprefix('Value error, ')}{got_text}"


def _merged(base: dict, override: dict) -> dict:
    """`base` with `override` merged in, table by table (a value replaces, a table merges)."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def period_case(pathway: PathwayCase, position: int) -> Case:
    """The one-year case of period `position`: the case with the period's `case` merged in, its year as
    ``economics.year`` and its spot price scaled."""
    period = pathway.spec.periods[position]
    data = _merged(pathway.data, {"economics": {"year": period.year}} | period.case)
    data = _merged(data, {"name": f"{pathway.base.spec.name}_{period.year}"})
    try:
        case = case_from_dict(pathway.base.path, data)
    except CaseError as error:
        raise CaseError([f"{line} (periods.{position}, year {period.year})" for line in error.problems]) from None
    series = case.timeseries.assign(
        electricity_price_EUR_per_MWh=case.timeseries["electricity_price_EUR_per_MWh"] * period.electricity_price_scale
    )
    return replace(case, timeseries=series)


def joined(pathway: PathwayCase, network: Network, year: int) -> np.ndarray:
    """Which consumers of `network` (in node order, all nodes) are on the network in `year`."""
    nodes = network.nodes
    on = np.ones(len(nodes), dtype=bool)
    for position, join in enumerate(pathway.spec.pathway.joins):
        if join.box_m is not None:
            x0, y0, x1, y1 = join.box_m
            inside = nodes["x_m"].between(x0, x1).to_numpy() & nodes["y_m"].between(y0, y1).to_numpy()
        else:
            inside = np.array([any(fnmatch.fnmatchcase(str(i), pat) for pat in join.consumers) for i in nodes.index])
        inside &= (nodes["kind"] == "consumer").to_numpy()
        if not inside.any():
            raise CaseError(f"{pathway.base.path}: key 'pathway.joins.{position}': expected consumers of "
                            f"{network.path}, got none matching")  # fmt: skip
        if year < join.year:
            on &= ~inside
    return on


def period_network(pathway: PathwayCase, network: Network, position: int) -> Network:
    """`network` in period `position`: consumers not yet joined without demand, the others' heat and every
    campus's IT load scaled, retired plants (of this and earlier periods) without capacity or must-run."""
    periods = pathway.spec.periods
    period = periods[position]
    nodes = network.nodes.copy()
    consumer = (nodes["kind"] == "consumer").to_numpy()
    scale = np.where(joined(pathway, network, period.year), period.demand_scale, 0.0)
    for column in ("homes", "annual_heat_MWh", "peak_kW"):
        nodes[column] = np.where(consumer, nodes[column].to_numpy(dtype=float) * scale, nodes[column])
    source = (nodes["kind"] == "source").to_numpy()
    nodes["it_load_MW"] = np.where(source, nodes["it_load_MW"] * period.it_load_scale, nodes["it_load_MW"])
    retired = [plant for earlier in periods[: position + 1] for plant in earlier.retired_plants]
    unknown = [p for p in retired if p not in nodes.index or nodes.at[p, "kind"] != "plant"]
    if unknown:
        raise CaseError(f"{pathway.base.path}: key 'periods.{position}.retired_plants': expected plant ids of "
                        f"{network.path}, got {', '.join(map(repr, unknown))}")  # fmt: skip
    nodes.loc[retired, ["capacity_MW", "must_run_MW"]] = 0.0
    return replace(network, nodes=nodes)
