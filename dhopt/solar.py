"""Hourly PV output per MWp from irradiance and air temperature, with pvlib (computed once, in `dhopt.inputs`).

The chain, PVWatts-style (Dobos 2014, NREL/TP-6A20-62641):

1. sun position at the middle of each hour (`pvlib.solarposition.get_solarposition`);
2. global horizontal irradiance GHI: given, or pvlib's clear-sky model (Ineichen with the Linke
   turbidity climatology shipped with pvlib, `pvlib.location.Location.get_clearsky`) times a stated
   clear-sky index k_c = GHI / GHI_clear;
3. GHI split into beam and diffuse (Erbs et al. 1982, `pvlib.irradiance.erbs`) and transposed to the
   plane of the array (Hay-Davies, `pvlib.irradiance.get_total_irradiance`);
4. cell temperature (Faiman 2008, `pvlib.temperature.faiman`, 1 m/s wind);
5. DC power P_dc = G_poa / 1000 (1 + gamma (T_cell - 25)) per MWp (`pvlib.pvsystem.pvwatts_dc`), less the
   system losses (soiling, wiring, mismatch...; PVWatts default 14 %), then the PVWatts inverter
   (`pvlib.inverter.pvwatts`, nominal efficiency, DC/AC ratio: output clipped at 1 / ratio MW per MWp).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PvSite:
    """Where and how the array is built: latitude and longitude [deg], altitude [m], UTC offset of the
    time series [h], tilt and azimuth [deg, 180 = south], losses [-], temperature coefficient [1/K],
    inverter nominal efficiency [-] and DC/AC ratio [-]."""

    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    utc_offset_h: float = 0.0
    tilt_deg: float = 10.0
    azimuth_deg: float = 180.0
    losses_share: float = 0.14
    gamma_per_K: float = -0.0037
    inverter_efficiency: float = 0.96
    dc_ac_ratio: float = 1.2


def hour_times(year: int, hours: np.ndarray, utc_offset_h: float) -> pd.DatetimeIndex:
    """The middle of each hour of the year `hours` (0 = 1 January 00:00-01:00) in local standard time."""
    start = pd.Timestamp(year=year, month=1, day=1, tz=timezone(timedelta(hours=utc_offset_h)))
    return start + pd.to_timedelta(np.asarray(hours, dtype=float) + 0.5, unit="h")


def clear_sky_ghi_W_per_m2(site: PvSite, times: pd.DatetimeIndex) -> np.ndarray:
    """Ineichen clear-sky GHI at `site` [W/m2] (`pvlib.location.Location.get_clearsky`, Linke turbidity
    from pvlib's monthly climatology)."""
    from pvlib.location import Location

    location = Location(site.latitude_deg, site.longitude_deg, altitude=site.altitude_m)
    return location.get_clearsky(times, model="ineichen")["ghi"].to_numpy()


def specific_yield(
    site: PvSite, times: pd.DatetimeIndex, ghi_W_per_m2: np.ndarray, temp_air_degC: np.ndarray
) -> np.ndarray:
    """AC output per MWp of modules in each hour [MW/MWp] from GHI [W/m2] and air temperature [degC]
    (module docstring: Erbs, Hay-Davies, Faiman, PVWatts DC and inverter)."""
    import pvlib

    ghi = np.clip(np.asarray(ghi_W_per_m2, dtype=float), 0.0, None)
    sun = pvlib.solarposition.get_solarposition(times, site.latitude_deg, site.longitude_deg, site.altitude_m)
    split = pvlib.irradiance.erbs(ghi, sun["zenith"].to_numpy(), times.dayofyear.to_numpy())
    poa = pvlib.irradiance.get_total_irradiance(
        site.tilt_deg,
        site.azimuth_deg,
        sun["apparent_zenith"].to_numpy(),
        sun["azimuth"].to_numpy(),
        np.nan_to_num(split["dni"]),
        ghi,
        np.nan_to_num(split["dhi"]),
        dni_extra=pvlib.irradiance.get_extra_radiation(times).to_numpy(),
        model="haydavies",
    )["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float)).clip(min=0.0)
    cell_degC = pvlib.temperature.faiman(poa, np.asarray(temp_air_degC, dtype=float))
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell_degC, 1.0, site.gamma_per_K) * (1.0 - site.losses_share)
    ac = pvlib.inverter.pvwatts(dc, 1.0 / site.dc_ac_ratio / site.inverter_efficiency, site.inverter_efficiency)
    return np.clip(np.nan_to_num(np.asarray(ac, dtype=float)), 0.0, None)
