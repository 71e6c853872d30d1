"""Turn a case and its network into the component tables and named scalars the model is built from.

Everything that can be computed once (temperatures, COPs, demand, pipe options with their
capacities, losses and annual costs, annuities, penalties) is computed here with numpy, so the
model layer only assembles constraints and reads nothing but `Inputs`.

Every input is declared once, with how a re-solve may change it (`RESOLVE`): ``STRUCTURAL`` inputs
shape the model (a change builds it anew); ``COST``, ``BOUNDS`` and ``ROWS`` inputs reach a built model
only through its objective coefficients, its column bounds or the right-hand side of the row limits
(grid import and export limits, CO2 cap, plant cap), so a model kept in HiGHS takes a new value in place (`dhopt.reuse`); ``RESULTS`` inputs reach only
the KPIs. A table whose columns differ in this names its re-solvable columns. The structural hash and
the in-place update are derived from these declarations (`structural_items`, `resolve_channels`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from dhopt import physics
from dhopt.case import Case
from dhopt.cooling import cooling_default
from dhopt.errors import CaseError
from dhopt.fleet_inputs import fleet_tables
from dhopt.network import Network
from dhopt.power_inputs import POWER_COLUMNS, hourly_power, power_table
from dhopt.production_inputs import co2_price_EUR_per_t, phase_out, pit_tables, unit_tables

STRUCTURAL = "structural"  # shapes the model: sets, matrix coefficients, structural bounds
COST = "cost"  # objective coefficients and constant only
BOUNDS = "bounds"  # column bounds only
ROWS = "rows"  # right-hand side of the row limits (`dhopt.model.ROW_LIMITS`) only
RESULTS = "results"  # reaches only the KPIs, not the model


def declared(doc: str, resolve: str = STRUCTURAL, columns: tuple[str, ...] = (), structure: Callable | None = None):
    """A dataclass field with its documentation and how a re-solve may change it: `resolve` for the
    whole input, or for its `columns` only (a table); `structure(value, owner)` is the part of a
    re-solvable input that still shapes the model (e.g. whether there is an import limit at all)."""
    return field(metadata={"doc": doc, "resolve": resolve, "columns": columns, "structure": structure})


@dataclass(frozen=True)
class Scalars:
    """Named scalars of the model, each computed once from the case."""

    name: str = declared("case name", RESULTS)
    home_annual_heat_MWh: float = declared("annual heat of a standard home [MWh/yr]", RESULTS)
    pue: float = declared("campus power usage effectiveness, for the energy reuse factor [-]", RESULTS)
    hp_annual_EUR_per_MW: float = declared("heat-pump annuity x investment + fixed O&M [EUR/yr per MW]", COST)
    hp_variable_om_EUR_per_MWh: float = declared("heat-pump variable O&M [EUR/MWh heat]", COST)
    hp_unit_MW: float | None = declared("heat-pump unit size; None: continuous capacity [MW]")
    hp_min_part_load: float = declared("lowest load of a running unit, share of its size [-]")
    storage_annual_EUR_per_MWh: float = declared("storage annuity x investment + fixed O&M [EUR/yr per MWh]", COST)
    storage_keep_per_h: float = declared("share of stored heat kept over an hour, 1 - loss [-]")
    storage_power_per_MWh: float = declared("charge and discharge power per MWh of capacity [MW/MWh]")
    minimise_co2: bool = declared("objective: annual CO2 [t/yr] instead of annual cost [EUR/yr]")
    co2_cap_t: float | None = declared("annual CO2 cap; None: none [t/yr]", ROWS, structure=lambda v, _: v is None)
    co2_excess_EUR_per_t: float = declared("cost of a tonne above the CO2 cap [EUR/t]", COST)
    plant_cap_MWh: float | None = declared(
        "phase-out: annual heat of the capped plants together; None: no cap [MWh/yr]",
        ROWS,
        structure=lambda v, _: v is None,
    )
    unmet_co2_t_per_MWh: float = declared("weight of unmet heat in the CO2 objective [t/MWh]", COST)
    connect_all: bool = declared("every consumer is to be served (sole feeds forced, tree cuts with share 1)")
    demand_trees: bool = declared("demand trees joined to their hosts before a model is built (`dhopt.trees`)")
    unmet_penalty_EUR_per_MWh: float = declared("cost of heat not delivered [EUR/MWh]", COST)
    grid_co2_t_per_MWh: float = declared(
        "grid emission factor [t/MWh]; a coefficient of the CO2 cap and objective, when there are",
        RESULTS,
        structure=lambda v, scalars: v if scalars.co2_cap_t is not None or scalars.minimise_co2 else None,
    )
    discount_rate: float = declared("real discount rate, for the contract's NPVs [-]", RESULTS)
    heat_price_EUR_per_MWh: float = declared(
        "contract: constant part of the heat price; NaN: the middle of the bargaining range [EUR/MWh]", RESULTS
    )
    paid_heat: str = declared("contract: heat paid for, waste_heat or network_heat", RESULTS)
    heat_pump_owner: str = declared("contract: owner of the heat pumps, utility or campus", RESULTS)
    storage_owner: str = declared("contract: owner of the storage, utility or campus", RESULTS)
    connection_owner: str = declared("contract: owner of the campus's new connection pipes", RESULTS)
    contract_years: float = declared("contract length for the NPVs [yr]", RESULTS)
    pipe_annuity: float = declared("annuity factor of pipes [1/yr]", RESULTS)
    pipe_fixed_EUR_per_m: float = declared("pipe cost per metre [EUR/m]", RESULTS)
    pipe_EUR_per_m_per_mm: float = declared("pipe cost per metre and mm of DN [EUR/m/mm]", RESULTS)
    # (the pipe cost figures reach the model only through `Inputs.options["annual_cost_EUR"]`)
    max_pressure_drop_Pa_per_m: float = declared("hydraulic basis: frictional pressure drop at capacity [Pa/m]")
    max_velocity_m_per_s: float = declared("hydraulic basis: largest mean velocity [m/s]")
    roughness_m: float = declared("absolute roughness of the pipe wall [m]")
    fleet_flexible_share: float = declared("share of the fleet's compute that may run on any unit [-]")
    fleet_deferrable: bool = declared("the fleet's flexible compute may also move within each day")

    def pipe_annual_EUR(self, length_m: np.ndarray, dn_mm: np.ndarray) -> np.ndarray:
        """Annual cost of new pipes: a L (c_fixed + c_dn DN) [EUR/yr]."""
        return self.pipe_annuity * length_m * (self.pipe_fixed_EUR_per_m + self.pipe_EUR_per_m_per_mm * dn_mm)


@dataclass(frozen=True)
class Inputs:
    """Model-ready data. Time-indexed frames have one row per time step (index ``time``)."""

    weight_h: np.ndarray = declared("hours of the year each time step stands for [h]")
    supply_degC: pd.Series = declared("network supply temperature [degC]")
    delta_t_K: pd.Series = declared("supply minus return temperature [K]")
    loss_drive_K: pd.Series = declared("(T_s - T_g) + (T_r - T_g) [K]")
    electricity_EUR_per_MWh: pd.Series = declared("spot price plus grid tariff [EUR/MWh]", COST)
    import_limit_MW: pd.Series | None = declared(
        "electricity import limit of heat pumps and e-boilers in each time step; None: none [MW]",
        ROWS,
        structure=lambda v, _: v is None,
    )
    export_limit_MW: pd.Series = declared(
        "electricity the campuses' own power sides may sell to the grid together in each step; 0 off-grid [MW]",
        ROWS,
        structure=lambda _, owner: owner.exports,
    )
    export_price_EUR_per_MWh: pd.Series = declared(
        "price of exported electricity: spot price minus export fee, at most the import price [EUR/MWh]", COST
    )
    nodes: pd.Index = declared("node ids (after reduction: zone ids)")
    profile_share: pd.DataFrame = declared("time x consumer profile: share of a consumer's annual heat [1/h]")
    fixed_loss_MW_per_K: pd.Series = declared("node: half the loss conductance of its fixed pipes [MW/K]")
    consumers: pd.DataFrame = declared("id: node, profile, annual_heat_MWh, homes_equivalent")
    sources: pd.DataFrame = declared(
        "id: node, it_load_MW, recovered_share, source_temperature_degC, hp_max_MW", BOUNDS, ("hp_max_MW",)
    )
    source_heat_MW: pd.DataFrame = declared("time x source: recoverable heat [MW]")
    cop: pd.DataFrame = declared("time x source: heat-pump COP, return to supply temperature [-]")
    direct_ok: pd.DataFrame = declared("time x source: source hot enough for direct exchange")
    storage_sites: pd.Series = declared("node -> largest storage there [MWh] (it bounds pipe flows)")
    plants: pd.DataFrame = declared(
        "id: node, technology, capacity_MW, must_run_MW, co2_t_per_MWh", BOUNDS, ("capacity_MW", "must_run_MW")
    )
    plant_cost_EUR_per_MWh: pd.DataFrame = declared("time x plant: fuel, O&M, CO2 and electricity [EUR/MWh]", COST)
    plant_electricity_per_heat: pd.Series = declared("plant: MWh electricity per MWh heat (e-boilers) [-]")
    units: pd.DataFrame = declared(
        "new heat production, id (technology@node): node, technology, max_MW", BOUNDS, ("max_MW",)
    )
    unit_cost: pd.DataFrame = declared(
        "unit: annual_EUR_per_MW (annuity x investment + fixed O&M) [EUR/yr per MW], variable_om_EUR_per_MWh", COST
    )
    unit_cop: pd.DataFrame = declared("time x unit: heat per electricity, COP or boiler efficiency [-]")
    pits: pd.DataFrame = declared(
        "pit storage, id (ptes@node): node, max_MWh (it bounds pipe flows), keep_per_h [-], power_per_MWh [MW/MWh]"
    )
    pit_cost: pd.DataFrame = declared(
        "pit: annual_EUR_per_MWh [EUR/yr per MWh], fixed_annual_EUR (annuity of the part per pit built) [EUR/yr]", COST
    )
    heat_price_index_EUR_per_MWh: pd.Series = declared(
        "contract: indexed part of the heat price, a x electricity price + b x avoided plant's cost [EUR/MWh]",
        RESULTS,
    )
    power: pd.DataFrame = declared(
        "campus with its own electricity (dhopt/model/power.py): PUE, efficiencies, backup CO2 [t/MWh el] and "
        "the bounds of capacities [MWp, MWh, MW], grid import [MW] and curtailment (`dhopt.power_inputs`)",
        BOUNDS,
        POWER_COLUMNS["bounds"],
    )
    power_cost: pd.DataFrame = declared(
        "campus of `power`: annual costs of PV, battery energy and power, backup [EUR/yr per MWp, MWh, MW]; "
        "backup electricity and lost compute [EUR/MWh]",
        COST,
    )
    pv_yield_MW_per_MWp: pd.DataFrame = declared("time x campus of `power`: PV AC output per MWp (pvlib) [MW/MWp]")
    it_load_MW: pd.DataFrame = declared("time x campus of `power`: IT load to serve, IT load x utilisation [MW]")
    fleet: pd.DataFrame = declared(
        "fleet unit (dhopt/model/fleet.py): host, node, it_MW, recovered_share, export, hp_max_MW [MW], "
        "annual_EUR_per_MW [EUR/yr per MW], variable_om_EUR_per_MWh, investment_EUR_per_MW (`dhopt.fleet_inputs`)"
    )
    fleet_demand_MW: pd.DataFrame = declared("time x fleet unit: heat demand of the unit's host building [MW]")
    fleet_el_per_heat_building: pd.DataFrame = declared(
        "time x fleet unit: electricity per heat to the host, 1/COP or 0 for direct exchange [-]"
    )
    fleet_el_per_heat_network: pd.DataFrame = declared(
        "time x fleet unit: electricity per heat into the network, 1/COP or 0 for direct exchange [-]"
    )
    fleet_compute_MW: pd.Series = declared("the fleet's total IT load in each step [MW IT]")
    pipes: pd.DataFrame = declared(
        "id: from_node, to_node, length_m, status, dn, inner_diameter_m (NaN: the DN's); after reduction "
        "direction (+1: heat flows from -> to only, -1: to -> from only, 0: either way)"
    )
    options: pd.DataFrame = declared(
        "(pipe, dn): capacity_MW_per_K, limit_MW_per_K, loss_MW_per_K, annual_cost_EUR (an existing pipe: its "
        "installed DN at no cost, plus any upgrade DNs at the cost of the new pipe)",
        COST,
        ("annual_cost_EUR",),
    )
    node_zone: pd.Series = declared("original node id -> node of this model (identity before reduction)")
    pipe_members: pd.Series = declared("original pipe id -> pipe of this model ('' when reduction removed it)")
    scalars: Scalars = declared("named scalars (each declared in `Scalars`)")
    forced_dn: pd.Series | None = declared("original candidate pipe -> DN it must be built with (connect_all)")
    forced_cost_EUR: float = declared("annual cost of those pipes, a constant of the objective [EUR/yr]", COST)
    tree_zones: pd.DataFrame | None = declared(
        "demand trees (`dhopt.trees`), zone: host, parent ('' for a host), pipe from the parent, sign (+1: the "
        "pipe runs parent -> zone), dn, capacity_MW_per_K, loss_MW_per_K, has_demand; None: not collapsed"
    )
    tree_MW: pd.DataFrame | None = declared("time x (quantity, zone) of `dhopt.trees.QUANTITIES` [MW]")
    period_hours: int | None = declared("typical periods of this length: storage levels are relative within each")
    period_sequence: np.ndarray | None = declared("typical period standing for each period of the horizon, in order")

    @property
    def exports(self) -> bool:
        """Whether a campus may sell to the grid: a power side and an export limit above 0 in some step (else
        the model has no export columns or rows, and a case without export is built as before)."""
        return len(self.power) > 0 and bool((self.export_limit_MW.to_numpy() > 0).any())

    def with_(self, **changes) -> Inputs:
        return replace(self, **changes)

    def annual_heat_MWh(self) -> pd.DataFrame:
        """Annual heat of the consumers of each profile at each node [MWh] (profile x node, 0 where none)."""
        per_node = self.consumers.groupby(["profile", "node"])["annual_heat_MWh"].sum()
        table = per_node.unstack("node") if len(per_node) else pd.DataFrame()
        return table.reindex(index=self.profile_share.columns, columns=self.nodes).fillna(0.0)

    @property
    def demand_MW(self) -> pd.DataFrame:
        """Consumer demand per step and node [MW]: demand = profile_share [time x profile] @
        annual_heat_MWh [profile x node]. Dense (time x node): form it for the model's nodes (zones
        after reduction); for a large unreduced network use the two factors."""
        demand = self.profile_share.to_numpy() @ self.annual_heat_MWh().to_numpy()
        return pd.DataFrame(demand, index=self.profile_share.index, columns=self.nodes)

    def at_steps(
        self, positions: np.ndarray, weight_h: np.ndarray, period_hours: int, sequence: np.ndarray | None = None
    ) -> Inputs:
        """The same inputs restricted to the time steps at `positions`, each standing for `weight_h` hours,
        grouped in periods of `period_hours`; `sequence` orders the periods over the horizon."""
        rows = {
            name: getattr(self, name).iloc[positions] if getattr(self, name) is not None else None
            for name in (
                "supply_degC",
                "delta_t_K",
                "loss_drive_K",
                "electricity_EUR_per_MWh",
                "import_limit_MW",
                "export_limit_MW",
                "export_price_EUR_per_MWh",
                "profile_share",
                "source_heat_MW",
                "cop",
                "unit_cop",
                "direct_ok",
                "plant_cost_EUR_per_MWh",
                "heat_price_index_EUR_per_MWh",
                "pv_yield_MW_per_MWp",
                "it_load_MW",
                "tree_MW",
                "fleet_demand_MW",
                "fleet_el_per_heat_building",
                "fleet_el_per_heat_network",
                "fleet_compute_MW",
            )
        }
        return replace(
            self,
            weight_h=np.asarray(weight_h, dtype=float),
            period_hours=period_hours,
            period_sequence=sequence,
            **rows,
        )


def _declared_items(instance) -> Iterator[tuple[str, object, dict]]:
    """(name, value, declaration) of every field of `Inputs` or `Scalars`, scalars flattened."""
    for spec in fields(instance):
        value = getattr(instance, spec.name)
        if isinstance(value, Scalars):
            yield from ((f"scalars.{n}", v, d) for n, v, d in _declared_items(value))
        else:
            yield spec.name, value, spec.metadata


def structural_items(inputs: Inputs) -> Iterator[tuple[str, object]]:
    """(name, value) of everything in `inputs` that shapes the model: structural inputs whole, tables
    without their re-solvable columns, and of a re-solvable input only its declared `structure`."""
    for name, value, spec in _declared_items(inputs):
        if spec["resolve"] == STRUCTURAL:
            yield name, value
        elif spec["columns"]:
            yield name, value.drop(columns=list(spec["columns"]))
        elif spec["structure"] is not None:
            yield name, spec["structure"](value, inputs.scalars if name.startswith("scalars.") else inputs)


def resolve_channels() -> dict[str, tuple[str, ...]]:
    """Re-solvable inputs by the way they reach a built model (`COST`, `BOUNDS`, `ROWS`, `RESULTS`)."""
    probe = {spec.name: spec.metadata for spec in fields(Inputs) if spec.name != "scalars"}
    probe |= {f"scalars.{spec.name}": spec.metadata for spec in fields(Scalars)}
    channels: dict[str, tuple[str, ...]] = {}
    for name, spec in probe.items():
        if spec["resolve"] != STRUCTURAL:
            channels[spec["resolve"]] = channels.get(spec["resolve"], ()) + (name,)
    return channels


def month_of_hour(hour_of_year) -> np.ndarray:
    """Month (0 = January) of each hour of a non-leap year counted from 1 January 00:00 (hours beyond
    the year wrap around).

    >>> month_of_hour([0, 744, 8759]).tolist()
    [0, 1, 11]
    """
    ends_h = np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) * 24
    return np.searchsorted(ends_h, np.asarray(hour_of_year, dtype=int) % 8760, side="right")


def hourly_values(value, series: pd.DataFrame) -> np.ndarray:
    """A `dhopt.case.HourlyNumber` in each hour of `series` (index: hour of the year): a constant, the
    named column, or the month's value of 12 monthly values."""
    if isinstance(value, str):
        return series[value].to_numpy(dtype=float)
    if isinstance(value, list):
        return np.asarray(value, dtype=float)[month_of_hour(series.index.to_numpy())]
    return np.full(len(series), float(value))


