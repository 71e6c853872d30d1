"""Improve a tree of pipes by local search, for a better MIP start than the shortest-path tree.

In a tree, the pipe between a child side C and the rest R of its component carries at most
f_t = max(min(P_C, D_R,t), min(P_R, D_C,t)) [MW] in hour t (P: production capacity, D: demand plus
fixed losses of a side), so it needs the smallest DN with capacity >= MARGIN x max_t f_t / dT_t
[MW/K]. The tree's cost is, over its candidate pipes, the annual cost of that DN plus its heat loss
valued at the cheapest heat of each hour: sum_t w_t x loss [MW/K] x drive_t [K] x c_t [EUR/MWh].

Moves, each taken only when it lowers that cost, until none does (a fixed number of rounds at most,
in the order of the pipes, so the same inputs give the same tree):
- exchange: add a pipe whose ends are both on the tree, drop another pipe of the loop it closes;
  only the pipes on that loop change their flows, so each exchange is priced on the loop alone;
- prune: drop a branch that serves nothing; with economic connection also one whose consumers' heat
  is worth less than what serving them costs (penalty - heat cost per MWh not delivered).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

MARGIN = 1.05  # head-room for the losses of the candidate pipes themselves [-]
UNCOVERED_EUR = 1e9  # cost of a pipe no DN can carry: such a tree is kept only if nothing better is found
ROUNDS = 20  # passes over the pipes at most
Edges = dict[tuple[int, int], int]  # (a, b) node positions with a < b -> pipe row


@dataclass(frozen=True)
class TreeData:
    """What pricing a tree needs, per node position and per pipe (`pipe_cost`)."""

    absorb_MW: np.ndarray  # node x time: demand plus fixed losses [MW]
    produce_MW: np.ndarray  # node: production capacity [MW]
    delta_t_K: np.ndarray  # time: supply minus return temperature [K]
    capacity_MW_per_K: np.ndarray  # pipe x option, ascending; inf pads shorter lists, existing pipes [inf]
    option_cost_EUR: np.ndarray  # pipe x option: annual cost + valued loss [EUR/yr]; UNCOVERED_EUR pads; 0: existing
    droppable_EUR: np.ndarray  # node: net value of leaving its demand unserved [EUR/yr]; inf: must be served
    fixed: np.ndarray  # node: a producer, never pruned


def smallest_cover(capacity_MW_per_K: np.ndarray, need_MW_per_K: np.ndarray) -> np.ndarray:
    """Per row, the first option whose capacity covers the need (= number of options if none does)."""
    return (capacity_MW_per_K < need_MW_per_K[:, None] - 1e-12).sum(axis=1)


def need_MW_per_K(data: TreeData, child_P, child_D, total_P, total_D) -> np.ndarray:
    """MARGIN x max_t f_t / dT_t [MW/K] of pipes whose child sides produce `child_P` and absorb
    `child_D` (pipe x time), in components producing `total_P` (pipe) and absorbing `total_D`."""
    total_P = np.broadcast_to(total_P, child_P.shape)
    flow = np.maximum(
        np.minimum(child_P[:, None], total_D - child_D), np.minimum((total_P - child_P)[:, None], child_D)
    )
    return MARGIN * (flow / data.delta_t_K).max(axis=1, initial=0.0)


def pipe_cost(data: TreeData, pipe: np.ndarray, child_P, child_D, total_P, total_D) -> np.ndarray:
    """Annual cost [EUR/yr] of pipes `pipe` with the smallest DN for their `need_MW_per_K`."""
    option = smallest_cover(data.capacity_MW_per_K[pipe], need_MW_per_K(data, child_P, child_D, total_P, total_D))
    padded = np.column_stack([data.option_cost_EUR[pipe], np.full(len(pipe), UNCOVERED_EUR)])
    return padded[np.arange(len(pipe)), option]


class RootedTree:
    """A forest over node positions, rooted at one producer per component, with subtree sums."""

    def __init__(self, data: TreeData, edges: Edges, roots: list[int]):
        self.data = data
        self.edges = dict(edges)
        self.roots = roots
        self.refresh()

    def refresh(self) -> None:
        """Parents, depths, subtree sums and component totals, from the edges."""
        n = len(self.data.produce_MW)
        graph = nx.Graph()
        graph.add_edges_from(self.edges)
        self.parent = np.full(n, -1)
        self.depth = np.full(n, -1)
        self.root = np.full(n, -1)
        self.up_pipe = np.full(n, -1)  # the pipe between a node and its parent
        self.sub_P = self.data.produce_MW.astype(float).copy()
        self.sub_D = self.data.absorb_MW.astype(float).copy()
        for start in self.roots:
            if start not in graph or self.depth[start] >= 0:
                continue
            order = [start]
            self.depth[start], self.root[start] = 0, start
            for a, b in nx.bfs_edges(graph, start):
                self.parent[b], self.depth[b], self.root[b] = a, self.depth[a] + 1, start
                self.up_pipe[b] = self.edges[(a, b) if a < b else (b, a)]
                order.append(b)
            for b in reversed(order[1:]):
                self.sub_P[self.parent[b]] += self.sub_P[b]
                self.sub_D[self.parent[b]] += self.sub_D[b]

    def options(self) -> tuple[np.ndarray, np.ndarray]:
        """Each tree pipe (row) and its smallest covering option (= its number of options if none)."""
        children = np.flatnonzero(self.parent >= 0)
        pipes = self.up_pipe[children]
        roots = self.root[children]
        need = need_MW_per_K(
            self.data, self.sub_P[children], self.sub_D[children], self.sub_P[roots], self.sub_D[roots]
        )
        return pipes, smallest_cover(self.data.capacity_MW_per_K[pipes], need)

    def up_to_common(self, u: int, v: int) -> tuple[list[int], list[int]]:
        """Nodes from u and from v up to (not including) their lowest common ancestor."""
        path_u, path_v = [], []
        while self.depth[u] > self.depth[v]:
            path_u.append(u)
            u = self.parent[u]
        while self.depth[v] > self.depth[u]:
            path_v.append(v)
            v = self.parent[v]
        while u != v:
            path_u.append(u)
            path_v.append(v)
            u, v = self.parent[u], self.parent[v]
        return path_u, path_v

    def cost_of(self, children, child_P, child_D, root) -> np.ndarray:
        """Cost of the pipes above `children` (any shape) with child sides `child_P`, `child_D` (+ time),
        in the component of `root` (one node, or one per child)."""
        shape, steps = np.shape(children), child_D.shape[-1]
        total_P = np.broadcast_to(self.sub_P[root], shape).ravel()
        total_D = np.broadcast_to(self.sub_D[root], (*shape, steps)).reshape(-1, steps)
        pipes = self.up_pipe[children].ravel()
        cost = pipe_cost(self.data, pipes, np.ravel(child_P), np.reshape(child_D, (-1, steps)), total_P, total_D)
        return cost.reshape(shape)

    def best_exchange(self, u: int, v: int, pipe: int) -> tuple[float, int | None, int, int]:
        """Adding `pipe` (u-v) and dropping the best pipe of the loop: (cost change, dropped child, side
        end, other end); the child's subtree is re-hung from the side end through the new pipe.

        Dropping the pipe above far[k] (far: the nodes from the far end up to the loop's top) re-hangs
        its subtree S from the near end: pipes above far[j] carry S - sub(far[j]) for j < k (now in
        reverse) and sub(far[j]) - S for j > k, pipes above the near end's nodes sub + S, the new pipe S.
        All k are priced at once (k x j arrays)."""
        best = (0.0, None, u, v)
        root = self.root[u]
        for near, far in ((u, v), (v, u)):
            path_near, path_far = self.up_to_common(near, far)
            if not path_far:
                continue
            far_nodes, near_nodes = np.array(path_far), np.array(path_near, dtype=int)
            S_P, S_D = self.sub_P[far_nodes], self.sub_D[far_nodes]  # k
            old = (
                self.cost_of(far_nodes, S_P, S_D, root).sum()
                + self.cost_of(near_nodes, self.sub_P[near_nodes], self.sub_D[near_nodes], root).sum()
            )
            j = np.arange(len(far_nodes))
            sign = np.sign(j[None, :] - j[:, None])  # k x j: -1 below the dropped pipe, +1 above, 0 dropped
            on_far = self.cost_of(
                np.broadcast_to(far_nodes, sign.shape),
                sign * (S_P[None, :] - S_P[:, None]),
                sign[:, :, None] * (S_D[None, :, :] - S_D[:, None, :]),
                root,
            )
            new = np.where(sign != 0, on_far, 0.0).sum(axis=1)
            if len(near_nodes):
                new += self.cost_of(
                    np.broadcast_to(near_nodes, (len(far_nodes), len(near_nodes))),
                    self.sub_P[near_nodes][None, :] + S_P[:, None],
                    self.sub_D[near_nodes][None, :, :] + S_D[:, None, :],
                    root,
                ).sum(axis=1)
            new += pipe_cost(self.data, np.full(len(far_nodes), pipe), S_P, S_D, self.sub_P[root], self.sub_D[root])
            k = int(np.argmin(new - old))
            if new[k] - old < best[0] - 1e-6:
                best = (float(new[k] - old), int(far_nodes[k]), near, far)
        return best

    def exchange(self, dropped_child: int, near: int, far: int, pipe: int) -> None:
        """Take the move `best_exchange` found: drop the pipe above `dropped_child`, add `pipe`."""
        a, b = dropped_child, self.parent[dropped_child]
        del self.edges[(a, b) if a < b else (b, a)]
        self.edges[(near, far) if near < far else (far, near)] = pipe
        self.refresh()

    def prune(self) -> bool:
        """Drop every subtree worth less than it costs, deepest first; true if any went.

        Dropping the subtree of x saves its pipes and lightens the pipes above its ancestors, and
        loses the value of its demand (`TreeData.droppable_EUR`: inf where it must be served). Deepest
        first, a subtree is judged on what is left of it once its own worthless branches went."""
        data = self.data
        children = np.flatnonzero(self.parent >= 0)
        own = np.zeros(len(self.parent))  # each node's pipe to its parent, at today's flows
        own[children] = self.cost_of(children, self.sub_P[children], self.sub_D[children], self.root[children])
        value = np.where(data.fixed, np.inf, np.where(data.absorb_MW.any(axis=1), data.droppable_EUR, 0.0))
        kept_cost, kept_value = np.zeros(len(own)), np.zeros(len(own))  # of the kept subtrees of a node's children
        dropped = []
        for x in children[np.argsort(-self.depth[children], kind="stable")]:
            below_cost, below_value = own[x] + kept_cost[x], value[x] + kept_value[x]
            path = []
            node = self.parent[x]
            while self.parent[node] >= 0:
                path.append(node)
                node = self.parent[node]
            root = self.root[x]
            lighter = self.cost_of(path, self.sub_P[path] - self.sub_P[x], self.sub_D[path] - self.sub_D[x], root)
            if below_cost - below_value + (own[path] - lighter).sum() > 1e-6:
                self.sub_P[[*path, root]] -= self.sub_P[x]
                self.sub_D[[*path, root]] -= self.sub_D[x]
                own[path] = lighter
                dropped.append(x)
            else:
                kept_cost[self.parent[x]] += below_cost
                kept_value[self.parent[x]] += below_value
        for x in dropped:
            a, b = x, self.parent[x]
            del self.edges[(a, b) if a < b else (b, a)]
        if dropped:
            self.refresh()
            self.edges = {e: pipe for e, pipe in self.edges.items() if self.root[e[0]] >= 0}
        return bool(dropped)


def improve_tree(data: TreeData, tree: Edges, roots: list[int], graph: Edges) -> RootedTree:
    """Local search from `tree` over the pipes of `graph` (prune, then every exchange, per round);
    return the improved tree."""
    forest = RootedTree(data, tree, roots)
    for _ in range(ROUNDS):
        improved = forest.prune()
        for (u, v), pipe in graph.items():
            if (u, v) in forest.edges or forest.root[u] < 0 or forest.root[u] != forest.root[v]:
                continue
            change, child, near, far = forest.best_exchange(u, v, pipe)
            if child is not None:
                forest.exchange(child, near, far, pipe)
                improved = True
        if not improved:
            break
    return forest
