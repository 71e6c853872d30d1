"""Case files: a TOML schema (pydantic) for every parameter, and the hourly time series.

Every parameter has its unit in its name and a documented default (source in the field
description). Paths inside a case resolve relative to the case file.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from dhopt.errors import CaseError
from dhopt.files import input_file_problem, resolved
from dhopt.fleet_case import Fleet
from dhopt.power_case import Backup, Battery, Pv

HOURS_PER_YEAR = 8760
REQUIRED_SERIES = ("outdoor_temperature_degC", "electricity_price_EUR_per_MWh")
RESOLVABLE = {"resolvable": True}
"""Marks a case field that reaches a built model only as costs, bounds or limits (or only the KPIs):
cases differing in such fields re-solve one model in place (`dhopt.reuse`; the inputs it becomes are
declared so in `dhopt.inputs`, and `tests/test_reuse.py` checks the two agree)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # every number finite


class Horizon(_Section):
    start_hour: int = Field(0, ge=0, description="first hour of the time series used [h]")
    hours: int = Field(HOURS_PER_YEAR, ge=1, le=HOURS_PER_YEAR, description="hours modelled [h]")
    method: str = Field(
        "auto",
        pattern="^(auto|monolithic|two_stage)$",
        description="monolithic: one model over all hours; two_stage: design on typical days, then "
        "dispatch all hours with the design fixed; auto: two_stage above 2,000 hours",
    )
    typical_days: int = Field(12, ge=2, le=60, description="typical days for the design stage (tsam)")
    demand_trees: bool = Field(
        True,
        description="each subtree holding only demand behind existing pipes is replaced by what it can receive "
        "in each hour (exact, dhopt/trees.py); false: every zone is a node of the model",
    )


class Temperatures(_Section):
    supply_max_degC: float = Field(80.0, gt=0, lt=150, description="supply at the design outdoor temperature [degC]")
    supply_min_degC: float = Field(65.0, gt=0, lt=150, description="supply in warm weather [degC]")
    design_outdoor_degC: float = Field(
        -12.0, ge=-60, le=30, description="DS 418 design outdoor temperature, Copenhagen [degC]"
    )
    heating_limit_degC: float = Field(
        16.0, ge=-30, le=40, description="outdoor temperature from which supply is at its minimum [degC]"
    )
    return_degC: float = Field(40.0, gt=0, lt=150, description="network return temperature [degC]")
    ground_degC: float = Field(8.0, ge=-20, le=40, description="undisturbed soil temperature at pipe depth [degC]")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.return_degC < self.supply_min_degC <= self.supply_max_degC:
            raise ValueError("expected return_degC < supply_min_degC <= supply_max_degC")
        if not self.design_outdoor_degC < self.heating_limit_degC:
            raise ValueError("expected design_outdoor_degC < heating_limit_degC")
        return self


class Demand(_Section):
    home_annual_heat_MWh: float = Field(18.1, gt=0, le=1000, description="Danish standard house, 130 m2 (DEA) [MWh/yr]")
    connect_all: bool = Field(
        True,
        description="every consumer is to be served: a candidate pipe that is the only way to demand is built "
        "with the DN it needs; false: a consumer is connected only where it pays (set the penalty to the heat price)",
    )
    unmet_penalty_EUR_per_MWh: float = Field(
        10_000.0,
        gt=0,
        le=1e7,
        description="cost of heat not delivered; high, so unmet demand is a last resort [EUR/MWh]",
        json_schema_extra=RESOLVABLE,
    )


