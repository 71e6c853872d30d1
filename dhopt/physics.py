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


def log_mean_K(t_a_K, t_b_K):
    r"""Logarithmic mean of two absolute temperatures [K]; their common value where they are equal.

    .. math:: \bar T = (T_b - T_a) / \ln(T_b / T_a)

    >>> round(float(log_mean_K(308.15, 343.15)), 2)
    325.34
    """
    t_a, t_b = np.broadcast_arrays(np.asarray(t_a_K, dtype=float), np.asarray(t_b_K, dtype=float))
    ratio = t_b / t_a
    close = np.abs(ratio - 1.0) < 1e-9
    return np.where(close, t_a, (t_b - t_a) / np.log(np.where(close, 2.0, ratio)))


def lorenz_cop(t_sink_in_degC, t_sink_out_degC, t_source_in_degC, t_source_out_degC, lorenz_efficiency, approach_K):
    r"""Heat-pump COP as a share of the Lorenz COP between the gliding sink and source streams [-].

    The sink is the network water heated from ``t_sink_in`` (return) to ``t_sink_out`` (supply), the
    source the campus's cooling water cooled from ``t_source_in`` to ``t_source_out`` (all °C). Each
    stream's logarithmic-mean temperature is taken with the heat-exchanger approach (pinch) ``approach_K``
    shifted toward the refrigerant, so the condenser sits above the sink and the evaporator below the
    source; the Lorenz efficiency covers the remaining losses (compressor, throttling, auxiliaries):

    .. math::
        T_H = \bar T(T_{sink,in} + \Delta T, T_{sink,out} + \Delta T),\;
        T_L = \bar T(T_{source,out} - \Delta T, T_{source,in} - \Delta T),\;
        COP = \eta_L \, T_H / (T_H - T_L)

    with :math:`\bar T(a, b) = (b - a) / \ln(b / a)` in kelvin. With no glide (inlet = outlet) this is
    the Carnot form on the shifted temperatures. The lift :math:`T_H - T_L` is floored at 5 K so the COP
    stays finite.

    References: the Lorenz COP and Lorenz efficiency, Reinholdt, L. et al. (2018), "Heat pump COP, part 1:
    Generalized method for screening of system integration potentials", 13th IIR Gustav Lorentzen
    Conference, doi:10.18462/iir.gl.2018.1380; stream temperatures shifted by the pinch temperature
    difference as in Jensen, J.K. et al. (2018), "Heat pump COP, part 2: Generalized COP estimation of heat
    pump processes", doi:10.18462/iir.gl.2018.1386. Calibration of :math:`\eta_L`: `dhopt.case.HeatPump`.

    The Drammen (Norway) seawater ammonia heat pump, fjord water 8 -> 4 °C, district heating 60 -> 90 °C,
    reported COP 3.05 (EHPA; Hoffmann & Pearson 2011):

    >>> round(float(lorenz_cop(60.0, 90.0, 8.0, 4.0, 0.67, 5.0)), 2)
    3.0
    """
    t_high_K = log_mean_K(
        np.asarray(t_sink_in_degC) + approach_K + KELVIN, np.asarray(t_sink_out_degC) + approach_K + KELVIN
    )
    t_low_K = log_mean_K(
        np.asarray(t_source_out_degC) - approach_K + KELVIN, np.asarray(t_source_in_degC) - approach_K + KELVIN
    )
    return lorenz_efficiency * t_high_K / np.maximum(t_high_K - t_low_K, 5.0)


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
