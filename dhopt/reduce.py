"""Network reduction before the model: merge nodes joined by existing pipes that can never be
the bottleneck into thermal zones.

A pipe's flow is bounded by what can cross it. For a bridge splitting the network into sides
A and B, flow A->B <= min(supply_A, absorb_B(t)) and B->A <= min(supply_B, absorb_A(t)), with
supply = largest possible production (plants, heat pumps, direct exchange, storage discharge)
and absorb(t) = demand + losses + storage charging. For a pipe on a cycle the bound is the whole
network's min(supply, absorb(t)) (flows can be taken without circulation). An existing pipe whose
capacity Q_dn (T_s,t - T_r) covers that bound in every hour never binds: its two ends become one
zone, its loss stays in the zone's fixed loss. Candidate pipes inside one zone can never pay and
are dropped (reported as not built).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from dhopt.inputs import Inputs


@dataclass(frozen=True)
class Reduction:
    nodes_before: int
    nodes_after: int
    pipes_before: int
    pipes_after: int


def _node_bounds(inputs: Inputs) -> tuple[pd.Series, np.ndarray]:
    """Largest production per node [MW] and largest absorption per node and hour [MW] (node x time)."""
    nodes = inputs.nodes
    spec = inputs.case.spec.storage
    storage_power = inputs.storage_sites / spec.charge_hours
    heat_max = inputs.source_heat_MW.max() if len(inputs.sources) else pd.Series(dtype=float)
    source_supply = (
        (inputs.sources["hp_max_MW"] + heat_max.reindex(inputs.sources.index)).groupby(inputs.sources["node"]).sum()
    )
    supply = (
        inputs.plants.groupby("node")["capacity_MW"].sum().reindex(nodes, fill_value=0.0)
        + source_supply.reindex(nodes, fill_value=0.0)
        + storage_power.groupby(level=0).sum().reindex(nodes, fill_value=0.0)
    )
    options = inputs.options
    largest_loss = options["loss_MW_per_K"].groupby(level="pipe").max()
    candidate = inputs.pipes.index[inputs.pipes["status"] == "candidate"]
    half = 0.5 * largest_loss.reindex(candidate).fillna(0.0)
    ends = inputs.pipes.loc[candidate]
    loss_per_K = inputs.fixed_loss_MW_per_K.add(half.groupby(ends["from_node"]).sum(), fill_value=0.0).add(
        half.groupby(ends["to_node"]).sum(), fill_value=0.0
    )
    drive = inputs.loss_drive_K.to_numpy()
    absorb = inputs.demand_MW.reindex(columns=nodes, fill_value=0.0).to_numpy().T.copy()
    absorb += np.outer(loss_per_K.reindex(nodes, fill_value=0.0).to_numpy(), drive)
    absorb += storage_power.groupby(level=0).sum().reindex(nodes, fill_value=0.0).to_numpy()[:, None]
    return supply, absorb


def _never_binding(inputs: Inputs) -> pd.Index:
    """Existing pipes whose capacity covers every flow that could cross them."""
    pipes = inputs.pipes
    graph = nx.MultiGraph()
    graph.add_nodes_from(inputs.nodes)
    graph.add_edges_from(zip(pipes["from_node"], pipes["to_node"], pipes.index))
    position = {n: i for i, n in enumerate(inputs.nodes)}
    supply, absorb = _node_bounds(inputs)
    supply = supply.to_numpy()
    # Subtree sums over a BFS spanning forest: every bridge is a tree edge, its child side a subtree.
    sub_supply, sub_absorb = supply.copy(), absorb.copy()
    parent, root_of = {}, {}
    for nodes in nx.connected_components(graph):
        root = next(iter(nodes))
        tree_edges = list(nx.bfs_edges(graph, root))
        parent.update({v: u for u, v in tree_edges})
        for u, v in reversed(tree_edges):
            sub_supply[position[u]] += sub_supply[position[v]]
            sub_absorb[position[u]] += sub_absorb[position[v]]
        root_of.update(dict.fromkeys(nodes, position[root]))
    ends = pipes[["from_node", "to_node"]]
    pair_count = ends.apply(lambda row: frozenset(row), axis=1).value_counts()
    bridges = {frozenset(e) for e in nx.bridges(nx.Graph(graph)) if pair_count.get(frozenset(e), 0) == 1}
    is_bridge = ends.apply(lambda row: frozenset(row) in bridges, axis=1)

    def side(u, v):
        """(supply, absorb) of the side of bridge u-v that holds v."""
        r = root_of[u]
        if parent.get(v) == u:
            return sub_supply[position[v]], sub_absorb[position[v]]
        return sub_supply[r] - sub_supply[position[u]], sub_absorb[r] - sub_absorb[position[u]]

    def crossing(u, v):  # largest flow over bridge u-v in either direction, per hour
        supply_v, absorb_v = side(u, v)
        supply_u, absorb_u = side(v, u)
        return np.maximum(np.minimum(supply_u, absorb_v), np.minimum(supply_v, absorb_u))

    # Pipes on cycles: bound by what can enter or leave their 2-edge-connected block (own
    # production or absorption plus what its bridges can carry in or out).
    blocks = nx.Graph(graph)
    blocks.remove_edges_from(tuple(b) for b in bridges)
    block_of = {n: i for i, nodes in enumerate(nx.connected_components(blocks)) for n in nodes}
    block_ids = np.array([block_of[n] for n in inputs.nodes])
    n_blocks = block_ids.max() + 1 if len(block_ids) else 0
    block_in = np.zeros((n_blocks, absorb.shape[1]))
    np.add.at(block_in, block_ids, supply[:, None])
    block_out = np.zeros_like(block_in)
    np.add.at(block_out, block_ids, absorb)
    for u, v in (tuple(b) for b in bridges):
        for near, far in ((u, v), (v, u)):
            supply_far, absorb_far = side(near, far)
            supply_near, absorb_near = side(far, near)
            block_in[block_of[near]] += np.minimum(supply_far, absorb_near)
            block_out[block_of[near]] += np.minimum(absorb_far, supply_near)

    existing = pipes[pipes["status"] == "existing"]
    capacity_per_K = inputs.options.loc[existing.index, "capacity_MW_per_K"].droplevel("dn")
    delta_t = inputs.delta_t_K.to_numpy()
    keep = []
    for pipe, (u, v) in existing[["from_node", "to_node"]].iterrows():
        if is_bridge[pipe]:
            bound = crossing(u, v)
        else:
            bound = np.minimum(block_in[block_of[u]], block_out[block_of[u]])
        if np.all(capacity_per_K[pipe] * delta_t >= bound - 1e-9):
            keep.append(pipe)
    return pd.Index(keep, name="pipe")


def reduce_network(inputs: Inputs) -> tuple[Inputs, Reduction]:
    """Merge nodes joined by never-binding existing pipes; return the zoned inputs and the sizes."""
    pipes = inputs.pipes
    contracted = _never_binding(inputs)
    merged = nx.Graph()
    merged.add_nodes_from(inputs.nodes)
    merged.add_edges_from(zip(pipes.loc[contracted, "from_node"], pipes.loc[contracted, "to_node"]))
    order = {n: i for i, n in enumerate(inputs.nodes)}
    zone = {}
    for members in nx.connected_components(merged):
        zone.update(dict.fromkeys(members, min(members, key=order.__getitem__)))  # first in file order
    node_zone = pd.Series(zone).reindex(inputs.nodes)
    zones = pd.Index(pd.unique(node_zone.to_numpy()), name="node")

    remaining = pipes.drop(contracted)
    remaining = remaining.assign(from_node=remaining["from_node"].map(zone), to_node=remaining["to_node"].map(zone))
    remaining = remaining[remaining["from_node"] != remaining["to_node"]]
    options = inputs.options[inputs.options.index.get_level_values("pipe").isin(remaining.index)]
    demand = inputs.demand_MW.T.groupby(node_zone.reindex(inputs.demand_MW.columns).to_numpy()).sum().T
    reduced = inputs.with_(
        nodes=zones,
        demand_MW=demand.reindex(columns=zones, fill_value=0.0).rename_axis(index="time", columns="node"),
        fixed_loss_MW_per_K=inputs.fixed_loss_MW_per_K.groupby(node_zone.to_numpy()).sum().reindex(zones),
        consumers=inputs.consumers.assign(node=inputs.consumers["node"].map(zone)),
        sources=inputs.sources.assign(node=inputs.sources["node"].map(zone)),
        plants=inputs.plants.assign(node=inputs.plants["node"].map(zone)),
        storage_sites=inputs.storage_sites.groupby(inputs.storage_sites.index.map(zone)).sum().rename_axis("node"),
        pipes=remaining,
        options=options,
        node_zone=inputs.node_zone.map(zone),
    )
    return reduced, Reduction(len(inputs.nodes), len(zones), len(pipes), len(remaining))