def _series_column(
    case: Case, network: Network, node_id: str, column: str, who: str, field_name: str = "profile"
) -> np.ndarray:
    if column not in case.timeseries:
        raise CaseError(
            f"{network.path}: {who} '{node_id}': field '{field_name}': time series {case.spec.timeseries} "
            f"has no column '{column}'"
        )
    return case.timeseries[column].to_numpy()


def consumer_table(case: Case, network: Network) -> pd.DataFrame:
    """Consumers: node, profile, annual heat [MWh/yr] (given, from homes or from the peak) and homes equivalent."""
    frame = network.nodes[network.nodes["kind"] == "consumer"]
    home_MWh = case.spec.demand.home_annual_heat_MWh
    peak_share = case.series_peak.reindex(frame["profile"]).to_numpy()
    for node_id, profile in frame["profile"].drop_duplicates().items():  # the first consumer of each profile
        _series_column(case, network, node_id, profile, "consumer")
    annual = frame["annual_heat_MWh"].to_numpy(dtype=float)
    annual = np.where(np.isnan(annual), frame["homes"].to_numpy(dtype=float) * home_MWh, annual)
    annual = np.where(np.isnan(annual), frame["peak_kW"].to_numpy(dtype=float) / 1000.0 / peak_share, annual)
    return pd.DataFrame(
        {
            "node": frame.index,
            "profile": frame["profile"].to_numpy(),
            "annual_heat_MWh": annual,
            "homes_equivalent": annual / home_MWh,
        },
        index=frame.index,
    )


