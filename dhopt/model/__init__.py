"""The Pyomo model: one block per component type, one nodal heat balance, one objective.

Build order: campus (sources and heat pumps), the campuses' own electricity, the fleet, storage (tanks, pits), plants,
new production, pipes, then the balance at every
node and hour and the annual cost. Time steps are integer positions 0..T-1; labels stay in
`Inputs`.
"""

from __future__ import annotations

import pyomo.environ as pyo

from dhopt.inputs import Inputs
from dhopt.model.balance import add_balance
from dhopt.model.campus import add_campus, set_campus_bounds
from dhopt.model.cuts import add_tree_cuts
from dhopt.model.fleet import add_fleet, set_fleet_bounds
from dhopt.model.objective import add_co2_cap, add_objective, set_cost
from dhopt.model.pipes import add_pipes
from dhopt.model.plants import add_plants, set_plant_bounds
from dhopt.model.power import CAPACITIES as POWER_CAPACITY_NAMES
from dhopt.model.power import add_power, set_power_bounds
from dhopt.model.production import add_production, set_production_bounds
from dhopt.model.storage import add_pit_storage, add_storage, set_pit_bounds, set_storage_bounds


def build_model(inputs: Inputs) -> pyo.ConcreteModel:
    """Assemble the planning model for `inputs`: MW and MWh throughout, EUR per year in the objective."""
    return add_components(pyo.ConcreteModel(name=inputs.scalars.name), inputs)


def add_components(m: pyo.Block, inputs: Inputs) -> pyo.Block:
    """Every component of the model of `inputs` on `m` (a model, or a block of one: a period of
    `dhopt.planning.pathway_model`), in the build order of the module doc; `m.cost` is its objective."""
    m.T = pyo.RangeSet(0, len(inputs.weight_h) - 1, doc="time step (position in the horizon)")
    m.N = pyo.Set(initialize=list(inputs.nodes), doc="nodes (zones after reduction)")
    add_campus(m, inputs)
    add_power(m, inputs)
    add_fleet(m, inputs)
    add_storage(m, inputs)
    add_pit_storage(m, inputs)
    add_plants(m, inputs)
    add_production(m, inputs)
    add_pipes(m, inputs)
    add_balance(m, inputs)
    add_tree_cuts(m, inputs)
    add_co2_cap(m, inputs)
    add_objective(m, inputs)
    return m


POWER_CAPACITIES = tuple(f"power.{name}" for name in POWER_CAPACITY_NAMES)
DESIGN_VARIABLES = (
    "campus.hp_capacity_MW",
    "campus.units",
    "fleet.hp_capacity_MW",
    "storage.capacity_MWh",
    "pipes.build",
    "production.capacity_MW",
    "pits.capacity_MWh",
    "pits.built",
    *POWER_CAPACITIES,
)
SIZED_VARIABLES = (
    "campus.hp_capacity_MW",
    "fleet.hp_capacity_MW",
    "storage.capacity_MWh",
    "production.capacity_MW",
    "pits.capacity_MWh",
    *POWER_CAPACITIES,
)
"""Continuous capacities: sized again on the full year once the integer choices are made (`dhopt.run`)."""
PARAMETER_BOUNDS = (
    "campus.hp_capacity_MW",
    "campus.units",
    "campus.units_on",
    "fleet.hp_capacity_MW",
    "storage.capacity_MWh",
    "plants.heat_MW",
    "production.capacity_MW",
    "pits.capacity_MWh",
    *POWER_CAPACITIES,
    "power.import_MW",
    "power.curtailed_MW",
)
"""Variables whose bounds `refresh_parameters` sets."""
ROW_LIMITS = (
    ("grid_limit", "import_limit_MW", lambda inputs: inputs.import_limit_MW.to_numpy(dtype=float)),
    ("power.export_limit", "power.export_limit_MW", lambda inputs: inputs.export_limit_MW.to_numpy(dtype=float)),
    ("co2_cap", "co2_cap_t", lambda inputs: inputs.scalars.co2_cap_t),
    ("plant_cap", "plant_cap_MWh", lambda inputs: inputs.scalars.plant_cap_MWh),
)
"""(constraint, mutable parameter, its value in `Inputs`): rows whose upper bound is a parameter plus a
constant; a parameter indexed by time step takes an array."""


def design_of(model: pyo.ConcreteModel) -> dict[str, dict]:
    """The investment decisions of a solved model: variable name -> {index: value}."""
    design = {}
    for name in DESIGN_VARIABLES:
        var = model.find_component(name)
        if var is not None:
            design[name] = {index: v.value for index, v in var.items()}
    return design


def fix_design(model: pyo.ConcreteModel, design: dict[str, dict]) -> None:
    """Hold the investment decisions of `model` at `design` (integers rounded), leaving dispatch free.

    They are held by equal bounds on continuous variables, not fixed: they stay columns, so a model
    kept in HiGHS (`dhopt.reuse`) takes another design by a change of bounds."""
    for name, values in design.items():
        var = model.find_component(name)
        for index, value in values.items():
            value = 0.0 if value is None else value
            value = round(value) if var[index].is_integer() else max(value, 0.0)
            var[index].domain = pyo.Reals
            var[index].setlb(value)
            var[index].setub(value)


def release_sizes(model: pyo.ConcreteModel, inputs: Inputs, held: dict[str, dict]) -> None:
    """Free the continuous capacities (`SIZED_VARIABLES`) held by `fix_design` within their bounds from
    `inputs` again, keeping the decisions in `held` (integer choices, e.g. heat-pump units) fixed."""
    for name in SIZED_VARIABLES:
        for var in model.find_component(name).values():
            var.domain = pyo.NonNegativeReals
            var.setlb(None)  # `fix_design` held it from below too
    set_campus_bounds(model.campus, inputs)
    set_fleet_bounds(model.fleet, inputs)
    set_storage_bounds(model.storage, inputs)
    set_production_bounds(model.production, inputs)
    set_pit_bounds(model.pits, inputs)
    set_power_bounds(model.power, inputs)
    fix_design(model, held)


def refresh_parameters(model: pyo.ConcreteModel, inputs: Inputs, cost_vars: tuple[list, list] | None = None) -> None:
    """Re-read what may change without changing the model's structure (`dhopt.reuse`): variable
    bounds (plant capacity and must-run, largest heat pump and storage, the power side's capacities, import
    and curtailment), the row limits
    (`ROW_LIMITS`) and the objective (every price and cost; `cost_vars`: `cost_variables(model)`)."""
    set_campus_bounds(model.campus, inputs)
    set_fleet_bounds(model.fleet, inputs)
    set_storage_bounds(model.storage, inputs)
    set_pit_bounds(model.pits, inputs)
    set_plant_bounds(model.plants, inputs)
    set_power_bounds(model.power, inputs)
    set_production_bounds(model.production, inputs)
    for _, name, value_in in ROW_LIMITS:
        param = model.find_component(name)
        if param is not None and param.is_indexed():
            param.store_values(dict(enumerate(value_in(inputs))))
        elif param is not None:
            param.set_value(value_in(inputs))
    set_cost(model, inputs, cost_vars)
