"""Default figures of the existing heat producers (``plant`` nodes), one row per technology.

Sources:
- Danish Energy Agency, Technology Data for Generation of Electricity and District Heating (efficiencies, variable O&M).
- IPCC 2006 Guidelines for National Greenhouse Gas Inventories, Vol. 2, Table 2.2 (CO2 emission factors of fuels).

Figures per MWh of *heat* delivered:

- ``marginal_cost_EUR_per_MWh``: fuel + variable O&M [EUR/MWh]. The electric boiler carries only its
  variable O&M, because the model prices its electricity hour by hour.
- ``co2_t_per_MWh``: direct CO2 [t/MWh] = fuel emission factor / boiler efficiency, e.g. gas
  0.202 t/MWh fuel / 0.97 = 0.208; oil 0.267 / 0.93 = 0.287; biomass counted as 0.
- ``electric_efficiency``: heat out per electricity in [-]; electric boiler only, NaN otherwise.
"""

from __future__ import annotations

import math
from types import MappingProxyType

_NAN = math.nan

PLANT_DEFAULTS = MappingProxyType(
    {
        "waste_to_energy": {"marginal_cost_EUR_per_MWh": 5.0, "co2_t_per_MWh": 0.08, "electric_efficiency": _NAN},
        "gas_boiler": {"marginal_cost_EUR_per_MWh": 37.0, "co2_t_per_MWh": 0.208, "electric_efficiency": _NAN},
        "oil_boiler": {"marginal_cost_EUR_per_MWh": 60.0, "co2_t_per_MWh": 0.287, "electric_efficiency": _NAN},
        "electric_boiler": {"marginal_cost_EUR_per_MWh": 1.0, "co2_t_per_MWh": 0.0, "electric_efficiency": 0.99},
        "biomass_boiler": {"marginal_cost_EUR_per_MWh": 30.0, "co2_t_per_MWh": 0.0, "electric_efficiency": _NAN},
    }
)
"""Default figures per technology (read-only); use `plant_defaults` for a copy of one row."""

TECHNOLOGIES = tuple(PLANT_DEFAULTS)
"""Technologies a ``plant`` node may name, in the order of docs/formats.md."""


def plant_defaults(technology: str) -> dict[str, float]:
    """Default figures of one plant technology (a fresh dict; see the module docstring for units).

    >>> plant_defaults("gas_boiler")["co2_t_per_MWh"]
    0.208

    Raises ``ValueError`` naming the known technologies when ``technology`` is not one of them.
    """
    try:
        return dict(PLANT_DEFAULTS[technology])
    except (KeyError, TypeError):
        known = ", ".join(repr(name) for name in TECHNOLOGIES)
        raise ValueError(f"unknown plant technology {technology!r}; expected one of {known}") from None
