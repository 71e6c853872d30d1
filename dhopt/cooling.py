"""Default figures of a data-centre campus (``source`` node) by its cooling type, for a node that omits them.

Planning defaults with their basis, not measurements of any one campus: give a campus's own figures on
its node (``source_temperature_degC``, ``recovered_share``) or in the case (``heat_pump.source_cooling_K``)
and they win.

- ``source_temperature_degC``: temperature of the cooling water the campus hands to the heat pump, the
  evaporator inlet [°C].

  - liquid 45: direct-to-chip cooling on a warm facility loop, ASHRAE TC 9.9 liquid-cooling classes
    W32-W45 (facility supply at most 32-45 °C) with a ~10 K rise; LRZ SuperMUC takes up to 45 °C at the
    inlet, Asetek's district-heating design 60-65 °C.
  - air 27: Meta's air-cooled Odense campus hands Fjernvarme Fyn 27 °C water from the coils its server
    exhaust air crosses (DBDH, "Facebook heating up 7000 homes in Denmark", 2020); other air-cooled sites
    25-30 °C (Verne Global Helsinki 25-30 °C, CyrusOne Amsterdam ~30 °C).

- ``recovered_share``: share of the IT load carried by that water [-].

  - liquid 0.80: cold plates take 70-80 % of the server heat and the rest leaves with the room air at
    room temperature (Asetek: up to 4/5 of it in the liquid); fully liquid-cooled servers reach ~95 %.
    Heat left in the room air is a second, air-type source.
  - air 0.90: in a closed air-to-water design all the server heat crosses the coils (Verne Global
    Helsinki: ~1 MW of heat per MW of IT load); 10 % is allowed for heat lost with economiser and
    ventilation air and through the building (assumption).

- ``source_cooling_K``: cooling of that water in the evaporator [K].

  - liquid 10: the facility loop's design rise, ~10 K (OCP guidance of 1.5 l/min per kW at a 10 K
    rise; CDU loops 8-12 K); the Danish Energy Agency's excess-heat heat pump is rated on water cooled
    25 -> 15 °C.
  - air 7: 27 -> 20 °C, cold enough for the coils to keep the server inlet air within ASHRAE's
    recommended 18-27 °C (assumption).
"""

from __future__ import annotations

from types import MappingProxyType

COOLING_DEFAULTS = MappingProxyType(
    {
        "liquid": MappingProxyType(
            {"source_temperature_degC": 45.0, "recovered_share": 0.80, "source_cooling_K": 10.0}
        ),
        "air": MappingProxyType({"source_temperature_degC": 27.0, "recovered_share": 0.90, "source_cooling_K": 7.0}),
    }
)
"""Default figures per cooling type (read-only; see the module docstring for the basis of each)."""

COOLING_TYPES = tuple(COOLING_DEFAULTS)
"""Cooling types a ``source`` node may name, in the order of docs/formats.md."""


def cooling_default(cooling, field: str) -> float:
    """Default `field` of a source with this cooling type; NaN when `cooling` is not one (e.g. None).

    >>> cooling_default("air", "source_temperature_degC")
    27.0
    """
    return COOLING_DEFAULTS.get(cooling, {}).get(field, float("nan"))