def unservable_consumers(network: Network, supply_design_degC: float) -> pd.Index:
    """Consumers whose `min_supply_degC` is above the network supply at the design outdoor
    temperature [degC]: the network cannot serve them (they need a local booster)."""
    nodes = network.nodes
    return nodes.index[(nodes["kind"] == "consumer") & (nodes["min_supply_degC"] > supply_design_degC)]


def _check_min_supply(case: Case, network: Network) -> None:
    """Refuse a case whose design supply temperature is below what a consumer needs (one line)."""
    supply_degC = case.spec.temperatures.supply_max_degC
    needy = unservable_consumers(network, supply_degC)
    if len(needy):
        shown = ", ".join(f"{i!r} ({network.nodes.at[i, 'min_supply_degC']:g} degC)" for i in needy[:5])
        more = f" and {len(needy) - 5} more" if len(needy) > 5 else ""
        raise CaseError(
            f"{network.path}: field 'min_supply_degC': expected at most the case's design supply "
            f"temperatures.supply_max_degC = {supply_degC:g} degC ({case.path}), got {len(needy)} consumer(s) "
            f"needing more: {shown}{more}; raise the supply temperature or compare regimes with `dhopt regimes`"
        )


def _profile_share(case: Case, consumers: pd.DataFrame) -> pd.DataFrame:
    """Each consumer profile's share of the annual heat in every step [1/h] (time x profile, sorted)."""
    profiles = pd.Index(sorted(pd.unique(consumers["profile"])), name="profile")
    for profile in profiles:
        _check_range(
            case, profile, case.timeseries[profile].to_numpy(), 0.0, 1.0, "a share of the year between 0 and 1"
        )
    return case.timeseries[profiles].rename_axis(index="time", columns="profile")


