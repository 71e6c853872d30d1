r"""Heat flow in every pipe of the original network at chosen hours, rebuilt from a solved design.

Model pipes (the reduced network's pipes; ``link_model_pipe`` of ``results.nc``) carry their
modelled flow; every pipe of a chain merged into one model pipe carries it along the chain. Pipes
merged into a thermal zone carry no modelled flow and are rebuilt from node balances: every node
has a known net injection [MW], with the model's own loss accounting (half of each pipe's loss
U L [(T_s - T_g) + (T_r - T_g)] at each end):

.. math:: b_n = \text{plants} + \text{heat pumps} + \text{direct} + \text{discharge} - \text{charge}
          + \text{model inflow} - \text{delivered demand} - \text{losses}

On a tree these balances fix every flow, whatever the number of feed points: the pipe from the
rest of the zone into a subtree carries :math:`-\sum_{n \in \text{subtree}} b_n` (the subtree's
demand and losses less its own production). A pipe on a loop has no such unique flow (the split
between parallel paths follows the pressure drops), so it is reported "not reconstructed". A
zone's balance :math:`\sum b_n` is zero up to solver tolerance; what remains lands at the zone's
root (its node of largest injection) and is returned as the residual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import xarray as xr

from dhopt.physics import loss_driving_K, pair_loss_conductance_W_per_mK

MODEL, ZONE, NOT_BUILT = "model", "zone", "not built"
LOOP = "not reconstructed: on a loop"
CHAIN = "not reconstructed: model pipe ends not found"
STORAGE = "not reconstructed: storage split over several nodes of the zone"


@dataclass(frozen=True)
class LinkFlows:
    """Flows of every original pipe at the chosen hours and the node terms they were rebuilt from."""

    flow_MW: np.ndarray  # links x hours: heat flow from link_from to link_to [MW]; NaN unknown
    status: np.ndarray  # per link: MODEL, ZONE, NOT_BUILT or a "not reconstructed" reason
    production_MW: np.ndarray  # nodes x hours: heat fed in at supply temperature [MW]
    delivered_MW: np.ndarray  # nodes x hours: consumer demand met [MW]
    residual_MW: np.ndarray  # hours: largest zone balance residual [MW]
    loss_MW: np.ndarray  # nodes x hours: pipe losses booked at each node (half of each pipe's at each end) [MW]


def tree_flows(n_nodes: int, tail: np.ndarray, head: np.ndarray, injection_MW: np.ndarray):
    """Flows (pipes x hours) [MW] from `tail` to `head` (node positions) that balance every node's
    net injection (nodes x hours) [MW] on a forest, NaN on pipes that lie on a loop; and per hour
    the largest absolute residual of a component's balance (what its root is left with) [MW]."""
    injection_MW = np.asarray(injection_MW, dtype=float).reshape(n_nodes, -1)
    graph = nx.MultiGraph()
    graph.add_nodes_from(range(n_nodes))
    graph.add_edges_from(zip(tail.tolist(), head.tolist()))
    pair_link = {}
    for k, pair in enumerate(zip(tail.tolist(), head.tolist())):
        pair_link.setdefault(frozenset(pair), []).append(k)
    bridge = np.zeros(len(tail), dtype=bool)
    bridge[[pair_link[frozenset(pair)][0] for pair in nx.bridges(graph)]] = True
    # 2-edge-connected blocks (single nodes on a tree) joined by the bridges form a forest
    blocks = nx.Graph()
    blocks.add_nodes_from(range(n_nodes))
    blocks.add_edges_from(zip(tail[~bridge].tolist(), head[~bridge].tolist()))
    block = np.empty(n_nodes, dtype=int)
    for i, members in enumerate(nx.connected_components(blocks)):
        block[list(members)] = i
    n_blocks = int(block.max()) + 1 if n_nodes else 0
    net = np.zeros((n_blocks, injection_MW.shape[1]))
    np.add.at(net, block, injection_MW)
    forest = nx.Graph()
    forest.add_nodes_from(range(n_blocks))
    forest.add_edges_from((block[tail[k]], block[head[k]], {"link": k}) for k in np.flatnonzero(bridge))
    parent = np.full(n_blocks, -1)
    parent_link = np.full(n_blocks, -1)
    depth = np.zeros(n_blocks, dtype=int)
    roots = []
    for members in nx.connected_components(forest):
        root = max(members, key=lambda b: net[b].sum())  # the largest feed
        roots.append(root)
        for up, down in nx.bfs_edges(forest, root):
            parent[down], parent_link[down], depth[down] = up, forest.edges[up, down]["link"], depth[up] + 1
    subtree = net.copy()
    for level in range(int(depth.max(initial=0)), 0, -1):
        at = np.flatnonzero(depth == level)
        np.add.at(subtree, parent[at], subtree[at])
    flows = np.full((len(tail), injection_MW.shape[1]), np.nan)
    children = np.flatnonzero(parent >= 0)
    links = parent_link[children]
    into_child = -subtree[children]  # heat flowing from the parent block into the child's subtree
    downstream = (block[head[links]] == children)[:, None]
    flows[links] = np.where(downstream, into_child, -into_child)
    residual = np.abs(subtree[roots]).max(axis=0) if roots else np.zeros(injection_MW.shape[1])
    return flows, residual


