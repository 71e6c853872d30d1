"""Hydraulic check of a solved design at its peak hour and a summer low-load hour: velocity and
pressure drop per metre of every pipe of the original network (Darcy-Weisbach with the
Swamee-Jain friction factor) and the supply temperature at every consumer, against limits.

Model pipes carry their modelled flow; pipes merged into thermal zones by the reduction get flows
rebuilt from the node balances (`dhopt.planning.link_flows`; pipes on loops are reported "not
reconstructed"); supply temperatures follow the flow from the producers, cooling in each pipe
(`dhopt.planning.supply_temperature`). The flow is a heat flow turned into a mass flow with the
hour's supply temperature and the case's return temperature; water properties are taken at 70 °C.
Pure numpy physics; no thermo-hydraulic solver is needed for a check of given flows.
`dhopt.planning.pandapipes_export` (``dhopt hydraulics --pandapipes``) cross-checks it with pandapipes,
which also solves the loops this check cannot reconstruct.

Checked hours: the hour of highest total demand, and the hour of lowest total demand in June to
August (hours of the year 3624-5831, a non-leap calendar from 1 January 00:00) - the hour with the
least flow, where water cools most on its way to a consumer; without summer hours in the horizon,
its lowest-demand hour. No minimum velocity is imposed: what low flow does to a consumer is its
supply temperature, checked directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from dhopt.case import Pipes
from dhopt.errors import CaseError
from dhopt.physics import ROUGHNESS_M, mass_flow_kg_per_s, pressure_drop_Pa_per_m, velocity_m_per_s
from dhopt.planning.link_flows import link_conductance_W_per_K, link_flows
from dhopt.planning.supply_temperature import node_supply_degC
from dhopt.schema import CASE_ATTRS, HYDRAULICS_VARIABLES, RESULTS_NC, read_dataset, result_paths

SUMMER_HOURS = (3624, 5832)  # 1 June 00:00 to 1 September 00:00, hours of a non-leap year [h]
HOURS_PER_YEAR = 8760


TOLERANCE = 1e-6  # relative: a pipe the model runs at its capacity sits at the limit, within rounding


@dataclass(frozen=True)
class Limits:
    """Limits of the check; by default the case's hydraulic basis (`case_limits`), the one the model sized
    pipe capacities with (`dhopt.case.Pipes`)."""

    pressure_drop_Pa_per_m: float = 80.0  # largest frictional pressure drop [Pa/m]
    velocity_m_per_s: float = 3.0  # largest mean velocity [m/s]
    min_supply_degC: float = 50.0  # lowest supply at a consumer (domestic hot water) unless it sets its own [°C]
    roughness_m: float = ROUGHNESS_M  # absolute roughness of the pipe wall [m]


def case_limits(ds: xr.Dataset, pressure_drop_Pa_per_m=None, velocity_m_per_s=None, min_supply_degC=50.0) -> Limits:
    """The hydraulic basis of the case that made ``results.nc`` (its ``[pipes]`` section), with the limits
    given here (not None) in place of the case's."""
    basis = Pipes(**json.loads(ds.attrs["case_json"]).get("pipes", {}))
    return Limits(
        basis.max_pressure_drop_Pa_per_m if pressure_drop_Pa_per_m is None else pressure_drop_Pa_per_m,
        basis.max_velocity_m_per_s if velocity_m_per_s is None else velocity_m_per_s,
        min_supply_degC,
        basis.roughness_mm * 1e-3,
    )


def check_pipes(
    flow_MW, dn_mm, inner_diameter_m, supply_degC: float, return_degC: float, limits: Limits = Limits()
) -> pd.DataFrame:
    """Per pipe (index of `flow_MW`, a Series [MW]): DN [mm], inner diameter [m], mass flow [kg/s],
    velocity [m/s], pressure drop [Pa/m] and which limit it violates by more than `TOLERANCE` ("" if none)."""
    inner = np.asarray(inner_diameter_m, dtype=float)
    mass = mass_flow_kg_per_s(flow_MW.to_numpy(), supply_degC, return_degC)
    speed = velocity_m_per_s(mass, inner)
    drop = pressure_drop_Pa_per_m(speed, inner, limits.roughness_m)
    table = pd.DataFrame(
        {
            "dn_mm": np.asarray(dn_mm, dtype=int),
            "inner_diameter_m": inner,
            "flow_MW": flow_MW.to_numpy(),
            "mass_flow_kg_per_s": mass,
            "velocity_m_per_s": speed,
            "pressure_drop_Pa_per_m": drop,
        },
        index=flow_MW.index,
    )
    over = 1.0 + TOLERANCE
    too_fast = np.where(speed > limits.velocity_m_per_s * over, f"velocity > {limits.velocity_m_per_s:g} m/s", "")
    too_steep = np.where(
        drop > limits.pressure_drop_Pa_per_m * over, f"pressure drop > {limits.pressure_drop_Pa_per_m:g} Pa/m", ""
    )
    table["violation"] = ["; ".join(p for p in pair if p) for pair in zip(too_fast, too_steep)]
    return table