def _check_range(case: Case, column: str, values: np.ndarray, low: float, high: float, expected: str) -> None:
    """A one-line `CaseError` at the first value of a time-series column outside [low, high]."""
    outside = np.flatnonzero((values < low) | (values > high))
    if outside.size:
        row = int(outside[0]) + case.spec.horizon.start_hour + 2  # the file's line: header, then hour 0
        raise CaseError(
            f"{case.timeseries_path}: row {row}: column '{column}': expected {expected}, got {values[outside[0]]:g}"
        )


def _recovery(case: Case, network: Network, node_id: str, row: pd.Series) -> np.ndarray | float:
    """Share of a campus's recoverable heat offered to the heat pumps in each hour [-]: its
    ``recovery_profile`` column (e.g. 0 in free-cooling hours, when the cooling bypasses the heat-recovery
    coils), or 1 without one."""
    column = row["recovery_profile"]
    if not isinstance(column, str):
        return 1.0
    share = _series_column(case, network, node_id, column, "source", "recovery_profile")
    _check_range(case, column, share, 0.0, 1.0, f"a recovered share between 0 and 1 (source '{node_id}')")
    return share


def _sources(case: Case, network: Network, supply_degC: np.ndarray):
    frame = network.nodes[network.nodes["kind"] == "source"]
    hp, return_degC = case.spec.heat_pump, case.spec.temperatures.return_degC
    heat, cop, direct = {}, {}, {}
    for node_id, row in frame.iterrows():
        utilisation = _series_column(case, network, node_id, row["profile"], "source")
        _check_range(case, row["profile"], utilisation, 0.0, 1.0, f"a utilisation between 0 and 1 (source '{node_id}')")
        heat[node_id] = (
            row["it_load_MW"] * row["recovered_share"] * utilisation * _recovery(case, network, node_id, row)
        )
        cooling_K = hp.source_cooling_K
        if cooling_K is None:  # the evaporator cooling of the source's cooling type
            cooling_K = cooling_default(row["cooling"], "source_cooling_K")
        source_in_degC = row["source_temperature_degC"]
        cop[node_id] = physics.lorenz_cop(
            return_degC, supply_degC, source_in_degC, source_in_degC - cooling_K, hp.lorenz_efficiency, hp.approach_K
        )
        direct[node_id] = row["source_temperature_degC"] >= supply_degC + hp.direct_exchange_approach_K
    index = case.timeseries.index.rename("time")
    heat = pd.DataFrame(heat, index=index, columns=frame.index)
    cop = pd.DataFrame(cop, index=index, columns=frame.index)
    direct = pd.DataFrame(direct, index=index, columns=frame.index).astype(bool)
    # Largest useful heat-pump output: all source heat lifted at the best COP of the horizon.
    useful_MW = (heat * cop / (cop - 1.0).clip(lower=1e-9)).max() if len(frame) else pd.Series(dtype=float)
    hp_max = useful_MW.clip(upper=hp.max_MW) if hp.max_MW else useful_MW
    sources = pd.DataFrame(
        {
            "node": frame.index,
            "it_load_MW": frame["it_load_MW"].astype(float),
            "recovered_share": frame["recovered_share"].astype(float),
            "source_temperature_degC": frame["source_temperature_degC"].astype(float),
            "hp_max_MW": hp_max.reindex(frame.index).fillna(0.0),
        },
        index=frame.index,
    )
    return sources, heat, cop, direct


