"""Network reduction before the model, each step exact (the optimum does not change):

1. dead ends: a candidate pipe to a junction leaf with nothing on it is never worth building;
2. chains: candidate pipes in series through empty junctions are one pipe of their total length
   (the same DN along the chain is optimal: same flow, and a larger DN anywhere only costs more);
3. DN options: a DN larger than the smallest one covering the pipe's flow bound (`dhopt.bounds`)
   only costs more and loses more heat, so it is dropped (likewise an existing pipe's upgrade DNs);
   the model limits a candidate's flow by min(capacity, bound) - the tightest big-M that cuts off
   no feasible flow;
4. sole feeds (when every consumer is to be served): a candidate bridge beyond which lies demand
   but no production is the only way to that demand; it is built with the smallest DN that
   carries it and from then on treated as existing (its cost is a constant of the objective);
5. zones: an existing pipe whose capacity covers its flow bound in every hour never binds; its ends
   merge into one zone and its loss stays in the zone's fixed loss (an upgrade of it could only add
   cost and loss, so its upgrade DNs go too; an existing pipe that may bind stays a model pipe with
   its upgrades). Candidates inside one zone can never pay and are dropped (reported as not built);
6. directions: a bridge with production or storage on one side only carries heat away from it
   (`dhopt.bounds.pipe_bounds`' ``direction``), so its flow has one sign (`dhopt.model.pipes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from dhopt.bounds import pipe_bounds
from dhopt.inputs import Inputs, installed_options


@dataclass(frozen=True)
class Reduction:
    nodes_before: int
    nodes_after: int
    pipes_before: int
    pipes_after: int
    options_before: int  # candidate (pipe, DN) choices = binaries
    options_after: int


def _occupied(inputs: Inputs) -> set:
    """Nodes with demand, production or storage."""
    consumers = inputs.consumers
    demand = consumers.loc[consumers["annual_heat_MWh"] > 0, "node"]
    producers = set(inputs.sources["node"]) | set(inputs.plants["node"]) | set(inputs.units["node"])
    return set(demand) | producers | set(inputs.storage_sites.index) | set(inputs.pits["node"])


def _degree(pipes: pd.DataFrame) -> pd.Series:
    return pd.concat([pipes["from_node"], pipes["to_node"]]).value_counts()


def _drop_pipes(inputs: Inputs, dropped: pd.Index) -> Inputs:
    keep_options = ~inputs.options.index.get_level_values("pipe").isin(dropped)
    return inputs.with_(
        pipes=inputs.pipes.drop(dropped),
        options=inputs.options[keep_options],
        pipe_members=inputs.pipe_members.where(~inputs.pipe_members.isin(dropped), ""),
    )


def drop_campus_routes(inputs: Inputs) -> Inputs:
    """`inputs` without the candidate pipes ending at a zone that holds campuses and nothing else (no
    demand, no plant): the campuses' connection routes, for the reference without campuses. (With
    one route it would go as a dead end; two or more would otherwise join through the empty site.)"""
    campus_only = set(inputs.sources["node"]) - set(inputs.consumers["node"]) - set(inputs.plants["node"])
    campus_only -= set(inputs.units["node"]) | set(inputs.pits["node"])
    pipes = inputs.pipes
    ends = pipes["from_node"].isin(campus_only) | pipes["to_node"].isin(campus_only)
    return _drop_pipes(inputs, pipes.index[(pipes["status"] == "candidate") & ends])


def prune_dead_ends(inputs: Inputs) -> Inputs:
    """Remove candidate pipes leading to empty junction leaves, layer by layer."""
    occupied = _occupied(inputs)
    while True:
        pipes = inputs.pipes
        degree = _degree(pipes)
        leaves = set(degree.index[degree == 1]) - occupied
        candidate = pipes["status"] == "candidate"
        dead = pipes.index[candidate & (pipes["from_node"].isin(leaves) | pipes["to_node"].isin(leaves))]
        if dead.empty:
            return inputs
        inputs = _drop_pipes(inputs, dead)


def merge_chains(inputs: Inputs) -> Inputs:
    """Replace each chain of candidate pipes through empty degree-2 junctions by one pipe."""
    pipes = inputs.pipes
    degree = _degree(pipes)
    existing_ends = set(pipes.loc[pipes["status"] == "existing", ["from_node", "to_node"]].to_numpy().ravel())
    inner = set(degree.index[degree == 2]) - _occupied(inputs) - existing_ends
    candidate = pipes[pipes["status"] == "candidate"]
    links = nx.Graph()  # pipes as nodes, joined where they meet at an inner junction
    links.add_nodes_from(candidate.index)
    for node, group in pd.concat(
        [candidate["from_node"].rename("node").reset_index(), candidate["to_node"].rename("node").reset_index()]
    ).groupby("node"):
        if node in inner and len(group) == 2:
            links.add_edge(*group["id"])
    options = inputs.options
    merged_rows, merged_options, renamed = [], [], {}
    for chain in nx.connected_components(links):
        if len(chain) == 1:
            continue
        chain = sorted(chain)
        ends = pd.concat([candidate.loc[chain, "from_node"], candidate.loc[chain, "to_node"]]).value_counts()
        outer = list(ends.index[ends == 1])
        head = chain[0]
        renamed.update(dict.fromkeys(chain, head))
        if len(outer) != 2:  # a closed loop of empty junctions carries nothing
            continue
        dns = set.intersection(*(set(options.loc[p].index) for p in chain))
        if not dns:
            continue
        part = options[options.index.get_level_values("pipe").isin(chain)]
        part = part[part.index.get_level_values("dn").isin(dns)]
        summed = part.groupby(level="dn").agg(
            {"capacity_MW_per_K": "first", "limit_MW_per_K": "first", "loss_MW_per_K": "sum", "annual_cost_EUR": "sum"}
        )
        merged_options.append(pd.concat({head: summed}, names=["pipe", "dn"]))
        merged_rows.append(
            pd.DataFrame(
                {
                    "from_node": [outer[0]],
                    "to_node": [outer[1]],
                    "length_m": [candidate.loc[chain, "length_m"].sum()],
                    "status": ["candidate"],
                    "dn": [np.nan],
                },
                index=pd.Index([head], name="id"),
            )
        )
    if not renamed:
        return inputs
    gone = pd.Index(list(renamed))
    reduced = _drop_pipes(inputs, gone)
    return reduced.with_(
        pipes=pd.concat([reduced.pipes, *merged_rows]),
        options=pd.concat([reduced.options, *merged_options]),
        pipe_members=inputs.pipe_members.map(lambda p: renamed.get(p, p)).where(
            lambda m: m.isin(set(reduced.pipes.index) | {r.index[0] for r in merged_rows}), ""
        ),
    )


def prune_options(inputs: Inputs, need_per_K: pd.Series) -> Inputs:
    """Keep, per candidate (or upgradable) pipe, the DNs up to the smallest one that covers its flow bound."""
    options = inputs.options
    capacity = options["capacity_MW_per_K"]
    need = need_per_K.reindex(options.index.get_level_values("pipe")).to_numpy()
    covers = capacity.to_numpy() >= need - 1e-12
    frame = pd.DataFrame({"covers": covers, "dn": options.index.get_level_values("dn")}, index=options.index)
    smallest_cover = frame[frame["covers"]].groupby(level="pipe")["dn"].min()
    limit = smallest_cover.reindex(options.index.get_level_values("pipe")).to_numpy()
    keep = np.isnan(limit) | (frame["dn"].to_numpy() <= limit)
    installed = installed_options(options, inputs.pipes)
    # A flow never exceeds the bound, so the model may use min(capacity, bound): the tightest big-M.
    limit = np.minimum(capacity.to_numpy(), np.where(installed, np.inf, need))
    return inputs.with_(options=options.assign(limit_MW_per_K=limit)[keep | installed])


def force_sole_feeds(inputs: Inputs, bounds: pd.DataFrame) -> Inputs:
    """Build every candidate sole feed with the smallest DN covering its bound (`build_pipes`)."""
    pipes = inputs.pipes
    sole = pipes.index[(pipes["status"] == "candidate") & bounds["sole_feed"].reindex(pipes.index).to_numpy()]
    chosen = {}
    for pipe in sole:
        choices = inputs.options.loc[pipe]
        covering = choices.index[choices["capacity_MW_per_K"].to_numpy() >= bounds.at[pipe, "need_MW_per_K"] - 1e-12]
        chosen[pipe] = int(covering.min() if len(covering) else choices.index.max())
    return build_pipes(inputs, chosen)


def build_pipes(inputs: Inputs, chosen: dict[str, int]) -> Inputs:
    """Build each pipe of `chosen` (a candidate, or an existing pipe's upgrade) with its DN [mm] and
    treat it as existing: its annual cost joins the constant `forced_cost_EUR`, its loss (beyond the
    installed DN's, for an upgrade), half to each end, joins the fixed loss of its end nodes."""
    if not chosen:
        return inputs
    pipes, options = inputs.pipes, inputs.options
    built = pd.Index(list(chosen), name="pipe")
    picked = pd.MultiIndex.from_tuples(chosen.items(), names=["pipe", "dn"])
    installed = options[installed_options(options, pipes)]["loss_MW_per_K"].droplevel("dn")
    half_loss = 0.5 * (options.loc[picked, "loss_MW_per_K"].droplevel("dn") - installed.reindex(built, fill_value=0.0))
    ends = pipes.loc[built]
    fixed_loss = (
        inputs.fixed_loss_MW_per_K.add(half_loss.groupby(ends["from_node"]).sum(), fill_value=0.0)
        .add(half_loss.groupby(ends["to_node"]).sum(), fill_value=0.0)
        .reindex(inputs.nodes, fill_value=0.0)
    )
    keep = ~options.index.get_level_values("pipe").isin(built) | options.index.isin(picked)
    members = inputs.pipe_members
    previous = inputs.forced_dn if inputs.forced_dn is not None else pd.Series(dtype=float)
    return inputs.with_(
        pipes=pipes.assign(
            status=pipes["status"].where(~pipes.index.isin(built), "existing"),
            dn=pipes["dn"].where(~pipes.index.isin(built), pd.Series(chosen, dtype=float)),
            inner_diameter_m=pipes["inner_diameter_m"].where(~pipes.index.isin(built)),  # built: the catalogue's
        ),
        options=options[keep].assign(annual_cost_EUR=lambda o: o["annual_cost_EUR"].where(~o.index.isin(picked), 0.0)),
        forced_dn=pd.concat([previous, members[members.isin(built)].map(chosen).astype(float)]),
        forced_cost_EUR=inputs.forced_cost_EUR + float(options.loc[picked, "annual_cost_EUR"].sum()),
        fixed_loss_MW_per_K=fixed_loss,
    )


def with_built_pipes(inputs: Inputs, build: dict[tuple[str, int], float]) -> Inputs:
    """The network as a design built it (`build`: (pipe, DN) -> 0/1): chosen pipes built
    (`build_pipes`), candidates not chosen removed, upgrades not chosen dropped."""
    chosen = {pipe: int(dn) for (pipe, dn), value in build.items() if value is not None and value > 0.5}
    pipes = inputs.pipes
    unbuilt = pipes.index[(pipes["status"] == "candidate") & ~pipes.index.isin(list(chosen))]
    inputs = _drop_pipes(inputs, unbuilt)
    options = inputs.options
    choice = ~installed_options(options, inputs.pipes) & ~options.index.get_level_values("pipe").isin(list(chosen))
    return build_pipes(inputs.with_(options=options[~choice]), chosen)


def merge_zones(inputs: Inputs, need_per_K: pd.Series) -> Inputs:
    """Merge the ends of never-binding existing pipes into zones; drop pipes inside a zone."""
    pipes = inputs.pipes
    existing = pipes[pipes["status"] == "existing"]
    options = inputs.options
    capacity = options.loc[installed_options(options, pipes), "capacity_MW_per_K"].droplevel("dn")
    contracted = existing.index[
        capacity.reindex(existing.index).to_numpy() >= need_per_K[existing.index].to_numpy() - 1e-12
    ]
    merged = nx.Graph()
    merged.add_nodes_from(inputs.nodes)
    merged.add_edges_from(zip(pipes.loc[contracted, "from_node"], pipes.loc[contracted, "to_node"]))
    order = {n: i for i, n in enumerate(inputs.nodes)}
    zone = {}
    for members in nx.connected_components(merged):
        zone.update(dict.fromkeys(members, min(members, key=order.__getitem__)))  # first in file order
    node_zone = pd.Series(zone).reindex(inputs.nodes)
    used = set(pipes["from_node"]) | set(pipes["to_node"]) | _occupied(inputs)
    zones = pd.Index(pd.unique(node_zone[node_zone.index.isin(used)].to_numpy()), name="node")

    remaining = pipes.drop(contracted)
    remaining = remaining.assign(from_node=remaining["from_node"].map(zone), to_node=remaining["to_node"].map(zone))
    inside = remaining.index[remaining["from_node"] == remaining["to_node"]]
    reduced = _drop_pipes(inputs, contracted.append(inside)).with_(pipes=remaining.drop(inside))
    return reduced.with_(  # a zone's demand: that of the consumers now at the zone (`Inputs.demand_MW`)
        nodes=zones,
        fixed_loss_MW_per_K=inputs.fixed_loss_MW_per_K.groupby(node_zone.to_numpy())
        .sum()
        .reindex(zones, fill_value=0.0),
        consumers=inputs.consumers.assign(node=inputs.consumers["node"].map(zone)),
        sources=inputs.sources.assign(node=inputs.sources["node"].map(zone)),
        plants=inputs.plants.assign(node=inputs.plants["node"].map(zone)),
        units=inputs.units.assign(node=inputs.units["node"].map(zone)),
        pits=inputs.pits.assign(node=inputs.pits["node"].map(zone)),
        fleet=inputs.fleet.assign(node=inputs.fleet["node"].map(zone)),
        storage_sites=inputs.storage_sites.groupby(inputs.storage_sites.index.map(zone)).sum().rename_axis("node"),
        node_zone=inputs.node_zone.map(zone),
    )


def _candidate_options(inputs: Inputs) -> int:
    """(pipe, DN) choices, i.e. binaries: candidate DNs and upgrades of existing pipes."""
    return int((~installed_options(inputs.options, inputs.pipes)).sum())


def reduce_network(inputs: Inputs) -> tuple[Inputs, Reduction]:
    """All reduction steps; return the reduced inputs and the sizes before and after."""
    before = (len(inputs.nodes), len(inputs.pipes), _candidate_options(inputs))
    reduced = merge_chains(prune_dead_ends(inputs))
    bounds = pipe_bounds(reduced)
    reduced = prune_options(reduced, bounds["need_MW_per_K"])
    reduced = reduced.with_(pipes=reduced.pipes.assign(direction=bounds["direction"].reindex(reduced.pipes.index)))
    if inputs.scalars.connect_all:
        reduced = force_sole_feeds(reduced, bounds)
    reduced = merge_zones(reduced, bounds["need_MW_per_K"])
    after = (len(reduced.nodes), len(reduced.pipes), _candidate_options(reduced))
    return reduced, Reduction(before[0], after[0], before[1], after[1], before[2], after[2])
