"""Demand trees: an exact reduction of the subtrees that hold only demand, and its read-back per zone.

A zone v that hangs from the rest of the network by one existing pipe p without DN choice, and on whose
side of p there is no production, storage or DN choice, is peeled off (leaves first, so its children c
are peeled before it). Each hour t:

    R_v(t) = min(Q_p dT_t, L_v(t) + sum_c R_c(t))       the most v's side can receive through p [MW]
    M_v(t) = [v has no demand] L_v(t) + sum_c M_c(t)     the least it must receive [MW]

with L_v = demand + G_v (T_s + T_r - 2 T_g), the zone's load (`dhopt.model.balance`: the fixed loss of
its half pipes). A zone without demand has no unmet slack, so its load must arrive; the heat a pipe
carries is not reduced by its loss (that is the ends' load). Every inflow x in [M_v, R_v] can be
distributed feasibly (the set is convex and holds both ends), and each leaves Lsub_v - x unmet, Lsub_v
the side's whole load, at the one penalty per MWh of the case: the side is the same to the rest of the
network as a load R_v with an unmet slack of at most R_v - M_v. Recursively a whole tree joins its
host, the first zone that is not peeled:

    load_h = L_h + sum_c R_c,   0 <= unmet_h <= [h has demand] L_h + sum_c (R_c - M_c),
    forced_h = sum_c (Lsub_c - R_c)   unmet before the solve, a constant of the objective,

over the host's children c. A zone whose least inflow exceeds its pipe's capacity (no feasible
dispatch) is not peeled. Exact while unmet heat has one price (EUR/MWh, or t/MWh minimising CO2).

`expand` reads a solution back per original zone and pipe: the host's group receives
L_h + sum_c R_c - unmet_h; each zone keeps its own load (all of it without demand, else what is left
after its children's least inflows), and passes the rest on, each child c receiving M_c plus a share
of the spare in proportion to R_c - M_c. Where the unreduced model has several optimal splits (a
shortage shared by several zones) this is one of them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dhopt.inputs import Inputs, installed_options

QUANTITIES = ("demand", "load", "receive", "least", "forced", "slack")
"""Columns of `Inputs.tree_MW` per zone [MW]: own demand, own load L, R, M (peeled zones), forced and
unmet bound (hosts)."""


def _anchors(inputs: Inputs, choice: set) -> set:
    """Zones that are never peeled: production, storage, fleet hosts and the ends of pipes with a DN choice."""
    pipes = inputs.pipes
    chosen = pipes.loc[pipes.index.isin(choice) | (pipes["status"] != "existing")]
    producers = set(inputs.sources["node"]) | set(inputs.plants["node"]) | set(inputs.units["node"])
    producers |= set(inputs.pits["node"]) | set(inputs.storage_sites.index) | set(inputs.fleet["node"])
    return producers | set(chosen["from_node"]) | set(chosen["to_node"])


def _peel_order(inputs: Inputs, fixed: pd.Index, anchors: set, peel) -> list[tuple]:
    """(zone, parent, pipe) of every peeled zone, children first; `peel(zone, parent, pipe)` is called
    for each leaf in turn and says whether it is peeled (its least inflow fits its pipe)."""
    pipes = inputs.pipes
    incident: dict = {n: set() for n in inputs.nodes}
    for pipe, u, v in zip(pipes.index, pipes["from_node"], pipes["to_node"]):
        incident[u].add(pipe)
        incident[v].add(pipe)
    fixed = set(fixed)

    def peelable(n) -> bool:
        return n not in anchors and len(incident[n]) == 1 and next(iter(incident[n])) in fixed

    queue, order = deque(n for n in inputs.nodes if peelable(n)), []
    while queue:
        zone = queue.popleft()
        if not peelable(zone):
            continue
        (pipe,) = incident[zone]
        u, v = pipes.at[pipe, "from_node"], pipes.at[pipe, "to_node"]
        parent = v if u == zone else u
        if not peel(zone, parent, pipe):
            continue
        incident[zone].clear()
        incident[parent].discard(pipe)
        order.append((zone, parent, pipe))
        if peelable(parent):
            queue.append(parent)
    return order


def collapse_demand_trees(inputs: Inputs) -> Inputs:
    """`inputs` with every demand tree joined to its host (module doc), or unchanged when there is none
    or the case turns it off (``[horizon] demand_trees = false``)."""
    if not inputs.scalars.demand_trees or inputs.tree_zones is not None:
        return inputs
    pipes, options = inputs.pipes, inputs.options
    installed = installed_options(options, pipes)
    choice = set(options.index[~installed].get_level_values("pipe"))
    fixed = pipes.index[(pipes["status"] == "existing") & ~pipes.index.isin(choice)]
    limit = options[installed].droplevel("dn")
    delta_t, drive = inputs.delta_t_K.to_numpy(), inputs.loss_drive_K.to_numpy()
    demand = inputs.demand_MW
    has_demand = demand.max(axis=0) > 0
    own = demand.to_numpy() + inputs.fixed_loss_MW_per_K.reindex(demand.columns).to_numpy() * drive[:, None]
    column = {n: i for i, n in enumerate(demand.columns)}
    zeros = np.zeros(len(delta_t))
    sums: dict = {}  # zone -> (sum R, sum M, sum Lsub) of its peeled children
    series: dict = {}  # peeled zone -> (R, M, Lsub)

    def peel(zone, parent, pipe) -> bool:
        r, m, whole = sums.get(zone, (zeros, zeros, zeros))
        load = own[:, column[zone]]
        cap = float(limit.at[pipe, "limit_MW_per_K"]) * delta_t
        least = m + (0.0 if has_demand[zone] else load)
        if (least > cap + 1e-9).any():
            return False
        series[zone] = (np.minimum(cap, load + r), least, load + whole)
        before = sums.get(parent, (zeros, zeros, zeros))
        sums[parent] = (before[0] + series[zone][0], before[1] + least, before[2] + load + whole)
        return True

    order = _peel_order(inputs, fixed, _anchors(inputs, choice), peel)
    if not order:
        return inputs
    return _collapsed(inputs, order, series, sums, own, column, has_demand, limit)


def _collapsed(inputs: Inputs, order, series, sums, own, column, has_demand, limit) -> Inputs:
    """The inputs with the peeled zones `order` ((zone, parent, pipe), children first) joined to their hosts."""
    host = {}
    for zone, parent, _ in reversed(order):  # parents before children
        host[zone] = host.get(parent, parent)
    hosts = list(dict.fromkeys(host.values()))
    peeled = [zone for zone, _, _ in order]
    pipes = inputs.pipes
    table = pd.DataFrame(
        {
            "host": hosts + [host[z] for z in peeled],
            "parent": [""] * len(hosts) + [p for _, p, _ in order],
            "pipe": [""] * len(hosts) + [e for _, _, e in order],
            "sign": [0.0] * len(hosts) + [1.0 if pipes.at[e, "to_node"] == z else -1.0 for z, _, e in order],
            "dn": [np.nan] * len(hosts) + [float(pipes.at[e, "dn"]) for _, _, e in order],
            "capacity_MW_per_K": [np.nan] * len(hosts) + [float(limit.at[e, "limit_MW_per_K"]) for _, _, e in order],
            "loss_MW_per_K": [np.nan] * len(hosts) + [float(limit.at[e, "loss_MW_per_K"]) for _, _, e in order],
            "has_demand": [bool(has_demand[z]) for z in hosts + peeled],
        },
        index=pd.Index(hosts + peeled, name="zone"),
    )
    steps = own.shape[0]
    zeros = np.zeros(steps)
    blocks = {
        "demand": inputs.demand_MW[hosts + peeled].to_numpy(),
        "load": own[:, [column[z] for z in hosts + peeled]],
    }
    pad = np.zeros((steps, len(hosts)))
    blocks["receive"] = np.column_stack([pad] + [series[z][0] for z in peeled])
    blocks["least"] = np.column_stack([pad] + [series[z][1] for z in peeled])
    child = [sums.get(h, (zeros, zeros, zeros)) for h in hosts]
    forced = np.column_stack([whole - r for r, _, whole in child])
    slack = np.column_stack(
        [np.where(has_demand[h], own[:, column[h]], 0.0) + r - m for h, (r, m, _) in zip(hosts, child)]
    )
    blocks["forced"] = np.column_stack([forced, np.zeros((steps, len(peeled)))])
    blocks["slack"] = np.column_stack([slack, np.zeros((steps, len(peeled)))])
    frame = pd.concat(
        {q: pd.DataFrame(blocks[q], index=inputs.demand_MW.index, columns=table.index) for q in QUANTITIES}, axis=1
    )
    return _joined(inputs, host, table, frame)


def _joined(inputs: Inputs, host: dict, table: pd.DataFrame, frame: pd.DataFrame) -> Inputs:
    """`inputs` with each peeled zone's consumers, fixed loss and node mapped to its host."""
    peeled = pd.Index(list(host))
    moved = pd.Series([host.get(n, n) for n in inputs.nodes], index=inputs.nodes)
    kept = inputs.pipes.index[~inputs.pipes.index.isin(table["pipe"])]
    return inputs.with_(
        nodes=inputs.nodes[~inputs.nodes.isin(peeled)],
        pipes=inputs.pipes.loc[kept],
        options=inputs.options[inputs.options.index.get_level_values("pipe").isin(kept)],
        pipe_members=inputs.pipe_members.where(inputs.pipe_members.isin(kept), ""),
        consumers=inputs.consumers.assign(node=inputs.consumers["node"].map(moved)),
        fixed_loss_MW_per_K=inputs.fixed_loss_MW_per_K.groupby(moved.reindex(inputs.fixed_loss_MW_per_K.index))
        .sum()
        .reindex(inputs.nodes[~inputs.nodes.isin(peeled)], fill_value=0.0),
        node_zone=inputs.node_zone.map(moved),
        tree_zones=table,
        tree_MW=frame,
    )


