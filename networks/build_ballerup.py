"""Build dhopt/data/default/ballerup.geojson, the default case's network: a stand-in for a Ballerup (Greater
Copenhagen) district-heating network that takes the heat of a 22.5 MW liquid-cooled data-center campus.

Run by hand from the project root (reads the shared reference data, never at run time):

    python networks/build_ballerup.py [SHARED_DATA_DIR]   # default ../shared/data

Starting from the topotherm district graph (anonymised German district, coordinates in m):
- its 959 consumers are re-weighted to HOMES standard Danish homes in total (homes proportional to
  peak_heat_W, 2 decimals, largest-remainder rounding so the sum is exact), profile residential;
- its producer node becomes `plant_site`, joined by existing DN600 20 m pipes to two plants: `wte`
  (waste_to_energy 5 MW, must-run 1.5 MW) and `peak_boilers` (gas_boiler 70 MW);
- dead-end streets without consumers are pruned (junction leaves removed until none is left);
- every district pipe becomes EXISTING, sized on the shortest-path tree (by length) from plant_site for
  the undiversified hourly demand the model itself uses: the smallest catalogue DN whose capacity
  max_flow x c_p x (T_s,t - T_r) covers MARGIN x downstream homes x 18.1 MWh x residential share_t in
  every hour of the default time series (heating curve 80/65 degC at -12/16 degC outdoor, return 40
  degC). Pipes off the tree (street loops) are left out: the distribution network is radial, as most
  Danish distribution networks are;
- a `campus` source is placed 3,000 m north of plant_site, with two CANDIDATE connection routes:
  `transmission` to plant_site (3,200 m trench, DN250-500) and `north`, a shorter route to the
  nearest node of the district's DN250 north branch (trench TRENCH_FACTOR x the straight line,
  DN250-350), from where the campus heat reaches the rest of the district only through that
  branch's DN250 pipes.
"""

from __future__ import annotations

import json
import sys

import networkx as nx
import numpy as np
import pandas as pd
from _common import (
    DEFAULT_DATA,
    ROOT,
    line,
    point,
    read_topotherm,
    shared_dir,
    write_geojson,
)

HOMES = 8000
HOME_MWH = 18.1  # Danish standard house, 130 m2 (DEA) [MWh/yr]
MARGIN = 1.15  # head-room for network losses and rounding [-]
PLANT_SITE = "plant_site"
CAMPUS_DISTANCE_M = 3000.0  # straight line from plant_site to the campus, due north [m]
TRANSMISSION_M = 3200.0  # trench of the transmission line to plant_site [m]
TRENCH_FACTOR = TRANSMISSION_M / CAMPUS_DISTANCE_M  # trench length over straight line, both routes [-]
NORTH_BRANCH_DN = 250  # the north route joins the nearest node on an existing pipe of this DN
NOTE = (
    "Synthetic stand-in for a Ballerup (Greater Copenhagen) district-heating network, default dhopt case. "
    "Topology, lengths and relative sizes from the topotherm one-producer district (MIT; an anonymised real "
    "German district, coordinates in m relative to an arbitrary origin, NOT a real CRS), re-weighted to 8,000 "
    "Danish standard homes; pipe DNs are sized by rule (see networks/README.md), not surveyed. "
    "Built by networks/build_ballerup.py."
)


def homes_per_consumer(peak_W: pd.Series) -> pd.Series:
    """HOMES split in proportion to peak_W, in hundredths, by largest remainder (sum exactly HOMES)."""
    exact = peak_W / peak_W.sum() * HOMES * 100
    cents = np.floor(exact).astype(int)
    short = HOMES * 100 - int(cents.sum())
    cents[(exact - cents).sort_values(ascending=False).index[:short]] += 1
    return cents / 100


