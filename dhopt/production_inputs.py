"""New heat production, pit storage and the gas phase-out of a case, as the tables of `dhopt.inputs`.

Figures default to the Danish Energy Agency technology data copied into `dhopt/data/dea_production.csv`
(its header names the sheets and years); a `[[new_production]]` key overrides one figure. Per unit (one
technology at one node, id ``technology@node``):

- annual cost per MW = a(r, n) I + F [EUR/yr per MW], a the annuity factor at the case's discount rate;
- hourly COP: electric boiler its efficiency; air source the Lorenz COP (`physics.lorenz_cop`) between the
  network (return -> supply) and the outdoor air (T_out -> T_out - 5 K), seawater between the sea
  (T_sea -> T_sea - 3 K) and the network, with the case's lorenz_efficiency and approach; the 1 and 3 MW
  air-source units scale the efficiency by their DEA nameplate COP over the 10 MW unit's (2.60, 3.15 / 3.50);
- pit storage: standing loss 0.08 K/day over its 55 K span (90 -> 35 degC), 1/24 of that per hour; power =
  capacity / 150 h; cost a (I_fixed y + I E) + F E with y = 1 when a pit is built (DEA note F:
  1.84 MEUR + 42 EUR/m3, 4,500 MWh in 70,000 m3).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dhopt import physics
from dhopt.case import Case, NewProduction
from dhopt.errors import CaseError
from dhopt.network import Network

TECHNOLOGY_FILE = Path(resources.files("dhopt.data") / "dea_production.csv")
PTES_DEFAULT_MAX_MWH = 13_000.0  # about 200,000 m3 at the DEA sheet's 4,500 MWh / 70,000 m3
SEA_DEFAULT_DEGC = 4.0  # the DEA seawater nameplate point: a winter sea, conservative in summer
UNIT_DEFAULT_PEAK_FACTOR = 2.0  # a unit's default largest size: twice the peak demand (never binding)
REFERENCE_AIR_SOURCE = "air_source_hp_10MW"  # the size the case's lorenz_efficiency was fitted to


@lru_cache(maxsize=1)
def technology_table() -> pd.DataFrame:
    """The DEA figures of every new-production technology (dhopt/data/dea_production.csv), by technology."""
    return pd.read_csv(TECHNOLOGY_FILE, comment="#", index_col="technology")


def _figure(entry: NewProduction, name: str) -> float:
    """The entry's own value of `name`, else the DEA figure of its technology."""
    own = getattr(entry, name)
    return float(technology_table().at[entry.technology, name] if own is None else own)


def _check_nodes(case: Case, network: Network, position: int, entry: NewProduction) -> None:
    unknown = [n for n in entry.nodes if n not in network.nodes.index]
    if unknown:
        raise CaseError(
            f"{case.path}: key 'new_production.{position}.nodes': expected node ids of {network.path}, "
            f"got unknown {', '.join(map(repr, unknown))}"
        )


def _cop(case: Case, position: int, entry: NewProduction, supply_degC: np.ndarray) -> np.ndarray:
    """Hourly COP or efficiency of one technology [-] (module docstring)."""
    row = technology_table().loc[entry.technology]
    hp, return_degC = case.spec.heat_pump, case.spec.temperatures.return_degC
    if row["kind"] == "electric_boiler":
        return np.full(len(supply_degC), _figure(entry, "efficiency"))
    if row["kind"] == "air_source_hp":
        source = case.timeseries["outdoor_temperature_degC"].to_numpy()
        scale = row["cop_nameplate"] / technology_table().at[REFERENCE_AIR_SOURCE, "cop_nameplate"]
    else:  # seawater
        column = entry.sea_temperature_column
        if column is not None and column not in case.timeseries:
            raise CaseError(
                f"{case.path}: key 'new_production.{position}.sea_temperature_column': expected a column of "
                f"{case.timeseries_path}, got {column!r}"
            )
        constant = SEA_DEFAULT_DEGC if entry.sea_temperature_degC is None else entry.sea_temperature_degC
        source = case.timeseries[column].to_numpy() if column else np.full(len(supply_degC), constant)
        scale = 1.0
    cooled = source - row["source_cooling_K"]
    return physics.lorenz_cop(return_degC, supply_degC, source, cooled, hp.lorenz_efficiency * scale, hp.approach_K)


def unit_tables(case: Case, network: Network, supply_degC: np.ndarray, peak_MW: float):
    """(units, unit_cost, unit_cop) of the case's new heat production: per unit id its node, technology
    and largest size [MW]; its annual cost per MW [EUR/yr per MW] and variable O&M [EUR/MWh]; its hourly
    COP or efficiency (time x unit) [-]."""
    rate = case.spec.economics.discount_rate
    rows, cop = [], {}
    for position, entry in enumerate(case.spec.new_production):
        if entry.technology == "ptes":
            continue
        _check_nodes(case, network, position, entry)
        series = _cop(case, position, entry, supply_degC)
        annual = physics.annuity_factor(rate, _figure(entry, "lifetime_yr")) * _figure(entry, "investment_EUR_per_MW")
        largest = entry.max_MW if entry.max_MW is not None else max(UNIT_DEFAULT_PEAK_FACTOR * peak_MW, 1.0)
        for node in entry.nodes:
            unit = f"{entry.technology}@{node}"
            cop[unit] = series
            rows.append((unit, node, entry.technology, largest, annual + _figure(entry, "fixed_om_EUR_per_MW_yr"),
                         _figure(entry, "variable_om_EUR_per_MWh")))  # fmt: skip
    _refuse_repeats(case, [r[0] for r in rows])
    table = pd.DataFrame(
        rows, columns=["unit", "node", "technology", "max_MW", "annual_EUR_per_MW", "variable_om_EUR_per_MWh"]
    ).set_index("unit")
    time = case.timeseries.index.rename("time")
    unit_cop = pd.DataFrame(cop, index=time, columns=table.index)
    return table[["node", "technology", "max_MW"]], table[["annual_EUR_per_MW", "variable_om_EUR_per_MWh"]], unit_cop


