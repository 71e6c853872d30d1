"""The plain-language summary at the top of a report."""

from __future__ import annotations

import math

from dhopt.kpi_format import kpi


def _amount(key: str, figures: dict[str, float]) -> str:
    return kpi(key).text(figures.get(key, math.nan))


def summary_sentences(figures: dict[str, float], horizon_hours: int, start_label: str) -> list[str]:
    """Plain-language summary for a board: what the campus gives, what it saves, what heat costs."""
    g = figures.get
    sentences = []
    if g("campus_heat_available_MWh", 0.0) > 0:
        sentences.append(
            f"The campus feeds {_amount('campus_heat_to_network_MWh', figures)} MWh of heat a year into the "
            f"district-heating network (heat-pump output and direct exchange); its own waste heat in it, without "
            f"the heat pumps' electricity, is enough to heat "
            f"{_amount('homes_heated_by_campus', figures)} homes."
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
    sentences += _production_sentences(figures)
    if g("unmet_demand_MWh", 0.0) > 0.5:
        sentences.append(f"Warning: {_amount('unmet_demand_MWh', figures)} MWh a year of demand is not met.")
    if horizon_hours < 8760:
        sentences.append(f"Annual figures scale the {horizon_hours:,}-hour horizon (from {start_label}) to a year.")
    return sentences


def _production_sentences(figures: dict[str, float]) -> list[str]:
    """New production built, the pit storage's summer heat carried into winter, and the phase-out."""
    g, sentences = figures.get, []
    if g("new_production_capacity_MW", 0.0) > 0.05:
        sentences.append(
            f"New heat production of {_amount('new_production_capacity_MW', figures)} MW is built and delivers "
            f"{_amount('new_production_heat_MWh', figures)} MWh a year."
        )
    if g("pit_storage_capacity_MWh", 0.0) > 0.5:
        sentences.append(
            f"A pit thermal store of {_amount('pit_storage_capacity_MWh', figures)} MWh carries "
            f"{_amount('ptes_summer_heat_to_winter_MWh', figures)} MWh of summer heat (May-September) into winter."
        )
    if "phase_out_extra_cost_EUR" in figures:
        sentences.append(
            f"The phase-out lowers the phased-out plants' heat from {_amount('uncapped_phased_out_heat_MWh', figures)}"
            f" to {_amount('phased_out_heat_MWh', figures)} MWh a year and avoids "
            f"{_amount('phase_out_co2_avoided_t', figures)} t of CO2 at "
            f"{_amount('co2_avoided_cost_EUR_per_t', figures)} EUR/t."
        )
    return sentences
