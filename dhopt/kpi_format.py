"""KPI labels, units and number formats, grouped for a reader; shared by the command line and reports."""

from __future__ import annotations

import math
from dataclasses import dataclass

UNIT_WORDS = {"MW", "MWh", "kW", "kWh", "GWh", "EUR", "degC", "K", "t", "h", "yr", "m", "mm", "km", "s"}
UNIT_SHOWN = {"degC": "°C"}


def number(fmt: str, value: float | None) -> str:
    """``fmt.format(value)``, "n/a" for a missing or NaN value, and never a negative zero ("-0.0").

    >>> number("{:,.1f}", -1e-12), number("{:.0%}", float("nan")), number("{:,.0f}", -1234.5)
    ('0.0', 'n/a', '-1,234')
    """
    if value is None or math.isnan(value):
        return "n/a"
    text = fmt.format(value)
    return text[1:] if text.startswith("-") and not text.strip("-0.,%") else text


@dataclass(frozen=True)
class Kpi:
    """How one KPI is shown: label, unit and format (a `str.format` pattern)."""

    key: str
    label: str
    unit: str
    fmt: str

    def text(self, value: float) -> str:
        """The value as printed in tables and sentences ("n/a" for a missing or NaN value)."""
        return number(self.fmt, value)


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
        _k("homes_heated_by_campus", "homes heated by waste heat", "homes"),
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
    "Campus electricity": (
        _k("pv_capacity_MWp", "PV capacity", "MWp", "{:,.3f}"),
        _k("battery_energy_MWh", "battery energy capacity", "MWh", "{:,.3f}"),
        _k("battery_power_MW", "battery power capacity", "MW", "{:,.3f}"),
        _k("backup_capacity_MW", "backup generator capacity", "MW", "{:,.3f}"),
        _k("it_load_MWh", "IT energy asked for", "MWh/yr", "{:,.1f}"),
        _k("it_served_MWh", "IT energy served", "MWh/yr", "{:,.1f}"),
        _k("curtailed_it_MWh", "IT energy curtailed", "MWh/yr", "{:,.1f}"),
        _k("curtailed_hours_h", "hours of curtailed compute", "h/yr"),
        _k("pv_available_MWh", "PV output possible", "MWh/yr", "{:,.1f}"),
        _k("pv_MWh", "PV output used", "MWh/yr", "{:,.1f}"),
        _k("pv_spilled_MWh", "PV output spilled", "MWh/yr", "{:,.1f}"),
        _k("battery_discharge_MWh", "battery discharge", "MWh/yr", "{:,.1f}"),
        _k("backup_MWh", "backup generation", "MWh/yr", "{:,.1f}"),
        _k("backup_hours_h", "hours the backup runs", "h/yr"),
        _k("backup_while_exporting_h", "hours the backup runs while exporting", "h/yr"),
        _k("grid_import_MWh", "grid import of the campus", "MWh/yr", "{:,.1f}"),
        _k("grid_export_MWh", "grid export of the campus", "MWh/yr", "{:,.1f}"),
        _k("grid_export_revenue_EUR", "export revenue (the campus's)", "EUR/yr"),
        _k("backup_co2_t", "backup CO2", "t/yr", "{:,.1f}"),
        _k("power_annuity_EUR", "power-side annuities (PV, battery, backup)", "EUR/yr"),
        _k("power_operating_cost_EUR", "power-side fuel, O&M and import", "EUR/yr"),
        _k("power_cost_EUR", "power-side cost, net of export revenue", "EUR/yr"),
        _k("lost_compute_EUR", "value of compute lost", "EUR/yr"),
        _k("levelised_cost_of_compute_energy_EUR_per_MWh", "levelised cost of compute energy", "EUR/MWh", "{:,.1f}"),
        _k("power_balance_residual_MW", "largest electricity balance residual", "MW", "{:.1e}"),
    ),
    "Fleet (units in buildings)": (
        _k("fleet_units", "fleet units", "-"),
        _k("fleet_it_capacity_MW", "fleet IT capacity", "MW", "{:,.2f}"),
        _k("fleet_heat_available_MWh", "fleet server heat recovered", "MWh/yr"),
        _k("fleet_heat_to_buildings_MWh", "fleet heat used in its host buildings", "MWh/yr"),
        _k("fleet_heat_to_network_MWh", "fleet heat into the network", "MWh/yr"),
        _k("fleet_heat_rejected_MWh", "fleet heat rejected", "MWh/yr"),
        _k("fleet_homes_heated", "homes heated by the fleet", "homes"),
        _k("fleet_hp_capacity_MW", "fleet small heat pumps", "MW", "{:,.2f}"),
        _k("fleet_hp_electricity_MWh", "fleet heat-pump electricity", "MWh/yr"),
        _k("heat_reused_without_shifting_MWh", "heat reused without compute shifting", "MWh/yr"),
        _k("homes_heated_without_shifting", "homes heated without compute shifting", "homes"),
        _k("fleet_heat_rejected_without_shifting_MWh", "fleet heat rejected without shifting", "MWh/yr"),
        _k("annual_cost_without_shifting_EUR", "annual cost without compute shifting", "EUR/yr"),
        _k("fleet_compute_moved_MWh", "compute moved between units", "MWh/yr"),
        _k("fleet_compute_moved_peak_MW", "largest compute moved in an hour", "MW", "{:,.2f}"),
        _k("fleet_hours_with_moves_h", "hours with compute moved", "h/yr"),
    ),
    "Design": (
        _k("hp_capacity_MW", "heat-pump capacity", "MW", "{:,.1f}"),
        _k("storage_capacity_MWh", "storage capacity", "MWh"),
        _k("storage_net_charge_MWh", "storage net charge over the horizon", "MWh/yr", "{:,.1f}"),
    ),
    "New production and phase-out": (
        _k("new_production_capacity_MW", "new production capacity", "MW", "{:,.1f}"),
        _k("new_production_heat_MWh", "heat from new production", "MWh/yr"),
        _k("new_production_electricity_MWh", "electricity of new production", "MWh/yr"),
        _k("pit_storage_capacity_MWh", "pit storage (PTES) capacity", "MWh"),
        _k("pit_discharge_MWh", "pit storage discharge", "MWh/yr"),
        _k("ptes_summer_heat_to_winter_MWh", "summer heat carried into winter (PTES)", "MWh/yr"),
        _k("phased_out_heat_MWh", "heat of the phased-out plants", "MWh/yr"),
        _k("uncapped_phased_out_heat_MWh", "their heat without the phase-out", "MWh/yr"),
        _k("uncapped_annual_cost_EUR", "annual cost without the phase-out", "EUR/yr"),
        _k("uncapped_co2_t", "CO2 without the phase-out", "t/yr"),
        _k("uncapped_unmet_demand_MWh", "unmet demand without the phase-out", "MWh/yr", "{:,.1f}"),
        _k("phase_out_extra_cost_EUR", "extra cost of the phase-out", "EUR/yr"),
        _k("phase_out_co2_avoided_t", "CO2 avoided by the phase-out", "t/yr"),
        _k("co2_avoided_cost_EUR_per_t", "cost per tonne of CO2 avoided", "EUR/t", "{:,.1f}"),
    ),
    "Cost": (
        _k("levelised_cost_of_heat_EUR_per_MWh", "levelised cost of heat", "EUR/MWh", "{:,.1f}"),
        _k("annual_cost_EUR", "annual cost", "EUR/yr"),
        _k("investment_annuity_EUR", "investment annuity", "EUR/yr"),
        _k("operating_cost_EUR", "operating cost", "EUR/yr"),
        _k("reference_annual_cost_EUR", "annual cost without the campus", "EUR/yr"),
        _k("annual_saving_EUR", "saving against no campus", "EUR/yr"),
        _k("reference_unmet_demand_MWh", "heat left unmet without the campus", "MWh/yr", "{:,.1f}"),
        _k("reference_backup_MW", "backup e-boiler the comparison gives it", "MW", "{:,.1f}"),
        _k("unmet_backup_EUR", "backup for this plan's own unmet heat", "EUR/yr"),
    ),
    "Electricity grid": (
        _k("grid_import_peak_MW", "largest electricity import", "MW", "{:,.1f}"),
        _k("grid_limit_binding_h", "hours the grid import limit binds", "h/yr"),
        _k("grid_limit_value_EUR_per_MW_yr", "value of 1 MW more import limit", "EUR/yr per MW"),
        _k("grid_export_limit_binding_h", "hours the grid export limit binds", "h/yr"),
        _k("grid_export_limit_value_EUR_per_MW_yr", "value of 1 MW more export limit", "EUR/yr per MW"),
    ),
    "Contract (who pays what)": (
        _k("contract_paid_heat_MWh", "heat paid for", "MWh/yr"),
        _k("heat_price_mean_EUR_per_MWh", "mean heat price", "EUR/MWh", "{:,.2f}"),
        _k("campus_revenue_EUR", "campus revenue from heat", "EUR/yr"),
        _k("campus_cost_EUR", "campus cost of what it owns", "EUR/yr"),
        _k("campus_net_EUR", "campus net", "EUR/yr"),
        _k("utility_saving_EUR", "utility saving after paying for heat", "EUR/yr"),
        _k("campus_npv_EUR", "campus NPV over the contract", "EUR"),
        _k("utility_npv_EUR", "utility NPV over the contract", "EUR"),
        _k("contract_years", "contract length", "yr", "{:,.0f}"),
        _k("bargaining_min_EUR_per_MWh", "lowest price the campus accepts", "EUR/MWh", "{:,.2f}"),
        _k("bargaining_max_EUR_per_MWh", "highest price the utility accepts", "EUR/MWh", "{:,.2f}"),
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
        _k("horizon_h", "hours modelled (per-year figures scale them)", "h", "{:,.0f}"),
        _k("energy_balance_residual_MWh", "energy balance residual", "MWh/yr", "{:,.3f}"),
    ),
}
KPIS = {kpi.key: kpi for section in SECTIONS.values() for kpi in section}
FLEET_SHOWN = tuple(k.key for k in SECTIONS["Fleet (units in buildings)"])
"""Shown after the other KPIs of `dhopt run` for a case with a fleet (`dhopt.model.fleet`)."""
PRODUCTION_PREFIXES = ("new_", "replaced_by_")  # per-technology KPIs, shown with "New production and phase-out"
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


