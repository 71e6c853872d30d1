"""Physics and economics as small pure functions; arrays in, arrays out, units in every name."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

KELVIN = 273.15
WATER_CP_MJ_PER_KG_K = 4.187e-3  # specific heat of water [MJ/(kg K)] = [MW s/(kg K)]
INSULATION_CONDUCTIVITY_W_PER_MK = 0.027  # PUR foam of pre-insulated pipes [W/(m K)]
SOIL_CONDUCTIVITY_W_PER_MK = 1.5  # moist soil [W/(m K)]
BURIAL_DEPTH_M = 1.0  # depth of the pipe axis [m]


def carnot_cop(t_sink_degC, t_source_degC, efficiency):
    r"""Heat-pump COP as a fraction of the ideal (Carnot) COP [-].

    The sink temperature is the network supply temperature the heat pump delivers, the source
    temperature the temperature at which the campus offers its heat (both in °C):

    .. math:: COP = \eta \, T_{sink} / (T_{sink} - T_{source}),  T \text{ in kelvin}

    The lift is floored at 5 K so the ideal COP stays finite.

    >>> round(float(carnot_cop(80.0, 45.0, 0.5)), 3)
    5.045
    """
    t_sink_K = np.asarray(t_sink_degC, dtype=float) + KELVIN
    lift_K = np.maximum(t_sink_K - (np.asarray(t_source_degC, dtype=float) + KELVIN), 5.0)
    return efficiency * t_sink_K / lift_K


def heating_curve(t_outdoor_degC, supply_max_degC, supply_min_degC, t_design_degC, t_limit_degC):
    r"""Network supply temperature [°C] from the outdoor temperature, linear between two points.

    .. math:: T_s = T_{min} + (T_{max} - T_{min}) \, \mathrm{clip}((T_{lim} - T_o)/(T_{lim} - T_{des}), 0, 1)

    >>> heating_curve([-12.0, 2.0, 20.0], 80.0, 65.0, -12.0, 16.0).tolist()
    [80.0, 72.5, 65.0]
    """
    share = (t_limit_degC - np.asarray(t_outdoor_degC, dtype=float)) / (t_limit_degC - t_design_degC)
    return supply_min_degC + (supply_max_degC - supply_min_degC) * np.clip(share, 0.0, 1.0)


@lru_cache(maxsize=1)
def pipe_catalogue() -> pd.DataFrame:
    """isoplus rigid pre-insulated steel pipes, indexed by DN [mm].

    Columns: ``inner_diameter_m``, ``outer_diameter_m`` (steel), ``max_mass_flow_kg_per_s`` (the
    catalogue's allowed flow at 60-80 Pa/m; DN1000, which has no upper figure, gets 1.15 x its lower
    one, the ratio of the neighbouring sizes).
    """
    with resources.files("dhopt.data").joinpath("isoplus.csv").open() as handle:
        raw = pd.read_csv(handle, comment="#")
    max_flow = raw["mass_flow_max"].fillna(raw["mass_flow_min"] * 1.15)
    return pd.DataFrame(
        {
            "inner_diameter_m": raw["inner_diameter"].to_numpy(),
            "outer_diameter_m": (raw["inner_diameter"] + 2 * raw["wall_thickness"]).to_numpy(),
            "max_mass_flow_kg_per_s": max_flow.to_numpy(),
        },
        index=pd.Index(raw["DN"].str.removeprefix("DN").astype(int), name="dn"),
    )


def pipe_capacity_MW(max_mass_flow_kg_per_s, delta_t_K):
    r"""Heat a pipe pair carries at its allowed mass flow [MW].

    .. math:: \dot Q = \dot m \, c_p \, (T_s - T_r)

    >>> round(float(pipe_capacity_MW(53.611, 40.0)), 2)
    8.98
    """
    return np.asarray(max_mass_flow_kg_per_s) * WATER_CP_MJ_PER_KG_K * np.asarray(delta_t_K)


def casing_diameter_m(outer_diameter_m):
    """Outer diameter of the insulation casing [m]; a fit to EN 253 series-2 pipes (±10 %).

    >>> round(float(casing_diameter_m(0.1143)), 3)
    0.241
    """
    return 0.075 + 1.45 * np.asarray(outer_diameter_m, dtype=float)


def pair_loss_conductance_W_per_mK(outer_diameter_m):
    r"""Heat-loss conductance of one buried pre-insulated pipe per trench metre [W/(m K)].

    Insulation and the soil above act as thermal resistances in series (mutual heating of the
    supply/return pair neglected):

    .. math:: U = 1/(R_{ins} + R_{soil}),\;
              R_{ins} = \frac{\ln(D_c/d_o)}{2\pi\lambda_{ins}},\;
              R_{soil} = \frac{\ln(4H/D_c)}{2\pi\lambda_{soil}}

    >>> round(float(pair_loss_conductance_W_per_mK(0.1143)), 4)
    0.2133
    """
    d_o = np.asarray(outer_diameter_m, dtype=float)
    d_c = casing_diameter_m(d_o)
    r_ins = np.log(d_c / d_o) / (2 * np.pi * INSULATION_CONDUCTIVITY_W_PER_MK)
    r_soil = np.log(4 * BURIAL_DEPTH_M / d_c) / (2 * np.pi * SOIL_CONDUCTIVITY_W_PER_MK)
    return 1.0 / (r_ins + r_soil)


def loss_driving_K(t_supply_degC, t_return_degC, t_ground_degC):
    r"""Temperature difference that drives the loss of a supply + return pair [K].

    .. math:: \Delta T_{loss} = (T_s - T_g) + (T_r - T_g)
    """
    return np.asarray(t_supply_degC, dtype=float) + np.asarray(t_return_degC, dtype=float) - 2 * t_ground_degC


def heat_loss_W_per_m(outer_diameter_m, t_supply_degC, t_return_degC, t_ground_degC):
    r"""Heat lost by a buried supply + return pipe pair per trench metre [W/m].

    .. math:: q' = U \, [(T_s - T_g) + (T_r - T_g)]

    >>> round(float(heat_loss_W_per_m(0.1143, 80.0, 40.0, 8.0)), 1)
    22.2
    """
    return pair_loss_conductance_W_per_mK(outer_diameter_m) * loss_driving_K(
        t_supply_degC, t_return_degC, t_ground_degC
    )


def annuity_factor(discount_rate, lifetime_yr):
    r"""Capital recovery factor [1/yr]: the yearly payment per EUR invested.

    .. math:: a = \frac{r (1+r)^n}{(1+r)^n - 1}, \quad a = 1/n \text{ for } r = 0

    >>> round(annuity_factor(0.04, 25), 5)
    0.06401
    """
    if discount_rate == 0:
        return 1.0 / lifetime_yr
    growth = (1.0 + discount_rate) ** lifetime_yr
    return discount_rate * growth / (growth - 1.0)