def size_pipes(graph: nx.Graph, homes: pd.Series) -> tuple[dict[str, int], set[str]]:
    """DN of every pipe (id -> DN) and the ids of the shortest-path tree pipes."""
    sys.path.insert(0, str(ROOT))
    from dhopt.physics import heating_curve, pipe_capacity_MW, pipe_catalogue

    catalogue = pipe_catalogue()
    capacity_per_K = pd.Series(pipe_capacity_MW(catalogue["max_mass_flow_kg_per_s"], 1.0), index=catalogue.index)
    series = pd.read_csv(DEFAULT_DATA / "dk_2019_hourly.csv")
    delta_t_K = heating_curve(series["outdoor_temperature_degC"], 80.0, 65.0, -12.0, 16.0) - 40.0
    worst_MW_per_K_per_MWh = float((series["residential"] / delta_t_K).max())  # max_t share_t / dT_t
    paths = nx.shortest_path(graph, PLANT_SITE, weight="length_m")
    down_homes = {n: float(homes.get(n, 0.0)) for n in graph}
    dn, tree = {}, set()
    for node in sorted(paths, key=lambda n: len(paths[n]), reverse=True):  # leaves first
        if node == PLANT_SITE:
            continue
        parent = paths[node][-2]
        down_homes[parent] += down_homes[node]
        need_MW_per_K = MARGIN * down_homes[node] * HOME_MWH * worst_MW_per_K_per_MWh
        pipe = graph.edges[parent, node]["id"]
        dn[pipe] = int(capacity_per_K.index[capacity_per_K >= need_MW_per_K][0])
        tree.add(pipe)
    assert abs(down_homes[PLANT_SITE] - HOMES) < 1e-6
    return dn, tree


def main() -> None:
    nodes, edges, peak_W = read_topotherm(shared_dir(__doc__.splitlines()[0]))
    producer = nodes.index[nodes["node_type"] == "ProducerNode"][0]
    nodes = nodes.rename(index={producer: PLANT_SITE})
    edges[["from", "to"]] = edges[["from", "to"]].replace(producer, PLANT_SITE)
    homes = homes_per_consumer(peak_W)
    graph = nx.Graph()
    rows = list(zip(edges["id"], edges["from"], edges["to"], edges["length_m"]))
    graph.add_edges_from((u, v, {"id": pipe, "length_m": length}) for pipe, u, v, length in rows)
    dead_ends = [n for n, degree in graph.degree() if degree == 1 and n not in homes.index and n != PLANT_SITE]
    while dead_ends:
        graph.remove_nodes_from(dead_ends)
        dead_ends = [n for n, degree in graph.degree() if degree == 1 and n not in homes.index and n != PLANT_SITE]
    nodes = nodes.loc[list(graph.nodes)]
    rows = [(d["id"], u, v, d["length_m"]) for u, v, d in graph.edges(data=True)]
    dn, tree = size_pipes(graph, homes)

    xy = nodes[["x_m", "y_m"]]
    site = xy.loc[PLANT_SITE].to_numpy()
    north = np.array([0.0, 1.0])
    side = np.array([-north[1], north[0]])  # perpendicular: the plants sit beside the site, off the transmission line
    campus = site + CAMPUS_DISTANCE_M * north
    on_branch = {n for pipe, u, v, _ in rows if dn.get(pipe) == NORTH_BRANCH_DN for n in (u, v)} - {PLANT_SITE}
    joint = min(sorted(on_branch), key=lambda n: np.hypot(*(xy.loc[n].to_numpy() - campus)))
    joint_m = float(np.hypot(*(xy.loc[joint].to_numpy() - campus)))
    features = [
        point({"id": PLANT_SITE, "kind": "junction"}, *site),
        point(
            {"id": "wte", "kind": "plant", "technology": "waste_to_energy", "capacity_MW": 5.0, "must_run_MW": 1.5},
            *(site + 20.0 * side),
        ),
        point(
            {"id": "peak_boilers", "kind": "plant", "technology": "gas_boiler", "capacity_MW": 70.0},
            *(site - 20.0 * side),
        ),
        point(
            {
                "id": "campus",
                "kind": "source",
                "it_load_MW": 22.5,
                "cooling": "liquid",
                "source_temperature_degC": 45.0,
                "recovered_share": 0.95,
                "profile": "it_utilisation",
            },
            *campus,
        ),
    ]
    for node, (x, y) in xy.drop(PLANT_SITE).iterrows():
        props = {"id": node, "kind": "junction"}
        if node in homes.index:
            props = {"id": node, "kind": "consumer", "homes": float(homes[node]), "profile": "residential"}
        features.append(point(props, x, y))
    for plant, sign in (("wte", 1.0), ("peak_boilers", -1.0)):
        props = {
            "id": f"{plant}_link",
            "from": plant,
            "to": PLANT_SITE,
            "length_m": 20.0,
            "status": "existing",
            "dn": 600,
        }
        features.append(line(props, [site + sign * 20.0 * side, site]))
    for pipe, u, v, length in rows:
        if pipe not in tree:
            continue
        props = {"id": pipe, "from": u, "to": v, "length_m": length, "status": "existing", "dn": dn[pipe]}
        features.append(line(props, [xy.loc[u], xy.loc[v]]))
    features.append(
        line(
            {
                "id": "transmission",
                "from": "campus",
                "to": PLANT_SITE,
                "length_m": TRANSMISSION_M,
                "status": "candidate",
                "dn_options": [250, 300, 350, 400, 450, 500],
            },
            [campus, site],
        )
    )
    features.append(
        line(
            {
                "id": "north",
                "from": "campus",
                "to": joint,
                "length_m": round(TRENCH_FACTOR * joint_m),
                "status": "candidate",
                "dn_options": [250, 300, 350],
            },
            [campus, xy.loc[joint].to_numpy()],
        )
    )
    write_geojson(DEFAULT_DATA / "ballerup.geojson", NOTE, features)
    print(f"ballerup: {len(tree)} of {len(rows)} district pipes kept (the shortest-path tree)")
    print(f"north route: campus -> {joint} ({joint_m:,.0f} m straight, {TRENCH_FACTOR * joint_m:,.0f} m trench)")
    verify()


