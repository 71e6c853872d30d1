"""The fleet's tables for `dhopt.inputs`: its units, their host buildings' demand, heat-pump electricity
per heat and costs, and the fleet's compute demand (`dhopt.model.fleet`).

Per unit u (hosted by consumer node n) and hour t: heat available r x IT_ut [MW]; electricity per MWh of
heat e = 1 / COP_ut of a heat pump lifting the cooling water to the building's temperature (to the host)
or to the network supply (export), `physics.lorenz_cop` as for a campus, or e = 0 where the source is hot
enough for direct exchange (source >= sink + `heat_pump.direct_exchange_approach_K`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhopt import physics
from dhopt.case import Case
from dhopt.cooling import cooling_default
from dhopt.errors import CaseError
from dhopt.files import input_file_problem, resolved
from dhopt.fleet_case import Fleet
from dhopt.fleet_costs import small_heat_pump_cost
from dhopt.network import Network

FLEET_COLUMNS = ("host", "node", "it_MW", "recovered_share", "export", "hp_max_MW", "annual_EUR_per_MW")
FLEET_COLUMNS += ("variable_om_EUR_per_MWh", "investment_EUR_per_MW")


def empty_fleet(time: pd.Index) -> dict:
    """The fleet tables of a case without a fleet."""
    frame = pd.DataFrame(index=time)
    return {
        "fleet": pd.DataFrame(columns=list(FLEET_COLUMNS), index=pd.Index([], name="unit")),
        "fleet_demand_MW": frame,
        "fleet_el_per_heat_building": frame,
        "fleet_el_per_heat_network": frame,
        "fleet_compute_MW": pd.Series(0.0, index=time),
    }


def _from_csv(case: Case, consumers: pd.DataFrame, spec: Fleet) -> pd.DataFrame:
    """Units of the table `units_csv`: id, host (a consumer node), it_MW > 0; a bad row is one line."""
    path = resolved(case.path.parent / spec.units_csv, f"{case.path}: key 'fleet.units_csv'")
    problem = input_file_problem(path)
    if problem:
        raise CaseError(f"{path}: fleet units file {problem}")
    table = pd.read_csv(path, dtype=str, na_filter=False)
    for column in ("id", "host", "it_MW"):
        if column not in table:
            raise CaseError(f"{path}: column '{column}': missing (expected id, host, it_MW)")
    it = pd.to_numeric(table["it_MW"], errors="coerce")
    for row, (host, value, text) in enumerate(zip(table["host"], it, table["it_MW"]), start=2):
        if host not in consumers.index:
            raise CaseError(f"{path}: row {row}: field 'host': expected a consumer node of the network, got {host!r}")
        if not (value > 0 and np.isfinite(value)):
            raise CaseError(f"{path}: row {row}: field 'it_MW': expected an IT capacity above 0 MW, got {text!r}")
    repeated = table["id"][table["id"].duplicated()]
    if len(repeated):
        raise CaseError(f"{path}: field 'id': expected unique unit ids, got {repeated.iloc[0]!r} twice")
    return pd.DataFrame({"host": table["host"].to_numpy(), "it_MW": it.to_numpy()}, index=pd.Index(table["id"]))


def _from_rule(consumers: pd.DataFrame, spec: Fleet) -> pd.DataFrame:
    """One unit of `unit_it_MW` at every consumer with more than `min_homes` homes, or at the `largest` K."""
    hosts = consumers
    if spec.min_homes is not None:
        hosts = consumers[consumers["homes_equivalent"] > spec.min_homes]
    elif spec.largest is not None:
        hosts = consumers.sort_values("annual_heat_MWh", ascending=False, kind="stable").head(spec.largest)
    ids = pd.Index([f"dc@{host}" for host in hosts.index], name="unit")
    return pd.DataFrame({"host": hosts.index.to_numpy(), "it_MW": spec.unit_it_MW}, index=ids)


def _electricity_per_heat(case: Case, sink_degC, source_degC: float, cooling_K: float) -> np.ndarray:
    """1 / COP lifting the cooling water (source_degC, cooled by cooling_K) from the network return to
    `sink_degC` (any shape), 0 where the source is hot enough to exchange directly [-]."""
    hp, return_degC = case.spec.heat_pump, case.spec.temperatures.return_degC
    sink = np.asarray(sink_degC, dtype=float)
    cop = physics.lorenz_cop(
        return_degC, sink, source_degC, source_degC - cooling_K, hp.lorenz_efficiency, hp.approach_K
    )
    return np.where(source_degC >= sink + hp.direct_exchange_approach_K, 0.0, 1.0 / cop)


def _compute_MW(case: Case, spec: Fleet, capacity_MW: float) -> np.ndarray:
    """The fleet's IT load each hour [MW IT]: a number, a time-series column, or the whole capacity."""
    value = spec.compute_demand_MW
    if value is None:
        return np.full(case.hours, capacity_MW)
    if isinstance(value, str):
        if value not in case.timeseries:
            raise CaseError(
                f"{case.path}: key 'fleet.compute_demand_MW': expected a column of {case.timeseries_path.name} "
                f"or a number, got {value!r} (no such column)"
            )
        series = case.timeseries[value].to_numpy(dtype=float)
    else:
        series = np.full(case.hours, float(value))
    outside = np.flatnonzero((series < 0) | (series > capacity_MW + 1e-9))
    if outside.size:
        row = int(outside[0]) + case.spec.horizon.start_hour + 2
        raise CaseError(
            f"{case.timeseries_path}: row {row}: fleet.compute_demand_MW: expected between 0 and the fleet's IT "
            f"capacity {capacity_MW:g} MW, got {series[outside[0]]:g}"
        )
    return series