def host_series(inputs: Inputs, quantity: str) -> dict:
    """Host -> its `quantity` ("forced" or "slack") per time step [MW]; empty without demand trees."""
    if inputs.tree_zones is None:
        return {}
    hosts = inputs.tree_zones.index[inputs.tree_zones["parent"] == ""]
    values = inputs.tree_MW[quantity][hosts].to_numpy()
    return {h: values[:, i] for i, h in enumerate(hosts)}


def forced_unmet_MWh(inputs: Inputs) -> float:
    """Unmet heat known before the solve, sum_t w_t sum_h forced_h(t) [MWh/yr]."""
    if inputs.tree_zones is None:
        return 0.0
    return float(inputs.weight_h @ inputs.tree_MW["forced"].to_numpy().sum(axis=1))


@dataclass(frozen=True)
class Expanded:
    """A solution read back per original zone and pipe (`expand`): demand zones with their demand and
    unmet heat [MW] (zone x time), and the peeled pipes with flow (from -> to), capacity and loss [MW]."""

    zones: list
    demand_MW: np.ndarray
    unmet_MW: np.ndarray
    pipes: list
    dn: np.ndarray
    flow_MW: np.ndarray
    capacity_MW: np.ndarray
    loss_MW: np.ndarray


def _inflows(inputs: Inputs, host_unmet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heat each zone of `tree_zones` receives and keeps, zone x time [MW] (module doc);
    `host_unmet`: the model's unmet heat of each host (rows in `tree_zones` order, 0 for the others)."""
    table, frame = inputs.tree_zones, inputs.tree_MW
    load, receive, least = (frame[q].to_numpy().T for q in ("load", "receive", "least"))
    position = {z: i for i, z in enumerate(table.index)}
    peeled = (table["parent"] != "").to_numpy()
    parent = np.array([position.get(p, -1) for p in table["parent"]])
    child_least, child_spare = np.zeros_like(load), np.zeros_like(load)
    np.add.at(child_least, parent[peeled], least[peeled])
    np.add.at(child_spare, parent[peeled], receive[peeled] - least[peeled])
    inflow = np.where(peeled[:, None], 0.0, load + child_least + child_spare - host_unmet)
    kept, spare = np.zeros_like(load), np.zeros_like(load)
    demand = table["has_demand"].to_numpy()
    for i in [*np.flatnonzero(~peeled), *np.flatnonzero(peeled)[::-1]]:  # hosts, then parents before children
        if peeled[i]:
            p = parent[i]
            share = np.divide(
                receive[i] - least[i], child_spare[p], out=np.zeros_like(spare[p]), where=child_spare[p] > 0
            )
            inflow[i] = least[i] + spare[p] * share
        kept[i] = np.clip(inflow[i] - child_least[i], 0.0, load[i]) if demand[i] else load[i]
        spare[i] = np.maximum(inflow[i] - kept[i] - child_least[i], 0.0)
    return inflow, kept


def expand(inputs: Inputs, zones: list, demand_MW: np.ndarray, unmet_MW: np.ndarray) -> Expanded:
    """The model's demand zones `zones` with their demand and unmet heat (zone x time [MW]) read back
    per original zone, and the flows of the peeled pipes (module doc)."""
    table = inputs.tree_zones
    steps = demand_MW.shape[1]
    if table is None:
        empty = np.zeros((0, steps))
        return Expanded(list(zones), demand_MW, unmet_MW, [], np.zeros(0), empty, empty, empty)
    row = {z: i for i, z in enumerate(zones)}
    host_unmet = np.array([unmet_MW[row[z]] if z in row else np.zeros(steps) for z in table.index])
    host_unmet[(table["parent"] != "").to_numpy()] = 0.0
    inflow, kept = _inflows(inputs, host_unmet)
    frame = inputs.tree_MW
    own_unmet = frame["load"].to_numpy().T - kept
    in_tree = set(table.index)
    keep = [i for i, z in enumerate(zones) if z not in in_tree]
    shown = table.index[table["has_demand"].to_numpy()]
    at = table.index.get_indexer(shown)
    peeled = table[table["parent"] != ""]
    sign = peeled["sign"].to_numpy()[:, None]
    drop = table.index.get_indexer(peeled.index)
    return Expanded(
        zones=[zones[i] for i in keep] + list(shown),
        demand_MW=np.vstack([demand_MW[keep], frame["demand"].to_numpy().T[at]]),
        unmet_MW=np.vstack([unmet_MW[keep], own_unmet[at]]),
        pipes=list(peeled["pipe"]),
        dn=peeled["dn"].to_numpy(),
        flow_MW=sign * inflow[drop],
        capacity_MW=np.outer(peeled["capacity_MW_per_K"], inputs.delta_t_K.to_numpy()),
        loss_MW=np.outer(peeled["loss_MW_per_K"], inputs.loss_drive_K.to_numpy()),
    )