def _model_links(ds: xr.Dataset, node_position: pd.Series):
    """Per link: position of its model pipe (-1 none) and the sign of the model flow along the link;
    per model pipe: the original nodes at its from and to ends (-1 where the ends are not found)."""
    model = ds["link_model_pipe"].values
    pipe_position = pd.Series(np.arange(ds.sizes["pipe"]), index=ds["pipe"].values)
    link_pipe = pipe_position.reindex(model).fillna(-1).to_numpy(dtype=int)
    sign = np.ones(len(model))
    ends = np.full((ds.sizes["pipe"], 2), -1)
    zone = ds["node_zone"].to_series()
    links = pd.DataFrame({"pipe": link_pipe, "from": ds["link_from"].values, "to": ds["link_to"].values})
    for p, group in links[links["pipe"] >= 0].groupby("pipe"):
        chain = nx.MultiGraph()
        chain.add_edges_from(zip(group["from"], group["to"]))
        outer = [n for n, d in chain.degree() if d == 1]
        start = [n for n in outer if zone[n] == ds["pipe_from_zone"].values[p]]
        finish = [n for n in outer if zone[n] == ds["pipe_to_zone"].values[p]]
        if len(outer) != 2 or len(start) != 1 or len(finish) != 1:
            link_pipe[group.index] = -2
            continue
        distance = nx.single_source_shortest_path_length(chain, start[0])
        sign[group.index] = np.where(
            group["from"].map(distance).to_numpy() < group["to"].map(distance).to_numpy(), 1.0, -1.0
        )
        ends[p] = node_position.loc[start[0]], node_position.loc[finish[0]]
    return link_pipe, sign, ends