def _plants(case: Case, network: Network, electricity: np.ndarray):
    frame = network.nodes[network.nodes["kind"] == "plant"]
    electric = frame["technology"].eq("electric_boiler").to_numpy()
    per_heat = np.where(electric, 1.0 / frame["electric_efficiency"].astype(float).fillna(1.0).to_numpy(), 0.0)
    co2 = frame["co2_t_per_MWh"].astype(float).to_numpy()
    base = frame["marginal_cost_EUR_per_MWh"].astype(float).to_numpy() + co2 * co2_price_EUR_per_t(case)
    cost = base[None, :] + np.outer(electricity, per_heat)
    plants = pd.DataFrame(
        {
            "node": frame.index,
            "technology": frame["technology"],
            "capacity_MW": frame["capacity_MW"].astype(float),
            "must_run_MW": frame["must_run_MW"].astype(float).fillna(0.0),
            "co2_t_per_MWh": co2,
        },
        index=frame.index,
    )
    cost = pd.DataFrame(cost, index=case.timeseries.index.rename("time"), columns=frame.index)
    return plants, cost, pd.Series(per_heat, index=frame.index)


def _heat_price_index(case: Case, network: Network, electricity: np.ndarray, plant_cost: pd.DataFrame) -> pd.Series:
    """The contract's indexed heat price a p_t + b c_(k,t) [EUR/MWh]: a share a of the electricity price p_t
    (spot + tariff) and a share b of the hourly heat cost c_(k,t) of the avoided plant k (named, or else the
    plant dearest on average)."""
    contract = case.spec.contract
    index = pd.Series(contract.electricity_price_share * electricity, index=plant_cost.index)
    if contract.avoided_cost_share == 0:
        return index
    plant = contract.avoided_plant
    if plant is None and plant_cost.empty:
        raise CaseError(
            f"{case.path}: key 'contract.avoided_cost_share': expected 0 for a network without plants "
            f"({network.path}), got {contract.avoided_cost_share:g}"
        )
    plant = plant if plant is not None else str(plant_cost.mean().idxmax())
    if plant not in plant_cost:
        raise CaseError(
            f"{case.path}: key 'contract.avoided_plant': expected a plant node of {network.path} "
            f"({', '.join(map(repr, plant_cost.columns)) or 'none'}), got {plant!r}"
        )
    return index + contract.avoided_cost_share * plant_cost[plant]