class HeatPump(_Section):
    lorenz_efficiency: float = Field(
        0.67,
        gt=0,
        le=1,
        description="share of the Lorenz COP between the network (return -> supply) and the campus cooling "
        "water (in -> out), stream temperatures shifted by approach_K (Reinholdt et al. 2018, "
        "doi:10.18462/iir.gl.2018.1380); 0.67: the mean of what the DEA 2025 nameplate COPs imply at a 5 K "
        "approach, excess heat 10 MW 0.652 (25 -> 15 degC, DH 35/70, COP 5.1), seawater 20 MW 0.675 (4 -> 1 "
        "degC, 40/80, 3.4), air source 10 MW 0.696 (-1 -> -6 degC, 35/70, 3.5); fitted at lifts of 42-67 K "
        "(Drammen, 79 K: 3.00 vs 3.05 published) [-]",
    )
    approach_K: float = Field(
        5.0,
        ge=0,
        le=30,
        description="pinch temperature difference of condenser and evaporator, shifting the stream temperatures "
        "of the Lorenz COP toward the refrigerant (Jensen et al. 2018, doi:10.18462/iir.gl.2018.1386) [K]",
    )
    source_cooling_K: float | None = Field(
        None,
        ge=0,
        le=40,
        description="the campus's cooling water is cooled by this much in the evaporator; default: by the "
        "source's cooling type (dhopt/cooling.py: liquid 10, air 7) [K]",
    )
    investment_EUR_per_MW: float = Field(
        670_000.0,
        ge=0,
        le=1e9,
        description="DEA excess-heat HP 10 MW, 2025 [EUR/MW heat]",
        json_schema_extra=RESOLVABLE,
    )
    fixed_om_EUR_per_MW_yr: float = Field(
        2_000.0, ge=0, le=1e9, description="DEA excess-heat HP [EUR/MW/yr]", json_schema_extra=RESOLVABLE
    )
    variable_om_EUR_per_MWh: float = Field(
        1.7, ge=0, le=1e9, description="DEA excess-heat HP [EUR/MWh heat]", json_schema_extra=RESOLVABLE
    )
    lifetime_yr: float = Field(25.0, gt=0, le=200, description="DEA excess-heat HP [yr]", json_schema_extra=RESOLVABLE)
    max_MW: float | None = Field(
        None, gt=0, le=1e5, description="largest heat-pump capacity per campus [MW heat]", json_schema_extra=RESOLVABLE
    )
    unit_size_MW: float | None = Field(
        None,
        gt=0,
        le=1e5,
        description="if set, capacity is a whole number of units of this size, each with a minimum load",
    )
    min_part_load: float = Field(0.25, ge=0, lt=1, description="DEA minimum load of a unit [-]")
    direct_exchange_approach_K: float = Field(
        3.0, ge=0, description="source heat is fed directly when source >= supply + approach [K]"
    )


class Storage(_Section):
    nodes: list[str] | None = Field(None, description="node ids where storage may be built; default: every source")
    investment_EUR_per_MWh: float = Field(
        3_036.0, ge=0, le=1e9, description="DEA large steel tank, 175 MWh [EUR/MWh]", json_schema_extra=RESOLVABLE
    )
    fixed_om_EUR_per_MWh_yr: float = Field(
        8.8, ge=0, le=1e9, description="DEA large steel tank [EUR/MWh/yr]", json_schema_extra=RESOLVABLE
    )
    lifetime_yr: float = Field(
        40.0, gt=0, le=200, description="DEA large steel tank [yr]", json_schema_extra=RESOLVABLE
    )
    loss_per_hour: float = Field(7.7e-5, ge=0, lt=1, description="DEA tank: 0.186 %/day standing loss [1/h]")
    charge_hours: float = Field(
        60.0, gt=0, le=1e4, description="hours to charge a full tank at its power limit (DEA: 60 h cycle) [h]"
    )
    max_MWh: float = Field(5_000.0, ge=0, le=1e7, description="largest storage per site [MWh]")


