r"""Supply temperature at every node: from the producers along the flow, cooling in each pipe.

A supply pipe of loss conductance U [W/(m K)] and length L [m] carrying a mass flow
:math:`\dot m` [kg/s] cools its water exponentially towards the ground temperature:

.. math:: T_{out} = T_g + (T_{in} - T_g) \, \exp\!\left(-\frac{U L}{\dot m \, c_p}\right)

U is the conductance of one buried pipe (`dhopt.physics.pair_loss_conductance_W_per_mK`, the
supply pipe's share of the pair); the mass flow is the heat flow over :math:`c_p (T_s - T_r)`, the
hour's network supply and the case's return temperature. Producers (plants, heat pumps, direct
exchange, storage discharge) feed at the network supply temperature; where flows meet, the water
mixes by mass flow. A node with no inflow, or touching a pipe whose flow is unknown, has no
temperature (NaN), and neither has anything downstream of it.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from dhopt.physics import WATER_CP_MJ_PER_KG_K

WATER_CP_J_PER_KG_K = WATER_CP_MJ_PER_KG_K * 1e6
NO_FLOW_MW = 1e-9  # a smaller heat flow counts as none [MW]


def outlet_degC(inlet_degC, ground_degC, conductance_W_per_K, mass_flow_kg_per_s):
    r"""Water temperature at the end of an insulated pipe [°C].

    .. math:: T_{out} = T_g + (T_{in} - T_g) \exp(-U L / (\dot m c_p))

    >>> round(float(outlet_degC(80.0, 8.0, 4187.0, 1.0)), 3)
    34.487
    """
    decay = np.exp(
        -np.asarray(conductance_W_per_K, dtype=float) / (np.asarray(mass_flow_kg_per_s) * WATER_CP_J_PER_KG_K)
    )
    return ground_degC + (np.asarray(inlet_degC, dtype=float) - ground_degC) * decay


def node_supply_degC(
    n_nodes: int,
    tail: np.ndarray,
    head: np.ndarray,
    flow_MW: np.ndarray,
    conductance_W_per_K: np.ndarray,
    production_MW: np.ndarray,
    supply_degC: float,
    delta_t_K: float,
    ground_degC: float,
) -> np.ndarray:
    """Supply temperature of every node at one hour [°C] (NaN where not known), from the pipes'
    ends (node positions), heat flows tail->head [MW] (NaN unknown), conductances U L [W/K] and
    the heat fed in at each node [MW] at `supply_degC`."""
    mass = np.abs(flow_MW) / (WATER_CP_MJ_PER_KG_K * delta_t_K)  # [kg/s]
    unknown = np.isnan(flow_MW)
    blind = np.zeros(n_nodes, dtype=bool)
    blind[tail[unknown]] = blind[head[unknown]] = True
    moving = ~unknown & (np.abs(np.nan_to_num(flow_MW)) > NO_FLOW_MW)
    up = np.where(flow_MW > 0, tail, head)[moving]
    down = np.where(flow_MW > 0, head, tail)[moving]
    mass, conductance = mass[moving], conductance_W_per_K[moving]

    fed = np.clip(production_MW, 0.0, None) / (WATER_CP_MJ_PER_KG_K * delta_t_K)  # [kg/s]
    weight, heat = fed.copy(), fed * supply_degC  # mixing sums: kg/s and kg/s x °C
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n_nodes))
    graph.add_edges_from(zip(up.tolist(), down.tolist()))
    try:
        generations = list(nx.topological_generations(graph))
    except nx.NetworkXUnfeasible:  # water circulating in a loop: no order to propagate along
        return np.full(n_nodes, np.nan)
    rank = np.empty(n_nodes, dtype=int)
    for i, nodes in enumerate(generations):
        rank[nodes] = i
    order = np.argsort(rank[up], kind="stable")
    up, down, mass, conductance = up[order], down[order], mass[order], conductance[order]
    starts = np.searchsorted(rank[up], np.arange(len(generations) + 1))
    temperature = np.full(n_nodes, np.nan)
    for i, nodes in enumerate(generations):
        nodes = np.asarray(nodes)
        with np.errstate(invalid="ignore", divide="ignore"):
            temperature[nodes] = np.where(weight[nodes] > 0, heat[nodes] / weight[nodes], np.nan)
        temperature[nodes[blind[nodes]]] = np.nan
        out = slice(starts[i], starts[i + 1])
        arriving = outlet_degC(temperature[up[out]], ground_degC, conductance[out], mass[out])
        np.add.at(weight, down[out], mass[out])
        np.add.at(heat, down[out], mass[out] * arriving)
    return temperature
