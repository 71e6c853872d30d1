r"""Cross-check of the hydraulic check with pandapipes: the supply network of a solved design at a
checked hour, exported to pandapipes and solved there.

What is exported (supply side only: the return network mirrors it with the same mass flows and,
at the same diameters, the same pressure drops, so it adds nothing to a per-metre check):

- a junction at every node that a built pipe touches, at the hour's network supply temperature;
- a pipe per built pipe: its length, its inner diameter (``link_inner_diameter_m``) and the check's
  roughness (`hydraulics.Limits`), no heat transfer (hydraulics only);
- the node terms the check rebuilds its flows from (`link_flows.LinkFlows`), each a heat flow
  turned into a mass flow :math:`\dot m = Q / (c_p (T_s - T_r))`: a sink per consumer (its demand
  met), a sink per node for the pipe losses booked there (half of each pipe's loss at each end), a
  source per producing node (plants, heat pumps, direct exchange, storage discharge), a sink where
  storage charges more than the node produces;
- an external grid at the largest producer of each connected part (its feed point), holding
  `PRESSURE_BAR` at the hour's supply temperature and supplying what that part draws (it replaces
  the feed point's own source).

pandapipes then solves the network with its own fluid (water, density and viscosity at the
hour's supply temperature; dhopt's check takes them at 70 °C) and the Swamee-Jain friction factor
(``pipeflow(net, friction_model="swamee-jain")``; pandapipes applies it at every Reynolds number,
dhopt uses 64/Re below Re 2300, so pressure drops are compared on turbulent pipes only). On a tree
the node terms fix every flow and the comparison checks dhopt's rebuilt flows and friction; on a
loop, which dhopt does not reconstruct, pandapipes splits the flow by equal pressure drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import xarray as xr

from dhopt.errors import DhoptError
from dhopt.files import write_atomically
from dhopt.physics import ROUGHNESS_M, WATER_CP_MJ_PER_KG_K, reynolds
from dhopt.planning.hydraulics import HydraulicCheck, Limits, case_limits, checked_hours
from dhopt.planning.link_flows import NOT_BUILT, LinkFlows, link_flows

PRESSURE_BAR = 6.0  # pressure held at each feed point [bar]
KELVIN = 273.15
FRICTION_MODEL = "swamee-jain"
MIN_COMPARED_VELOCITY_M_PER_S = 0.01  # slower pipes: figures shown, not compared [m/s]
LAMINAR_REYNOLDS = 2300.0
RESULT_COLUMNS = ["pandapipes_mass_flow_kg_per_s", "pandapipes_velocity_m_per_s", "pandapipes_pressure_drop_Pa_per_m"]
SOLVER_OPTIONS = {"max_iter_hyd": 50, "tol_p": 1e-8, "tol_m": 1e-8, "tol_res": 1e-8, "use_numba": False}


def import_pandapipes():
    """The pandapipes module, or a one-line DhoptError saying how to install it."""
    try:
        import pandapipes
    except ImportError as error:
        raise DhoptError(
            f"pandapipes is not installed ({error}); install it with python3 -m pip install 'pandapipes>=0.16'"
        ) from error
    return pandapipes


def supply_network(
    ds: xr.Dataset,
    flows: LinkFlows,
    column: int,
    supply_degC: float,
    return_degC: float,
    pressure_bar=PRESSURE_BAR,
    roughness_m=ROUGHNESS_M,
):
    """pandapipes network of the supply side at column `column` of `flows` (see the module doc)."""
    pandapipes = import_pandapipes()
    to_kg_per_s = 1.0 / (WATER_CP_MJ_PER_KG_K * (supply_degC - return_degC))  # [kg/s per MW]
    built = np.flatnonzero(flows.status != NOT_BUILT)
    nodes = pd.Index(ds["node"].values)
    tail = nodes.get_indexer(ds["link_from"].values[built])
    head = nodes.get_indexer(ds["link_to"].values[built])
    graph = nx.Graph()
    graph.add_edges_from(zip(tail.tolist(), head.tolist()))
    used = np.array(sorted(graph.nodes), dtype=int)
    t_k = supply_degC + KELVIN

    net = pandapipes.create_empty_network(name="dhopt supply network", fluid="water")
    junction = pd.Series(
        pandapipes.create_junctions(
            net,
            len(used),
            pn_bar=pressure_bar,
            tfluid_k=t_k,
            name=nodes[used].tolist(),
            geodata=list(zip(ds["node_x_m"].values[used], ds["node_y_m"].values[used])),
        ),
        index=used,
    )
    inner_m = ds["link_inner_diameter_m"].values[built]
    pandapipes.create_pipes_from_parameters(
        net,
        junction.loc[tail].to_numpy(),
        junction.loc[head].to_numpy(),
        length_km=ds["link_length_m"].values[built] / 1000.0,
        inner_diameter_mm=inner_m * 1000.0,
        k_mm=roughness_m * 1000.0,
        name=ds["link"].values[built].tolist(),
    )
    production = flows.production_MW[used, column]
    feeds = [max(part, key=lambda n: flows.production_MW[n, column]) for part in nx.connected_components(graph)]
    feed = np.isin(used, feeds)
    consumer = ds["node_kind"].values[used] == "consumer"
    terms = (
        ("consumer", consumer, flows.delivered_MW[used, column], pandapipes.create_sinks),
        ("losses", flows.loss_MW[used, column] > 0, flows.loss_MW[used, column], pandapipes.create_sinks),
        ("production", (production > 0) & ~feed, production, pandapipes.create_sources),
        ("storage charge", production < 0, -production, pandapipes.create_sinks),
    )
    for kind, where, heat_MW, create in terms:
        if where.any():
            create(
                net,
                junction.to_numpy()[where],
                heat_MW[where] * to_kg_per_s,
                name=nodes[used[where]].tolist(),
                type=kind,
            )
    pandapipes.create_ext_grids(
        net, junction.loc[feeds].to_numpy(), p_bar=pressure_bar, t_k=t_k, name=nodes[feeds].tolist()
    )
    return net


def solve(net) -> bool:
    """pandapipes' hydraulic pipeflow with the Swamee-Jain friction factor; whether it converged."""
    pandapipes = import_pandapipes()
    from pandapipes.pf.pipeflow_setup import PipeflowNotConverged

    try:
        pandapipes.pipeflow(net, mode="hydraulics", friction_model=FRICTION_MODEL, **SOLVER_OPTIONS)
    except PipeflowNotConverged:
        return False
    return bool(net.converged)