class Pipes(_Section):
    fixed_EUR_per_m: float = Field(
        180.0,
        ge=0,
        le=1e9,
        description="fit to DEA distribution pipe costs (2015) [EUR/m]",
        json_schema_extra=RESOLVABLE,
    )
    EUR_per_m_per_mm: float = Field(
        4.0,
        ge=0,
        le=1e9,
        description="fit to DEA distribution pipe costs, per mm of DN [EUR/m/mm]",
        json_schema_extra=RESOLVABLE,
    )
    lifetime_yr: float = Field(40.0, gt=0, le=200, description="DEA DH pipes [yr]", json_schema_extra=RESOLVABLE)
    max_pressure_drop_Pa_per_m: float = Field(
        80.0,
        ge=10,
        le=1000,
        description="hydraulic basis: largest frictional pressure drop at capacity, the upper end of the isoplus "
        "catalogue's 60-80 Pa/m design flows; design guides use 100-200 [Pa/m]",
    )
    max_velocity_m_per_s: float = Field(
        3.0, gt=0, le=10, description="hydraulic basis: largest mean velocity (binds from DN600 at 80 Pa/m) [m/s]"
    )
    roughness_mm: float = Field(0.01, gt=0, le=5, description="absolute wall roughness, new steel [mm]")


MONTHS = 12


