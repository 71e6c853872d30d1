"""Read the solved model into an xarray Dataset, compute the KPIs, write them atomically.

This is the only module that reads Pyomo values.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import xarray as xr

from dhopt import physics
from dhopt.backup import unmet_backup
from dhopt.errors import CaseError
from dhopt.files import digest, free_bytes, remove_stale_temporaries, write_atomically
from dhopt.fleet_kpis import fleet_kpis
from dhopt.inputs import Inputs, installed_options
from dhopt.model.fleet import MOVE_EUR_PER_MWH
from dhopt.power_kpis import power_kpis
from dhopt.production_kpis import new_production_kpis
from dhopt.schema import DESIGN_COLUMNS, DESIGN_CSV, KPIS_JSON, MANIFEST_JSON, RESULTS_NC, dataset_problems
from dhopt.schema import RESULT_FILES as RESULT_FILES  # re-exported: dhopt.run imports it from here
from dhopt.trees import expand


def _values(var, rows: int, steps: int) -> np.ndarray:
    """Values of a variable indexed (item, time) as a rows x steps array (index order = set order)."""
    if rows == 0:
        return np.zeros((0, steps))
    flat = np.fromiter((v.value if v.value is not None else 0.0 for v in var.values()), float, rows * steps)
    return flat.reshape(rows, steps)


def _scalar_values(var) -> np.ndarray:
    return np.array([v.value if v.value is not None else 0.0 for v in var.values()], dtype=float)


def _electricity_MW(inputs: Inputs, sources: list, hp_electricity: np.ndarray, model, steps: int) -> np.ndarray:
    """Grid electricity of the campuses' heat pumps (those without their own power side) and of the electric
    plants in each step, as `model.electricity_MW` counts it [MW]."""
    on_grid = ~np.isin(sources, inputs.power.index)
    plants = list(model.plants.P)
    per_heat = inputs.plant_electricity_per_heat.reindex(plants).fillna(0.0).to_numpy()
    return hp_electricity[on_grid].sum(axis=0) + per_heat @ _values(model.plants.heat_MW, len(plants), steps)


def to_dataset(model: pyo.ConcreteModel, inputs: Inputs) -> xr.Dataset:
    """Hourly results and the design as one Dataset (MW, MWh, degC; units in each variable's attrs)."""
    time = inputs.supply_degC.index.to_numpy()
    steps = len(time)
    sources, plants, sites = list(model.campus.S), list(model.plants.P), list(model.storage.K)
    units, pits = list(model.production.U), list(model.pits.K)
    unit_heat = _values(model.production.heat_MW, len(units), steps)
    unit_cop = inputs.unit_cop.reindex(columns=units).to_numpy().T
    cop = inputs.cop.to_numpy().T
    hp_heat = _values(model.campus.hp_heat_MW, len(sources), steps)
    direct = _values(model.campus.direct_MW, len(sources), steps)
    available = inputs.source_heat_MW.to_numpy().T.copy()
    power = _power_data(model, inputs, steps)
    fleet = _fleet_data(model, inputs, steps)
    if len(model.power.C):  # the servers' heat follows the IT load served
        curtailed = power["it_load_MW"][1] - power["it_served_MW"][1]
        at = inputs.sources.index.get_indexer(list(model.power.C))
        available[at] -= inputs.power["recovered_share"].to_numpy()[:, None] * curtailed
    drawn = hp_heat * (1.0 - 1.0 / cop) + direct if len(sources) else np.zeros((0, steps))

    network = _network_values(model, inputs, steps)

    def da(values, dims, unit, doc):
        return (dims, values, {"units": unit, "description": doc})

    data = {
        "supply_temperature_degC": da(inputs.supply_degC.to_numpy(), ("time",), "degC", "network supply temperature"),
        "electricity_price_EUR_per_MWh": da(
            inputs.electricity_EUR_per_MWh.to_numpy(), ("time",), "EUR/MWh", "spot price plus grid tariff"
        ),
        "weight_h": da(inputs.weight_h, ("time",), "h", "hours of the year each step stands for"),
        "source_heat_MW": da(available, ("source", "time"), "MW", "recoverable campus heat"),
        "hp_heat_MW": da(hp_heat, ("source", "time"), "MW", "heat-pump heat output"),
        "hp_electricity_MW": da(
            hp_heat / cop if len(sources) else hp_heat, ("source", "time"), "MW", "heat-pump electricity"
        ),
        "direct_heat_MW": da(direct, ("source", "time"), "MW", "source heat fed directly"),
        "rejected_heat_MW": da(available - drawn, ("source", "time"), "MW", "campus heat rejected by dry coolers"),
        "cop": da(cop, ("source", "time"), "1", "heat-pump COP"),
        "hp_capacity_MW": da(_scalar_values(model.campus.hp_capacity_MW), ("source",), "MW", "heat-pump capacity"),
        "storage_capacity_MWh": da(_scalar_values(model.storage.capacity_MWh), ("site",), "MWh", "storage capacity"),
        "storage_level_MWh": da(
            _values(model.storage.level_MWh, len(sites), steps), ("site", "time"), "MWh", "stored heat"
        ),
        "storage_charge_MW": da(
            _values(model.storage.charge_MW, len(sites), steps), ("site", "time"), "MW", "charging"
        ),
        "storage_discharge_MW": da(
            _values(model.storage.discharge_MW, len(sites), steps), ("site", "time"), "MW", "discharging"
        ),
        "plant_heat_MW": da(_values(model.plants.heat_MW, len(plants), steps), ("plant", "time"), "MW", "plant heat"),
        "unit_capacity_MW": da(_scalar_values(model.production.capacity_MW), ("unit",), "MW", "new unit capacity"),
        "unit_heat_MW": da(unit_heat, ("unit", "time"), "MW", "new unit heat output"),
        "unit_electricity_MW": da(
            unit_heat / np.where(unit_cop > 0, unit_cop, 1.0), ("unit", "time"), "MW", "new unit electricity"
        ),
        "unit_cop": da(unit_cop, ("unit", "time"), "1", "new unit COP or boiler efficiency"),
        "pit_capacity_MWh": da(_scalar_values(model.pits.capacity_MWh), ("pit",), "MWh", "pit storage capacity"),
        "pit_level_MWh": da(_values(model.pits.level_MWh, len(pits), steps), ("pit", "time"), "MWh", "stored heat"),
        "pit_charge_MW": da(_values(model.pits.charge_MW, len(pits), steps), ("pit", "time"), "MW", "charging"),
        "pit_discharge_MW": da(
            _values(model.pits.discharge_MW, len(pits), steps), ("pit", "time"), "MW", "discharging"
        ),
        "pipe_flow_MW": da(network["flow"], ("pipe", "time"), "MW", "heat flow from->to"),
        "pipe_capacity_MW": da(network["capacity"], ("pipe", "time"), "MW", "capacity of the DN built"),
        "pipe_loss_MW": da(network["loss"], ("pipe", "time"), "MW", "heat loss of the pipe built"),
        "pipe_dn": da(network["dn"], ("pipe",), "mm", "DN built (NaN: not built)"),
        "demand_MW": da(network["demand"], ("zone", "time"), "MW", "consumer demand"),
        "unmet_MW": da(network["unmet"], ("zone", "time"), "MW", "demand not met"),
        **power,
        **fleet,
        "electricity_MW": da(
            _electricity_MW(inputs, sources, hp_heat / cop if len(sources) else hp_heat, model, steps)
            + (unit_heat / np.where(unit_cop > 0, unit_cop, 1.0)).sum(axis=0)
            + power["grid_import_MW"][1].sum(axis=0)
            + fleet["fleet_hp_electricity_MW"][1].sum(axis=0),
            ("time",),
            "MW",
            "electricity bought from the grid: heat pumps, electric boilers, new units, campuses' import, fleet",
        ),
    }
    if inputs.import_limit_MW is not None:
        data["import_limit_MW"] = da(inputs.import_limit_MW.to_numpy(), ("time",), "MW", "electricity import limit")
    if len(model.power.C):
        data["export_limit_MW"] = da(inputs.export_limit_MW.to_numpy(), ("time",), "MW", "electricity export limit")
        data["export_price_EUR_per_MWh"] = da(
            inputs.export_price_EUR_per_MWh.to_numpy(), ("time",), "EUR/MWh", "export price: spot minus export fee"
        )
    coords = {
        "time": time,
        "source": sources,
        "site": sites,
        "plant": plants,
        "unit": units,
        "pit": pits,
        "pipe": network["pipes"],
        "zone": network["zones"],
        "power_site": list(model.power.C),
        "fleet_unit": list(model.fleet.U),
        "fleet_host": ("fleet_unit", inputs.fleet.loc[list(model.fleet.U), "host"].to_numpy(dtype=str)),
        "pipe_status": ("pipe", network["status"]),
        "plant_technology": ("plant", inputs.plants.loc[plants, "technology"].to_numpy()),
        "unit_technology": ("unit", inputs.units.loc[units, "technology"].to_numpy(dtype=str)),
    }
    return xr.Dataset(data, coords=coords, attrs={"case": inputs.scalars.name})


def _network_values(model: pyo.ConcreteModel, inputs: Inputs, steps: int) -> dict:
    """Pipes (flow, capacity and loss of the DN built [MW], DN, status) and demand zones (demand and
    unmet heat [MW]) of the solved model, with the demand trees read back per zone and pipe
    (`dhopt.trees.expand`)."""
    pipes, demand_nodes = list(model.pipes.E), list(model.D)
    built_dn = pd.Series(np.nan, index=pd.Index(pipes, name="pipe"))
    existing = inputs.pipes["status"] == "existing"
    built_dn[existing[existing].index] = inputs.pipes.loc[existing, "dn"]
    for (pipe, dn), var in model.pipes.build.items():
        if var.value is not None and var.value > 0.5:
            built_dn[pipe] = dn
    options = inputs.options
    chosen = options.index.isin(list(zip(built_dn.dropna().index, built_dn.dropna().astype(int))))
    chosen_options = options[chosen].droplevel("dn").reindex(pipes)
    demand = inputs.demand_MW.reindex(columns=demand_nodes).to_numpy().T
    trees = expand(inputs, demand_nodes, demand, _values(model.unmet_MW, len(demand_nodes), steps))
    flow = _values(model.pipes.flow_MW, len(pipes), steps)
    loss = np.outer(chosen_options["loss_MW_per_K"].fillna(0.0), inputs.loss_drive_K.to_numpy())
    capacity = np.outer(chosen_options["capacity_MW_per_K"].fillna(0.0), inputs.delta_t_K.to_numpy())
    return {
        "pipes": pipes + trees.pipes,
        "status": np.concatenate(
            [inputs.pipes.loc[pipes, "status"].to_numpy(dtype=object), ["existing"] * len(trees.pipes)]
        ),
        "flow": np.vstack([flow, trees.flow_MW]),
        "capacity": np.vstack([capacity, trees.capacity_MW]),
        "loss": np.vstack([loss, trees.loss_MW]),
        "dn": np.concatenate([built_dn.to_numpy(), trees.dn]),
        "zones": trees.zones,
        "demand": trees.demand_MW,
        "unmet": trees.unmet_MW,
    }


POWER_SERIES = {  # power-block variable -> (result name, description); all [MW] or [MWh]
    "pv_MW": ("pv_MW", "PV output used"),
    "charge_MW": ("battery_charge_MW", "battery charging"),
    "discharge_MW": ("battery_discharge_MW", "battery discharging"),
    "level_MWh": ("battery_level_MWh", "battery energy at the end of the step"),
    "backup_MW": ("backup_MW", "backup generation"),
    "import_MW": ("grid_import_MW", "grid import of the campus"),
    "export_MW": ("grid_export_MW", "grid export of the campus (PV, battery; backup where allowed)"),
}


def _power_data(model: pyo.ConcreteModel, inputs: Inputs, steps: int) -> dict:
    """The power side's capacities and hourly series (`dhopt.model.power`), dims power_site (x time)."""
    b, sites = model.power, list(model.power.C)
    dims = ("power_site", "time")
    data = {
        name: (("power_site",), _scalar_values(getattr(b, name)), {"units": unit, "description": doc})
        for name, unit, doc in (
            ("pv_capacity_MWp", "MWp", "PV built"),
            ("battery_energy_MWh", "MWh", "battery energy capacity"),
            ("battery_power_MW", "MW", "battery power capacity"),
            ("backup_capacity_MW", "MW", "backup generator capacity"),
        )
    }
    for var, (name, doc) in POWER_SERIES.items():
        unit = "MWh" if name.endswith("MWh") else "MW"
        values = (
            _values(b.component(var), len(sites), steps)
            if b.component(var) is not None
            else np.zeros((len(sites), steps))
        )
        data[name] = (dims, values, {"units": unit, "description": doc})
    it = inputs.it_load_MW[sites].to_numpy().T if sites else np.zeros((0, steps))
    served = it - _values(b.curtailed_MW, len(sites), steps)
    available = inputs.pv_yield_MW_per_MWp[sites].to_numpy().T * data["pv_capacity_MWp"][1][:, None] if sites else it
    data["it_load_MW"] = (dims, it, {"units": "MW", "description": "IT load to serve"})
    data["it_served_MW"] = (dims, served, {"units": "MW", "description": "IT load served"})
    data["pv_available_MW"] = (dims, available, {"units": "MW", "description": "PV output possible (pvlib yield)"})
    return data


def _fleet_data(model: pyo.ConcreteModel, inputs: Inputs, steps: int) -> dict:
    """The fleet's capacities and hourly series (`dhopt.model.fleet`), dims fleet_unit (x time) [MW]."""
    b, units = model.fleet, list(model.fleet.U)
    dims = ("fleet_unit", "time")
    it = _values(b.it_MW, len(units), steps)
    building = _values(b.building_MW, len(units), steps)
    export = _values(b.export_MW, len(units), steps)
    e_b = inputs.fleet_el_per_heat_building[units].to_numpy().T
    e_n = inputs.fleet_el_per_heat_network[units].to_numpy().T
    available = inputs.fleet.loc[units, "recovered_share"].to_numpy(dtype=float)[:, None] * it
    capacity = inputs.fleet.loc[units, "it_MW"].to_numpy(dtype=float)
    base = np.outer(capacity / capacity.sum(), inputs.fleet_compute_MW.to_numpy()) if units else it
    demand = inputs.fleet_demand_MW[units].to_numpy().T
    hosted = np.minimum(building + export, demand)  # the host is served first: what leaves is the rest
    series = {
        "fleet_it_MW": (it, "IT load placed on the unit"),
        "fleet_base_it_MW": (base, "IT load the unit would run without compute shifting (its capacity share)"),
        "fleet_heat_available_MW": (available, "server heat recovered, recovered share x IT load"),
        "fleet_building_heat_MW": (hosted, "heat to the host building, behind the meter"),
        "fleet_export_MW": (building + export - hosted, "heat into the network at the host's node"),
        "fleet_hp_electricity_MW": (e_b * building + e_n * export, "small heat-pump electricity"),
        "fleet_rejected_MW": (
            available - (1.0 - e_b) * building - (1.0 - e_n) * export,
            "server heat neither used nor exported",
        ),
        "fleet_host_demand_MW": (demand, "heat demand of the host building"),
    }
    data = {name: (dims, values, {"units": "MW", "description": doc}) for name, (values, doc) in series.items()}
    data["fleet_hp_capacity_MW"] = (
        ("fleet_unit",),
        _scalar_values(b.hp_capacity_MW),
        {"units": "MW", "description": "small heat-pump capacity built"},
    )
    return data


def network_layer(network, inputs: Inputs, ds: xr.Dataset) -> xr.Dataset:
    """The original network for maps and the hydraulic check: nodes (position, kind, zone, consumer
    annual heat [MWh] and profile, minimum supply temperature [degC], NaN where not given),
    every pipe (ends, length, status, DN built or existing, NaN where a candidate is not built; the
    model pipe it belongs to, "" when merged into a zone), each model pipe's end zones and each
    consumer profile's share of the annual heat in every hour [1/h]."""
    nodes, pipes = network.nodes, network.pipes
    built = ds["pipe_dn"].to_series()
    model_pipe = inputs.pipe_members.reindex(pipes.index)
    consumers = inputs.consumers
    profiles = pd.unique(consumers["profile"])
    shares = inputs.profile_share.loc[ds["time"].values, profiles].to_numpy(dtype=float).T
    dn = pipes["dn"].where(pipes["status"] == "existing", model_pipe.map(built))
    if inputs.forced_dn is not None:
        dn = dn.fillna(inputs.forced_dn.reindex(pipes.index))
    upgradable = pipes["upgrade_dn_options"].map(len).gt(0)
    dn = dn.where(~upgradable, model_pipe.map(built).fillna(dn))  # an upgraded existing pipe: its new DN
    upgrade_dn = np.where(upgradable, np.where(dn > pipes["dn"], dn, 0.0), np.nan)
    described = {"units": "mm", "description": "existing pipe upgraded to (0: kept, NaN: no upgrade options)"}
    upgrade = {"link_upgrade_dn": ("link", upgrade_dn, described)}
    own = pipes["inner_diameter_m"].where(dn == pipes["dn"])  # an existing pipe given by its inner diameter
    inner_m, outer_m = physics.pipe_diameters_m(dn.to_numpy(dtype=float), own.to_numpy(dtype=float))
    diameters = {
        "link_inner_diameter_m": ("link", inner_m, {"units": "m", "description": "NaN: not built"}),
        "link_outer_diameter_m": ("link", outer_m, {"units": "m", "description": "steel; NaN: not built"}),
    }
    return xr.Dataset(
        {
            "node_x_m": ("node", nodes["x_m"].to_numpy(dtype=float), {"units": "m"}),
            "node_y_m": ("node", nodes["y_m"].to_numpy(dtype=float), {"units": "m"}),
            "node_kind": ("node", nodes["kind"].to_numpy(dtype=str)),
            "node_zone": ("node", inputs.node_zone.reindex(nodes.index).to_numpy(dtype=str)),
            "link_from": ("link", pipes["from_node"].to_numpy(dtype=str)),
            "link_to": ("link", pipes["to_node"].to_numpy(dtype=str)),
            "link_length_m": ("link", pipes["length_m"].to_numpy(dtype=float), {"units": "m"}),
            "link_status": ("link", pipes["status"].to_numpy(dtype=str)),
            "link_dn": ("link", dn.to_numpy(dtype=float), {"units": "mm", "description": "NaN: not built"}),
            **upgrade,
            **diameters,
            "link_model_pipe": ("link", model_pipe.fillna("").to_numpy(dtype=str)),
            "link_geometry_wkt": ("link", _geometry_wkt(network), _crs_attrs(network)),
            "pipe_from_zone": ("pipe", inputs.pipes["from_node"].reindex(ds["pipe"].values).to_numpy(dtype=str)),
            "pipe_to_zone": ("pipe", inputs.pipes["to_node"].reindex(ds["pipe"].values).to_numpy(dtype=str)),
            "node_annual_heat_MWh": (
                "node",
                consumers["annual_heat_MWh"].reindex(nodes.index, fill_value=0.0).to_numpy(dtype=float),
                {"units": "MWh"},
            ),
            "node_profile": ("node", consumers["profile"].reindex(nodes.index, fill_value="").to_numpy(dtype=str)),
            "profile_share": (("profile", "time"), shares, {"units": "1/h"}),
            "node_min_supply_degC": ("node", nodes["min_supply_degC"].to_numpy(dtype=float), {"units": "degC"}),
        },
        coords={
            "node": nodes.index.to_numpy(dtype=str),
            "link": pipes.index.to_numpy(dtype=str),
            "profile": np.asarray(profiles, dtype=str),
        },
    )


def _geometry_wkt(network) -> np.ndarray:
    """Each pipe's line as WKT in the working CRS ("" when the network file has no geometry)."""
    wkt = getattr(network, "pipe_geometry_wkt", None)
    if wkt is None:
        return np.full(len(network.pipes), "", dtype=object).astype(str)
    return wkt.reindex(network.pipes.index, fill_value="").to_numpy(dtype=str)


def _crs_attrs(network) -> dict[str, str]:
    """The CRS of the coordinates (``crs``) and of the input file (``input_crs``); "" where not known."""
    crs = getattr(network, "crs", None)
    return {
        "description": "pipe geometry as WKT, coordinates in crs [m]",
        "crs": (crs.working or "") if crs else "",
        "input_crs": (crs.input or "") if crs else "",
    }


def kpis(ds: xr.Dataset, inputs: Inputs, model: pyo.ConcreteModel) -> dict[str, float]:
    """Annual key figures; sums over time are weighted by `weight_h` (MWh per year)."""
    w = ds["weight_h"]

    def annual(name: str) -> float:
        return float((ds[name] * w).sum())

    scalars = inputs.scalars
    home = scalars.home_annual_heat_MWh
    plant_MWh = (ds["plant_heat_MW"] * w).sum("time").to_numpy()
    plant_co2 = float(plant_MWh @ inputs.plants.loc[ds["plant"].values, "co2_t_per_MWh"].to_numpy())
    electricity_MWh = annual("electricity_MW")
    # unmet heat above a zone's demand is loss of pipes no heat flows through: not a loss, not demand
    cold = float(((ds["unmet_MW"] - ds["demand_MW"]).clip(min=0.0) * w).sum())
    demand, unmet = annual("demand_MW"), annual("unmet_MW") - cold
    hp_heat, hp_el = annual("hp_heat_MW"), annual("hp_electricity_MW")
    direct, available = annual("direct_heat_MW"), annual("source_heat_MW") + annual("fleet_heat_available_MW")
    rejected, plants = annual("rejected_heat_MW") + annual("fleet_rejected_MW"), annual("plant_heat_MW")
    candidate_loss = float((ds["pipe_loss_MW"].where(ds["pipe_status"] == "candidate", 0.0) * w).sum())
    fixed_loss = float((inputs.fixed_loss_MW_per_K.sum() * inputs.loss_drive_K * inputs.weight_h).sum())
    options = inputs.options
    installed = options.loc[installed_options(options, inputs.pipes), "loss_MW_per_K"].droplevel("dn")
    installed_MW = np.outer(installed.reindex(ds["pipe"].values).fillna(0.0), inputs.loss_drive_K)
    modelled = xr.DataArray(np.isin(ds["pipe"].values, inputs.pipes.index), dims="pipe")  # not a demand tree's
    beyond = (ds["pipe_loss_MW"] - installed_MW).where((ds["pipe_status"] == "existing") & modelled, 0.0)  # upgrades
    losses = candidate_loss + fixed_loss + float((beyond * w).sum()) - cold
    storage_net = annual("storage_charge_MW") - annual("storage_discharge_MW")
    pit_net = annual("pit_charge_MW") - annual("pit_discharge_MW")
    new_heat = annual("unit_heat_MW")
    reused = available - rejected
    # IT energy = recoverable heat / recovered share, per campus
    per_source = (ds["source_heat_MW"] * w).sum("time").to_numpy()
    it_energy = float((per_source / inputs.sources["recovered_share"].to_numpy()).sum()) + annual("fleet_it_MW")
    excess_t = float(model.co2_excess_t.value or 0.0) if model.find_component("co2_excess_t") is not None else 0.0
    excess_EUR = excess_t * scalars.co2_excess_EUR_per_t  # in the objective's investment part; not a cost
    investment = float(pyo.value(model.investment_EUR)) - excess_EUR
    power = power_kpis(ds, inputs) if len(model.power.C) else {}
    lost_EUR = power.get("lost_compute_EUR", 0.0)  # a value the case gives, not money spent
    moved_EUR = MOVE_EUR_PER_MWH * float(((ds["fleet_it_MW"] - ds["fleet_base_it_MW"]).clip(min=0.0) * w).sum())
    penalty = (unmet + cold) * scalars.unmet_penalty_EUR_per_MWh + excess_EUR + lost_EUR  # as the objective counts it
    penalty += moved_EUR  # the tie-break on compute moved (`dhopt.model.fleet`): not money spent
    total = float(pyo.value(model.cost))
    delivered = demand - unmet
    result = {
        "heat_demand_MWh": demand,
        "heat_delivered_MWh": delivered,
        "unmet_demand_MWh": unmet,
        "homes_served": delivered / home,
        "campus_heat_to_network_MWh": hp_heat + direct,
        # the campus's own waste heat in the network, not the heat pumps' electricity added to it
        "homes_heated_by_campus": reused / home,
        "campus_heat_available_MWh": available,
        "campus_heat_reused_MWh": reused,
        "campus_heat_reused_share": reused / available if available else 0.0,
        "energy_reuse_factor": reused / (it_energy * scalars.pue) if it_energy else 0.0,
        "rejected_heat_MWh": rejected,
        "hp_heat_MWh": hp_heat,
        "hp_electricity_MWh": hp_el,
        "hp_mean_cop": hp_heat / hp_el if hp_el else 0.0,
        "direct_heat_MWh": direct,
        "plant_heat_MWh": plants,
        "network_losses_MWh": losses,
        "storage_net_charge_MWh": storage_net,
        "hp_capacity_MW": float(ds["hp_capacity_MW"].sum()),
        "storage_capacity_MWh": float(ds["storage_capacity_MWh"].sum()),
        **new_production_kpis(ds),
        "electricity_MWh": electricity_MWh,
        "co2_t": plant_co2 + electricity_MWh * scalars.grid_co2_t_per_MWh + power.get("backup_co2_t", 0.0),
        "co2_cap_t": np.nan if scalars.co2_cap_t is None else scalars.co2_cap_t,
        "co2_cap_excess_t": excess_t,
        "annual_cost_EUR": total - penalty,
        "investment_annuity_EUR": investment,
        "operating_cost_EUR": total - penalty - investment,
        "levelised_cost_of_heat_EUR_per_MWh": (total - penalty) / delivered if delivered else float("nan"),
    }
    result.update(power)
    result.update(fleet_kpis(ds, inputs))
    result.update(unmet_backup(ds, inputs))
    # production + heat-pump electricity = demand + losses + rejected heat + storage change (tanks and pits)
    produced = available + hp_el + annual("fleet_hp_electricity_MW") + plants + new_heat
    result["energy_balance_residual_MWh"] = produced - (delivered + losses + rejected + storage_net + pit_net)
    return result


def design_table(ds: xr.Dataset) -> pd.DataFrame:
    """Chosen capacities and pipes (every candidate pipe: its DN, 0 if not built; every existing pipe
    with upgrade options: the DN it is replaced with, 0 if kept), one row per decision; `ds` must hold
    the network layer (`network_layer`)."""
    rows = [("heat_pump", s, "capacity_MW", float(v)) for s, v in zip(ds["source"].values, ds["hp_capacity_MW"].values)]
    rows += [
        ("storage", k, "capacity_MWh", float(v)) for k, v in zip(ds["site"].values, ds["storage_capacity_MWh"].values)
    ]
    if "fleet_hp_capacity_MW" in ds:
        rows += [
            ("fleet_heat_pump", u, "capacity_MW", float(v))
            for u, v in zip(ds["fleet_unit"].values, ds["fleet_hp_capacity_MW"].values)
        ]
    rows += [
        ("new_production", u, "capacity_MW", float(v)) for u, v in zip(ds["unit"].values, ds["unit_capacity_MW"].values)
    ]
    rows += [
        ("pit_storage", k, "capacity_MWh", float(v)) for k, v in zip(ds["pit"].values, ds["pit_capacity_MWh"].values)
    ]
    candidate = ds["link_status"].values == "candidate"  # every candidate pipe of the original network
    for pipe, dn in zip(ds["link"].values[candidate], ds["link_dn"].values[candidate]):
        rows.append(("pipe", pipe, "dn_mm", 0.0 if np.isnan(dn) else float(dn)))
    if "link_upgrade_dn" in ds:
        upgradable = ds["link_upgrade_dn"].notnull().values
        for pipe, dn in zip(ds["link"].values[upgradable], ds["link_upgrade_dn"].values[upgradable]):
            rows.append(("pipe_upgrade", pipe, "dn_mm", float(dn)))
    return pd.DataFrame(rows, columns=list(DESIGN_COLUMNS))


def write_results(out_dir: Path, ds: xr.Dataset, figures: dict[str, float], design: pd.DataFrame) -> list[Path]:
    """Write results.nc, design.csv and kpis.json into `out_dir`, then manifest.json with the run's id and
    each file's SHA-256; the manifest of an earlier run goes first, so a folder whose writing stopped has
    none and the readers (`dhopt.schema.result_paths`) refuse it. Each file appears complete or not at all;
    a write that fails (no space, no permission) raises a one-line `CaseError`.

    `ds` must hold every variable of `dhopt.schema.VARIABLES` (the readers refuse a file without them)."""
    unreadable = dataset_problems(ds, out_dir / RESULTS_NC)
    if unreadable:  # a bug here, not a user's error
        raise ValueError("\n".join(unreadable))
    targets = {
        out_dir / RESULTS_NC: lambda p: ds.to_netcdf(p, engine="h5netcdf"),
        out_dir / DESIGN_CSV: lambda p: design.to_csv(p, index=False),
        out_dir / KPIS_JSON: lambda p: Path(p).write_text(json.dumps(figures, indent=2) + "\n"),
    }
    try:
        prepare_output(out_dir, needed_bytes=2 * ds.nbytes)
        (out_dir / MANIFEST_JSON).unlink(missing_ok=True)
        files = {path.name: digest(write_atomically(path, write)) for path, write in targets.items()}
        manifest = {"run_id": uuid.uuid4().hex, "files": files}
        write_atomically(out_dir / MANIFEST_JSON, lambda p: Path(p).write_text(json.dumps(manifest, indent=2) + "\n"))
    except (OSError, RuntimeError) as error:  # h5py reports a full disk as a RuntimeError
        raise CaseError(f"{out_dir}: cannot write the results ({error}); free space or choose another --out") from None
    return [*targets, out_dir / MANIFEST_JSON]


def prepare_output(out_dir: Path, needed_bytes: int = 0) -> None:
    """Make `out_dir` ready for results before any is written: a folder (created if absent) that a file
    can be created in, with `needed_bytes` free, and no temporary file a killed run left; else a
    one-line `CaseError`."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CaseError(f"--out {out_dir}: expected a folder for the results, got an existing file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out_dir, (*RESULT_FILES, MANIFEST_JSON))
        write_atomically(out_dir / ".write-check", lambda p: None).unlink()
    except OSError as error:
        raise CaseError(f"--out {out_dir}: cannot write there ({error.strerror or error})") from None
    if needed_bytes and free_bytes(out_dir) < needed_bytes:
        raise CaseError(
            f"--out {out_dir}: {free_bytes(out_dir) / 1e6:,.0f} MB free, the results need about {needed_bytes / 1e6:,.0f} MB"
        )
