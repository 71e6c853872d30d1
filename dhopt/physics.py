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
WATER_DENSITY_KG_PER_M3 = 977.8  # at 70 °C [kg/m3]
WATER_VISCOSITY_PA_S = 4.04e-4  # dynamic viscosity at 70 °C [Pa s]
ROUGHNESS_M = 1e-5  # new steel pipe, 0.01 mm absolute roughness [m]


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


def allowed_velocity_m_per_s(
    inner_diameter_m, max_pressure_drop_Pa_per_m, max_velocity_m_per_s=np.inf, roughness_m=ROUGHNESS_M
):
    r"""Largest mean velocity at which the frictional pressure drop stays within its limit, capped at
    the velocity limit [m/s]: the hydraulic basis of a pipe's capacity.

    .. math:: v^* = \min\left(\max\{v : f(Re(v)) \, \frac{1}{D} \frac{\rho v^2}{2} \le R\}, v_{max}\right)

    Darcy-Weisbach with the Swamee-Jain friction factor (`pressure_drop_Pa_per_m`); the pressure drop
    rises with the velocity (with a step up at the laminar-turbulent change), so the largest allowed
    velocity is found by bisection on [0, 50] m/s to 1e-12 m/s.

    At 80 Pa/m a DN200 pipe (inner 210.1 mm) carries 1.63 m/s = 55.3 kg/s; the isoplus catalogue allows
    53.6 kg/s at 60-80 Pa/m (`isoplus.csv`, which this reproduces within 5 % from DN50 to DN900):

    >>> round(float(allowed_velocity_m_per_s(0.2101, 80.0)), 2)
    1.63
    """
    d = np.asarray(inner_diameter_m, dtype=float)
    low, high = np.zeros_like(d), np.full_like(d, 50.0)
    for _ in range(56):  # 50 m/s / 2**56 < 1e-15 m/s
        middle = 0.5 * (low + high)
        within = pressure_drop_Pa_per_m(middle, d, roughness_m) <= max_pressure_drop_Pa_per_m
        low, high = np.where(within, middle, low), np.where(within, high, middle)
    return np.minimum(low, max_velocity_m_per_s)


def allowed_mass_flow_kg_per_s(
    inner_diameter_m, max_pressure_drop_Pa_per_m, max_velocity_m_per_s=np.inf, roughness_m=ROUGHNESS_M
):
    r"""Largest mass flow a pipe may carry within its pressure-drop and velocity limits [kg/s].

    .. math:: \dot m^* = \rho \, \pi D^2 / 4 \; v^*  \quad (v^*: `allowed\_velocity\_m\_per\_s`)

    >>> round(float(allowed_mass_flow_kg_per_s(0.2101, 80.0)), 1)
    55.3
    """
    d = np.asarray(inner_diameter_m, dtype=float)
    speed = allowed_velocity_m_per_s(d, max_pressure_drop_Pa_per_m, max_velocity_m_per_s, roughness_m)
    return WATER_DENSITY_KG_PER_M3 * np.pi * d**2 / 4.0 * speed


@lru_cache(maxsize=1)
def pipe_catalogue() -> pd.DataFrame:
    """isoplus rigid pre-insulated steel pipes, indexed by DN [mm].

    Columns: ``inner_diameter_m``, ``wall_thickness_m``, ``outer_diameter_m`` (steel), and the catalogue's
    allowed mass flows at 60 and 80 Pa/m, ``isoplus_flow_60_Pa_per_m_kg_per_s`` and
    ``isoplus_flow_80_Pa_per_m_kg_per_s`` (NaN where not given): the published points
    `allowed_mass_flow_kg_per_s` is tested against; a pipe's capacity comes from the case's hydraulic basis.
    """
    with resources.files("dhopt.data").joinpath("isoplus.csv").open() as handle:
        raw = pd.read_csv(handle, comment="#")
    return pd.DataFrame(
        {
            "inner_diameter_m": raw["inner_diameter"].to_numpy(),
            "wall_thickness_m": raw["wall_thickness"].to_numpy(),
            "outer_diameter_m": (raw["inner_diameter"] + 2 * raw["wall_thickness"]).to_numpy(),
            "isoplus_flow_60_Pa_per_m_kg_per_s": raw["mass_flow_min"].to_numpy(),
            "isoplus_flow_80_Pa_per_m_kg_per_s": raw["mass_flow_max"].to_numpy(),
        },
        index=pd.Index(raw["DN"].str.removeprefix("DN").astype(int), name="dn"),
    )


def pipe_diameters_m(dn_mm, inner_diameter_m=np.nan) -> tuple[np.ndarray, np.ndarray]:
    """Inner and outer steel diameters of pipes [m]: a given inner diameter (finite ``inner_diameter_m``)
    with the wall thickness interpolated linearly over the catalogue's inner diameters, else the
    catalogue's figures for the DN [mm] (NaN for a DN not in the catalogue).

    >>> [round(float(d[0]), 4) for d in pipe_diameters_m(175, 0.185)]
    [0.185, 0.1935]
    """
    catalogue = pipe_catalogue()
    dn, own = np.broadcast_arrays(
        np.atleast_1d(np.asarray(dn_mm, dtype=float)), np.asarray(inner_diameter_m, dtype=float)
    )
    listed = catalogue.reindex(np.where(np.isfinite(dn), dn, -1).astype(int))
    wall = np.interp(own, catalogue["inner_diameter_m"], catalogue["wall_thickness_m"])
    given = np.isfinite(own)
    inner = np.where(given, own, listed["inner_diameter_m"].to_numpy())
    outer = np.where(given, own + 2 * wall, listed["outer_diameter_m"].to_numpy())
    return inner, outer


def pipe_capacity_MW(max_mass_flow_kg_per_s, delta_t_K):
    r"""Heat a pipe pair carries at its allowed mass flow [MW] (`allowed_mass_flow_kg_per_s`).

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