def pipe_options(scalars: Scalars, pipes: pd.DataFrame) -> pd.DataFrame:
    """One row per (pipe, DN) choice with capacity and loss per kelvin and its annual cost: every
    candidate DN, and for an existing pipe its installed DN (no cost; its own inner diameter where the
    network gives one) and any upgrade DNs (costed like a new pipe of that DN, which replaces the
    installed one). Capacity: the mass flow at the case's hydraulic basis (`physics.allowed_mass_flow_kg_per_s`)
    times c_p [MW/K]. ``pipes``: the network's pipe table."""
    exploded = (pipes["dn_options"] + pipes["upgrade_dn_options"]).explode()
    length_m = pipes["length_m"].reindex(exploded.index).to_numpy()
    installed = exploded.to_numpy().astype(float) == pipes["dn"].reindex(exploded.index).to_numpy()
    dn = exploded.to_numpy().astype(int)
    own = pipes["inner_diameter_m"] if "inner_diameter_m" in pipes else pd.Series(np.nan, index=pipes.index)
    inner_m, outer_m = physics.pipe_diameters_m(dn, np.where(installed, own.reindex(exploded.index), np.nan))
    diameters, position = np.unique(inner_m, return_inverse=True)  # a few sizes: each solved once
    flow = physics.allowed_mass_flow_kg_per_s(
        diameters, scalars.max_pressure_drop_Pa_per_m, scalars.max_velocity_m_per_s, scalars.roughness_m
    )[position]
    capacity = physics.pipe_capacity_MW(flow, 1.0)
    return pd.DataFrame(
        {
            "capacity_MW_per_K": capacity,
            "limit_MW_per_K": capacity,  # what the model lets flow; reduction tightens it to the flow bound
            "loss_MW_per_K": physics.pair_loss_conductance_W_per_mK(outer_m) * length_m * 1e-6,
            "annual_cost_EUR": np.where(installed, 0.0, scalars.pipe_annual_EUR(length_m, dn)),
        },
        index=pd.MultiIndex.from_arrays([exploded.index, dn], names=["pipe", "dn"]),
    )