def _hourly_number(value):
    """A value that may change in time, checked: a finite number of at least 0, a column of the case's time
    series (its name), or 12 such monthly numbers, January first (a season: the same value in its months)."""
    expected = "expected a number of at least 0, a time-series column name, or a list of 12 monthly numbers"
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{expected}, got an empty name")
        return value.strip()
    items = value if isinstance(value, list) else [value]
    numbers = [v for v in items if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    if len(numbers) != len(items) or min(numbers, default=0) < 0 or (isinstance(value, list) and len(items) != MONTHS):
        raise ValueError(expected)
    return [float(v) for v in value] if isinstance(value, list) else float(value)


HourlyNumber = Annotated[float | str | list[float], BeforeValidator(_hourly_number)]


class Grid(_Section):
    import_limit_MW: HourlyNumber | None = Field(
        None,
        description="electricity import limit of heat pumps and e-boilers: a constant, a time-series column or "
        "12 monthly values [MW]",
        json_schema_extra=RESOLVABLE,
    )
    tariff_EUR_per_MWh: HourlyNumber = Field(
        20.0,
        description="grid tariff and fees on top of the spot price: a constant, a time-series column or 12 "
        "monthly values [EUR/MWh]",
        json_schema_extra=RESOLVABLE,
    )
    co2_t_per_MWh: float = Field(
        0.135,
        ge=0,
        le=10,
        description="DK2 average grid emission factor, 2019 (Energinet) [t/MWh]",
        json_schema_extra=RESOLVABLE,
    )
    connected: bool = Field(
        True,
        description="false: no grid connection; every campus then runs on its own electricity ([pv], [battery], "
        "[backup]) and nothing may draw electricity from the grid",
    )
    export_limit_MW: HourlyNumber = Field(
        0.0,
        description="largest electricity the campuses' own power side ([pv], [battery]) may sell to the grid, all "
        "campuses together: a constant, a time-series column or 12 monthly values; 0: no export [MW]",
        json_schema_extra=RESOLVABLE,
    )
    export_fee_EUR_per_MWh: HourlyNumber = Field(
        0.0,
        description="exported electricity earns the spot price minus this fee (feed-in tariff, balancing), never "
        "more than the import price: a constant, a time-series column or 12 monthly values [EUR/MWh]",
        json_schema_extra=RESOLVABLE,
    )
    export_backup: bool = Field(
        False, description="true: the backup generator's electricity may be exported too; false: PV and battery only"
    )

    @model_validator(mode="after")
    def _no_export_off_grid(self):
        if not self.connected and self.export_limit_MW != 0.0:
            raise ValueError("expected export_limit_MW = 0 (no export) with connected = false (no grid connection)")
        return self


class Economics(_Section):
    discount_rate: float = Field(
        0.04,
        ge=0,
        lt=1,
        description="real discount rate, DK socio-economic (Finansministeriet) [-]",
        json_schema_extra=RESOLVABLE,
    )
    co2_price_EUR_per_t: float = Field(
        80.0, ge=0, le=1e4, description="EU ETS price on direct plant emissions [EUR/t]", json_schema_extra=RESOLVABLE
    )
    year: int | None = Field(
        None, ge=2000, le=2100, description="the year the case plans for (phase_out.forbidden_from, the CO2 price path)"
    )
    co2_price_path_EUR_per_t: dict[int, float] | None = Field(
        None,
        description="CO2 price by year, year -> EUR/t; the case's `year` picks the price (linear between the years "
        "given, the end values beyond them), replacing co2_price_EUR_per_t [EUR/t]",
    )

    @model_validator(mode="after")
    def _path(self):
        path = self.co2_price_path_EUR_per_t
        if path is not None:
            if not path or any(not (0 <= v < 1e6) for v in path.values()):
                raise ValueError("expected co2_price_path_EUR_per_t: year -> a price between 0 and 1e6 EUR/t")
            if self.year is None:
                raise ValueError("expected economics.year with co2_price_path_EUR_per_t (the year picks the price)")
        return self


class Campus(_Section):
    pue: float = Field(
        1.2,
        ge=1.0,
        le=3.0,
        description="power usage effectiveness of the campus, for the ERF and, with its own electricity, "
        "the campus's electricity demand IT x PUE [-]",
        json_schema_extra=RESOLVABLE,
    )
    value_of_lost_compute_EUR_per_MWh: float | None = Field(
        None,
        ge=0,
        description="IT energy not served may be curtailed at this cost (the campus then has its own "
        "electricity balance, dhopt/model/power.py); default: the IT load is served every hour [EUR/MWh IT]",
    )


class Objective(_Section):
    minimise: str = Field(
        "cost",
        pattern="^(cost|co2)$",
        description="cost: least annual cost; co2: least annual CO2 of plants and grid electricity, every "
        "consumer still served (the low end of `dhopt pareto`)",
    )
    co2_cap_t: float | None = Field(
        None,
        ge=0,
        le=1e9,
        description="annual CO2 cap on plants and grid electricity [t/yr]; a tonne above it costs the excess "
        "penalty (half the unmet-demand penalty per MWh over the largest CO2 per MWh of heat), reported",
        json_schema_extra=RESOLVABLE,
    )


class Contract(_Section):
    """The heat contract: it splits the money of the system-optimal plan between campus and utility
    (`dhopt.contract`); it never changes the plan."""

    heat_price_EUR_per_MWh: float | None = Field(
        None,
        ge=0,
        le=1e4,
        description="constant part of the price the utility pays per MWh of paid heat; default: the price that "
        "splits the saving equally between the two (the middle of the bargaining range) [EUR/MWh]",
        json_schema_extra=RESOLVABLE,
    )
    electricity_price_share: float = Field(
        0.0,
        ge=0,
        le=10,
        description="plus this share of the hourly electricity price (spot + grid tariff) [-]",
        json_schema_extra=RESOLVABLE,
    )
    avoided_cost_share: float = Field(
        0.0,
        ge=0,
        le=10,
        description="plus this share of the hourly cost of heat from the avoided plant (fuel, O&M, CO2, "
        "electricity) [-]",
        json_schema_extra=RESOLVABLE,
    )
    avoided_plant: str | None = Field(
        None,
        min_length=1,
        description="plant node whose hourly heat cost indexes the price; default: the plant dearest on average",
        json_schema_extra=RESOLVABLE,
    )
    paid_heat: Literal["waste_heat", "network_heat"] = Field(
        "waste_heat",
        description="waste_heat: the campus heat taken at the campus (before the heat pumps); network_heat: "
        "the heat-pump and direct-exchange output at network temperature",
        json_schema_extra=RESOLVABLE,
    )
    heat_pump_owner: Literal["utility", "campus"] = Field(
        "utility",
        description="who builds, runs and pays for the heat pumps (their annuity, O&M and electricity)",
        json_schema_extra=RESOLVABLE,
    )
    storage_owner: Literal["utility", "campus"] = Field(
        "utility", description="who builds and pays for the heat storage", json_schema_extra=RESOLVABLE
    )
    connection_owner: Literal["utility", "campus"] = Field(
        "utility",
        description="who builds and pays for the new pipes from the campus to the first consumer, plant or "
        "branch point",
        json_schema_extra=RESOLVABLE,
    )
    years: float | None = Field(
        None,
        gt=0,
        le=100,
        description="contract length for the two NPVs; default: the heat-pump lifetime [yr]",
        json_schema_extra=RESOLVABLE,
    )


PRODUCTION_TECHNOLOGIES = (
    "electric_boiler",
    "air_source_hp_1MW",
    "air_source_hp_3MW",
    "air_source_hp_10MW",
    "seawater_hp_20MW",
    "ptes",
)
"""Technologies of `[[new_production]]` (figures: dhopt/data/dea_production.csv)."""
_PTES_ONLY = ("max_MWh", "investment_EUR_per_MWh", "investment_fixed_EUR", "fixed_om_EUR_per_MWh_yr", "loss_per_hour")
_PTES_ONLY += ("charge_hours",)
_HEAT_ONLY = ("max_MW", "investment_EUR_per_MW", "fixed_om_EUR_per_MW_yr", "variable_om_EUR_per_MWh")


class NewProduction(_Section):
    """One candidate technology at one or more network nodes, sized by the model; a key left out takes
    the Danish Energy Agency figure of the technology (dhopt/data/dea_production.csv)."""

    technology: Literal[PRODUCTION_TECHNOLOGIES] = Field(..., description="what may be built")
    nodes: list[str] = Field(..., min_length=1, description="network node ids where it may be built")
    max_MW: float | None = Field(None, gt=0, le=10_000, description="largest heat output per site [MW heat]")
    max_MWh: float | None = Field(
        None, gt=0, le=1e6, description="ptes: largest pit per site; default 13,000 (200,000 m3 at 64 kWh/m3) [MWh]"
    )
    investment_EUR_per_MW: float | None = Field(None, ge=0, le=1e8, description="[EUR/MW heat]")
    fixed_om_EUR_per_MW_yr: float | None = Field(None, ge=0, le=1e7, description="[EUR/MW/yr]")
    variable_om_EUR_per_MWh: float | None = Field(None, ge=0, le=1e4, description="[EUR/MWh heat]")
    lifetime_yr: float | None = Field(None, gt=0, le=100, description="[yr]")
    efficiency: float | None = Field(None, gt=0, le=1, description="electric_boiler: heat per electricity [-]")
    sea_temperature_degC: float | None = Field(
        None, ge=-2, le=35, description="seawater_hp: sea temperature; default 4, the DEA nameplate point [degC]"
    )
    sea_temperature_column: str | None = Field(
        None, min_length=1, description="seawater_hp: time-series column of the hourly sea temperature [degC]"
    )
    investment_EUR_per_MWh: float | None = Field(None, ge=0, le=1e6, description="ptes: per MWh of capacity")
    investment_fixed_EUR: float | None = Field(None, ge=0, le=1e9, description="ptes: per pit built [EUR]")
    fixed_om_EUR_per_MWh_yr: float | None = Field(None, ge=0, le=1e4, description="ptes [EUR/MWh/yr]")
    loss_per_hour: float | None = Field(None, ge=0, lt=1, description="ptes: standing loss [1/h]")
    charge_hours: float | None = Field(None, gt=0, le=10_000, description="ptes: capacity / (dis)charge power [h]")

    @model_validator(mode="after")
    def _applicable(self):
        pit = self.technology == "ptes"
        wrong = [k for k in (_HEAT_ONLY if pit else _PTES_ONLY) if getattr(self, k) is not None]
        wrong += [k for k in ("sea_temperature_degC", "sea_temperature_column") if getattr(self, k) is not None]
        wrong = wrong if self.technology != "seawater_hp_20MW" else [k for k in wrong if not k.startswith("sea_")]
        wrong += ["efficiency"] if self.efficiency is not None and self.technology != "electric_boiler" else []
        if wrong:
            raise ValueError(f"expected no {', '.join(wrong)} for technology '{self.technology}'")
        return self


class PhaseOut(_Section):
    """Caps on existing plants (by default every gas boiler): annual heat, a share of the demand,
    full-load hours, or none at all from a year on; the model builds what replaces them."""

    plants: list[str] | None = Field(None, description="plant node ids capped; default: every gas_boiler plant")
    max_MWh: float | None = Field(None, ge=0, le=1e9, description="their heat per year, together [MWh/yr]")
    max_demand_share: float | None = Field(
        None, ge=0, le=100, description="their heat as a share of the annual heat demand at most [-]"
    )
    max_full_load_hours: float | None = Field(
        None, ge=0, le=8760, description="their heat at most this many hours at full capacity [h/yr]"
    )
    forbidden_from: int | None = Field(
        None, ge=2000, le=2100, description="no heat from them when economics.year is this year or later"
    )

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.max_MWh, self.max_demand_share, self.max_full_load_hours)) or (
            self.forbidden_from is not None
        )


