"""KPI labels, units and number formats for reports, grouped for a reader; the summary sentence."""

from __future__ import annotations

import math
from dataclasses import dataclass

UNIT_WORDS = {"MW", "MWh", "kW", "kWh", "GWh", "EUR", "degC", "K", "t", "h", "yr", "m", "mm", "km", "s"}
UNIT_SHOWN = {"degC": "°C"}


@dataclass(frozen=True)
class Kpi:
    """How one KPI is shown: label, unit and format (a `str.format` pattern)."""

    key: str
    label: str
    unit: str
    fmt: str

    def text(self, value: float) -> str:
        """The value as printed in tables and sentences ("n/a" for a missing or NaN value)."""
        return "n/a" if value is None or math.isnan(value) else self.fmt.format(value + 0.0)  # no "-0"


def _k(key: str, label: str, unit: str, fmt: str = "{:,.0f}") -> Kpi:
    return Kpi(key, label, unit, fmt)


SECTIONS: dict[str, tuple[Kpi, ...]] = {
    "Heat supply": (
        _k("heat_demand_MWh", "heat demand", "MWh/yr"),
        _k("heat_delivered_MWh", "heat delivered", "MWh/yr"),
        _k("unmet_demand_MWh", "unmet demand", "MWh/yr", "{:,.1f}"),
        _k("homes_served", "homes served (equivalent)", "homes"),
        _k("plant_heat_MWh", "heat from existing plants", "MWh/yr"),
        _k("network_losses_MWh", "network losses", "MWh/yr"),
    ),
    "Campus waste heat": (
        _k("campus_heat_available_MWh", "campus heat available", "MWh/yr"),
        _k("campus_heat_to_network_MWh", "campus heat to the network", "MWh/yr"),
        _k("homes_heated_by_campus", "homes heated by the campus", "homes"),
        _k("campus_heat_reused_MWh", "campus heat reused", "MWh/yr"),
        _k("campus_heat_reused_share", "share of campus heat reused", "-", "{:.1%}"),
        _k("energy_reuse_factor", "energy reuse factor (ERF)", "-", "{:.3f}"),
        _k("rejected_heat_MWh", "campus heat rejected (dry coolers)", "MWh/yr"),
        _k("hp_heat_MWh", "heat-pump heat", "MWh/yr"),
        _k("direct_heat_MWh", "direct heat exchange", "MWh/yr"),
        _k("hp_electricity_MWh", "heat-pump electricity", "MWh/yr"),
        _k("hp_mean_cop", "heat-pump mean COP", "-", "{:.2f}"),
        _k("electricity_MWh", "electricity bought", "MWh/yr"),
    ),
    "Design": (
        _k("hp_capacity_MW", "heat-pump capacity", "MW", "{:,.1f}"),
        _k("storage_capacity_MWh", "storage capacity", "MWh"),
        _k("storage_net_charge_MWh", "storage net charge over the horizon", "MWh/yr", "{:,.1f}"),
    ),
    "Cost": (
        _k("levelised_cost_of_heat_EUR_per_MWh", "levelised cost of heat", "EUR/MWh", "{:,.1f}"),
        _k("annual_cost_EUR", "annual cost", "EUR/yr"),
        _k("investment_annuity_EUR", "investment annuity", "EUR/yr"),
        _k("operating_cost_EUR", "operating cost", "EUR/yr"),
        _k("reference_annual_cost_EUR", "annual cost without the campus", "EUR/yr"),
        _k("annual_saving_EUR", "saving against no campus", "EUR/yr"),
    ),
    "Climate": (
        _k("co2_t", "CO2 emitted", "t/yr"),
        _k("reference_co2_t", "CO2 without the campus", "t/yr"),
        _k("co2_saved_t", "CO2 saved against no campus", "t/yr"),
    ),
    "Solution": (
        _k("mip_gap", "MIP gap", "-", "{:.2%}"),
        _k("objective_EUR", "objective (incl. penalties)", "EUR/yr"),
        _k("design_stage_cost_EUR", "design-stage cost (typical days)", "EUR/yr"),
        _k("energy_balance_residual_MWh", "energy balance residual", "MWh/yr", "{:,.3f}"),
    ),
}
KPIS = {kpi.key: kpi for section in SECTIONS.values() for kpi in section}
HEADLINE = ("homes_heated_by_campus", "co2_saved_t", "levelised_cost_of_heat_EUR_per_MWh", "annual_saving_EUR")