def verify() -> None:
    """Read ballerup.geojson back and print the checks."""
    features = json.loads((DEFAULT_DATA / "ballerup.geojson").read_text(encoding="utf-8"))["features"]
    props = [f["properties"] for f in features]
    nodes = {p["id"]: p for p, f in zip(props, features) if f["geometry"]["type"] == "Point"}
    pipes = [p for p, f in zip(props, features) if f["geometry"]["type"] == "LineString"]
    assert len({p["id"] for p in props}) == len(props), "duplicate ids"
    consumers = [n for n, p in nodes.items() if p["kind"] == "consumer"]
    total = sum(nodes[n]["homes"] for n in consumers)
    graph = nx.Graph((p["from"], p["to"]) for p in pipes if p["status"] == "existing")
    reachable = nx.node_connected_component(graph, PLANT_SITE)
    assert abs(total - HOMES) < 1e-6 and set(consumers) <= reachable
    existing = pd.Series([p["dn"] for p in pipes if p["status"] == "existing"])
    length = pd.Series([p["length_m"] for p in pipes if p["status"] == "existing"])
    at_site = [
        p["dn"] for p in pipes if PLANT_SITE in (p["from"], p["to"]) and p["status"] == "existing" and p["dn"] != 600
    ]
    print(
        f"nodes {len(nodes)} ({pd.Series([p['kind'] for p in nodes.values()]).value_counts().to_dict()}), pipes "
        f"{len(pipes)}; homes {total:,.2f}; all {len(consumers)} consumers reachable from {PLANT_SITE} over existing pipes"
    )
    histogram = pd.DataFrame({"pipes": existing.value_counts(), "length_m": length.groupby(existing).sum().round(0)})
    print("DN histogram of existing pipes:\n" + histogram.sort_index().to_string())
    print(
        f"largest existing district DN at {PLANT_SITE}: DN{max(at_site)} (site pipes: {sorted(at_site)}; plant links DN600)"
    )


if __name__ == "__main__":
    main()