def pit_tables(case: Case, network: Network):
    """(pits, pit_cost) of the case's pit thermal storage: per pit id its node, largest size [MWh], share
    kept per hour [-] and power per MWh [MW/MWh]; its annual cost per MWh [EUR/yr per MWh] and per pit
    built [EUR/yr]."""
    rate = case.spec.economics.discount_rate
    rows = []
    for position, entry in enumerate(case.spec.new_production):
        if entry.technology != "ptes":
            continue
        _check_nodes(case, network, position, entry)
        row = technology_table().loc["ptes"]
        loss = (
            entry.loss_per_hour
            if entry.loss_per_hour is not None
            else row["loss_K_per_day"] / row["stored_delta_K"] / 24
        )
        annuity = physics.annuity_factor(rate, _figure(entry, "lifetime_yr"))
        per_MWh = annuity * _figure(entry, "investment_EUR_per_MWh") + _figure(entry, "fixed_om_EUR_per_MWh_yr")
        fixed = annuity * _figure(entry, "investment_fixed_EUR")
        largest = entry.max_MWh if entry.max_MWh is not None else PTES_DEFAULT_MAX_MWH
        rows += [(f"ptes@{n}", n, largest, 1.0 - loss, 1.0 / _figure(entry, "charge_hours"), per_MWh, fixed)
                 for n in entry.nodes]  # fmt: skip
    _refuse_repeats(case, [r[0] for r in rows])
    columns = ["pit", "node", "max_MWh", "keep_per_h", "power_per_MWh", "annual_EUR_per_MWh", "fixed_annual_EUR"]
    table = pd.DataFrame(rows, columns=columns).set_index("pit")
    return table[["node", "max_MWh", "keep_per_h", "power_per_MWh"]], table[["annual_EUR_per_MWh", "fixed_annual_EUR"]]


def _refuse_repeats(case: Case, ids: list[str]) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CaseError(
            f"{case.path}: key 'new_production': expected each technology at most once per node, got "
            f"{', '.join(map(repr, repeated))} twice"
        )


def co2_price_EUR_per_t(case: Case) -> float:
    """The CO2 price of the case's year: the price path interpolated linearly (the end values beyond
    its years), else `economics.co2_price_EUR_per_t` [EUR/t].

    A path {2025: 80, 2030: 130} gives 110 EUR/t in 2028."""
    economics = case.spec.economics
    path = economics.co2_price_path_EUR_per_t
    if path is None:
        return economics.co2_price_EUR_per_t
    years = sorted(path)
    return float(np.interp(economics.year, years, [path[y] for y in years]))


def phase_out(case: Case, network: Network, plants: pd.DataFrame, annual_demand_MWh: float):
    """`plants` with a ``capped`` column (the phase-out's plants), forbidden ones at zero capacity and
    must-run, and the cap on their annual heat together [MWh/yr] (None: no cap): the least of max_MWh,
    max_demand_share x annual demand and max_full_load_hours x their capacity."""
    spec = case.spec.phase_out
    chosen = spec.plants if spec.plants is not None else list(plants.index[plants["technology"] == "gas_boiler"])
    unknown = [p for p in chosen if p not in plants.index]
    if unknown:
        raise CaseError(
            f"{case.path}: key 'phase_out.plants': expected plant node ids of {network.path} "
            f"({', '.join(map(repr, plants.index)) or 'none'}), got {', '.join(map(repr, unknown))}"
        )
    capped = plants.index.isin(chosen) & spec.active
    plants = plants.assign(capped=capped)
    year = case.spec.economics.year
    if spec.forbidden_from is not None and year >= spec.forbidden_from:
        plants.loc[capped, ["capacity_MW", "must_run_MW"]] = 0.0
        return plants, None
    caps = [spec.max_MWh]
    caps.append(None if spec.max_demand_share is None else spec.max_demand_share * annual_demand_MWh)
    hours = spec.max_full_load_hours
    caps.append(None if hours is None else hours * float(plants.loc[capped, "capacity_MW"].sum()))
    given = [c for c in caps if c is not None]
    if not given:
        return plants, None
    cap = min(given)
    must_run_MWh = float(plants.loc[capped, "must_run_MW"].sum()) * 8760.0
    if cap < must_run_MWh:
        raise CaseError(
            f"{case.path}: key 'phase_out': expected a cap of at least the capped plants' must-run heat "
            f"({must_run_MWh:,.0f} MWh/yr), got {cap:,.0f} MWh/yr"
        )
    return plants, cap
