"""Connection planning (issue 5, item 1): where a campus joins the network and with which DN, which
existing pipes run at capacity and what upgrading each would be worth.

Routes: the candidate pipes of the network grouped into chains through empty junctions of degree 2
(as `dhopt.reduce.merge_chains` merges them). A route's connection point is an end of it that lies
on the existing network (an end of an existing pipe); a connection route has a campus at its other
end. The case is solved once with every route available, so the model chooses the route and its
DN. With two or more connection routes the case is solved again once per connection route with the
other connection routes removed: the annual cost of each connection point on its own [EUR/yr].

Upgrade value of an existing pipe at capacity (`dhopt.diagnose.hours_at_capacity`), in the chosen
design and in each route-alone solve: the case is optimised again (design and dispatch, as the
first solve: `dhopt.run.solve_inputs`) with the pipe one catalogue DN larger (its capacity and its heat
loss), value = C(DN) - C(larger DN) - A(larger DN) [EUR/yr], with C the optimal annual cost and A
the annualised cost of the larger pipe. Re-solved, not from LP duals: a dual prices only the first
MW of extra capacity, while one DN step adds many. Not the dispatch alone with the design held
either: heat pumps sized to what the bottleneck lets through could not use the larger pipe. Pipes
in series at capacity share one bottleneck: one DN more on one of them moves it to the next.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from dhopt.case import Case, load_case
from dhopt.diagnose import hours_at_capacity
from dhopt.inputs import Inputs, installed_options, pipe_options
from dhopt.model import design_of
from dhopt.network import Network, load_network
from dhopt.physics import pipe_catalogue
from dhopt.run import DEFAULT_CASE, Solution, solve_case, solve_inputs
from dhopt.solve import SolveOptions

UPGRADES_VALUED = 5  # bottlenecks whose upgrade is valued by a re-solve, most hours at capacity first
CHOSEN = "chosen design"  # the scenario of the solve with every route available
ROUTE_COLUMNS = ("route", "route_from", "route_to", "connection_point", "campus")


@dataclass
class ConnectionPlan:
    routes: pd.DataFrame  # connection.csv: one row per candidate pipe
    bottlenecks: pd.DataFrame  # bottlenecks.csv: one row per existing pipe at capacity
    solved: Solution  # with every route available
    case: Case


def routes(network: Network) -> pd.DataFrame:
    """Per candidate pipe (index): its route (the first pipe id of its chain), the route's two ends
    (campus end first), its connection point(s) on the existing network and its campus ("" if none;
    several joined by ';')."""
    pipes, kind = network.pipes, network.nodes["kind"]
    candidate = pipes[pipes["status"] == "candidate"]
    existing_ends = set(pipes.loc[pipes["status"] == "existing", ["from_node", "to_node"]].to_numpy().ravel())
    degree = pd.concat([pipes["from_node"], pipes["to_node"]]).value_counts()
    at_node = defaultdict(list)
    for pipe, u, v in zip(candidate.index, candidate["from_node"], candidate["to_node"], strict=True):
        at_node[u].append(pipe)
        at_node[v].append(pipe)
    links = nx.Graph()
    links.add_nodes_from(candidate.index)
    for node, members in at_node.items():
        if degree[node] == 2 and len(members) == 2 and kind[node] == "junction" and node not in existing_ends:
            links.add_edge(*members)
    rows = {}
    for chain in nx.connected_components(links):
        chain = sorted(chain)
        ends = pd.concat([candidate.loc[chain, "from_node"], candidate.loc[chain, "to_node"]]).value_counts()
        outer = sorted(ends.index[ends == 1], key=lambda n: kind[n] != "source")  # campus end first
        row = {
            "route": chain[0],
            "route_from": outer[0] if outer else "",
            "route_to": outer[-1] if outer else "",
            "connection_point": ";".join(n for n in outer if n in existing_ends),
            "campus": ";".join(n for n in outer if kind[n] == "source"),
        }
        rows.update(dict.fromkeys(chain, row))
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(ROUTE_COLUMNS))


def connection_routes(route_table: pd.DataFrame) -> list[str]:
    """Routes from a campus to a connection point on the existing network."""
    joined = route_table[(route_table["campus"] != "") & (route_table["connection_point"] != "")]
    return list(dict.fromkeys(joined["route"]))


def _without(network: Network, dropped: list[str]) -> Network:
    """The network without the pipes `dropped`."""
    graph = network.graph.copy()
    pipes = network.pipes
    graph.remove_edges_from((pipes.at[p, "from_node"], pipes.at[p, "to_node"], p) for p in dropped)
    return Network(network.nodes, pipes.drop(dropped), graph, network.path)


def connection_table(network: Network, case: Case, solved: Solution, route_table: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate pipe: route, ends, length [m], built, DN [mm] (0: not built), annualised
    cost [EUR/yr], peak flow [MW] and hours at capacity [h/yr] of the model pipe it belongs to."""
    ds, inputs = solved.dataset, solved.inputs
    candidate = network.pipes[network.pipes["status"] == "candidate"]
    dn = ds["link_dn"].to_series().reindex(candidate.index)
    built = dn.notna()
    costs = pipe_options(inputs.scalars, candidate)["annual_cost_EUR"]
    cost = [costs.get((p, int(d)), np.nan) if b else 0.0 for p, d, b in zip(candidate.index, dn, built, strict=True)]
    model_pipe = inputs.pipe_members.reindex(candidate.index).fillna("")
    modelled = model_pipe.isin(ds["pipe"].values) & built
    peak = abs(ds["pipe_flow_MW"]).max("time").to_series()
    hours = hours_at_capacity(ds).to_series()
    table = pd.DataFrame(
        {
            "route": route_table["route"].reindex(candidate.index),
            "pipe": candidate.index,
            "from_node": candidate["from_node"],
            "to_node": candidate["to_node"],
            "connection_point": route_table["connection_point"].reindex(candidate.index),
            "campus": route_table["campus"].reindex(candidate.index),
            "length_m": candidate["length_m"],
            "built": built,
            "dn_mm": dn.fillna(0.0).astype(int),
            "annual_cost_EUR": cost,
            "peak_flow_MW": np.where(modelled, model_pipe.map(peak), 0.0),
            "hours_at_capacity_h": np.where(modelled, model_pipe.map(hours), 0.0),
        }
    )
    return table.reset_index(drop=True)


