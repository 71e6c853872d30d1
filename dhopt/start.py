"""A feasible design to start the MIP from: a shortest-path tree of pipes.

Every demand node is joined to the nearest plant along the cheapest pipes (existing pipes cost
nothing), every campus to that tree along its cheapest path; each candidate pipe of the tree gets
the smallest DN that carries what lies beyond it (demand and losses, or the campus's largest
output) in every hour. HiGHS completes the rest (dispatch, capacities) and improves from there.
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


def tree_design(inputs: Inputs) -> dict[str, int]:
    """Candidate pipe -> DN of the start design (pipes not listed are not built)."""
    graph = _graph(inputs)
    roots = list(dict.fromkeys(inputs.plants["node"])) or list(dict.fromkeys(inputs.sources["node"]))
    if not roots or inputs.pipes.empty:
        return {}
    _, paths = nx.multi_source_dijkstra(graph, roots, weight="cost")
    delta_t = inputs.delta_t_K.to_numpy()
    absorb = inputs.demand_MW + np.outer(
        inputs.loss_drive_K, inputs.fixed_loss_MW_per_K.reindex(inputs.demand_MW.columns)
    )
    beyond: dict[str, np.ndarray] = {}  # pipe -> hourly heat it must carry
    for node in inputs.demand_MW.columns[inputs.demand_MW.to_numpy().max(axis=0) > 0]:
        path = paths.get(node)
        if path is None:
            continue
        for u, v in zip(path[:-1], path[1:]):
            pipe = graph.edges[u, v]["pipe"]
            beyond[pipe] = beyond.get(pipe, 0.0) + absorb[node].to_numpy()
    tree = {n for p in beyond for n in graph.edges[*inputs.pipes.loc[p, ["from_node", "to_node"]]]} | set(roots)
    output = inputs.sources["hp_max_MW"] + inputs.source_heat_MW.max().reindex(inputs.sources.index)
    for source, node in inputs.sources["node"].items():
        if node in tree:
            continue
        lengths, source_paths = nx.single_source_dijkstra(graph, node, weight="cost")
        reachable = [n for n in tree if n in lengths]
        if not reachable:
            continue
        path = source_paths[min(reachable, key=lengths.__getitem__)]
        for u, v in zip(path[:-1], path[1:]):
            pipe = graph.edges[u, v]["pipe"]
            beyond[pipe] = np.maximum(beyond.get(pipe, 0.0), np.full(len(delta_t), float(output[source])))
    candidate = set(inputs.pipes.index[inputs.pipes["status"] == "candidate"])
    return {
        pipe: _smallest_cover(inputs.options, pipe, MARGIN * float(np.max(flow / delta_t)))
        for pipe, flow in beyond.items()
        if pipe in candidate
    }


def set_start(model: pyo.ConcreteModel, inputs: Inputs) -> int:
    """Give the build binaries the tree design as initial values; return how many pipes it builds."""
    design = tree_design(inputs)
    for (pipe, dn), var in model.pipes.build.items():
        var.set_value(1.0 if design.get(pipe) == dn else 0.0)
    return len(design)