def checked_hours(time_h, total_demand_MW) -> dict[str, int]:
    """Positions of the checked hours in `time_h` (hours of the year): ``peak`` (highest total
    demand [MW]) and ``summer low load`` (lowest total demand in June-August), or ``lowest load``
    (lowest of the horizon) when the horizon has no summer hour. Ties: the first."""
    demand = np.asarray(total_demand_MW, dtype=float)
    hour_of_year = np.asarray(time_h, dtype=int) % HOURS_PER_YEAR
    summer = np.flatnonzero((hour_of_year >= SUMMER_HOURS[0]) & (hour_of_year < SUMMER_HOURS[1]))
    low = int(summer[np.argmin(demand[summer])]) if len(summer) else int(np.argmin(demand))
    return {"peak": int(np.argmax(demand)), "summer low load" if len(summer) else "lowest load": low}


@dataclass(frozen=True)
class HydraulicCheck:
    """Tables of a check: one row per pipe and checked hour, per consumer and checked hour, and per hour."""

    pipes: pd.DataFrame
    consumers: pd.DataFrame
    hours: pd.DataFrame
    violations: dict = field(default_factory=dict)  # "pipes", "consumers": ids violating a limit


def open_result(result_dir: str | Path) -> xr.Dataset:
    """``RESULT_DIR/results.nc`` loaded, with the network layer the check needs (one line per problem if not)."""
    problems: list[str] = []
    path = result_paths(Path(result_dir), (RESULTS_NC,))[RESULTS_NC]
    ds = read_dataset(path, HYDRAULICS_VARIABLES, problems, CASE_ATTRS)
    if problems:
        raise CaseError(problems)
    return ds


def _consumer_rows(ds: xr.Dataset, supply: np.ndarray, delivered: np.ndarray, limits: Limits) -> pd.DataFrame:
    """Per consumer: demand met [MW], supply temperature [°C], its minimum [°C] and any violation."""
    consumer = ds["node_kind"].values == "consumer"
    own = ds["node_min_supply_degC"].values
    floor = np.where(np.isnan(own), limits.min_supply_degC, own)
    drawing = delivered > 1e-9
    cold = drawing & (supply < floor)  # NaN (not known) compares false
    table = pd.DataFrame(
        {
            "consumer": ds["node"].values,
            "zone": ds["node_zone"].values,
            "demand_MW": delivered,
            "supply_degC": supply,
            "min_supply_degC": floor,
            "note": np.where(~drawing, "no demand", np.where(np.isnan(supply), "temperature not known", "")),
            "violation": [f"supply {t:.2f} degC < {f:g} degC" if c else "" for t, f, c in zip(supply, floor, cold)],
        }
    )[consumer]
    return table


def check_result(result_dir: str | Path, limits: Limits | None = None) -> HydraulicCheck:
    """`check_dataset` of ``RESULT_DIR/results.nc``."""
    return check_dataset(open_result(result_dir), limits)