def pipe_results(net) -> pd.DataFrame:
    """Per pipe (index: dhopt pipe id): mass flow from its from- to its to-node [kg/s], mean velocity
    [m/s] and pressure drop in the from-to direction [Pa/m], both signed like the mass flow."""
    res, pipe = net.res_pipe, net.pipe
    drop = (res["p_from_bar"] - res["p_to_bar"]).to_numpy() * 1e5 / (pipe["length_km"].to_numpy() * 1000.0)
    mass = res["mdot_from_kg_per_s"].to_numpy()
    return pd.DataFrame(
        {
            "pandapipes_mass_flow_kg_per_s": mass,
            "pandapipes_velocity_m_per_s": np.sign(mass) * np.abs(res["v_mean_m_per_s"].to_numpy()),
            "pandapipes_pressure_drop_Pa_per_m": drop,
        },
        index=pd.Index(pipe["name"].to_numpy(), name="pipe"),
    )


def compare(dhopt_rows: pd.DataFrame, results: pd.DataFrame, limits: Limits) -> pd.DataFrame:
    r"""dhopt's rows of one hour (``HydraulicCheck.pipes``) with pandapipes' figures and the relative
    differences :math:`(s \, x_{pp} - |x_{dhopt}|) / |x_{dhopt}|` of mass flow, velocity and pressure
    drop, with :math:`s` the sign of dhopt's flow in the pipe's direction (a reversed flow shows as
    about -200 %). Mass flows and velocities are compared above `MIN_COMPARED_VELOCITY_M_PER_S`,
    pressure drops on pipes turbulent in dhopt's check too."""
    rows = dhopt_rows.set_index("pipe")
    pp = results.reindex(rows.index)
    sign = np.sign(rows["flow_MW"].to_numpy())
    mass, speed = rows["mass_flow_kg_per_s"].to_numpy(), rows["velocity_m_per_s"].to_numpy()
    drop = rows["pressure_drop_Pa_per_m"].to_numpy()
    m_pp, v_pp = pp["pandapipes_mass_flow_kg_per_s"].to_numpy(), pp["pandapipes_velocity_m_per_s"].to_numpy()
    dp_pp = pp["pandapipes_pressure_drop_Pa_per_m"].to_numpy()
    compared = speed >= MIN_COMPARED_VELOCITY_M_PER_S  # NaN (not reconstructed) compares false
    turbulent = compared & (reynolds(speed, rows["inner_diameter_m"].to_numpy()) >= LAMINAR_REYNOLDS)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_diff = np.where(compared, (sign * m_pp - mass) / mass, np.nan)
        v_diff = np.where(compared, (sign * v_pp - speed) / speed, np.nan)
        dp_diff = np.where(turbulent, (sign * dp_pp - drop) / drop, np.nan)
    known = rows["flow_MW"].notna().to_numpy()
    note = np.where(
        ~known,
        "pandapipes only: " + rows["status"].astype(str),
        np.where(~compared, "too slow to compare", np.where(~turbulent, "laminar: velocity compared only", "")),
    )
    too_fast = np.abs(v_pp) > limits.velocity_m_per_s
    too_steep = np.abs(dp_pp) > limits.pressure_drop_Pa_per_m
    violation = [
        "; ".join(
            text
            for text, hit in (
                (f"velocity > {limits.velocity_m_per_s:g} m/s", fast),
                (f"pressure drop > {limits.pressure_drop_Pa_per_m:g} Pa/m", steep),
            )
            if hit
        )
        for fast, steep in zip(too_fast, too_steep)
    ]
    columns = ["check", "hour", "status", "dn_mm", "length_m", "flow_MW", "mass_flow_kg_per_s"]
    columns += ["velocity_m_per_s", "pressure_drop_Pa_per_m"]
    table = rows[columns].assign(
        pandapipes_mass_flow_kg_per_s=pp["pandapipes_mass_flow_kg_per_s"].to_numpy(),
        pandapipes_velocity_m_per_s=np.abs(v_pp),
        pandapipes_pressure_drop_Pa_per_m=np.abs(dp_pp),
        mass_flow_difference=m_diff,
        velocity_difference=v_diff,
        pressure_drop_difference=dp_diff,
        pandapipes_violation=violation,
        note=note,
    )
    return table.reset_index()