class NetworkOptions(_Section):
    """How a GIS network is read (`dhopt.gis`, `dhopt.topology`); docs/formats.md "GIS networks"."""

    layers: dict[Literal["pipes", "nodes", "consumers", "plants", "sources"], str] = Field(
        default_factory=dict,
        description="layer names by role; a consumers/plants/sources layer gives its features that kind; "
        "default: every layer of the file, lines as pipes, the rest as nodes",
    )
    fields: dict[str, str] = Field(
        default_factory=dict, description='dhopt field -> attribute of the layers, e.g. dn = "DIM", id = "FID"'
    )
    defaults: dict[str, str | float | int] = Field(
        default_factory=dict, description='value of a field a feature lacks, e.g. status = "existing"'
    )
    crs: str | None = Field(
        None, description="projected CRS to reproject into; default: a projected input CRS is kept, a "
        "geographic one goes to the UTM zone of the data's centroid",
    )  # fmt: skip
    snap_tolerance_m: float = Field(
        0.5, gt=0, le=100, description="pipe ends (and nodes) closer than this are one node [m]"
    )
    service_status: Literal["candidate", "existing"] = Field(
        "candidate", description="status of the service line that connects a building no pipe reaches"
    )
    service_dn: int | None = Field(
        None, gt=0, le=1000, description="its DN [mm]: required for existing; candidate: its one DN (default: any)"
    )

    @model_validator(mode="after")
    def _service(self):
        if self.service_status == "existing" and self.service_dn is None:
            raise ValueError("expected service_dn for existing service lines")
        return self


