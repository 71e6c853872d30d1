"""Hydraulic check of a solved design at its peak hour: velocity and pressure drop per metre of
every model pipe (Darcy-Weisbach with the Swamee-Jain friction factor), against limits.

Only model pipes have flows: the pipes of the reduced network (the ``pipe`` dimension of
``results.nc``, with ``pipe_flow_MW`` and ``pipe_dn``). Pipes merged into a thermal zone by the
reduction (existing pipes whose capacity is never binding) and unbuilt candidates are not checked.
A model pipe that stands for a chain of pipes is checked with its one DN. The flow is the heat the
pipe carries at the peak-demand hour turned into a mass flow with the hour's supply temperature and
the case's return temperature; water properties are taken at 70 °C. Pure numpy physics below; no
thermo-hydraulic solver (pandapipes) is needed for a check of given flows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from dhopt.errors import CaseError
from dhopt.physics import WATER_CP_MJ_PER_KG_K, pipe_catalogue

WATER_DENSITY_KG_PER_M3 = 977.8  # at 70 °C [kg/m3]
WATER_VISCOSITY_PA_S = 4.04e-4  # dynamic viscosity at 70 °C [Pa s]
ROUGHNESS_M = 1e-5  # steel pipe, 0.01 mm absolute roughness [m]
DEFAULT_RETURN_DEGC = 40.0


def mass_flow_kg_per_s(heat_MW, supply_degC, return_degC):
    r"""Mass flow that carries a heat flow at a supply/return temperature difference [kg/s].

    .. math:: \dot m = \dot Q / (c_p (T_s - T_r))

    >>> round(float(mass_flow_kg_per_s(8.374, 80.0, 40.0)), 3)
    50.0
    """
    return np.abs(np.asarray(heat_MW, dtype=float)) / (WATER_CP_MJ_PER_KG_K * (np.asarray(supply_degC) - return_degC))


def velocity_m_per_s(mass_flow, inner_diameter_m, density_kg_per_m3=WATER_DENSITY_KG_PER_M3):
    r"""Mean flow velocity in a round pipe [m/s].

    .. math:: v = \dot m / (\rho \, \pi D^2 / 4)

    >>> round(float(velocity_m_per_s(7.679, 0.1)), 3)
    1.0
    """
    area_m2 = np.pi * np.asarray(inner_diameter_m, dtype=float) ** 2 / 4.0
    return np.asarray(mass_flow, dtype=float) / (density_kg_per_m3 * area_m2)


def reynolds(
    velocity, inner_diameter_m, density_kg_per_m3=WATER_DENSITY_KG_PER_M3, viscosity_Pa_s=WATER_VISCOSITY_PA_S
):
    r"""Reynolds number [-].

    .. math:: Re = \rho v D / \mu

    >>> round(float(reynolds(1.0, 0.1)))
    242030
    """
    return density_kg_per_m3 * np.asarray(velocity, dtype=float) * np.asarray(inner_diameter_m) / viscosity_Pa_s


def swamee_jain_friction_factor(reynolds_number, inner_diameter_m, roughness_m=ROUGHNESS_M):
    r"""Darcy friction factor [-]: Swamee-Jain (1976) explicit fit to Colebrook for turbulent flow,
    64/Re for laminar flow (Re < 2300); 0 without flow.

    .. math:: f = 0.25 / \left[\log_{10}\left(\frac{\varepsilon}{3.7 D} + \frac{5.74}{Re^{0.9}}\right)\right]^2

    References: Swamee, P.K., Jain, A.K. (1976), J. Hydraulics Div. ASCE 102(5), 657-664.

    >>> round(float(swamee_jain_friction_factor(242030.0, 0.1)), 5)
    0.01592
    """
    re = np.asarray(reynolds_number, dtype=float)
    safe = np.maximum(re, 1e-12)
    turbulent = 0.25 / np.log10(roughness_m / (3.7 * np.asarray(inner_diameter_m)) + 5.74 / safe**0.9) ** 2
    return np.where(re <= 0, 0.0, np.where(re < 2300, 64.0 / safe, turbulent))


def pressure_drop_Pa_per_m(
    velocity,
    inner_diameter_m,
    roughness_m=ROUGHNESS_M,
    density_kg_per_m3=WATER_DENSITY_KG_PER_M3,
    viscosity_Pa_s=WATER_VISCOSITY_PA_S,
):
    r"""Frictional pressure drop per metre of pipe, Darcy-Weisbach [Pa/m].

    .. math:: \Delta p / L = f \, \frac{1}{D} \, \frac{\rho v^2}{2}

    >>> round(float(pressure_drop_Pa_per_m(1.0, 0.1)), 1)
    77.8
    """
    v = np.asarray(velocity, dtype=float)
    d = np.asarray(inner_diameter_m, dtype=float)
    f = swamee_jain_friction_factor(reynolds(v, d, density_kg_per_m3, viscosity_Pa_s), d, roughness_m)
    return f / d * density_kg_per_m3 * v**2 / 2.0


@dataclass(frozen=True)
class Limits:
    pressure_drop_Pa_per_m: float = 250.0  # largest frictional pressure drop [Pa/m]
    velocity_m_per_s: float = 3.0  # largest mean velocity [m/s]


def check_pipes(flow_MW, dn_mm, supply_degC: float, return_degC: float, limits: Limits = Limits()) -> pd.DataFrame:
    """Per pipe (index of `flow_MW`, a Series [MW]): DN [mm], inner diameter [m], mass flow [kg/s],
    velocity [m/s], pressure drop [Pa/m] and which limit it violates ("" if none)."""
    inner = pipe_catalogue()["inner_diameter_m"].reindex(np.asarray(dn_mm, dtype=int)).to_numpy()
    mass = mass_flow_kg_per_s(flow_MW.to_numpy(), supply_degC, return_degC)
    speed = velocity_m_per_s(mass, inner)
    drop = pressure_drop_Pa_per_m(speed, inner)
    table = pd.DataFrame(
        {
            "dn_mm": np.asarray(dn_mm, dtype=int),
            "inner_diameter_m": inner,
            "flow_MW": flow_MW.to_numpy(),
            "mass_flow_kg_per_s": mass,
            "velocity_m_per_s": speed,
            "pressure_drop_Pa_per_m": drop,
        },
        index=flow_MW.index,
    )
    too_fast = np.where(speed > limits.velocity_m_per_s, f"velocity > {limits.velocity_m_per_s:g} m/s", "")
    too_steep = np.where(
        drop > limits.pressure_drop_Pa_per_m, f"pressure drop > {limits.pressure_drop_Pa_per_m:g} Pa/m", ""
    )
    table["violation"] = ["; ".join(p for p in pair if p) for pair in zip(too_fast, too_steep)]
    return table


def _return_degC(ds: xr.Dataset) -> float:
    """The case's return temperature from the ``case_json`` attribute, else 40 °C."""
    try:
        return float(json.loads(ds.attrs["case_json"])["temperatures"]["return_degC"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_RETURN_DEGC


def check_result(result_dir: str | Path, limits: Limits = Limits()) -> tuple[pd.DataFrame, dict]:
    """Check every built model pipe of ``RESULT_DIR/results.nc`` at the hour of highest demand.

    Returns the per-pipe table and the conditions used (hour, supply and return temperature [°C]).
    """
    path = Path(result_dir) / "results.nc"
    if not path.is_file():
        raise CaseError(f"{path}: not found; write results with dhopt run --out {result_dir}")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        ds = ds.load()
    peak = int(ds["demand_MW"].sum("zone").argmax("time"))
    hour = ds["time"].values[peak]
    supply = float(ds["supply_temperature_degC"].values[peak])
    back = _return_degC(ds)
    built = ds["pipe_dn"].notnull().values
    flow = ds["pipe_flow_MW"].isel(time=peak).to_series()[built]
    table = check_pipes(flow, ds["pipe_dn"].values[built], supply, back, limits)
    table.insert(0, "status", ds["pipe_status"].values[built])
    table.index.name = "pipe"
    return table, {"hour": hour, "supply_degC": supply, "return_degC": back}
