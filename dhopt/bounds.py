"""Upper bounds on the heat any pipe can carry, from what its sides can produce and absorb.

For a bridge splitting the network into sides A and B: flow A->B <= min(supply_A, absorb_B(t)) and
B->A <= min(supply_B, absorb_A(t)), with supply = largest possible production (plants, heat pumps,
direct exchange, storage discharge) and absorb(t) = demand + losses + storage charging. For a pipe
on a loop: what can enter or leave its 2-edge-connected block (its own production or absorption plus
what the bridges around it can carry in or out). Flows can be taken without circulation, so an
optimal dispatch exists within these bounds.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from dhopt.inputs import Inputs, installed_options


def _node_bounds(inputs: Inputs) -> tuple[pd.Series, np.ndarray]:
    """Largest production per node [MW] and largest absorption per node and hour [MW] (node x time)."""
    nodes = inputs.nodes
    spec = inputs.case.spec.storage
    storage_power = inputs.storage_sites / spec.charge_hours
    # A campus delivers most through its heat pump: Q_t COP_t / (COP_t - 1) >= direct exchange Q_t.
    lifted = (inputs.source_heat_MW * inputs.cop / (inputs.cop - 1.0).clip(lower=1e-9)).max()
    source_supply = lifted.reindex(inputs.sources.index).fillna(0.0).groupby(inputs.sources["node"]).sum()
    supply = (
        inputs.plants.groupby("node")["capacity_MW"].sum().reindex(nodes, fill_value=0.0)
        + source_supply.reindex(nodes, fill_value=0.0)
        + storage_power.groupby(level=0).sum().reindex(nodes, fill_value=0.0)
    )
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
    drive = inputs.loss_drive_K.to_numpy()
    absorb = inputs.demand_MW.reindex(columns=nodes, fill_value=0.0).to_numpy().T.copy()
    absorb += np.outer(loss_per_K.reindex(nodes, fill_value=0.0).to_numpy(), drive)
    absorb += storage_power.groupby(level=0).sum().reindex(nodes, fill_value=0.0).to_numpy()[:, None]
    return supply, absorb


def pipe_bounds(inputs: Inputs) -> pd.DataFrame:
    """Per pipe: ``need_MW_per_K``, the capacity per kelvin of supply/return difference that covers
    every flow that could cross it in every hour, max_t bound_t / (T_s,t - T_r) [MW/K]; and
    ``sole_feed``, true for a bridge beyond which lies demand but no production or storage (that
    demand can be served through this pipe only)."""
    pipes = inputs.pipes
    graph = nx.MultiGraph()
    graph.add_nodes_from(inputs.nodes)
    graph.add_edges_from(zip(pipes["from_node"], pipes["to_node"], pipes.index))
    position = {n: i for i, n in enumerate(inputs.nodes)}
    supply, absorb = _node_bounds(inputs)
    supply = supply.to_numpy()
    demand = inputs.demand_MW.sum().reindex(inputs.nodes, fill_value=0.0).to_numpy()
    # Subtree sums over a BFS spanning forest: every bridge is a tree edge, its child side a subtree.
    sub_supply, sub_absorb, sub_demand = supply.copy(), absorb.copy(), demand.copy()
    parent, root_of = {}, {}
    for nodes in nx.connected_components(graph):
        root = next(iter(nodes))
        tree_edges = list(nx.bfs_edges(graph, root))
        parent.update({v: u for u, v in tree_edges})
        for u, v in reversed(tree_edges):
            sub_supply[position[u]] += sub_supply[position[v]]
            sub_absorb[position[u]] += sub_absorb[position[v]]
            sub_demand[position[u]] += sub_demand[position[v]]
        root_of.update(dict.fromkeys(nodes, position[root]))
    pairs = pd.Series(
        [(a, b) if a <= b else (b, a) for a, b in zip(pipes["from_node"], pipes["to_node"])], index=pipes.index
    )
    pair_count = pairs.value_counts()
    bridges = {tuple(sorted(e)) for e in nx.bridges(nx.Graph(graph))}
    bridges = {e for e in bridges if pair_count.get(e, 0) == 1}  # parallel pipes are never bridges
    is_bridge = pairs.isin(bridges)

    def side(u, v):
        """(supply, absorb) of the side of bridge u-v that holds v."""
        r = root_of[u]
        if parent.get(v) == u:
            return sub_supply[position[v]], sub_absorb[position[v]]
        return sub_supply[r] - sub_supply[position[u]], sub_absorb[r] - sub_absorb[position[u]]

    def sole_feed(u, v):  # demand without production on one side of bridge u-v
        for near, far in ((u, v), (v, u)):
            r = root_of[near]
            far_demand = (
                sub_demand[position[far]] if parent.get(far) == near else sub_demand[r] - sub_demand[position[near]]
            )
            if side(near, far)[0] <= 0 and far_demand > 0:
                return True
        return False

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
    membership = sparse.csr_matrix(
        (np.ones(len(block_ids)), (block_ids, np.arange(len(block_ids)))), (n_blocks, len(block_ids))
    )
    block_in = np.repeat((membership @ supply)[:, None], absorb.shape[1], axis=1)
    block_out = membership @ absorb
    for u, v in bridges:
        for near, far in ((u, v), (v, u)):
            supply_far, absorb_far = side(near, far)
            supply_near, absorb_near = side(far, near)
            block_in[block_of[near]] += np.minimum(supply_far, absorb_near)
            block_out[block_of[near]] += np.minimum(absorb_far, supply_near)

    delta_t = inputs.delta_t_K.to_numpy()
    need = np.empty(len(pipes))
    sole = np.zeros(len(pipes), dtype=bool)
    for i, (pipe, u, v) in enumerate(zip(pipes.index, pipes["from_node"], pipes["to_node"])):
        bound = crossing(u, v) if is_bridge[pipe] else np.minimum(block_in[block_of[u]], block_out[block_of[u]])
        need[i] = float(np.max(bound / delta_t))
        sole[i] = bool(is_bridge[pipe]) and sole_feed(u, v)
    return pd.DataFrame({"need_MW_per_K": need, "sole_feed": sole}, index=pipes.index)