class CaseSpec(_Section):
    """The whole case file."""

    name: str = Field(..., min_length=1, json_schema_extra=RESOLVABLE)
    description: str = Field("", description="free text, shown in reports", json_schema_extra=RESOLVABLE)
    network: str = Field(..., description="network file, relative to the case file")
    timeseries: str = Field(..., description="hourly CSV, relative to the case file")
    network_options: NetworkOptions | None = None
    horizon: Horizon = Horizon()
    temperatures: Temperatures = Temperatures()
    demand: Demand = Demand()
    heat_pump: HeatPump = HeatPump()
    storage: Storage = Storage()
    pipes: Pipes = Pipes()
    grid: Grid = Grid()
    economics: Economics = Economics()
    campus: Campus = Campus()
    objective: Objective = Objective()
    contract: Contract = Contract()
    new_production: list[NewProduction] = Field(
        [], description="candidate new heat production and pit storage, sized by the model"
    )
    phase_out: PhaseOut = PhaseOut()

    @model_validator(mode="after")
    def _phase_out_year(self):
        if self.phase_out.forbidden_from is not None and self.economics.year is None:
            raise ValueError("expected economics.year with phase_out.forbidden_from (the year it is compared with)")
        return self

    pv: Pv | None = Field(None, description="on-site PV of every campus (dhopt/model/power.py)")
    battery: Battery | None = Field(None, description="battery of every campus (dhopt/model/power.py)")
    backup: Backup | None = Field(None, description="backup generator of every campus (dhopt/model/power.py)")
    fleet: Fleet | None = Field(None, description="small data-center units in buildings (dhopt/model/fleet.py)")

    @property
    def own_power(self) -> bool:
        """Whether the campuses have their own electricity balance (any of PV, battery, backup, no grid or
        curtailable IT load): `dhopt.model.power`; else the IT load and its heat are fixed."""
        given = (self.pv, self.battery, self.backup, self.campus.value_of_lost_compute_EUR_per_MWh)
        return any(part is not None for part in given) or not self.grid.connected