def with_installed_dn(inputs: Inputs, pipe: str, dn: int) -> Inputs:
    """`inputs` with existing model pipe `pipe` installed at DN `dn` (capacity, limit and loss of that
    DN; the difference in loss, half to each end, in the fixed loss; its upgrade choices dropped)."""
    row = pipe_options(inputs.scalars, _one_pipe(inputs, pipe, "existing", dn))
    options = inputs.options
    old_loss = float(options.loc[installed_options(options, inputs.pipes)].loc[pipe, "loss_MW_per_K"].iloc[0])
    half = 0.5 * (float(row["loss_MW_per_K"].iloc[0]) - old_loss)
    ends = inputs.pipes.loc[pipe, ["from_node", "to_node"]]
    fixed = inputs.fixed_loss_MW_per_K.copy()
    fixed[ends["from_node"]] += half
    fixed[ends["to_node"]] += half
    return inputs.with_(
        pipes=inputs.pipes.assign(
            dn=inputs.pipes["dn"].where(inputs.pipes.index != pipe, float(dn)),
            inner_diameter_m=inputs.pipes["inner_diameter_m"].where(inputs.pipes.index != pipe),
        ),
        options=pd.concat([options.drop(index=pipe, level="pipe"), row]),
        fixed_loss_MW_per_K=fixed,
    )


def _one_pipe(inputs: Inputs, pipe: str, status: str, dn: int) -> pd.DataFrame:
    """A pipe table of model pipe `pipe` alone, with `status` and the one DN option `dn`."""
    frame = inputs.pipes.loc[[pipe], ["length_m"]]
    installed = float(dn) if status == "existing" else np.nan
    return frame.assign(status=status, dn=installed, dn_options=[(dn,)], upgrade_dn_options=[()])