def check_dataset(ds: xr.Dataset, limits: Limits | None = None) -> HydraulicCheck:
    """Check every built pipe and every consumer of a results dataset at the peak hour and the
    summer low-load hour (`checked_hours`), against `limits` (default: the case's, `case_limits`)."""
    limits = case_limits(ds) if limits is None else limits
    temps = json.loads(ds.attrs["case_json"])["temperatures"]
    back, ground = float(temps["return_degC"]), float(temps["ground_degC"])
    hours = checked_hours(ds["time"].values, ds["demand_MW"].sum("zone").values)
    positions = np.array(list(hours.values()))
    flows = link_flows(ds, positions)
    built = flows.status != "not built"
    node_position = pd.Series(np.arange(ds.sizes["node"]), index=ds["node"].values)
    tail = node_position.loc[ds["link_from"].values].to_numpy()[built]
    head = node_position.loc[ds["link_to"].values].to_numpy()[built]
    conductance = link_conductance_W_per_K(ds)[built]
    links = pd.Index(ds["link"].values[built], name="pipe")
    pipe_tables, consumer_tables, summary = [], [], []
    for i, (check, position) in enumerate(hours.items()):
        supply = float(ds["supply_temperature_degC"].values[position])
        hour = ds["time"].values[position]
        table = check_pipes(
            pd.Series(flows.flow_MW[built, i], index=links),
            ds["link_dn"].values[built],
            ds["link_inner_diameter_m"].values[built],
            supply,
            back,
            limits,
        )
        table.insert(0, "status", flows.status[built])
        table.insert(1, "link_status", ds["link_status"].values[built])
        table.insert(2, "length_m", ds["link_length_m"].values[built])
        pipe_tables.append(table.reset_index().assign(check=check, hour=hour))
        temperature = node_supply_degC(
            ds.sizes["node"],
            tail,
            head,
            flows.flow_MW[built, i],
            conductance,
            flows.production_MW[:, i],
            supply,
            supply - back,
            ground,
        )
        consumers = _consumer_rows(ds, temperature, flows.delivered_MW[:, i], limits)
        consumer_tables.append(consumers.assign(check=check, hour=hour))
        known = table["flow_MW"].notna()
        drawing = consumers[consumers["demand_MW"] > 1e-9]
        summary.append(
            {
                "check": check,
                "hour": hour,
                "supply_degC": supply,
                "return_degC": back,
                "demand_MW": float(ds["demand_MW"].values[:, position].sum()),
                "pipes_checked": int(known.sum()),
                "pipes_model": int((table["status"] == "model").sum()),
                "pipes_not_reconstructed": int((~known).sum()),
                "max_pressure_drop_Pa_per_m": float(table["pressure_drop_Pa_per_m"].max()),
                "max_pressure_drop_pipe": table["pressure_drop_Pa_per_m"].idxmax() if known.any() else "",
                "max_velocity_m_per_s": float(table["velocity_m_per_s"].max()),
                "pipe_violations": int((table["violation"] != "").sum()),
                "min_consumer_supply_degC": float(drawing["supply_degC"].min()),
                "min_consumer": drawing.set_index("consumer")["supply_degC"].idxmin()
                if drawing["supply_degC"].notna().any()
                else "",
                "consumers_not_known": int(drawing["supply_degC"].isna().sum()),
                "consumer_violations": int((consumers["violation"] != "").sum()),
                "balance_residual_MW": float(flows.residual_MW[i]),
            }
        )
    front = ["check", "hour"]
    pipes = pd.concat(pipe_tables, ignore_index=True)
    consumers = pd.concat(consumer_tables, ignore_index=True)
    pipes = pipes[front + [c for c in pipes.columns if c not in front]]
    consumers = consumers[front + [c for c in consumers.columns if c not in front]]
    violations = {
        "pipes": list(pd.unique(pipes.loc[pipes["violation"] != "", "pipe"])),
        "consumers": list(pd.unique(consumers.loc[consumers["violation"] != "", "consumer"])),
    }
    return HydraulicCheck(pipes, consumers, pd.DataFrame(summary), violations)


def summary_lines(check: HydraulicCheck, shown: int = 10) -> list[str]:
    """One line per checked hour, then the violations (at most `shown` of each kind)."""
    lines = []
    for _, h in check.hours.iterrows():
        lines.append(
            f"{h['check']}, hour {h['hour']}: demand {h['demand_MW']:,.1f} MW, supply {h['supply_degC']:.1f} / "
            f"return {h['return_degC']:.1f} degC; {h['pipes_checked']:,} pipes checked ({h['pipes_model']:,} model, "
            f"{h['pipes_checked'] - h['pipes_model']:,} rebuilt in zones), {h['pipes_not_reconstructed']:,} not "
            f"reconstructed; worst {h['max_pressure_drop_Pa_per_m']:,.1f} Pa/m ({h['max_pressure_drop_pipe']}), "
            f"fastest {h['max_velocity_m_per_s']:.2f} m/s; coldest consumer {h['min_consumer_supply_degC']:.1f} degC "
            f"({h['min_consumer']}), {h['consumers_not_known']} not known; zone balance residual "
            f"{h['balance_residual_MW']:.1e} MW"
        )
    pipes = check.pipes[check.pipes["violation"] != ""]
    for _, row in pipes.head(shown).iterrows():
        lines.append(
            f"violation: pipe {row['pipe']} DN{row['dn_mm']} at {row['check']} hour {row['hour']}: "
            f"{row['flow_MW']:,.2f} MW, {row['velocity_m_per_s']:.2f} m/s, {row['pressure_drop_Pa_per_m']:,.0f} Pa/m: "
            f"{row['violation']}"
        )
    consumers = check.consumers[check.consumers["violation"] != ""]
    for _, row in consumers.head(shown).iterrows():
        lines.append(
            f"violation: consumer {row['consumer']} at {row['check']} hour {row['hour']}: "
            f"{row['demand_MW'] * 1000:,.1f} kW, {row['violation']}"
        )
    hidden = max(len(pipes) - shown, 0) + max(len(consumers) - shown, 0)
    if hidden:
        lines.append(f"... and {hidden} more violation(s): see hydraulics.csv and consumer_temperatures.csv")
    return lines