def split_unit(name: str) -> tuple[str, str]:
    """Label and unit of a name that ends in its unit, e.g. ``"co2_price_EUR_per_t"`` -> ``("co2 price", "EUR/t")``.

    >>> split_unit("grid.import_limit_MW")
    ('grid: import limit', 'MW')
    >>> split_unit("economics.discount_rate")
    ('economics: discount rate', '')
    """
    section, _, field = name.rpartition(".")
    words = field.split("_")
    start = len(words)
    while start > 0 and (words[start - 1] in UNIT_WORDS or (words[start - 1] == "per" and start < len(words))):
        start -= 1
    while start < len(words) and words[start] == "per":
        start += 1
    if start == 0:  # nothing but unit-like words: keep the name
        start = len(words)
    unit = "/".join(UNIT_SHOWN.get(w, w) for w in words[start:] if w != "per")
    label = " ".join(words[:start])
    return (f"{section}: {label}" if section else label), unit


def kpi(key: str) -> Kpi:
    """The display of ``key``; an unknown KPI gets its name as label and the unit its name ends in."""
    if key in KPIS:
        return KPIS[key]
    label, unit = split_unit(key)
    return Kpi(key, label, unit or "-", "{:,.4g}")


def sectioned(figures: dict[str, float]) -> list[tuple[str, list[tuple[Kpi, float]]]]:
    """The KPIs present in ``figures``, by section; unknown ones last under "Other"."""
    sections = [(title, [(k, figures[k.key]) for k in kpis if k.key in figures]) for title, kpis in SECTIONS.items()]
    other = [(kpi(key), value) for key, value in figures.items() if key not in KPIS]
    return [(title, rows) for title, rows in [*sections, ("Other", other)] if rows]


def _amount(key: str, figures: dict[str, float]) -> str:
    return kpi(key).text(figures.get(key, math.nan))


def summary_sentences(figures: dict[str, float], horizon_hours: int, start_label: str) -> list[str]:
    """Plain-language summary for a board: what the campus gives, what it saves, what heat costs."""
    g = figures.get
    sentences = []
    if g("campus_heat_available_MWh", 0.0) > 0:
        sentences.append(
            f"The campus feeds {_amount('campus_heat_to_network_MWh', figures)} MWh of heat a year into the "
            f"district-heating network, enough to heat {_amount('homes_heated_by_campus', figures)} homes."
        )
        saved, saving = g("co2_saved_t", math.nan), g("annual_saving_EUR", math.nan)
        if math.isnan(saved) or math.isnan(saving):
            sentences.append("The same network without the campus has no solution, so no saving is given.")
        else:
            sentences.append(
                f"Against the same network without the campus it {'avoids' if saved >= 0 else 'adds'} "
                f"{kpi('co2_saved_t').text(abs(saved))} t of CO2 a year and {'saves' if saving >= 0 else 'costs'} "
                f"{kpi('annual_saving_EUR').text(abs(saving))} EUR a year{'' if saving >= 0 else ' more'}."
            )
    else:
        sentences.append(
            f"This case has no data-center campus: existing plants deliver "
            f"{_amount('heat_delivered_MWh', figures)} MWh of heat a year."
        )
    sentences.append(f"The levelised cost of heat is {_amount('levelised_cost_of_heat_EUR_per_MWh', figures)} EUR/MWh.")
    if g("unmet_demand_MWh", 0.0) > 0.5:
        sentences.append(f"Warning: {_amount('unmet_demand_MWh', figures)} MWh a year of demand is not met.")
    if horizon_hours < 8760:
        sentences.append(f"Annual figures scale the {horizon_hours:,}-hour horizon (from {start_label}) to a year.")
    return sentences