def upgrade_value(solved: Solution, pipe: str, options: SolveOptions) -> dict[str, float]:
    """Next larger catalogue DN for existing model pipe `pipe`, its annualised cost, the annual cost
    saving when the case is optimised again with the pipe at that DN, and the net value [EUR/yr]
    (NaN when the pipe is already the largest DN)."""
    inputs, ds = solved.inputs, solved.dataset
    dn = int(ds["pipe_dn"].sel(pipe=pipe))
    larger = pipe_catalogue().index[pipe_catalogue().index > dn]
    if larger.empty:
        return dict.fromkeys(("upgrade_dn_mm", "upgrade_annual_cost_EUR", "saving_EUR", "upgrade_value_EUR"), np.nan)
    new_dn = int(larger[0])
    built = design_of(solved.model)["pipes.build"]
    annual = inputs.options["annual_cost_EUR"]
    # the pipe at its DN with its own upgrade choices gone: the upgrade the model chose is not paid again
    base = solved.solve.objective_EUR - sum(
        float(annual[k]) * round(v or 0.0) for k, v in built.items() if k[0] == pipe
    )
    trial_inputs = with_installed_dn(inputs, pipe, new_dn)
    report = solve_inputs(trial_inputs, solved.case, solved.network, options, reference=False).solve
    cost = float(pipe_options(inputs.scalars, _one_pipe(inputs, pipe, "candidate", new_dn))["annual_cost_EUR"].iloc[0])
    return {
        "upgrade_dn_mm": new_dn,
        "upgrade_annual_cost_EUR": cost,
        "saving_EUR": base - report.objective_EUR,
        "upgrade_value_EUR": base - report.objective_EUR - cost,
    }


