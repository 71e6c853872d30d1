"""Topology from geometry: join pipes without from/to where their ends meet, connect lone buildings.

`build_topology` works on the raw records of the network loader (`dhopt.network._Table`): pipes with
neither ``from`` nor ``to`` and a line geometry (``_geometry``, shapely, metres) get their ends from
the geometry; nodes (``x_m``, ``y_m``) within the tolerance of an end are that end, other ends meeting
within it become junctions. Searches use shapely's STRtree (``query`` with ``dwithin``,
``query_nearest``) on arrays, never loops over all pairs. Each repair is one warning with its
coordinates and what was done.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.ops import substring

DEFAULT_TOLERANCE_M = 0.5  # ends closer than this meet [m]
NEAR_FACTOR = 10.0  # ends within NEAR_FACTOR x the tolerance (but beyond it) are reported as nearly touching


@dataclass(frozen=True)
class Service:
    """How a building without a pipe is connected: a service line of this status, DN (existing) or DNs."""

    status: str = "candidate"
    dn: int | None = None  # existing: its DN; candidate: its one allowed DN (None: the whole catalogue)


def _xy(point) -> str:
    return f"({shapely.get_x(point):.2f}, {shapely.get_y(point):.2f})"


def _pair(xy) -> str:
    return f"({xy[0]:.1f}, {xy[1]:.1f})"


def _free(record: dict) -> bool:
    absent = (None, "")
    return record.get("from") in absent and record.get("to") in absent and record.get("_geometry") is not None


def build_topology(nodes: list[dict], pipes: list[dict], tolerance_m: float, service: Service):
    """New junction records, the pipe records as (index of the record it came from, record) and the
    warnings. Only pipes without from/to (``_free``) are joined, split or dropped."""
    warnings: list[str] = []
    free = [i for i, r in enumerate(pipes) if _free(r)]
    kept_pipes = [(i, r) for i, r in enumerate(pipes) if i not in set(free)]
    lines = np.array([pipes[i]["_geometry"] for i in free], dtype=object)
    ids = [str(pipes[i].get("id")) for i in free]
    keep = _drop_degenerate(lines, ids, tolerance_m, warnings)
    free, lines, ids = [free[k] for k in keep], lines[keep], [ids[k] for k in keep]
    node_xy = [(r.get("x_m"), r.get("y_m")) for r in nodes]
    has_xy = [k for k, (x, y) in enumerate(node_xy) if isinstance(x, float) and isinstance(y, float)]
    node_points = shapely.points(np.array([node_xy[k] for k in has_xy], dtype=float).reshape(-1, 2))
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)]) if len(lines) else np.array([])
    cluster_of, names, junctions = _clusters(ends, node_points, [nodes[k]["id"] for k in has_xy], tolerance_m, nodes)
    n = len(lines)
    end_node = [names[c] for c in cluster_of[: 2 * n]]
    splits: dict[int, list[tuple[float, str]]] = {}
    _t_junctions(lines, ids, ends, cluster_of[: 2 * n], end_node, tolerance_m, splits, warnings)
    referenced = {str(r.get(end)) for _, r in kept_pipes for end in ("from", "to")} | set(end_node)
    services = _service_lines(
        nodes, has_xy, node_points, referenced, lines, ids, end_node, tolerance_m, service, splits, junctions, warnings
    )
    _near_misses(ends, cluster_of[: 2 * n], ids, tolerance_m, warnings)
    out = list(kept_pipes)
    for k, (index, line) in enumerate(zip(free, lines, strict=True)):
        record = pipes[index]
        for part in _split(record, line, end_node[k], end_node[n + k], splits.get(k, []), warnings):
            out.append((index, part))
    out += [(-1, s) for s in services]
    return junctions, out, warnings


def _drop_degenerate(lines: np.ndarray, ids: list[str], tolerance_m: float, warnings: list[str]) -> list[int]:
    """Positions of the lines kept: zero-length lines (ends within the tolerance) and duplicates
    (Hausdorff distance within the tolerance of an earlier line, shapely.hausdorff_distance) dropped."""
    if not len(lines):
        return []
    start, end = shapely.get_point(lines, 0), shapely.get_point(lines, -1)
    short = shapely.length(lines) <= tolerance_m
    for k in np.flatnonzero(short):
        warnings.append(
            f"pipe {ids[k]!r} at {_xy(start[k])}: zero-length line ({shapely.length(lines[k]):.2f} m, "
            f"within snap_tolerance_m {tolerance_m:g}), dropped"
        )
    del end
    tree = shapely.STRtree(lines)
    a, b = tree.query(lines, predicate="dwithin", distance=tolerance_m)
    pair = (a < b) & ~short[a] & ~short[b]
    a, b = a[pair], b[pair]
    same = shapely.hausdorff_distance(lines[a], lines[b]) <= tolerance_m
    dropped = set()
    for i, j in zip(a[same], b[same], strict=True):
        if i in dropped or j in dropped:
            continue
        dropped.add(j)
        warnings.append(
            f"pipe {ids[j]!r} from {_xy(start[j])} duplicates pipe {ids[i]!r} (within {tolerance_m:g} m): dropped, "
            f"{ids[i]!r} kept"
        )
    return [k for k in range(len(lines)) if not short[k] and k not in dropped]


def _clusters(ends, node_points, node_ids, tolerance_m, nodes):
    """Cluster of every end and node point (ends first), each cluster's node id, and new junctions:
    points within the tolerance of each other are one node (connected components of the pairs)."""
    points = np.concatenate([ends, node_points])
    if not len(points):
        return np.zeros(0, dtype=int), [], []
    a, b = shapely.STRtree(points).query(points, predicate="dwithin", distance=tolerance_m)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(points), len(points)))
    count, cluster_of = connected_components(graph, directed=False)
    names: list = [None] * count
    for position in range(len(ends), len(points)):  # a node at the place names it
        c = cluster_of[position]
        names[c] = names[c] if names[c] is not None else str(node_ids[position - len(ends)])
    taken = {str(r.get("id")) for r in nodes}
    junctions = []
    for c in range(count):
        if names[c] is None:
            members = np.flatnonzero(cluster_of == c)
            x, y = shapely.get_coordinates(points[members]).mean(axis=0)
            names[c] = _unique(f"J{len(junctions) + 1}", taken)
            junctions.append({"id": names[c], "kind": "junction", "x_m": float(x), "y_m": float(y)})
    return cluster_of, names, junctions


def _unique(name: str, taken: set) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _t_junctions(lines, ids, ends, cluster_of, end_node, tolerance_m, splits, warnings) -> None:
    """An end within the tolerance of another line's interior (beyond the tolerance of its ends) splits
    that line there (shapely.line_locate_point)."""
    if not len(lines):
        return
    n = len(lines)
    point_k, line_k = shapely.STRtree(lines).query(ends, predicate="dwithin", distance=tolerance_m)
    own = (point_k % n) == line_k
    point_k, line_k = point_k[~own], line_k[~own]
    along = shapely.line_locate_point(lines[line_k], ends[point_k])
    inside = (along > tolerance_m) & (along < shapely.length(lines[line_k]) - tolerance_m)
    for p, k, s in zip(point_k[inside], line_k[inside], along[inside], strict=True):
        node = end_node[p]
        if node in (end_node[k], end_node[n + k]) or any(node == m for _, m in splits.get(k, [])):
            continue
        splits.setdefault(k, []).append((float(s), node))
        warnings.append(
            f"T-junction at {_xy(ends[p])}: pipe {ids[p % n]!r} ends inside pipe {ids[k]!r}, which is split there "
            f"(node {node!r})"
        )


def _service_lines(
    nodes, has_xy, node_points, referenced, lines, ids, end_node, tolerance_m, service, splits, junctions, warnings
):
    """A service line from each consumer that no pipe reaches to its nearest line (shapely STRtree
    query_nearest), ending at the foot point, which splits the line (or at the line's end within the
    tolerance of it)."""
    alone = [
        j for j, k in enumerate(has_xy) if nodes[k].get("kind") == "consumer" and str(nodes[k]["id"]) not in referenced
    ]
    if not alone or not len(lines):
        return []
    points = node_points[alone]
    point_j, line_k = shapely.STRtree(lines).query_nearest(points, all_matches=False)
    along = shapely.line_locate_point(lines[line_k], points[point_j])
    foot = shapely.line_interpolate_point(lines[line_k], along)
    distance = shapely.distance(points[point_j], foot)
    taken = {str(r.get("id")) for r in nodes} | {j["id"] for j in junctions}
    services = []
    for j, k, s, f, d in zip(point_j, line_k, along, foot, distance, strict=True):
        consumer = str(nodes[has_xy[alone[j]]]["id"])
        if d <= tolerance_m and tolerance_m < s < shapely.length(lines[k]) - tolerance_m:
            splits.setdefault(int(k), []).append((float(s), consumer))
            warnings.append(f"building {consumer!r} at {_xy(points[j])} lies on pipe {ids[k]!r}: pipe split there")
            continue
        length = float(shapely.length(lines[k]))
        if s <= tolerance_m or s >= length - tolerance_m:  # the foot is the line's end: join there
            junction = end_node[k] if s <= tolerance_m else end_node[len(lines) + k]
        else:
            junction = _unique(f"J_{consumer}", taken)
            junctions.append(
                {"id": junction, "kind": "junction", "x_m": float(shapely.get_x(f)), "y_m": float(shapely.get_y(f))}
            )
            splits.setdefault(int(k), []).append((float(s), junction))
        pipe = {"id": _unique(f"S_{consumer}", taken), "from": junction, "to": consumer, "status": service.status}
        if service.status == "existing":
            pipe["dn"] = service.dn
        elif service.dn is not None:
            pipe["dn_options"] = [service.dn]
        geometry = shapely.linestrings([shapely.get_coordinates(f)[0], shapely.get_coordinates(points[j])[0]])
        pipe["_geometry"], pipe["_geometry_length_m"], pipe["_joined"] = geometry, max(float(d), 0.0), True
        services.append(pipe)
        warnings.append(
            f"building {consumer!r} at {_xy(points[j])} has no pipe: {service.status} service line {pipe['id']!r} "
            f"({d:.1f} m) to pipe {ids[k]!r} at {_xy(f)}"
        )
    return services


def _near_misses(ends, cluster_of, ids, tolerance_m, warnings) -> None:
    """Ends of different clusters closer than NEAR_FACTOR x the tolerance: reported, left apart."""
    if not len(ends):
        return
    n = len(ends) // 2
    a, b = shapely.STRtree(ends).query(ends, predicate="dwithin", distance=NEAR_FACTOR * tolerance_m)
    apart = (a < b) & (cluster_of[a] != cluster_of[b])
    seen = set()
    for i, j in zip(a[apart], b[apart], strict=True):
        key = (min(cluster_of[i], cluster_of[j]), max(cluster_of[i], cluster_of[j]))
        if key in seen:
            continue
        seen.add(key)
        warnings.append(
            f"nearly touching ends at {_xy(ends[i])} (pipe {ids[i % n]!r}) and {_xy(ends[j])} (pipe {ids[j % n]!r}), "
            f"{shapely.distance(ends[i], ends[j]):.2f} m apart (beyond snap_tolerance_m {tolerance_m:g}): not joined"
        )


def _split(record: dict, line, start: str, end: str, cuts: list[tuple[float, str]], warnings) -> list[dict]:
    """The pipe record with its ends, or its parts cut at `cuts` (distance along [m], node) with
    shapely.ops.substring, named ``<id>.1``, ``<id>.2``, ..."""
    cuts = sorted(cuts)
    stations = [0.0, *(s for s, _ in cuts), float(shapely.length(line))]
    names = [start, *(node for _, node in cuts), end]
    parts = []
    for k in range(len(stations) - 1):
        part = dict(record)
        if cuts:
            part["id"] = f"{record.get('id')}.{k + 1}"
            part.pop("length_m", None)  # each part's length comes from its geometry
        piece = substring(line, stations[k], stations[k + 1]) if cuts else line
        part.update(
            {"from": names[k], "to": names[k + 1], "_geometry": piece, "_geometry_length_m": float(piece.length)}
        )
        part["_joined"] = True
        parts.append(part)
    if cuts:
        warnings.append(f"pipe {record.get('id')!r} split into {', '.join(repr(p['id']) for p in parts)}")
    return parts


def far_ends(ids, lines, from_xy: np.ndarray, to_xy: np.ndarray, from_ids, to_ids, tolerance_m: float) -> list[str]:
    """One warning per pipe whose geometry's ends lie farther than the tolerance from its from/to nodes
    (in either direction of the line) [m]."""
    if not len(lines):
        return []
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    end = shapely.get_coordinates(shapely.get_point(lines, -1))
    forward = np.maximum(np.hypot(*(start - from_xy).T), np.hypot(*(end - to_xy).T))
    backward = np.maximum(np.hypot(*(start - to_xy).T), np.hypot(*(end - from_xy).T))
    gap = np.fmin(forward, backward)
    return [
        f"pipe {ids[k]!r}: its geometry ends {gap[k]:,.1f} m from its nodes {from_ids[k]!r} {_pair(from_xy[k])} "
        f"and {to_ids[k]!r} {_pair(to_xy[k])} (beyond snap_tolerance_m {tolerance_m:g}); its length comes "
        "from the geometry unless length_m is given"
        for k in np.flatnonzero(gap > tolerance_m)
    ]
