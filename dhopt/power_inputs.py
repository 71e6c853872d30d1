"""The campus power side's inputs (`dhopt.model.power`): one table row per campus and two hourly tables.

Computed once from a validated case: the PV specific yield with pvlib (`dhopt.solar`), the IT load
IT_t = IT load x utilisation_t [MW], and every cost as an annual figure: a(r, n) I + F per MWp, MWh or
MW, the backup's electricity at fuel / efficiency + variable O&M + CO2 price x CO2 / efficiency
[EUR/MWh el]. A case without its own power side (`CaseSpec.own_power`) gets empty tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhopt import physics, solar
from dhopt.case import Case
from dhopt.errors import CaseError
from dhopt.power_case import Backup, Battery, Pv

POWER_COLUMNS = {
    "structural": ("pue", "recovered_share", "charge_efficiency", "discharge_efficiency", "keep_per_h",
                   "backup_co2_t_per_MWh", "backup_exportable"),
    "bounds": ("pv_min_MWp", "pv_max_MWp", "battery_min_MWh", "battery_max_MWh", "battery_min_MW",
               "battery_max_MW", "backup_min_MW", "backup_max_MW", "import_max_MW", "curtailable"),
    "cost": ("pv_annual_EUR_per_MWp", "battery_annual_EUR_per_MWh", "battery_annual_EUR_per_MW",
             "backup_annual_EUR_per_MW", "backup_EUR_per_MWh", "lost_compute_EUR_per_MWh"),
}  # fmt: skip
"""Columns of `Inputs.power` by how a re-solve may change them (`dhopt.inputs.declared`)."""
MAX_GHI_W_PER_M2 = 1500.0  # above the solar constant (1361 W/m2): not a ground measurement


def _range(given: float | None, largest: float) -> tuple[float, float]:
    """(lower, upper) bound of a capacity: the given one both ways, else 0 .. its max."""
    return (given, given) if given is not None else (0.0, largest)


def _capacity_columns(pv: Pv | None, battery: Battery | None, backup: Backup | None) -> dict[str, float]:
    none = (0.0, 0.0)
    pv_range = _range(pv.capacity_MWp, pv.max_MWp) if pv else none
    energy = _range(battery.capacity_MWh, battery.max_MWh) if battery else none
    power = _range(battery.power_MW, battery.max_MW) if battery else none
    generator = _range(backup.capacity_MW, backup.max_MW) if backup else none
    names = ("pv_{}_MWp", "battery_{}_MWh", "battery_{}_MW", "backup_{}_MW")
    values = {}
    for name, (low, high) in zip(names, (pv_range, energy, power, generator)):
        values[name.format("min")], values[name.format("max")] = low, high
    return values


def _cost_columns(case: Case) -> dict[str, float]:
    """Annual costs a(r, n) I + F [EUR/yr per MWp, MWh, MW], the backup's and lost compute's [EUR/MWh]."""
    spec = case.spec
    rate, co2_price = spec.economics.discount_rate, spec.economics.co2_price_EUR_per_t
    pv, battery, backup = spec.pv or Pv(latitude_deg=0, longitude_deg=0, clear_sky_index=1), spec.battery, spec.backup
    battery, backup = battery or Battery(), backup or Backup()
    lost = spec.campus.value_of_lost_compute_EUR_per_MWh
    return {
        "pv_annual_EUR_per_MWp": physics.annuity_factor(rate, pv.lifetime_yr) * pv.investment_EUR_per_MWp
        + pv.fixed_om_EUR_per_MWp_yr,
        "battery_annual_EUR_per_MWh": physics.annuity_factor(rate, battery.lifetime_yr)
        * battery.investment_EUR_per_MWh,
        "battery_annual_EUR_per_MW": physics.annuity_factor(rate, battery.inverter_lifetime_yr)
        * battery.investment_EUR_per_MW
        + battery.fixed_om_EUR_per_MW_yr,
        "backup_annual_EUR_per_MW": physics.annuity_factor(rate, backup.lifetime_yr) * backup.investment_EUR_per_MW
        + backup.fixed_om_EUR_per_MW_yr,
        "backup_EUR_per_MWh": (backup.fuel_EUR_per_MWh + co2_price * backup.co2_t_per_MWh_fuel) / backup.efficiency
        + backup.variable_om_EUR_per_MWh,
        "lost_compute_EUR_per_MWh": 0.0 if lost is None else lost,
    }


def _check_supply(case: Case) -> None:
    """An off-grid campus needs PV, a backup or curtailable IT load (one line)."""
    spec = case.spec
    if (
        not spec.grid.connected
        and spec.pv is None
        and spec.backup is None
        and (spec.campus.value_of_lost_compute_EUR_per_MWh is None)
    ):
        raise CaseError(
            f"{case.path}: key 'grid.connected': expected a [pv] or [backup] section, or "
            "campus.value_of_lost_compute_EUR_per_MWh, for a campus without a grid connection, got none"
        )


def power_table(case: Case, sources: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(structure and bounds, costs): one row per campus with its own power side (`POWER_COLUMNS`); empty
    tables without one."""
    spec = case.spec
    shaped = [c for group in ("structural", "bounds") for c in POWER_COLUMNS[group]]
    if not spec.own_power:
        none = sources.index[:0]
        return pd.DataFrame(index=none, columns=shaped, dtype=float), pd.DataFrame(
            index=none, columns=list(POWER_COLUMNS["cost"]), dtype=float
        )
    _check_supply(case)
    battery, backup = spec.battery or Battery(), spec.backup or Backup()
    row = {
        "pue": spec.campus.pue,
        "charge_efficiency": battery.charge_efficiency,
        "discharge_efficiency": battery.discharge_efficiency,
        "keep_per_h": 1.0 - battery.loss_per_hour,
        "backup_co2_t_per_MWh": backup.co2_t_per_MWh_fuel / backup.efficiency,
        "backup_exportable": float(spec.grid.export_backup),
        **_capacity_columns(spec.pv, spec.battery, spec.backup),
        "import_max_MW": np.inf if spec.grid.connected else 0.0,
        "curtailable": float(spec.campus.value_of_lost_compute_EUR_per_MWh is not None),
    }
    table = pd.DataFrame([row] * len(sources), index=sources.index)
    table["recovered_share"] = sources["recovered_share"].astype(float)
    costs = pd.DataFrame([_cost_columns(case)] * len(sources), index=sources.index)
    return table[shaped], costs[list(POWER_COLUMNS["cost"])]