def bottleneck_table(
    network: Network,
    solved: Solution,
    options: SolveOptions,
    valued: int = UPGRADES_VALUED,
    progress: Callable[[str], None] | None = None,
    scenario: str = CHOSEN,
) -> pd.DataFrame:
    """One row per existing pipe of the network that runs at capacity in the solution, most hours
    first: DN [mm], hours at capacity [h/yr], largest flow and capacity [MW], its upgrade options,
    and for the first `valued` the value of one DN more (`upgrade_value`); `scenario` names the solve."""
    ds = solved.dataset
    hours = hours_at_capacity(ds).to_series()
    existing = network.pipes.index[network.pipes["status"] == "existing"]
    at_capacity = hours[(hours > 0) & hours.index.isin(existing) & (ds["pipe_status"] == "existing").values]
    at_capacity = at_capacity.sort_values(ascending=False, kind="stable")
    rows = []
    for rank, (pipe, h) in enumerate(at_capacity.items()):
        original = network.pipes.loc[pipe]
        row = {
            "scenario": scenario,
            "pipe": pipe,
            "from_node": original["from_node"],
            "to_node": original["to_node"],
            "length_m": original["length_m"],
            "installed_dn_mm": int(original["dn"]),
            "dn_mm": int(ds["pipe_dn"].sel(pipe=pipe)),
            "upgrade_dn_options": ";".join(str(d) for d in original["upgrade_dn_options"]),
            "hours_at_capacity_h": float(h),
            "max_flow_MW": float(abs(ds["pipe_flow_MW"].sel(pipe=pipe)).max()),
            "max_capacity_MW": float(ds["pipe_capacity_MW"].sel(pipe=pipe).max()),
        }
        if rank < valued:
            row.update(upgrade_value(solved, pipe, options))
            row["method"] = "case optimised again with one DN more"
            if progress:
                progress(
                    f"upgrade   {scenario}: pipe '{pipe}' DN{row['dn_mm']} -> DN{row['upgrade_dn_mm']:.0f}: saves "
                    f"{row['saving_EUR']:,.0f} EUR/yr for {row['upgrade_annual_cost_EUR']:,.0f} EUR/yr"
                )
        else:
            row["method"] = f"not valued (only the first {valued} of a scenario are)"
        rows.append(row)
    columns = [
        "scenario", "pipe", "from_node", "to_node", "length_m", "installed_dn_mm", "dn_mm", "upgrade_dn_options",
        "hours_at_capacity_h", "max_flow_MW", "max_capacity_MW", "upgrade_dn_mm", "upgrade_annual_cost_EUR",
        "saving_EUR", "upgrade_value_EUR", "method",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def plan_connection(
    case_path: str | Path | None = None,
    options: SolveOptions = SolveOptions(),
    valued: int = UPGRADES_VALUED,
    progress: Callable[[str], None] | None = None,
) -> ConnectionPlan:
    """Solve the case (default: the embedded one) with every route available; cost each connection
    route on its own when there are several; value the upgrade of the existing pipes at capacity."""
    case = load_case(case_path or DEFAULT_CASE)
    network = load_network(case.network_path, case.spec.network_options)
    route_table = routes(network)
    solved = solve_case(case, options, network=network, reference=False, progress=progress)
    table = connection_table(network, case, solved, route_table)
    connecting = connection_routes(route_table)
    table["annual_cost_alone_EUR"] = np.nan
    table["campus_heat_alone_MWh"] = np.nan
    built = set(table.loc[table["built"] & table["route"].isin(connecting), "route"])
    slow = [bottleneck_table(network, solved, options, valued, progress)]
    for route in connecting if len(connecting) > 1 else []:
        if built == {route}:
            figures = solved.kpis
        else:
            others = route_table.index[route_table["route"].isin(set(connecting) - {route})]
            alone = _without(network, list(others))
            alone_solved = solve_case(case, options, network=alone, reference=False)
            figures = alone_solved.kpis
            if progress:
                progress(f"alone     route '{route}' only: {figures['annual_cost_EUR']:,.0f} EUR/yr")
            slow.append(bottleneck_table(alone, alone_solved, options, valued, progress, f"route '{route}' only"))
        on_route = table["route"] == route
        table.loc[on_route, "annual_cost_alone_EUR"] = figures["annual_cost_EUR"]
        table.loc[on_route, "campus_heat_alone_MWh"] = figures["campus_heat_to_network_MWh"]
    bottlenecks = pd.concat([t for t in slow if len(t)] or slow[:1], ignore_index=True)
    return ConnectionPlan(table, bottlenecks, solved, case)


def summary(plan: ConnectionPlan) -> list[str]:
    """The best connection point and DN, the routes not chosen (their cost on their own and the pipe
    that holds them back), the top bottlenecks of the chosen design with their upgrade value."""
    table, slow = plan.routes, plan.bottlenecks
    best = plan.solved.kpis["annual_cost_EUR"]
    lines = []
    joining = table[table["campus"] != ""]
    for route, part in joining.sort_values("built", ascending=False, kind="stable").groupby("route", sort=False):
        head = part.iloc[0]
        where = f"route '{route}' {head['campus']} -> {head['connection_point'] or head['route_to']}"
        length = part["length_m"].sum()
        alone = part["annual_cost_alone_EUR"].iloc[0]
        if part["built"].all():
            dns = "/".join(f"DN{d}" for d in dict.fromkeys(part["dn_mm"]))
            lines.append(
                f"connection: {where} ({length:,.0f} m, {dns}, {part['annual_cost_EUR'].sum():,.0f} EUR/yr "
                f"pipe annuity, at capacity {part['hours_at_capacity_h'].max():,.0f} h/yr); system {best:,.0f} EUR/yr"
            )
            continue
        text = f"not chosen: {where} ({length:,.0f} m)"
        if not np.isnan(alone):
            text += f"; with this route only {alone:,.0f} EUR/yr ({alone - best:+,.0f})"
        held = slow[slow["scenario"] == f"route '{route}' only"].head(1)
        for row in held.itertuples():
            text += f"; then existing pipe '{row.pipe}' (DN{row.dn_mm}) at capacity {row.hours_at_capacity_h:,.0f} h/yr"
            if not np.isnan(row.upgrade_value_EUR):
                text += f", worth {row.upgrade_value_EUR:+,.0f} EUR/yr as DN{row.upgrade_dn_mm:.0f}"
        lines.append(text)
    if not lines:
        lines.append("no candidate route joins a campus to the existing network")
    chosen = slow[slow["scenario"] == CHOSEN]
    for row in chosen.head(3).itertuples():
        value = (
            f"; DN{row.upgrade_dn_mm:.0f} would save {row.saving_EUR:,.0f} EUR/yr for "
            f"{row.upgrade_annual_cost_EUR:,.0f} EUR/yr: net {row.upgrade_value_EUR:+,.0f} EUR/yr"
            if not np.isnan(row.upgrade_value_EUR)
            else ""
        )
        lines.append(
            f"bottleneck: existing pipe '{row.pipe}' DN{row.dn_mm} at capacity {row.hours_at_capacity_h:,.0f} h/yr "
            f"(up to {row.max_flow_MW:.2f} MW){value}"
        )
    if chosen.empty:
        lines.append("bottlenecks: no existing pipe runs at capacity in the chosen design")
    return lines


def figure(plan: ConnectionPlan):
    """The network map (`dhopt.report.network_map`) with the connection routes labelled (chosen: its
    connection point marked), upgraded existing pipes haloed and existing pipes at capacity coloured
    by their hours at capacity: solid in the chosen design, dashed with a route not chosen."""
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    from dhopt.report.network_map import link_segments, network_map
    from dhopt.report.style import report_style

    ds, table, slow = plan.solved.dataset, plan.routes, plan.bottlenecks
    with report_style():
        fig = network_map(ds)
        ax = fig.axes[0]
        handles = []
        upgraded = ds["link"].values[np.nan_to_num(ds["link_upgrade_dn"].values) > 0] if "link_upgrade_dn" in ds else []
        if len(upgraded):
            segments = link_segments(ds, upgraded)
            ax.add_collection(LineCollection(segments, colors="#6a3d9a", alpha=0.45, linewidths=9, zorder=2))
            handles.append(Line2D([], [], color="#6a3d9a", alpha=0.45, lw=8, label="existing pipe upgraded"))
        if len(slow):
            norm = Normalize(0.0, max(float(slow["hours_at_capacity_h"].max()), 1.0))
            for scenario, part in slow.groupby("scenario", sort=False):
                chosen = scenario == CHOSEN
                lines = LineCollection(
                    link_segments(ds, part["pipe"]),
                    array=part["hours_at_capacity_h"].to_numpy(),
                    cmap=colormaps["autumn_r"],
                    norm=norm,
                    linewidths=5 if chosen else 3,
                    linestyles="solid" if chosen else (0, (2, 1.5)),
                    zorder=5 if chosen else 4,
                )
                ax.add_collection(lines)
                label = "at capacity in the chosen design" if chosen else f"at capacity with {scenario}"
                style = "-" if chosen else (0, (2, 1.5))
                handles.append(Line2D([], [], color=colormaps["autumn_r"](0.6), lw=3, ls=style, label=label))
            fig.colorbar(lines, ax=ax, shrink=0.6, pad=0.01, label="existing pipe at capacity [h/yr]")
        for route, part in table[table["campus"] != ""].groupby("route", sort=False):
            head = part.iloc[0]
            point = head["connection_point"].split(";")[0] or head["route_to"]
            x, y = (float(ds[axis].sel(node=point)) for axis in ("node_x_m", "node_y_m"))
            length_km = part["length_m"].sum() / 1000
            if part["built"].all():
                ax.scatter([x], [y], s=160, marker="D", color="#e31a1c", edgecolor="black", zorder=9)
                text = f"connection point {point}\nroute '{route}', {length_km:.1f} km, DN{part['dn_mm'].max()}"
                colour = "#a50f15"
            else:
                text = f"not chosen: route '{route}' to {point}, {length_km:.1f} km"
                extra = part["annual_cost_alone_EUR"].iloc[0] - plan.solved.kpis["annual_cost_EUR"]
                text += "" if np.isnan(extra) else f"\non its own {extra:+,.0f} EUR/yr"
                colour = "#525252"
            middle = link_segments(ds, part["pipe"]).reshape(-1, 2).mean(axis=0)
            ax.annotate(
                text,
                (x, y) if part["built"].all() else tuple(middle),
                xytext=(10, -22) if part["built"].all() else (24, -6),
                textcoords="offset points",
                fontsize=9,
                color=colour,
                zorder=10,
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": colour, "alpha": 0.9},
            )
        if (table["campus"] != "").any():
            handles.append(
                Line2D([], [], ls="", marker="D", color="#e31a1c", markeredgecolor="black", label="connection point")
            )
        if handles:
            ax.legend(handles=handles, loc="upper left", frameon=True)
        chosen = table[table["built"] & (table["campus"] != "")]
        where = ", ".join(dict.fromkeys(chosen["connection_point"])) or "none"
        at_capacity = int((slow["scenario"] == CHOSEN).sum()) if len(slow) else 0
        ax.set_title(f"Connection point: {where}; {at_capacity} existing pipe(s) at capacity in the chosen design")
    return fig


def write_connection(out_dir: Path, plan: ConnectionPlan) -> list[Path]:
    """`connection.csv`, `bottlenecks.csv` and `connection.png` in `out_dir`, each written atomically."""
    from dhopt.planning.output import write_figure, write_table

    return [
        write_table(out_dir / "connection.csv", plan.routes),
        write_table(out_dir / "bottlenecks.csv", plan.bottlenecks),
        write_figure(out_dir / "connection.png", figure(plan)),
    ]
