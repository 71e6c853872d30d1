"""Case sections of a campus's own electricity: `[pv]`, `[battery]`, `[backup]` (pydantic, like `dhopt.case`).

Default costs are Danish Energy Agency technology data as processed by PyPSA technology-data
(`outputs/costs_2025.csv`, CC BY 4.0 "Danish Energy Agency"): sheet 22 utility-scale PV (2020 EUR),
the energy-storage catalogue's lithium-ion battery and its inverter (2015 EUR), sheet 50 diesel engine
farm (2015 EUR) with fuel oil at 52.9 EUR/MWh (IEA WEM 2017) and 0.257 t CO2/MWh of fuel. A capacity
left unset is sized by the model between 0 and its `max_*`; a given one is built as given.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

RESOLVABLE = {"resolvable": True}  # as `dhopt.case.RESOLVABLE` (no import: `dhopt.case` imports this module)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _sized(given: float | None, largest: float, what: str) -> None:
    if given is not None and given > largest:
        raise ValueError(f"expected {what} at most its max ({largest:g}), got {given:g}")


class Pv(_Section):
    """On-site PV: hourly output per MWp from pvlib (`dhopt.solar`), capacity sized or given."""

    latitude_deg: float = Field(..., ge=-90, le=90, description="site latitude, north positive [deg]")
    longitude_deg: float = Field(..., ge=-180, le=180, description="site longitude, east positive [deg]")
    altitude_m: float = Field(0.0, ge=-500, le=9000, description="site altitude above sea level [m]")
    utc_offset_h: float = Field(0.0, ge=-12, le=14, description="time zone of the time series' hours [h]")
    year: int = Field(2019, ge=1900, le=2100, description="calendar year of hour 0, for the sun position")
    ghi_column: str | None = Field(
        None,
        min_length=1,
        description="time-series column of global horizontal irradiance [W/m2]; default: pvlib's Ineichen "
        "clear-sky GHI times clear_sky_index",
    )
    clear_sky_index: float | None = Field(
        None, gt=0, le=1, description="mean GHI / clear-sky GHI, needed without ghi_column [-]"
    )
    tilt_deg: float | None = Field(None, ge=0, le=90, description="module tilt; default: |latitude|, at least 5 [deg]")
    azimuth_deg: float | None = Field(
        None, ge=0, lt=360, description="module azimuth, 180 = south; default: towards the equator [deg]"
    )
    losses_share: float = Field(
        0.14, ge=0, lt=1, description="DC system losses, PVWatts v5 default 14 % (Dobos 2014) [-]"
    )
    gamma_per_K: float = Field(
        -0.0037, ge=-0.01, le=0, description="power temperature coefficient, PVWatts standard module [1/K]"
    )
    inverter_efficiency: float = Field(0.96, gt=0, le=1, description="PVWatts nominal inverter efficiency [-]")
    dc_ac_ratio: float = Field(1.2, ge=1, le=3, description="MWp of modules per MW of inverter (PVWatts 1.2) [-]")
    capacity_MWp: float | None = Field(None, ge=0, description="PV built; default: sized by the model [MWp]")
    max_MWp: float = Field(100.0, ge=0, description="largest PV per campus when sized [MWp]")
    investment_EUR_per_MWp: float = Field(
        473_116.0, ge=0, description="DEA 22 utility-scale PV, 2025 [EUR/MWp]", json_schema_extra=RESOLVABLE
    )
    fixed_om_EUR_per_MWp_yr: float = Field(
        10_400.0, ge=0, description="DEA 22 utility-scale PV, 2.2 %/yr [EUR/MWp/yr]", json_schema_extra=RESOLVABLE
    )
    lifetime_yr: float = Field(37.5, gt=0, description="DEA 22 utility-scale PV [yr]", json_schema_extra=RESOLVABLE)

    @model_validator(mode="after")
    def _consistent(self):
        if self.ghi_column is None and self.clear_sky_index is None:
            raise ValueError("expected ghi_column (a time-series column) or clear_sky_index (for clear-sky GHI)")
        _sized(self.capacity_MWp, self.max_MWp, "capacity_MWp")
        return self


class Battery(_Section):
    """A battery: energy [MWh] and power [MW] sized apart (or given), cyclic state of charge."""

    capacity_MWh: float | None = Field(None, ge=0, description="energy built; default: sized [MWh]")
    max_MWh: float = Field(1_000.0, ge=0, description="largest energy per campus when sized [MWh]")
    power_MW: float | None = Field(None, ge=0, description="charge and discharge limit built; default: sized [MW]")
    max_MW: float = Field(1_000.0, ge=0, description="largest power per campus when sized [MW]")
    charge_efficiency: float = Field(0.977, gt=0, le=1, description="DEA Li-ion: sqrt of the 95.5 % round trip [-]")
    discharge_efficiency: float = Field(0.977, gt=0, le=1, description="DEA Li-ion: sqrt of the 95.5 % round trip [-]")
    loss_per_hour: float = Field(0.0, ge=0, lt=1, description="standing loss, share of the stored energy [1/h]")
    investment_EUR_per_MWh: float = Field(
        197_887.0, ge=0, description="DEA Li-ion battery storage [EUR/MWh]", json_schema_extra=RESOLVABLE
    )
    investment_EUR_per_MW: float = Field(
        227_518.0, ge=0, description="DEA battery inverter [EUR/MW]", json_schema_extra=RESOLVABLE
    )
    fixed_om_EUR_per_MW_yr: float = Field(
        571.5, ge=0, description="DEA battery inverter, 0.25 %/yr [EUR/MW/yr]", json_schema_extra=RESOLVABLE
    )
    lifetime_yr: float = Field(22.5, gt=0, description="DEA Li-ion storage [yr]", json_schema_extra=RESOLVABLE)
    inverter_lifetime_yr: float = Field(
        10.0, gt=0, description="DEA battery inverter [yr]", json_schema_extra=RESOLVABLE
    )

    @model_validator(mode="after")
    def _consistent(self):
        _sized(self.capacity_MWh, self.max_MWh, "capacity_MWh")
        _sized(self.power_MW, self.max_MW, "power_MW")
        return self


class Backup(_Section):
    """A diesel or gas generator: capacity sized or given, fuel per MWh of electricity = 1 / efficiency."""

    capacity_MW: float | None = Field(None, ge=0, description="generator built; default: sized [MW]")
    max_MW: float = Field(1_000.0, ge=0, description="largest generator per campus when sized [MW]")
    efficiency: float = Field(0.35, gt=0, le=1, description="DEA 50 diesel engine farm, annual average [-]")
    fuel_EUR_per_MWh: float = Field(
        52.9, ge=0, description="fuel oil (IEA WEM 2017 via PyPSA) [EUR/MWh fuel]", json_schema_extra=RESOLVABLE
    )
    co2_t_per_MWh_fuel: float = Field(0.257, ge=0, description="diesel, stoichiometric (PyPSA) [t/MWh fuel]")
    variable_om_EUR_per_MWh: float = Field(
        6.35, ge=0, description="DEA 50 diesel engine farm [EUR/MWh el]", json_schema_extra=RESOLVABLE
    )
    investment_EUR_per_MW: float = Field(
        362_970.0, ge=0, description="DEA 50 diesel engine farm [EUR/MW el]", json_schema_extra=RESOLVABLE
    )
    fixed_om_EUR_per_MW_yr: float = Field(
        9_126.0, ge=0, description="DEA 50 diesel engine farm, 2.5 %/yr [EUR/MW/yr]", json_schema_extra=RESOLVABLE
    )
    lifetime_yr: float = Field(25.0, gt=0, description="DEA 50 diesel engine farm [yr]", json_schema_extra=RESOLVABLE)

    @model_validator(mode="after")
    def _consistent(self):
        _sized(self.capacity_MW, self.max_MW, "capacity_MW")
        return self