@dataclass(frozen=True)
class Case:
    """A validated case: its parameters, resolved file paths and the hourly series of its horizon."""

    spec: CaseSpec
    path: Path
    network_path: Path
    timeseries_path: Path
    timeseries: pd.DataFrame  # index: hour of year; one column per series (the horizon's rows)
    series_peak: pd.Series  # largest value of each column over the whole file (for peak-based demand)

    @property
    def hours(self) -> int:
        return len(self.timeseries)


def resolvable_fields() -> dict[str, dict[str, bool]]:
    """Case fields marked `RESOLVABLE`, by section ("" for the top level): name -> whether the field is
    optional (default None), so that whether it is given at all still shapes the model (a limit or a cap)."""

    def marked(model: type[BaseModel]) -> dict[str, bool]:
        items = model.model_fields.items()
        return {n: f.default is None for n, f in items if f.json_schema_extra == RESOLVABLE}

    sections = {"": marked(CaseSpec)}
    for section, spec in CaseSpec.model_fields.items():
        annotation = spec.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and marked(annotation):
            sections[section] = marked(annotation)
    return sections


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _section_model(loc: tuple) -> type[BaseModel]:
    model: type[BaseModel] = CaseSpec
    for part in loc[:-1]:
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return model


def _describe(path: Path, error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        known = _field_names(_section_model(error["loc"]))
        close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
        return f"{path}: key '{where}': unknown key{hint}"
    got = error.get("input")
    got_text = "" if isinstance(got, dict) else f", got {got!r}"
    return f"{path}: key '{where}': {error['msg'].removeprefix('Value error, ')}{got_text}"


def parse_case_spec(path: Path, data: dict) -> CaseSpec:
    """Validate a case dictionary; every problem becomes one line of a `CaseError`."""
    try:
        return CaseSpec.model_validate(data)
    except ValidationError as error:
        raise CaseError([_describe(path, e) for e in error.errors()]) from None


def read_timeseries(path: Path, horizon: Horizon) -> tuple[pd.DataFrame, pd.Series]:
    """Read the hourly CSV: the rows of the horizon (checked for gaps and non-numbers) and each
    column's largest value over the whole file."""
    problem = input_file_problem(path)
    if problem:
        raise CaseError(f"{path}: time series file {problem}")
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", na_filter=False, dtype=str)  # a cell's own text in errors
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise CaseError(f"{path}: not a readable CSV file ({str(error).splitlines()[0]})") from None
    problems = [f"{path}: column '{c}': missing (expected hourly values)" for c in REQUIRED_SERIES if c not in frame]
    end = horizon.start_hour + horizon.hours
    if len(frame) < end:
        problems.append(
            f"{path}: expected at least {end} hourly rows for horizon start_hour={horizon.start_hour} "
            f"hours={horizon.hours}, got {len(frame)}"
        )
    if problems:
        raise CaseError(problems)
    if "hour" in frame:
        hours = pd.to_numeric(frame["hour"], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(hours)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise CaseError(
                f"{path}: row {row + 2}: column 'hour': expected a whole hour number, got {frame['hour'].iloc[row]!r}"
            )
        steps = np.diff(hours)
        if len(steps) and not np.all(steps == 1):
            row = int(np.flatnonzero(steps != 1)[0]) + 3
            raise CaseError(f"{path}: row {row}: column 'hour': expected consecutive hours, found a gap or repeat")
        frame = frame.drop(columns="hour").set_axis(pd.Index(hours.astype(int), name="hour"))
    peak = frame.apply(pd.to_numeric, errors="coerce").max()
    frame = frame.iloc[horizon.start_hour : end]
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(numeric.to_numpy(dtype=float))
    for column_index in np.flatnonzero(bad.any(axis=0)):
        row = int(np.flatnonzero(bad[:, column_index])[0]) + horizon.start_hour + 2
        column = frame.columns[column_index]
        problems.append(
            f"{path}: row {row}: column '{column}': expected a number, got {frame.iloc[row - horizon.start_hour - 2, column_index]!r}"
        )
    for column, (low, high, expected) in SERIES_RANGES.items():
        outside = np.flatnonzero(
            ~bad[:, frame.columns.get_loc(column)] & ~numeric[column].between(low, high).to_numpy()
        )
        if outside.size:
            row = int(outside[0])
            problems.append(
                f"{path}: row {row + horizon.start_hour + 2}: column '{column}': expected {expected}, got "
                f"{frame[column].iloc[row]!r}"
            )
    if problems:
        raise CaseError(problems)
    return numeric.astype(float), peak


SERIES_RANGES = {  # physical ranges of the required series: low, high, what is expected
    "outdoor_temperature_degC": (-90.0, 60.0, "an outdoor temperature between -90 and 60 degC"),
    "electricity_price_EUR_per_MWh": (-1000.0, 10000.0, "a price between -1,000 and 10,000 EUR/MWh"),
}
"""Beyond any weather on record and any European day-ahead market limit (-500 to 4,000-5,000 EUR/MWh)."""


def read_toml(path: Path, what: str = "case") -> dict:
    """Parse a TOML file (never executed); a missing or malformed file is a one-line `CaseError`."""
    problem = input_file_problem(path)
    if problem:
        raise CaseError(f"{path}: {what} file {problem}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a byte-order mark is accepted
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CaseError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise CaseError(f"{path}: {what} file cannot be read ({error.strerror or error})") from None


def load_case(path: str | Path) -> Case:
    """Read and validate a case file and its time series (the network is loaded separately)."""
    path = Path(path)
    return case_from_dict(path, read_toml(path))


def case_from_dict(path: Path, data: dict) -> Case:
    """Build a `Case` from an already parsed case dictionary (used by sweeps and tests)."""
    spec = parse_case_spec(path, data)
    base = path.parent
    network_path = resolved(base / spec.network, f"{path}: key 'network'")
    if not network_path.exists():
        raise CaseError(f"{path}: key 'network': file not found: {network_path}")
    timeseries_path = resolved(base / spec.timeseries, f"{path}: key 'timeseries'")
    series, peak = read_timeseries(timeseries_path, spec.horizon)
    _check_hourly_columns(path, timeseries_path, spec, series)
    return Case(spec, path, network_path, timeseries_path, series, peak)


def _check_hourly_columns(path: Path, timeseries_path: Path, spec: CaseSpec, series: pd.DataFrame) -> None:
    """A case value given as a time-series column (`HourlyNumber`) names a column of the series, whose
    numbers are at least 0 over the horizon."""
    problems = []
    for key, value in (
        ("grid.import_limit_MW", spec.grid.import_limit_MW),
        ("grid.tariff_EUR_per_MWh", spec.grid.tariff_EUR_per_MWh),
        ("grid.export_limit_MW", spec.grid.export_limit_MW),
        ("grid.export_fee_EUR_per_MWh", spec.grid.export_fee_EUR_per_MWh),
    ):
        if not isinstance(value, str):
            continue
        if value not in series:
            problems.append(
                f"{path}: key '{key}': expected a column of {timeseries_path.name} or a number, got {value!r} (no such column)"
            )
        elif (series[value] < 0).any():
            row = int(np.flatnonzero(series[value].to_numpy() < 0)[0])
            problems.append(
                f"{timeseries_path}: row {row + spec.horizon.start_hour + 2}: column '{value}' ({key}): expected a "
                f"number of at least 0, got {series[value].iloc[row]:g}"
            )
    if problems:
        raise CaseError(problems)