@dataclass(frozen=True)
class CrossCheck:
    """pandapipes' figures per pipe and checked hour, one summary row per hour, the exported nets."""

    pipes: pd.DataFrame
    hours: pd.DataFrame
    nets: dict  # check name -> solved pandapipes network
    violations: list  # pipes whose pandapipes figures violate a limit


def cross_check(ds: xr.Dataset, check: HydraulicCheck, limits: Limits | None = None, pressure_bar=PRESSURE_BAR):
    """Export the supply network at each hour of `check` to pandapipes, solve it and compare against
    `limits` (default: the case's, `hydraulics.case_limits`)."""
    limits = case_limits(ds) if limits is None else limits
    back = float(check.hours["return_degC"].iloc[0])
    hours = checked_hours(ds["time"].values, ds["demand_MW"].sum("zone").values)
    flows = link_flows(ds, list(hours.values()))
    tables, summary, nets = [], [], {}
    for column, name in enumerate(hours):
        supply = float(ds["supply_temperature_degC"].values[hours[name]])
        net = supply_network(ds, flows, column, supply, back, pressure_bar, limits.roughness_m)
        converged = solve(net)
        nets[name] = net
        results = pipe_results(net) if converged else pd.DataFrame(columns=RESULT_COLUMNS, dtype=float)
        table = compare(check.pipes[check.pipes["check"] == name], results, limits)
        tables.append(table)
        summary.append(hour_summary(name, table, converged, net))
    pipes = pd.concat(tables, ignore_index=True)
    pipes = pipes[["check", "hour"] + [c for c in pipes.columns if c not in ("check", "hour")]]
    violations = list(pd.unique(pipes.loc[pipes["pandapipes_violation"] != "", "pipe"]))
    return CrossCheck(pipes, pd.DataFrame(summary), nets, violations)


def _largest(values: pd.Series) -> float:
    """The value of largest magnitude, with its sign (NaN if none)."""
    return float(values.loc[values.abs().idxmax()]) if values.notna().any() else float("nan")