def _node_terms(ds: xr.Dataset, positions: np.ndarray, node_position: pd.Series):
    """Production and delivered demand per node and hour [MW], and the zones whose storage is split
    over several nodes (where it sits is not known)."""
    n_nodes, hours = ds.sizes["node"], len(positions)
    production = np.zeros((n_nodes, hours))
    at = ds.isel(time=positions)
    for name, ids in (("plant_heat_MW", "plant"), ("hp_heat_MW", "source"), ("direct_heat_MW", "source")):
        np.add.at(production, node_position.loc[at[ids].values].to_numpy(), at[name].values)
    zone = ds["node_zone"].to_series()
    stored = json.loads(ds.attrs["case_json"])["storage"]["nodes"]
    stored = pd.Index(stored if stored is not None else ds["source"].values)
    by_site = pd.Series(stored, index=zone[stored].to_numpy()).groupby(level=0)
    split_zones = set()
    for site, level in zip(at["site"].values, (at["storage_discharge_MW"] - at["storage_charge_MW"]).values):
        nodes = by_site.get_group(site).to_numpy() if site in by_site.groups else [site]
        split_zones.update([site] if len(nodes) > 1 else [])
        production[node_position.loc[nodes[0]]] += level
    demand_zone = at["demand_MW"].values
    served = np.divide(
        demand_zone - at["unmet_MW"].values, demand_zone, out=np.ones_like(demand_zone), where=demand_zone > 0
    )
    zone_served = pd.DataFrame(served, index=at["zone"].values).reindex(zone.to_numpy(), fill_value=1.0).to_numpy()
    profile = ds["node_profile"].values
    shares = at["profile_share"].to_pandas().reindex(profile, fill_value=0.0).to_numpy()
    delivered = ds["node_annual_heat_MWh"].values[:, None] * shares * zone_served
    return production, delivered, split_zones


def link_conductance_W_per_K(ds: xr.Dataset) -> np.ndarray:
    """Loss conductance U L of each link's supply pipe [W/K] for the pipe built (NaN: not built)."""
    return pair_loss_conductance_W_per_mK(ds["link_outer_diameter_m"].values) * ds["link_length_m"].values


def link_flows(ds: xr.Dataset, positions) -> LinkFlows:
    """Flows of every pipe of ``results.nc`` (its network layer) at the time steps `positions`."""
    positions = np.asarray(positions, dtype=int)
    node_position = pd.Series(np.arange(ds.sizes["node"]), index=ds["node"].values)
    tail = node_position.loc[ds["link_from"].values].to_numpy()
    head = node_position.loc[ds["link_to"].values].to_numpy()
    dn = ds["link_dn"].values
    temps = json.loads(ds.attrs["case_json"])["temperatures"]
    drive_K = loss_driving_K(
        ds["supply_temperature_degC"].values[positions], temps["return_degC"], temps["ground_degC"]
    )
    loss_per_K = link_conductance_W_per_K(ds) * 1e-6  # [MW/K]

    production, delivered, split_zones = _node_terms(ds, positions, node_position)
    link_pipe, sign, ends = _model_links(ds, node_position)
    model_flow = ds["pipe_flow_MW"].values[:, positions]
    model_loss = ds["pipe_loss_MW"].values[:, positions]
    found = ends[:, 0] >= 0
    loss = np.zeros_like(production)
    np.add.at(loss, ends[found, 0], 0.5 * model_loss[found])
    np.add.at(loss, ends[found, 1], 0.5 * model_loss[found])

    built = ~np.isnan(dn)
    inside = built & (link_pipe == -1)
    half_loss = 0.5 * np.outer(np.where(inside, np.nan_to_num(loss_per_K), 0.0), drive_K)
    np.add.at(loss, tail, half_loss)
    np.add.at(loss, head, half_loss)
    injection = production - delivered - loss
    np.add.at(injection, ends[found, 0], -model_flow[found])
    np.add.at(injection, ends[found, 1], model_flow[found])
    zone_flows, residual = tree_flows(len(node_position), tail[inside], head[inside], injection)

    flows = np.full((len(dn), len(positions)), np.nan)
    modelled = built & (link_pipe >= 0)
    flows[modelled] = sign[modelled, None] * model_flow[link_pipe[modelled]]
    flows[inside] = zone_flows
    status = np.where(modelled, MODEL, np.where(inside, ZONE, np.where(built, CHAIN, NOT_BUILT))).astype(object)
    status[inside & np.isnan(flows).any(axis=1)] = LOOP
    in_split = inside & np.isin(ds["node_zone"].values[tail], list(split_zones))
    status[in_split], flows[in_split] = STORAGE, np.nan
    flows[~built] = 0.0
    return LinkFlows(flows, status, production, delivered, residual, loss)