def case_scalars(case: Case) -> Scalars:
    """The named scalars of `case`: annuities a(r, n) I + F of heat pumps and storage, storage kept share
    1 - lambda and power E / charge_hours, limits and penalties."""
    spec = case.spec
    rate, hp, st, contract = spec.economics.discount_rate, spec.heat_pump, spec.storage, spec.contract
    return Scalars(
        name=spec.name,
        home_annual_heat_MWh=spec.demand.home_annual_heat_MWh,
        pue=spec.campus.pue,
        hp_annual_EUR_per_MW=physics.annuity_factor(rate, hp.lifetime_yr) * hp.investment_EUR_per_MW
        + hp.fixed_om_EUR_per_MW_yr,
        hp_variable_om_EUR_per_MWh=hp.variable_om_EUR_per_MWh,
        hp_unit_MW=hp.unit_size_MW,
        hp_min_part_load=hp.min_part_load,
        storage_annual_EUR_per_MWh=physics.annuity_factor(rate, st.lifetime_yr) * st.investment_EUR_per_MWh
        + st.fixed_om_EUR_per_MWh_yr,
        storage_keep_per_h=1.0 - st.loss_per_hour,
        storage_power_per_MWh=1.0 / st.charge_hours,
        connect_all=spec.demand.connect_all,
        demand_trees=spec.horizon.demand_trees,
        unmet_penalty_EUR_per_MWh=spec.demand.unmet_penalty_EUR_per_MWh,
        grid_co2_t_per_MWh=spec.grid.co2_t_per_MWh,
        minimise_co2=spec.objective.minimise == "co2",
        co2_cap_t=spec.objective.co2_cap_t,
        co2_excess_EUR_per_t=np.nan,  # set by `with_co2_weights` once the producers are known
        plant_cap_MWh=None,  # set by `prepare_inputs` from the phase-out
        unmet_co2_t_per_MWh=np.nan,
        discount_rate=rate,
        heat_price_EUR_per_MWh=np.nan if contract.heat_price_EUR_per_MWh is None else contract.heat_price_EUR_per_MWh,
        paid_heat=contract.paid_heat,
        heat_pump_owner=contract.heat_pump_owner,
        storage_owner=contract.storage_owner,
        connection_owner=contract.connection_owner,
        contract_years=contract.years or hp.lifetime_yr,
        pipe_annuity=physics.annuity_factor(rate, spec.pipes.lifetime_yr),
        pipe_fixed_EUR_per_m=spec.pipes.fixed_EUR_per_m,
        pipe_EUR_per_m_per_mm=spec.pipes.EUR_per_m_per_mm,
        max_pressure_drop_Pa_per_m=spec.pipes.max_pressure_drop_Pa_per_m,
        max_velocity_m_per_s=spec.pipes.max_velocity_m_per_s,
        roughness_m=spec.pipes.roughness_mm * 1e-3,
        fleet_flexible_share=spec.fleet.flexible_share if spec.fleet else 0.0,
        fleet_deferrable=bool(spec.fleet and spec.fleet.deferrable),
    )


def installed_options(options: pd.DataFrame, pipes: pd.DataFrame) -> np.ndarray:
    """Which rows of ``options`` are an existing pipe at its installed DN (the others are choices:
    candidate DNs and upgrades of existing pipes)."""
    installed = pipes["dn"].where(pipes["status"] == "existing")
    at = installed.reindex(options.index.get_level_values("pipe")).to_numpy()
    return at == options.index.get_level_values("dn").to_numpy()


def with_co2_weights(scalars: Scalars, plants: pd.DataFrame, electricity_per_heat: pd.Series, cop: pd.DataFrame):
    """`scalars` with the CO2 cap's excess cost and the CO2 objective's weight of unmet heat, from the
    largest CO2 per MWh of heat any producer emits, f = max(co2_p + g e_p, g / COP_min) [t/MWh] (`cop`:
    campus heat pumps, new units and fleet units, 1/e; direct exchange counts as e = 0):
    excess cost = unmet penalty / (2 f) [EUR/t], so meeting the cap by leaving demand unmet (saving at
    most f per MWh) always costs more than the excess; unmet weight = max(10 f, 1) [t/MWh]."""
    g = scalars.grid_co2_t_per_MWh
    per_plant = plants["co2_t_per_MWh"].to_numpy(dtype=float) + g * electricity_per_heat.to_numpy(dtype=float)
    per_source = g / cop.to_numpy(dtype=float) if cop.size else np.zeros(0)
    largest = float(max(per_plant.max(initial=0.0), per_source.max(initial=0.0)))
    penalty = scalars.unmet_penalty_EUR_per_MWh
    return replace(
        scalars,
        co2_excess_EUR_per_t=penalty / (2.0 * largest) if largest > 0 else penalty,
        unmet_co2_t_per_MWh=max(10.0 * largest, 1.0),
    )