def _ghi(case: Case, pv: Pv, site: solar.PvSite, times: pd.DatetimeIndex) -> np.ndarray:
    """GHI [W/m2]: the case's column (checked: present, 0..1500), or k_c x Ineichen clear sky."""
    if pv.ghi_column is None:
        return pv.clear_sky_index * solar.clear_sky_ghi_W_per_m2(site, times)
    if pv.ghi_column not in case.timeseries:
        raise CaseError(
            f"{case.path}: key 'pv.ghi_column': expected a column of {case.timeseries_path}, got {pv.ghi_column!r}"
        )
    ghi = case.timeseries[pv.ghi_column].to_numpy(dtype=float)
    outside = np.flatnonzero((ghi < 0) | (ghi > MAX_GHI_W_PER_M2))
    if outside.size:
        row = int(outside[0]) + case.spec.horizon.start_hour + 2
        raise CaseError(
            f"{case.timeseries_path}: row {row}: column '{pv.ghi_column}': expected an irradiance between 0 and "
            f"{MAX_GHI_W_PER_M2:g} W/m2, got {ghi[outside[0]]:g}"
        )
    return ghi


def pv_site(pv: Pv) -> solar.PvSite:
    """The array of `pv`: tilt |latitude| (at least 5 deg) and facing the equator unless given."""
    azimuth = pv.azimuth_deg if pv.azimuth_deg is not None else (180.0 if pv.latitude_deg >= 0 else 0.0)
    tilt = pv.tilt_deg if pv.tilt_deg is not None else max(abs(pv.latitude_deg), 5.0)
    return solar.PvSite(
        pv.latitude_deg, pv.longitude_deg, pv.altitude_m, pv.utc_offset_h, tilt, azimuth,
        pv.losses_share, pv.gamma_per_K, pv.inverter_efficiency, pv.dc_ac_ratio,
    )  # fmt: skip


def hourly_power(case: Case, power: pd.DataFrame, sources: pd.DataFrame, profiles: pd.Series):
    """(PV yield [MW/MWp], IT load [MW]), time x campus of `power`; the yield 0 without `[pv]`.
    `profiles`: campus -> its utilisation column of the time series (checked by `dhopt.inputs`)."""
    time = case.timeseries.index.rename("time")
    campuses = power.index
    utilisation = case.timeseries[list(profiles.reindex(campuses))].to_numpy(dtype=float)
    it = utilisation * sources.loc[campuses, "it_load_MW"].to_numpy(dtype=float)
    pv = case.spec.pv
    per_MWp = np.zeros(len(time))
    if pv is not None and len(campuses):
        site = pv_site(pv)
        times = solar.hour_times(pv.year, time.to_numpy(), pv.utc_offset_h)
        temperature = case.timeseries["outdoor_temperature_degC"].to_numpy(dtype=float)
        per_MWp = solar.specific_yield(site, times, _ghi(case, pv, site, times), temperature)
    pv_yield = pd.DataFrame(np.repeat(per_MWp[:, None], len(campuses), axis=1), index=time, columns=campuses)
    return pv_yield, pd.DataFrame(it, index=time, columns=campuses)
