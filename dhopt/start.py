"""A feasible design to start the MIP from: a shortest-path tree of pipes, improved by local search.

Every demand node is joined to the nearest plant along the cheapest pipes (existing pipes cost
nothing), every campus and every plant not yet on it to that tree along its cheapest path. In a
tree, a pipe splitting it into sides A and B carries f = P_A - D_A = D_B - P_B for any balanced
dispatch, so |f| <= max(min(P_A, D_B), min(P_B, D_A)) with P the production capacity and D the
demand plus fixed losses of a side. `dhopt.tree_search` then exchanges and prunes pipes while the
tree's pipe and loss cost falls. Each candidate pipe of the tree gets the smallest DN that carries
its bound in every hour (plus a margin for its own losses): whatever the dispatch, the pipes never
stop it. HiGHS completes the rest (dispatch, capacities) and improves from there.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from dhopt.inputs import Inputs
from dhopt.model.objective import heat_pump_cost_EUR_per_MWh, unit_cost_EUR_per_MWh
from dhopt.tree_search import UNCOVERED_EUR, TreeData, improve_tree


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
    for node in dict.fromkeys([*inputs.sources["node"], *inputs.plants["node"], *inputs.units["node"]]):
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


def _heat_cost(inputs: Inputs) -> np.ndarray:
    """The cheapest heat of each hour [EUR/MWh]: a plant's cost or a campus heat pump's
    (electricity / COP + variable O&M; free where direct exchange is possible); 0 without producers."""
    costs = [inputs.plant_cost_EUR_per_MWh.to_numpy(), unit_cost_EUR_per_MWh(inputs)]
    if len(inputs.sources):
        costs.append(np.where(inputs.direct_ok.to_numpy(), 0.0, heat_pump_cost_EUR_per_MWh(inputs)))
    every = np.hstack(costs)
    return every.min(axis=1) if every.shape[1] else np.zeros(len(inputs.weight_h))


def option_table(inputs: Inputs, values: pd.Series, fill: float) -> np.ndarray:
    """pipe x option array of `values` (indexed like `inputs.options`), each pipe's DNs in ascending
    order, `fill` beyond a pipe's last option; rows in `inputs.pipes` order."""
    values = values.sort_index()
    row = inputs.pipes.index.get_indexer(values.index.get_level_values("pipe"))
    slot = values.groupby(level="pipe").cumcount().to_numpy()
    table = np.full((len(inputs.pipes), int(slot.max()) + 1 if len(slot) else 1), fill)
    table[row, slot] = values.to_numpy(dtype=float)
    return table


def tree_data(inputs: Inputs) -> TreeData:
    """Node sums and per-pipe DN tables (`dhopt.tree_search`) of `inputs`, rows in `inputs.pipes` order."""
    nodes = inputs.nodes
    demand = inputs.demand_MW.reindex(columns=nodes, fill_value=0.0).to_numpy().T
    fixed_loss = inputs.fixed_loss_MW_per_K.reindex(nodes, fill_value=0.0).to_numpy()
    drive = inputs.loss_drive_K.to_numpy()
    output = (inputs.sources["hp_max_MW"] + inputs.source_heat_MW.max()).groupby(inputs.sources["node"]).sum()
    output = output.add(inputs.plants.groupby("node")["capacity_MW"].sum(), fill_value=0.0)
    output = output.add(inputs.units.groupby("node")["max_MW"].sum(), fill_value=0.0)
    produce = output.reindex(nodes, fill_value=0.0).to_numpy(dtype=float)
    heat_cost = _heat_cost(inputs)
    loss_value = float(np.sum(inputs.weight_h * drive * heat_cost))  # EUR/yr per MW/K of loss

    options = inputs.options
    candidate = (inputs.pipes["status"] == "candidate").to_numpy()
    capacity = np.where(candidate[:, None], option_table(inputs, options["capacity_MW_per_K"], np.inf), np.inf)
    priced = options["annual_cost_EUR"] + loss_value * options["loss_MW_per_K"]
    cost = np.where(candidate[:, None], option_table(inputs, priced, UNCOVERED_EUR), 0.0)

    if inputs.scalars.connect_all:
        droppable = np.full(len(nodes), np.inf)
    else:  # heat not delivered costs the penalty but saves producing it
        net = inputs.scalars.unmet_penalty_EUR_per_MWh - heat_cost
        droppable = np.where(fixed_loss > 0, np.inf, demand @ (inputs.weight_h * net))
    producers = nodes.isin([*inputs.sources["node"], *inputs.plants["node"], *inputs.units["node"]])
    absorb = demand + fixed_loss[:, None] * drive[None, :]
    return TreeData(absorb, produce, inputs.delta_t_K.to_numpy(), capacity, cost, droppable, producers)


def tree_design(inputs: Inputs) -> dict[str, int]:
    """Candidate pipe -> DN of the start design (pipes not listed are not built): the shortest-path
    tree improved by `dhopt.tree_search.improve_tree`, each pipe with the smallest DN for its flow bound."""
    graph = _graph(inputs)
    roots = list(dict.fromkeys([*inputs.plants["node"], *inputs.units["node"]])) or list(
        dict.fromkeys(inputs.sources["node"])
    )
    if not roots or inputs.pipes.empty:
        return {}
    position = {n: i for i, n in enumerate(inputs.nodes)}
    row = {p: i for i, p in enumerate(inputs.pipes.index)}

    def keyed(edges) -> dict[tuple[int, int], int]:  # (a, b) positions, a < b -> pipe row
        pairs = ((position[a], position[b], row[graph.edges[a, b]["pipe"]]) for a, b in edges)
        return {(min(a, b), max(a, b)): r for a, b, r in pairs}

    data = tree_data(inputs)
    root_positions = [position[r] for r in roots]
    forest = improve_tree(data, keyed(_tree(inputs, graph, roots).edges), root_positions, keyed(graph.edges))
    pipe_rows, option = forest.options()
    dn = option_table(inputs, inputs.options.index.get_level_values("dn").to_series(index=inputs.options.index), np.nan)
    last = np.isfinite(dn).sum(axis=1) - 1  # none covers: the largest DN
    candidate = (inputs.pipes["status"] == "candidate").to_numpy()[pipe_rows]
    pipe_rows, option = pipe_rows[candidate], option[candidate]
    chosen = dn[pipe_rows, np.minimum(option, last[pipe_rows])]
    return {inputs.pipes.index[r]: int(d) for r, d in zip(pipe_rows, chosen, strict=True)}


def set_start(model: pyo.ConcreteModel, inputs: Inputs) -> int:
    """Give the build binaries the tree design as initial values; return how many pipes it builds."""
    design = tree_design(inputs)
    for (pipe, dn), var in model.pipes.build.items():
        var.set_value(1.0 if design.get(pipe) == dn else 0.0)
    return len(design)
