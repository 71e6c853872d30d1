"""Upper bounds on the heat any pipe can carry, from what its sides can produce and absorb.

For a bridge splitting the network into sides A and B: flow A->B <= min(supply_A, absorb_B(t)) and
B->A <= min(supply_B, absorb_A(t)), with supply = largest possible production (plants, heat pumps,
direct exchange, new units, storage and pit discharge) and absorb(t) = demand + losses + storage charging. For a pipe
on a loop: what can enter or leave its 2-edge-connected block (its own production or absorption plus
what the bridges around it can carry in or out). Flows can be taken without circulation, so an
optimal dispatch exists within these bounds.

Absorption is linear in a few hourly features: absorb_n(t) = W_n . f(t), with
f(t) = (share_1(t), ..., share_P(t), loss drive(t) [K], 1) over the P consumer profiles and
W_n = (annual heat of each profile at node n [MWh], loss conductance [MW/K], charging power [MW]).
A side's or block's absorption is the sum of its nodes' rows W_n, so no hour x node array is formed.
Every bound divided by dT_t is nondecreasing in g(t) = f(t) / dT_t (each a min, max or sum of
W . g(t) and supply x 1 / dT_t, with W, supply >= 0), so its maximum over the horizon is reached in
an hour whose g(t) no other hour's exceeds in every feature (`peak_hours`: a handful of the 8,760).
Bounds are evaluated in those hours only, per pipe (CHUNK pipes at a time) and per block of a loop.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from dhopt.inputs import Inputs, installed_options

CHUNK = 512  # pipes whose hourly bounds are evaluated together (time x CHUNK arrays)


def _features(inputs: Inputs) -> np.ndarray:
    """f(t) = (profile shares [1/h], loss drive [K], 1), time x (P + 2)."""
    drive = inputs.loss_drive_K.to_numpy(dtype=float)
    return np.column_stack([inputs.profile_share.to_numpy(dtype=float), drive, np.ones(len(drive))])


def _storage_power(inputs: Inputs) -> np.ndarray:
    """Largest storage charging (= discharging) power per node [MW]: capacity / charge_hours, tanks and pits."""
    power = inputs.storage_sites * inputs.scalars.storage_power_per_MWh
    pits = (inputs.pits["max_MWh"] * inputs.pits["power_per_MWh"]).groupby(inputs.pits["node"]).sum()
    total = power.groupby(level=0).sum().reindex(inputs.nodes, fill_value=0.0)
    return total.add(pits.reindex(inputs.nodes, fill_value=0.0)).to_numpy()


def _supply(inputs: Inputs) -> np.ndarray:
    """Largest production per node [MW]: plants, new units, campus output and storage discharge."""
    nodes = inputs.nodes
    # A campus delivers most through its heat pump: Q_t COP_t / (COP_t - 1) >= direct exchange Q_t.
    lifted = (inputs.source_heat_MW * inputs.cop / (inputs.cop - 1.0).clip(lower=1e-9)).max()
    source_supply = lifted.reindex(inputs.sources.index).fillna(0.0).groupby(inputs.sources["node"]).sum()
    plants = inputs.plants.groupby("node")["capacity_MW"].sum().reindex(nodes, fill_value=0.0)
    plants += inputs.units.groupby("node")["max_MW"].sum().reindex(nodes, fill_value=0.0)
    return (plants + source_supply.reindex(nodes, fill_value=0.0)).to_numpy() + _storage_power(inputs)


def _producer_nodes(inputs: Inputs) -> np.ndarray:
    """Per node: whether it holds a campus, plant, new unit, pit or storage site, whatever its size (a size
    may change in a re-solve, `dhopt.reuse`)."""
    held = set(inputs.sources["node"]) | set(inputs.plants["node"]) | set(inputs.units["node"])
    held |= set(inputs.pits["node"]) | set(inputs.storage_sites.index)
    return inputs.nodes.isin(list(held))


def _absorb_rows(inputs: Inputs) -> np.ndarray:
    """W_n per node (node x (P + 2)): absorb_n(t) = W_n . f(t) = demand + largest loss + charging [MW]."""
    nodes = inputs.nodes
    options = inputs.options
    largest_loss = options["loss_MW_per_K"].groupby(level="pipe").max()
    installed = options.loc[installed_options(options, inputs.pipes), "loss_MW_per_K"].droplevel("dn")
    # a candidate's largest loss; an existing pipe's largest upgrade adds what it loses beyond the installed DN
    extra = largest_loss.sub(installed.reindex(largest_loss.index).fillna(0.0))
    half = 0.5 * extra[extra > 0]
    ends = inputs.pipes.loc[half.index]
    loss_per_K = inputs.fixed_loss_MW_per_K.add(half.groupby(ends["from_node"]).sum(), fill_value=0.0).add(
        half.groupby(ends["to_node"]).sum(), fill_value=0.0
    )
    annual = inputs.annual_heat_MWh().to_numpy().T
    return np.column_stack([annual, loss_per_K.reindex(nodes, fill_value=0.0).to_numpy(), _storage_power(inputs)])


def peak_hours(points: np.ndarray) -> np.ndarray:
    """Rows of `points` (time x k) that no other row covers (>= in every column), in time order: a
    function nondecreasing in every column takes its largest value over all rows in one of them. Each
    round keeps the row of largest sum (no remaining row covers it) and drops the rows it covers."""
    left, kept = np.arange(len(points)), []
    while len(left):
        best = left[np.argmax(points[left].sum(axis=1))]
        kept.append(best)
        left = left[~(points[left] <= points[best]).all(axis=1)]
    return np.sort(np.asarray(kept, dtype=int))


def _bridge_sides(graph: nx.MultiGraph, position: dict, values: np.ndarray, u: np.ndarray, v: np.ndarray):
    """Sums of `values` (node x k, rows in `position` order) over the side of each bridge u-v (node
    positions) that holds u, and the side that holds v: subtree sums over a BFS spanning forest, in
    which every bridge is a tree edge and its child side a subtree."""
    parent = np.full(len(position), -1)
    root = np.arange(len(position))
    subtree = values.astype(float)
    for component in nx.connected_components(graph):
        start = min(component, key=position.__getitem__)
        edges = [(position[a], position[b]) for a, b in nx.bfs_edges(graph, start)]
        for a, b in reversed(edges):
            parent[b] = a
            subtree[a] += subtree[b]
        root[[position[n] for n in component]] = position[start]
    child = np.where(parent[v] == u, v, u)
    inside, outside = subtree[child], subtree[root[child]] - subtree[child]
    at_v = (child == v)[:, None]
    return np.where(at_v, outside, inside), np.where(at_v, inside, outside)


def _max_over_time(series: np.ndarray, delta_t: np.ndarray) -> np.ndarray:
    """max_t series_t / (T_s,t - T_r) per column [MW/K]."""
    return (series / delta_t[:, None]).max(axis=0)


def _bridge_need(features, delta_t, u_side, v_side) -> np.ndarray:
    """max_t max(min(S_u, a_v(t)), min(S_v, a_u(t))) / dT_t per bridge [MW/K]; sides: (supply, W) rows."""
    need = np.empty(len(u_side))
    for start in range(0, len(u_side), CHUNK):
        u, v = u_side[start : start + CHUNK], v_side[start : start + CHUNK]
        to_v = np.minimum(u[:, 0], features @ v[:, 1:].T)
        to_u = np.minimum(v[:, 0], features @ u[:, 1:].T)
        need[start : start + CHUNK] = _max_over_time(np.maximum(to_v, to_u), delta_t)
    return need


def _sum_of_minima(features, cap, rows, group, groups: int) -> np.ndarray:
    """Per group, the sum over its terms i of min(cap_i, rows_i . f(t)) [MW], time x groups."""
    total = np.zeros((len(features), groups))
    for start in range(0, len(cap), CHUNK):
        terms = np.arange(start, min(start + CHUNK, len(cap)))
        member = sparse.csr_matrix((np.ones(len(terms)), (np.arange(len(terms)), group[terms])), (len(terms), groups))
        total += (member.T @ np.minimum(cap[terms], features @ rows[terms].T).T).T
    return total


def _loop_need(features, delta_t, values, block, bridge_ends, u_side, v_side, looped) -> np.ndarray:
    """Per block of `looped` (sorted block ids): max_t min(in_b(t), out_b(t)) / dT_t [MW/K], with in_b =
    its own supply + sum over its bridges of min(supply beyond, absorb on its side) and out_b = its own
    absorption + sum of min(absorb beyond, supply on its side). `values`: (supply, W) per node."""
    index = pd.Series(np.arange(len(looped)), index=looped)
    at = index.reindex(block).to_numpy()
    inside = ~np.isnan(at)
    own = np.zeros((len(looped), values.shape[1]))
    np.add.at(own, at[inside].astype(int), values[inside])
    group, cap_in, rows_in, cap_out, rows_out = [], [], [], [], []
    for ends, near, far in ((bridge_ends[0], u_side, v_side), (bridge_ends[1], v_side, u_side)):
        b = index.reindex(block[ends]).to_numpy()
        mine = ~np.isnan(b)
        group.append(b[mine].astype(int))
        cap_in.append(far[mine, 0])
        rows_in.append(near[mine, 1:])
        cap_out.append(near[mine, 0])
        rows_out.append(far[mine, 1:])
    group, n = np.concatenate(group), len(looped)
    blocks_in = own[:, 0] + _sum_of_minima(features, np.concatenate(cap_in), np.concatenate(rows_in), group, n)
    blocks_out = features @ own[:, 1:].T + _sum_of_minima(
        features, np.concatenate(cap_out), np.concatenate(rows_out), group, n
    )
    return _max_over_time(np.minimum(blocks_in, blocks_out), delta_t)


def pipe_bounds(inputs: Inputs) -> pd.DataFrame:
    """Per pipe: ``need_MW_per_K``, the capacity per kelvin of supply/return difference that covers
    every flow that could cross it in every hour, max_t bound_t / (T_s,t - T_r) [MW/K]; and
    ``sole_feed``, true for a bridge beyond which lies demand but no production or storage (that
    demand can be served through this pipe only); ``direction``, the only way heat can flow: +1 from
    `from_node` to `to_node` (a bridge with production or storage on the from side only: the other side's
    nodes, whose unmet heat is at most their load, can only take heat in), -1 the other way, 0 both."""
    pipes = inputs.pipes
    graph = nx.MultiGraph()
    graph.add_nodes_from(inputs.nodes)
    graph.add_edges_from(zip(pipes["from_node"], pipes["to_node"], pipes.index))
    position = {n: i for i, n in enumerate(inputs.nodes)}
    u, v = pipes["from_node"].map(position).to_numpy(), pipes["to_node"].map(position).to_numpy()
    features, delta_t = _features(inputs), inputs.delta_t_K.to_numpy()
    supply, rows = _supply(inputs), _absorb_rows(inputs)
    demand_MWh = rows[:, :-2] @ features[:, :-2].sum(axis=0)  # over the horizon
    scaled = features / delta_t[:, None]
    if (rows >= 0).all() and (supply >= 0).all() and (delta_t > 0).all() and np.isfinite(scaled).all():
        hours = peak_hours(scaled)
        features, delta_t = features[hours], delta_t[hours]
    values = np.column_stack([supply, rows])
    # producers, consumers and nodes that hold any producer or storage, whatever its size: exact sums
    counts = np.column_stack([supply > 0, demand_MWh > 0, _producer_nodes(inputs)]).astype(float)

    pairs = pd.Series(list(zip(np.minimum(u, v), np.maximum(u, v))), index=pipes.index)
    bridges = {tuple(sorted((position[a], position[b]))) for a, b in nx.bridges(nx.Graph(graph))}
    is_bridge = (pairs.isin(bridges) & ~pairs.duplicated(keep=False)).to_numpy()  # parallel pipes never are
    ends = (u[is_bridge], v[is_bridge])
    u_side, v_side = _bridge_sides(graph, position, np.column_stack([values, counts]), *ends)
    (u_side, u_count), (v_side, v_count) = np.split(u_side, [-3], axis=1), np.split(v_side, [-3], axis=1)
    need = np.empty(len(pipes))
    need[is_bridge] = _bridge_need(features, delta_t, u_side, v_side)
    sole = np.zeros(len(pipes), dtype=bool)
    sole[is_bridge] = ((u_count[:, 0] == 0) & (u_count[:, 1] > 0)) | ((v_count[:, 0] == 0) & (v_count[:, 1] > 0))
    direction = np.zeros(len(pipes))
    direction[is_bridge] = np.where(v_count[:, 2] == 0, 1.0, 0.0) - np.where(u_count[:, 2] == 0, 1.0, 0.0)

    if not is_bridge.all():  # pipes on loops: by what can enter or leave their block
        blocks = nx.Graph(graph)
        blocks.remove_edges_from((inputs.nodes[a], inputs.nodes[b]) for a, b in pairs[is_bridge])
        block_of = {n: i for i, members in enumerate(nx.connected_components(blocks)) for n in members}
        block = np.array([block_of[n] for n in inputs.nodes])
        looped = np.unique(block[u[~is_bridge]])
        loop_need = _loop_need(features, delta_t, values, block, ends, u_side, v_side, looped)
        need[~is_bridge] = loop_need[np.searchsorted(looped, block[u[~is_bridge]])]
    return pd.DataFrame({"need_MW_per_K": need, "sole_feed": sole, "direction": direction}, index=pipes.index)
