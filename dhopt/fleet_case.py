"""Case section `[fleet]`: many small data-center units in buildings as one logical data center
(pydantic, like `dhopt.case`; the model is `dhopt.model.fleet`).

The units come from a CSV table (``units_csv``: columns ``id``, ``host``, ``it_MW``) or from a rule: one
unit of ``unit_it_MW`` at every consumer with more than ``min_homes`` homes, or at the ``largest`` K
consumers by annual heat. Each unit's heat serves its host building first, behind the meter; the
surplus goes into the network at the host's node (``export``) or is rejected.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Fleet(BaseModel):
    """The fleet of a case: its units, their cooling, the compute they share and its freedom."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    units_csv: str | None = Field(
        None, min_length=1, description="CSV of the units, relative to the case file: id, host (a consumer node), it_MW"
    )
    unit_it_MW: float | None = Field(None, gt=0, le=100, description="rule: IT capacity of each unit [MW IT]")
    min_homes: float | None = Field(
        None, ge=0, description="rule: a unit at every consumer with more than this many homes (equivalent)"
    )
    largest: int | None = Field(None, ge=1, description="rule: a unit at each of the K consumers of most annual heat")
    cooling: Literal["liquid", "air"] = Field(
        "liquid", description="cooling type of the units; its source temperature and recovered share (dhopt/cooling.py)"
    )
    source_temperature_degC: float | None = Field(
        None, gt=0, lt=100, description="cooling water handed to the heat pump; default: by cooling type [degC]"
    )
    recovered_share: float | None = Field(
        None, gt=0, le=1, description="share of the IT load recovered as heat; default: by cooling type [-]"
    )
    compute_demand_MW: float | str | None = Field(
        None,
        description="the fleet's total IT load each hour: a number or a time-series column [MW IT]; "
        "default: every unit at full capacity (nothing can move)",
    )
    flexible_share: float = Field(
        0.0, ge=0, le=1, description="share of the compute demand that may run on any unit with free capacity [-]"
    )
    deferrable: bool = Field(
        False, description="the flexible share may also move in time within each day (the day's IT energy kept)"
    )
    building_supply_degC: float | None = Field(
        None,
        gt=0,
        lt=150,
        description="temperature a host building's heating needs where its node gives no min_supply_degC; "
        "default: the network supply temperature [degC]",
    )
    export: bool = Field(True, description="surplus heat goes into the network at the host's node; false: rejected")
    replaces_campus: bool = Field(
        False,
        description="the fleet runs instead of the network's campuses: their source nodes recover no heat "
        "(`dhopt compare-layouts` still compares the two)",
    )

    @model_validator(mode="after")
    def _one_source_of_units(self):
        if (self.units_csv is None) == (self.unit_it_MW is None):
            raise ValueError("expected exactly one of units_csv (a table) or unit_it_MW (a rule)")
        if self.units_csv is not None and (self.min_homes is not None or self.largest is not None):
            raise ValueError("expected min_homes and largest only with the rule unit_it_MW, not with units_csv")
        if self.min_homes is not None and self.largest is not None:
            raise ValueError("expected at most one of min_homes or largest")
        if isinstance(self.compute_demand_MW, float | int) and self.compute_demand_MW < 0:
            raise ValueError("expected compute_demand_MW of at least 0")
        return self