def prepare_inputs(case: Case, network: Network) -> Inputs:
    """Compute every time series and table the model needs from a validated case and network."""
    temps = case.spec.temperatures
    series = case.timeseries
    time = series.index.rename("time")
    supply = physics.heating_curve(
        series["outdoor_temperature_degC"].to_numpy(),
        temps.supply_max_degC,
        temps.supply_min_degC,
        temps.design_outdoor_degC,
        temps.heating_limit_degC,
    )
    grid = case.spec.grid
    electricity = series["electricity_price_EUR_per_MWh"].to_numpy() + hourly_values(grid.tariff_EUR_per_MWh, series)
    _check_min_supply(case, network)
    nodes = network.nodes.index.rename("node")
    consumers = consumer_table(case, network)
    sources, source_heat, cop, direct = _sources(case, network, supply)
    if case.spec.fleet is not None and case.spec.fleet.replaces_campus:  # the campuses' source nodes stay, cold
        sources = sources.iloc[:0]
        source_heat, cop, direct = (frame.iloc[:, :0] for frame in (source_heat, cop, direct))
    plants, plant_cost, plant_electricity = _plants(case, network, electricity)
    scalars = case_scalars(case)
    profile_share = _profile_share(case, consumers)
    scale = 8760.0 / len(time)
    demand_MW = (
        profile_share.to_numpy()
        @ consumers.groupby("profile")["annual_heat_MWh"]
        .sum()
        .reindex(profile_share.columns, fill_value=0.0)
        .to_numpy()
    )
    plants, cap_MWh = phase_out(case, network, plants, float(demand_MW.sum() * scale))
    scalars = replace(scalars, plant_cap_MWh=cap_MWh)
    units, unit_cost, unit_cop = unit_tables(case, network, supply, float(demand_MW.max(initial=0.0)))
    pits, pit_cost = pit_tables(case, network)
    options = pipe_options(scalars, network.pipes)
    fixed = options.loc[installed_options(options, network.pipes), "loss_MW_per_K"].droplevel("dn")
    ends = network.pipes.loc[fixed.index, ["from_node", "to_node"]]
    fixed_loss = (
        (0.5 * fixed).groupby(ends["from_node"]).sum().add((0.5 * fixed).groupby(ends["to_node"]).sum(), fill_value=0.0)
    )
    storage_nodes = case.spec.storage.nodes if case.spec.storage.nodes is not None else list(sources["node"])
    unknown = [n for n in storage_nodes if n not in nodes]
    if unknown:
        raise CaseError(f"{case.path}: key 'storage.nodes': unknown node ids {unknown} (not in {network.path})")
    scale = 8760.0 / len(time)
    power, power_cost = power_table(case, sources)
    pv_yield, it_load = hourly_power(case, power, sources, network.nodes["profile"])
    fleet = fleet_tables(case, network, consumers, profile_share, supply)
    fleet_cop = [
        1.0 / fleet[name].clip(lower=1e-9) for name in ("fleet_el_per_heat_building", "fleet_el_per_heat_network")
    ]
    return Inputs(
        weight_h=np.full(len(time), scale),
        supply_degC=pd.Series(supply, index=time),
        delta_t_K=pd.Series(supply - temps.return_degC, index=time),
        loss_drive_K=pd.Series(physics.loss_driving_K(supply, temps.return_degC, temps.ground_degC), index=time),
        electricity_EUR_per_MWh=pd.Series(electricity, index=time),
        import_limit_MW=None
        if grid.import_limit_MW is None
        else pd.Series(hourly_values(grid.import_limit_MW, series), index=time),
        export_limit_MW=pd.Series(hourly_values(grid.export_limit_MW, series), index=time),
        export_price_EUR_per_MWh=pd.Series(
            series["electricity_price_EUR_per_MWh"].to_numpy() - hourly_values(grid.export_fee_EUR_per_MWh, series),
            index=time,
        ),
        nodes=nodes,
        profile_share=profile_share,
        fixed_loss_MW_per_K=fixed_loss.reindex(nodes, fill_value=0.0),
        consumers=consumers,
        sources=sources,
        source_heat_MW=source_heat,
        cop=cop,
        direct_ok=direct,
        storage_sites=pd.Series(case.spec.storage.max_MWh, index=pd.Index(storage_nodes, name="node")),
        plants=plants,
        plant_cost_EUR_per_MWh=plant_cost,
        plant_electricity_per_heat=plant_electricity,
        units=units,
        unit_cost=unit_cost,
        unit_cop=unit_cop,
        pits=pits,
        pit_cost=pit_cost,
        heat_price_index_EUR_per_MWh=_heat_price_index(case, network, electricity, plant_cost),
        power=power,
        power_cost=power_cost,
        pv_yield_MW_per_MWp=pv_yield,
        it_load_MW=it_load,
        **fleet,
        pipes=network.pipes[["from_node", "to_node", "length_m", "status", "dn", "inner_diameter_m"]],
        options=options,
        node_zone=pd.Series(nodes, index=nodes),
        pipe_members=pd.Series(network.pipes.index, index=network.pipes.index),
        scalars=with_co2_weights(scalars, plants, plant_electricity, pd.concat([cop, unit_cop, *fleet_cop], axis=1)),
        forced_dn=None,
        forced_cost_EUR=0.0,
        tree_zones=None,
        tree_MW=None,
        period_hours=None,
        period_sequence=None,
    )
