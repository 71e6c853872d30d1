"""A feasible design to start the MIP from: a shortest-path tree of pipes.

Every demand node is joined to the nearest plant along the cheapest pipes (existing pipes cost
nothing), every campus and every plant not yet on it to that tree along its cheapest path. In a tree, a pipe splitting it into
sides A and B carries f = P_A - D_A = D_B - P_B for any balanced dispatch, so
|f| <= max(min(P_A, D_B), min(P_B, D_A)) with P the production capacity and D the demand plus fixed
losses of a side. Each candidate pipe of the tree gets the smallest DN that carries this in every
hour (plus a margin for its own losses): whatever the dispatch, the pipes never stop it. HiGHS
completes the rest (dispatch, capacities) and improves from there.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from dhopt.inputs import Inputs

MARGIN = 1.05  # head-room for the losses of the candidate pipes themselves [-]


def _graph(inputs: Inputs) -> nx.Graph:
    pipes, options = inputs.pipes, inputs.options
    cheapest = options["annual_cost_EUR"].groupby(level="pipe").min()
    graph = nx.Graph()
    graph.add_nodes_from(inputs.nodes)
    for pipe, (u, v, status) in pipes[["from_node", "to_node", "status"]].iterrows():
        cost = 0.0 if status == "existing" else float(cheapest.get(pipe, np.inf))
        if not graph.has_edge(u, v) or graph.edges[u, v]["cost"] > cost:
            graph.add_edge(u, v, cost=cost, pipe=pipe)
    return graph


def _smallest_cover(options: pd.DataFrame, pipe: str, need_per_K: float) -> int:
    choices = options.loc[pipe]
    covering = choices.index[choices["capacity_MW_per_K"].to_numpy() >= need_per_K]
    return int(covering.min() if len(covering) else choices.index.max())


def _tree(inputs: Inputs, graph: nx.Graph, roots: list) -> nx.Graph:
    """Shortest paths from every demand node to its nearest root, and from every campus and plant
    not yet on them (a waste incinerator's must-run heat needs a way out) to the nearest tree node."""
    _, paths = nx.multi_source_dijkstra(graph, roots, weight="cost")
    tree = nx.Graph()
    tree.add_nodes_from(roots)  # roots without demand are joined like every other producer, below
    demand = inputs.demand_MW
    for node in demand.columns[demand.to_numpy().max(axis=0) > 0]:
        if node in paths:
            nx.add_path(tree, paths[node])
    tree.remove_nodes_from([root for root in roots if tree.degree(root) == 0])
    for node in dict.fromkeys([*inputs.sources["node"], *inputs.plants["node"]]):
        if node in tree:
            continue
        if tree.number_of_nodes() == 0:
            tree.add_node(node)
            continue
        lengths, source_paths = nx.single_source_dijkstra(graph, node, weight="cost")
        reachable = [n for n in tree if n in lengths]
        if reachable:
            nx.add_path(tree, source_paths[min(reachable, key=lengths.__getitem__)])
    return tree


def _side_sums(tree: nx.Graph, values: dict) -> dict[tuple, tuple]:
    """For each tree edge (child, parent): (sum of `values` on the child's side, on the other side)."""
    sides = {}
    for component in nx.connected_components(tree):
        root = next(iter(component))
        total = sum(values[n] for n in component)
        below = {n: values[n] for n in component}
        parent = dict(nx.dfs_predecessors(tree, root))
        for node in nx.dfs_postorder_nodes(tree, root):
            if node in parent:
                below[parent[node]] = below[parent[node]] + below[node]
                sides[node, parent[node]] = (below[node], total - below[node])
    return sides


def tree_design(inputs: Inputs) -> dict[str, int]:
    """Candidate pipe -> DN of the start design (pipes not listed are not built)."""
    graph = _graph(inputs)
    roots = list(dict.fromkeys(inputs.plants["node"])) or list(dict.fromkeys(inputs.sources["node"]))
    if not roots or inputs.pipes.empty:
        return {}
    tree = _tree(inputs, graph, roots)
    steps = len(inputs.delta_t_K)
    demand = inputs.demand_MW
    losses = inputs.fixed_loss_MW_per_K.to_dict()
    drive = inputs.loss_drive_K.to_numpy()
    absorb = {n: (demand[n].to_numpy() if n in demand else np.zeros(steps)) + losses.get(n, 0.0) * drive for n in tree}
    output = (inputs.sources["hp_max_MW"] + inputs.source_heat_MW.max()).groupby(inputs.sources["node"]).sum()
    output = output.add(inputs.plants.groupby("node")["capacity_MW"].sum(), fill_value=0.0)
    production = {n: np.full(steps, float(output.get(n, 0.0))) for n in tree}
    carried = _side_sums(tree, absorb)
    produced = _side_sums(tree, production)
    candidate = set(inputs.pipes.index[inputs.pipes["status"] == "candidate"])
    design = {}
    for edge, (demand_here, demand_there) in carried.items():
        pipe = graph.edges[edge]["pipe"]
        if pipe not in candidate:
            continue
        made_here, made_there = produced[edge]
        flow = np.maximum(np.minimum(made_here, demand_there), np.minimum(made_there, demand_here))
        design[pipe] = _smallest_cover(inputs.options, pipe, MARGIN * float(np.max(flow / inputs.delta_t_K.to_numpy())))
    return design


def set_start(model: pyo.ConcreteModel, inputs: Inputs) -> int:
    """Give the build binaries the tree design as initial values; return how many pipes it builds."""
    design = tree_design(inputs)
    for (pipe, dn), var in model.pipes.build.items():
        var.set_value(1.0 if design.get(pipe) == dn else 0.0)
    return len(design)