def _per_technology(key: str) -> Kpi | None:
    """The display of a per-technology KPI of new production or of a phase-out's replacement, else None.

    >>> _per_technology("new_electric_boiler_capacity_MW").label, _per_technology("replaced_by_unmet_MWh").label
    ('new electric_boiler capacity', 'change in heat: unmet')
    """
    if key.startswith("replaced_by_") and key.endswith("_MWh"):
        return Kpi(key, f"change in heat: {key[12:-4]}", "MWh/yr", "{:+,.0f}")
    if key.startswith("new_") and key.endswith("_capacity_MW"):
        return Kpi(key, f"new {key[4:-12]} capacity", "MW", "{:,.1f}")
    if key.startswith("new_") and key.endswith("_heat_MWh"):
        return Kpi(key, f"heat from new {key[4:-9]}", "MWh/yr", "{:,.0f}")
    return None


def kpi(key: str) -> Kpi:
    """The display of ``key``; an unknown KPI gets its name as label and the unit its name ends in."""
    if key in KPIS:
        return KPIS[key]
    if _per_technology(key) is not None:
        return _per_technology(key)
    label, unit = split_unit(key)
    return Kpi(key, label, unit or "-", "{:,.4g}")


def sectioned(figures: dict[str, float]) -> list[tuple[str, list[tuple[Kpi, float]]]]:
    """The KPIs present in ``figures``, by section; unknown ones last under "Other"."""
    sections = [(title, [(k, figures[k.key]) for k in kpis if k.key in figures]) for title, kpis in SECTIONS.items()]
    per_technology = [(kpi(k), v) for k, v in figures.items() if k not in KPIS and k.startswith(PRODUCTION_PREFIXES)]
    other = [(kpi(k), v) for k, v in figures.items() if k not in KPIS and not k.startswith(PRODUCTION_PREFIXES)]
    sections = [(t, rows + per_technology if t == "New production and phase-out" else rows) for t, rows in sections]
    return [(title, rows) for title, rows in [*sections, ("Other", other)] if rows]


def horizon_note(hours: int, start_hour: int = 0) -> str | None:
    """A line saying that per-year figures of a horizon shorter than a year extrapolate it (None for a
    full year): each figure is the period's value times 8760 / hours.

    >>> horizon_note(168)
    'note: 168 h modelled (hours 0-167); every per-year figure is that period scaled by 8760/168 = 52.1, an extrapolation of it, not a full-year result'
    """
    if hours >= 8760:
        return None
    return (
        f"note: {hours} h modelled (hours {start_hour}-{start_hour + hours - 1}); every per-year figure is that "
        f"period scaled by 8760/{hours} = {8760 / hours:.1f}, an extrapolation of it, not a full-year result"
    )