def fleet_tables(
    case: Case, network: Network, consumers: pd.DataFrame, profile_share: pd.DataFrame, supply_degC: np.ndarray
) -> dict:
    """The `Inputs` fields of the case's fleet (`empty_fleet` without one): the unit table, the hosts'
    demand [MW], electricity per heat to the host and to the network [-] (time x unit) and the compute [MW]."""
    spec, time = case.spec.fleet, profile_share.index
    if spec is None:
        return empty_fleet(time)
    units = _from_csv(case, consumers, spec) if spec.units_csv is not None else _from_rule(consumers, spec)
    units.index.name = "unit"
    hosts = consumers.loc[units["host"]]
    share = spec.recovered_share or cooling_default(spec.cooling, "recovered_share")
    source_degC = spec.source_temperature_degC or cooling_default(spec.cooling, "source_temperature_degC")
    cooling_K = case.spec.heat_pump.source_cooling_K or cooling_default(spec.cooling, "source_cooling_K")
    own = network.nodes["min_supply_degC"].reindex(units["host"]).to_numpy(dtype=float)
    building_degC = np.where(np.isnan(own), spec.building_supply_degC or np.nan, own)
    building_degC = np.where(np.isnan(building_degC)[None, :], supply_degC[:, None], building_degC[None, :])
    to_building = _electricity_per_heat(case, building_degC, source_degC, cooling_K)
    to_network = np.repeat(_electricity_per_heat(case, supply_degC, source_degC, cooling_K)[:, None], len(units), 1)
    heat_MW = units["it_MW"].to_numpy() * share
    lift = np.maximum(to_building.max(axis=0, initial=0.0), to_network.max(axis=0, initial=0.0) * spec.export)
    hp_max = np.where(lift > 0, heat_MW / np.maximum(1.0 - lift, 1e-9), 0.0)  # all heat lifted at the worst COP
    cost = small_heat_pump_cost(np.maximum(hp_max, 1e-3))
    annuity = physics.annuity_factor(case.spec.economics.discount_rate, cost["lifetime_yr"].to_numpy())
    demand = profile_share[hosts["profile"]].to_numpy() * hosts["annual_heat_MWh"].to_numpy()[None, :]
    fleet = units.assign(
        node=hosts.index.to_numpy(),
        recovered_share=share,
        export=spec.export,
        hp_max_MW=hp_max,
        annual_EUR_per_MW=annuity * cost["investment_EUR_per_MW"].to_numpy()
        + cost["fixed_om_EUR_per_MW_yr"].to_numpy(),
        variable_om_EUR_per_MWh=cost["variable_om_EUR_per_MWh"].to_numpy(),
        investment_EUR_per_MW=cost["investment_EUR_per_MW"].to_numpy(),
    )[list(FLEET_COLUMNS)]
    columns = units.index
    return {
        "fleet": fleet,
        "fleet_demand_MW": pd.DataFrame(demand, index=time, columns=columns),
        "fleet_el_per_heat_building": pd.DataFrame(to_building, index=time, columns=columns),
        "fleet_el_per_heat_network": pd.DataFrame(to_network, index=time, columns=columns),
        "fleet_compute_MW": pd.Series(_compute_MW(case, spec, float(units["it_MW"].sum())), index=time),
    }