def hour_summary(name: str, table: pd.DataFrame, converged: bool, net) -> dict:
    """One hour's agreement figures: pipes compared, median and largest relative difference (signed)."""
    v, dp = table["velocity_difference"], table["pressure_drop_difference"]
    only = table["note"].str.startswith("pandapipes only")
    return {
        "check": name,
        "hour": table["hour"].iloc[0],
        "converged": converged,
        "pipes": len(table),
        "mass_flow_max_difference": _largest(table["mass_flow_difference"]),
        "velocity_compared": int(v.notna().sum()),
        "velocity_median_difference": float(v.median()),
        "velocity_max_difference": _largest(v),
        "pressure_drop_compared": int(dp.notna().sum()),
        "pressure_drop_median_difference": float(dp.median()),
        "pressure_drop_max_difference": _largest(dp),
        "pressure_drop_max_difference_pipe": table.loc[dp.abs().idxmax(), "pipe"] if dp.notna().any() else "",
        "pandapipes_only": int(only.sum()),
        "pandapipes_only_max_pressure_drop_Pa_per_m": float(table.loc[only, "pandapipes_pressure_drop_Pa_per_m"].max()),
        "max_pressure_drop_Pa_per_m": float(table["pandapipes_pressure_drop_Pa_per_m"].max()),
        "min_pressure_bar": float(net.res_junction["p_bar"].min()) if converged else float("nan"),
        "violations": int((table["pandapipes_violation"] != "").sum()),
    }


def summary_lines(cross: CrossCheck, shown: int = 10) -> list[str]:
    """One line per checked hour, then pandapipes' limit violations (at most `shown`)."""
    lines = []
    for _, h in cross.hours.iterrows():
        if not h["converged"]:
            lines.append(f"pandapipes, {h['check']} hour {h['hour']}: pipeflow did not converge; nothing compared")
            continue
        only = (
            f"; {h['pandapipes_only']} pipe(s) dhopt does not reconstruct, pandapipes only: worst "
            f"{h['pandapipes_only_max_pressure_drop_Pa_per_m']:,.1f} Pa/m"
            if h["pandapipes_only"]
            else ""
        )
        lines.append(
            f"pandapipes ({FRICTION_MODEL}), {h['check']} hour {h['hour']}: converged; velocity on "
            f"{h['velocity_compared']:,} pipes: median difference {h['velocity_median_difference']:+.2%}, largest "
            f"{h['velocity_max_difference']:+.2%} (mass flow {h['mass_flow_max_difference']:+.1e}); pressure drop on {h['pressure_drop_compared']:,} turbulent pipes: "
            f"median {h['pressure_drop_median_difference']:+.2%}, largest {h['pressure_drop_max_difference']:+.2%} "
            f"({h['pressure_drop_max_difference_pipe']}); worst {h['max_pressure_drop_Pa_per_m']:,.1f} Pa/m, "
            f"lowest pressure {h['min_pressure_bar']:.2f} bar{only}"
        )
    bad = cross.pipes[cross.pipes["pandapipes_violation"] != ""]
    for _, row in bad.head(shown).iterrows():
        lines.append(
            f"pandapipes violation: pipe {row['pipe']} DN{row['dn_mm']} at {row['check']} hour {row['hour']}: "
            f"{row['pandapipes_velocity_m_per_s']:.2f} m/s, {row['pandapipes_pressure_drop_Pa_per_m']:,.0f} Pa/m: "
            f"{row['pandapipes_violation']}"
        )
    if len(bad) > shown:
        lines.append(f"... and {len(bad) - shown} more pandapipes violation(s): see hydraulics_pandapipes.csv")
    return lines


def write_nets(directory: Path, cross: CrossCheck) -> list[Path]:
    """Each hour's solved network as pandapipes JSON, ``pandapipes_<check>.json`` (atomically)."""
    pandapipes = import_pandapipes()
    paths = []
    for name, net in cross.nets.items():
        path = Path(directory) / f"pandapipes_{name.replace(' ', '_')}.json"
        write_atomically(path, lambda p, net=net: pandapipes.to_json(net, str(p)))
        paths.append(path)
    return paths


def write_cross_check(directory: Path, cross: CrossCheck) -> list[Path]:
    """``hydraulics_pandapipes.csv`` (one row per pipe and checked hour) and the hours' networks."""
    from dhopt.planning.output import write_table

    return [write_table(Path(directory) / "hydraulics_pandapipes.csv", cross.pipes), *write_nets(directory, cross)]
