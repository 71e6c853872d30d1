"""Synthetic district-heating networks for the benchmarks: a street grid with house connections.

    python benchmarks/synthetic.py HOMES [--flavour existing|candidate] [--seed 0] [--out DIR]
                                         [--hours 8760] [--start-hour 0]

writes ``DIR/<name>.geojson`` (docs/formats.md) and ``DIR/<name>.toml`` (a case pointing to it and to
``dhopt/data/default/dk_2019_hourly.csv``) and prints the case path. The same arguments give the same files.

The district (assumptions, not survey data):

- **Streets**: a k x k grid of junctions ~100 m apart (+-8 m jitter), k the smallest grid whose street
  frontage holds every building (20 m per plot and side, so ~10 plots per 100 m street). Each street
  between two crossings is a chain of junctions, one tap point per building on it.
- **Buildings**: 1-20 homes each; 82 % single houses, 8 % two-family houses, 6 % terraced rows of 3-6,
  4 % apartment blocks of 8-20 (the last building is trimmed so the homes add up exactly). One
  `consumer` node per building (`homes`, profile `residential`), joined to its tap point by a 10-25 m
  service pipe.
- **Plant site** at the west edge, 150 m from the grid, with two plants 20 m either side of it:
  `peak_boilers` (gas_boiler, 1.3 x the undiversified peak demand) and `wte` (waste_to_energy, 10 % of
  the peak, must-run half the lowest hourly demand so summer never has a surplus).
- **Campus**: a liquid-cooled data-center campus of 2.8 kW IT per home, 2-3 km west of the plant site
  (trench 1.07 x the straight line), with one candidate `transmission` pipe whose DN options run from a
  quarter to all of the heat its heat pumps can deliver.
- **Flavours**: `existing` keeps the shortest-path tree (by length) from the plant site, prunes junction
  dead ends, and sizes every pipe as networks/build_ballerup.py does (smallest catalogue DN whose capacity
  at the worst hour covers 1.15 x the downstream demand; plant links for 1.15 x the plant at the smallest
  temperature difference); `candidate` keeps the whole grid (street loops included) with every pipe a
  candidate, DN options from DN20 to the smallest DN carrying 1.15 x what could ever flow through it.
- **Binding pipes** (`--bind-share S`, existing flavour): S x the district's pipes (street and service, not
  the plant links), drawn from those a smaller catalogue DN exists for, are laid too small for today's demand:
  the largest DN whose capacity at the worst hour is below 0.9 x the downstream demand (no margin), as in a
  network whose demand grew; each cannot carry its downstream demand at the worst hour.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from dhopt.case import Pipes
from dhopt.data import DEFAULT_TIMESERIES as SERIES
from dhopt.physics import allowed_mass_flow_kg_per_s, heating_curve, pipe_capacity_MW, pipe_catalogue

FLAVOURS = ("existing", "candidate")

HOME_MWH = 18.1  # Danish standard house (DEA), the case default [MWh/yr]
IT_KW_PER_HOME = 2.8  # IT load of the campus per home served [kW]
BLOCK_M = 100.0  # distance between street crossings [m]
JITTER_M = 8.0  # crossings are moved by up to this much [m]
PLOT_M = 20.0  # street frontage of one plot [m]
SERVICE_M = (10.0, 25.0)  # service pipe length, building to tap point [m]
PLANT_OFFSET_M = 150.0  # plant site to the grid's west edge [m]
PLANT_LINK_M = 20.0  # plant to plant site [m]
TRANSMISSION_M = (2000.0, 3000.0)  # campus transmission trench [m]
TRENCH_PER_STRAIGHT = 1.07  # trench length per metre of straight line [-]
MARGIN = 1.15  # sizing head-room over the downstream demand [-]
PEAK_BOILER_SHARE = 1.3  # gas peak boilers per MW of undiversified peak demand [-]
WTE_SHARE = 0.10  # waste-to-energy capacity per MW of peak demand [-]
IMPORT_LIMIT_PER_IT = 12.0 / 22.5  # grid import limit per MW IT, as in the default case [-]
# building size classes: (share of buildings, smallest, largest homes, plots of frontage)
BUILDINGS = ((0.82, 1, 1, 1), (0.08, 2, 2, 1), (0.06, 3, 6, 2), (0.04, 8, 20, 3))
# case defaults the sizing relies on (dhopt.case): heating curve 80/65 degC at -12/16 degC, return 40 degC
SUPPLY_MAX_DEGC, SUPPLY_MIN_DEGC, DESIGN_DEGC, LIMIT_DEGC, RETURN_DEGC = 80.0, 65.0, -12.0, 16.0, 40.0


@dataclass(frozen=True)
class District:
    """A generated district: GeoJSON features plus the figures it was built from."""

    features: list[dict]
    flavour: str
    homes: int
    buildings: int
    peak_MW: float  # undiversified peak demand of all homes [MW]
    it_load_MW: float  # campus IT load [MW]
    transmission_m: float  # candidate transmission trench [m]

    @property
    def nodes(self) -> int:
        return sum(f["geometry"]["type"] == "Point" for f in self.features)

    @property
    def pipes(self) -> int:
        return sum(f["geometry"]["type"] == "LineString" for f in self.features)


@dataclass(frozen=True)
class _Sizing:
    """Pipe capacities per kelvin by DN and the worst hour of the default series."""

    capacity_MW_per_K: pd.Series  # dn -> MW/K
    worst_MW_per_K_per_MWh: float  # max_t share_t / dT_t: MW/K needed per MWh/yr of residential demand
    smallest_delta_K: float  # smallest supply - return temperature difference of the year [K]
    peak_share: float  # largest hourly residential share [1/h]
    lowest_share: float  # smallest hourly residential share [1/h]


def _sizing(series_path: Path = SERIES) -> _Sizing:
    series = pd.read_csv(series_path)
    catalogue, basis = pipe_catalogue(), Pipes()  # the default hydraulic basis
    flow = allowed_mass_flow_kg_per_s(
        catalogue["inner_diameter_m"].to_numpy(), basis.max_pressure_drop_Pa_per_m, basis.max_velocity_m_per_s
    )
    capacity = pd.Series(pipe_capacity_MW(flow, 1.0), index=catalogue.index)
    supply = heating_curve(
        series["outdoor_temperature_degC"].to_numpy(), SUPPLY_MAX_DEGC, SUPPLY_MIN_DEGC, DESIGN_DEGC, LIMIT_DEGC
    )
    delta_K = supply - RETURN_DEGC
    share = series["residential"].to_numpy()
    return _Sizing(
        capacity, float((share / delta_K).max()), float(delta_K.min()), float(share.max()), float(share.min())
    )


def smallest_dn(capacity_MW_per_K: pd.Series, need_MW_per_K: float) -> int:
    """Smallest catalogue DN carrying `need_MW_per_K` [MW/K]; the largest DN if none does.

    >>> smallest_dn(_sizing().capacity_MW_per_K, 0.0)
    20
    """
    enough = capacity_MW_per_K.index[capacity_MW_per_K >= need_MW_per_K]
    return int(enough[0]) if len(enough) else int(capacity_MW_per_K.index[-1])


def peak_day_start_hour(series_path: Path = SERIES, profile: str = "residential") -> int:
    """First hour of the day that holds the largest hourly value of `profile` [h].

    >>> peak_day_start_hour() % 24
    0
    """
    share = pd.read_csv(series_path)[profile].to_numpy()
    return int(share.argmax()) // 24 * 24


def _building_sizes(homes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Homes and plots of frontage per building; the homes add up to exactly `homes`."""
    shares = np.array([c[0] for c in BUILDINGS])
    sizes, plots, total = [], [], 0
    while total < homes:
        low, high, width = BUILDINGS[rng.choice(len(BUILDINGS), p=shares / shares.sum())][1:]
        size = min(int(rng.integers(low, high + 1)), homes - total)
        sizes.append(size)
        plots.append(width)
        total += size
    return np.array(sizes, dtype=int), np.array(plots, dtype=int)


def _point(props: dict, xy) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": _rounded(xy)}}


def _line(props: dict, a, b) -> dict:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": [_rounded(a), _rounded(b)]},
    }


def _rounded(xy) -> list[float]:
    return [round(float(xy[0]), 2), round(float(xy[1]), 2)]


def _length(a, b) -> float:
    return max(round(math.dist(_rounded(a), _rounded(b)), 2), 0.5)


def district(
    homes: int, flavour: str = "existing", seed: int = 0, series_path: Path = SERIES, bind_share: float = 0.0
) -> District:
    """Generate the district of `homes` homes (see the module docstring); deterministic from `seed`;
    `bind_share`: the share of pipes laid too small (existing flavour)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour: expected one of {FLAVOURS}, got {flavour!r}")
    if homes < 1:
        raise ValueError(f"homes: expected at least 1, got {homes}")
    rng = np.random.default_rng(seed)
    sizing = _sizing(series_path)
    sizes, plots = _building_sizes(homes, rng)

    # Street grid: k x k crossings, enough street frontage (both sides) for every plot.
    plots_per_street = 2 * int(BLOCK_M // PLOT_M)
    k = 2
    while 2 * k * (k - 1) * plots_per_street < plots.sum():
        k += 1
    crossing = {
        (r, c): np.array([c * BLOCK_M, r * BLOCK_M]) + rng.uniform(-JITTER_M, JITTER_M, 2)
        for r in range(k)
        for c in range(k)
    }
    entry = (k // 2, 0)
    # streets ordered outwards from the plant's entry crossing, so a small district is compact
    streets = [((r, c), (r, c + 1)) for r in range(k) for c in range(k - 1)]
    streets += [((r, c), (r + 1, c)) for r in range(k - 1) for c in range(k)]
    streets.sort(key=lambda s: (abs(s[0][0] + s[1][0] - 2 * entry[0]) + s[0][1] + s[1][1], s))
    per_street = np.array_split(np.arange(len(sizes)), len(streets))

    def junction(rc) -> str:
        return f"j{rc[0]}_{rc[1]}"

    nodes: dict[str, tuple[dict, np.ndarray]] = {
        junction(rc): ({"kind": "junction"}, xy) for rc, xy in crossing.items()
    }
    pipes: list[tuple[str, str, str, str]] = []  # (id, from, to, role) with role street / service / main / link
    building_of: dict[str, int] = {}
    for s, ((a, b), members) in enumerate(zip(streets, per_street)):
        start, end = crossing[a], crossing[b]
        along = (end - start) / np.linalg.norm(end - start)
        normal = np.array([-along[1], along[0]])
        previous = junction(a)
        for i, building in enumerate(members):
            tap = f"t{s}_{i}"
            tap_xy = start + (i + 0.5) / len(members) * (end - start)
            side = 1.0 if i % 2 == 0 else -1.0
            consumer = f"b{building}"
            nodes[tap] = ({"kind": "junction"}, tap_xy)
            nodes[consumer] = (
                {"kind": "consumer", "homes": float(sizes[building]), "profile": "residential"},
                tap_xy + side * rng.uniform(*SERVICE_M) * normal,
            )
            building_of[consumer] = int(building)
            pipes.append((f"s{s}_{i}", previous, tap, "street"))
            pipes.append((f"h{building}", tap, consumer, "service"))
            previous = tap
        pipes.append((f"s{s}_{len(members)}", previous, junction(b), "street"))

    # Plant site, plants and campus west of the grid.
    peak_MW = homes * HOME_MWH * sizing.peak_share
    site_xy = crossing[entry] - np.array([PLANT_OFFSET_M, 0.0])
    nodes["plant_site"] = ({"kind": "junction"}, site_xy)
    pipes.append(("main", "plant_site", junction(entry), "main"))
    boiler_MW = math.ceil(PEAK_BOILER_SHARE * peak_MW * 10) / 10
    wte_MW = math.ceil(WTE_SHARE * peak_MW * 100) / 100
    must_run_MW = round(0.5 * homes * HOME_MWH * sizing.lowest_share, 4)
    plants = {
        "peak_boilers": ({"kind": "plant", "technology": "gas_boiler", "capacity_MW": boiler_MW}, -1.0),
        "wte": (
            {"kind": "plant", "technology": "waste_to_energy", "capacity_MW": wte_MW, "must_run_MW": must_run_MW},
            1.0,
        ),
    }
    for plant, (props, sign) in plants.items():
        nodes[plant] = (props, site_xy + np.array([0.0, sign * PLANT_LINK_M]))
        pipes.append((f"{plant}_link", plant, "plant_site", "link"))
    it_load_MW = round(homes * IT_KW_PER_HOME / 1000.0, 4)
    transmission_m = round(float(rng.uniform(*TRANSMISSION_M)), 1)
    nodes["campus"] = (
        {
            "kind": "source",
            "it_load_MW": it_load_MW,
            "cooling": "liquid",
            "source_temperature_degC": 45.0,
            "recovered_share": 0.95,
            "profile": "it_utilisation",
        },
        site_xy - np.array([transmission_m / TRENCH_PER_STRAIGHT, 0.0]),
    )
    capacity = sizing.capacity_MW_per_K
    campus_need_MW_per_K = 1.3 * it_load_MW * 0.95 / sizing.smallest_delta_K  # heat-pump output, COP >= 4.3
    transmission_dns = [
        int(dn)
        for dn in capacity.index
        if smallest_dn(capacity, 0.25 * campus_need_MW_per_K) <= dn <= smallest_dn(capacity, campus_need_MW_per_K)
    ]

    # Pipe sizes (existing) or DN options (candidate).
    graph = nx.Graph()
    for pipe, u, v, _ in pipes:
        graph.add_edge(u, v, id=pipe, length_m=_length(nodes[u][1], nodes[v][1]))
    homes_of = {consumer: float(sizes[b]) for consumer, b in building_of.items()}
    link_need = {
        f"{p}_link": MARGIN * props["capacity_MW"] / sizing.smallest_delta_K for p, (props, _) in plants.items()
    }
    per_home = MARGIN * HOME_MWH * sizing.worst_MW_per_K_per_MWh  # MW/K per downstream home
    sized: dict[str, dict] = {}
    if flavour == "existing":
        tree_dn = _tree_sizes(graph, homes_of, per_home, capacity)
        for pipe, dn in _undersized(tree_dn, bind_share, capacity, rng).items():
            sized[pipe] = {"status": "existing", "dn": dn}
        for pipe, need in link_need.items():
            sized[pipe] = {"status": "existing", "dn": smallest_dn(capacity, need)}
    else:
        for pipe, _, consumer, role in pipes:
            need = {"service": per_home * homes_of.get(consumer, 0.0), "link": link_need.get(pipe, 0.0)}
            largest = smallest_dn(capacity, need.get(role, per_home * homes))
            sized[pipe] = {"status": "candidate", "dn_options": [int(dn) for dn in capacity.index if dn <= largest]}
    keep = set(sized)
    used = {u for pipe, u, v, _ in pipes if pipe in keep} | {v for pipe, u, v, _ in pipes if pipe in keep}

    features = [
        _point({"id": node, **props}, xy) for node, (props, xy) in nodes.items() if node in used or node == "campus"
    ]
    features += [
        _line(
            {"id": pipe, "from": u, "to": v, "length_m": graph.edges[u, v]["length_m"], **sized[pipe]},
            nodes[u][1],
            nodes[v][1],
        )
        for pipe, u, v, _ in pipes
        if pipe in keep
    ]
    features.append(
        _line(
            {
                "id": "transmission",
                "from": "campus",
                "to": "plant_site",
                "length_m": transmission_m,
                "status": "candidate",
                "dn_options": transmission_dns,
            },
            nodes["campus"][1],
            site_xy,
        )
    )
    return District(features, flavour, homes, len(sizes), peak_MW, it_load_MW, transmission_m)


def _tree_sizes(graph: nx.Graph, homes_of: dict, per_home_MW_per_K: float, capacity: pd.Series) -> dict[str, tuple]:
    """(DN, capacity it needs [MW/K]) of each pipe of the shortest-path tree from the plant site, dead-end
    junctions pruned."""
    paths = nx.shortest_path(graph, "plant_site", weight="length_m")
    tree = nx.Graph()
    tree.add_edges_from((path[-2], node) for node, path in paths.items() if len(path) > 1)
    leaves = [n for n, d in tree.degree() if d == 1 and n not in homes_of and n != "plant_site"]
    while leaves:
        tree.remove_nodes_from(leaves)
        leaves = [n for n, d in tree.degree() if d == 1 and n not in homes_of and n != "plant_site"]
    down = {n: homes_of.get(n, 0.0) for n in tree}
    dn = {}
    for node in sorted(tree, key=lambda n: len(paths[n]), reverse=True):  # leaves first
        if node == "plant_site":
            continue
        parent = paths[node][-2]
        down[parent] += down[node]
        need = per_home_MW_per_K * down[node]
        dn[graph.edges[parent, node]["id"]] = (smallest_dn(capacity, need), need)
    return dn


def _undersized(sizes: dict[str, tuple], share: float, capacity: pd.Series, rng) -> dict[str, int]:
    """DN of each pipe of `sizes` ((DN, need [MW/K]), `_tree_sizes`), `share` of them (of all, drawn from
    those a catalogue DN can undersize) too small: the largest DN whose capacity is below 0.9 / MARGIN of
    the need, so it binds at the worst hour."""
    small = {pipe: dn for pipe, (dn, _) in sizes.items()}
    below = {p: capacity.index[capacity < 0.9 / MARGIN * need] for p, (_, need) in sizes.items()}
    eligible = sorted(p for p, dns in below.items() if len(dns))
    count = min(round(share * len(sizes)), len(eligible))
    for pipe in rng.choice(eligible, size=count, replace=False) if count else []:
        small[pipe] = int(below[pipe][-1])
    return small


def write_geojson(path: Path, dist: District) -> Path:
    """One FeatureCollection, one feature per line."""
    note = json.dumps(
        f"Synthetic street-grid district, {dist.homes} homes in {dist.buildings} buildings, flavour "
        f"{dist.flavour}; generated by benchmarks/synthetic.py (coordinates in m, not a real CRS)."
    )
    body = ",\n".join(json.dumps(f, separators=(",", ":")) for f in dist.features)
    path.write_text(f'{{"type":"FeatureCollection","dhopt_note":{note},"features":[\n{body}\n]}}\n', encoding="utf-8")
    return path


def write_case(
    directory: Path,
    network: Path,
    name: str,
    hours: int = 8760,
    start_hour: int = 0,
    import_limit_MW: float | None = None,
    series_path: Path = SERIES,
    demand: dict | None = None,
) -> Path:
    """A case TOML for `network` over `hours` hours from `start_hour`, with `demand` keys (e.g.
    ``connect_all``) if given; every other parameter at its default."""
    lines = [
        f'name = "{name}"',
        f'description = "synthetic benchmark case ({network.name})"',
        f"network = {json.dumps(str(network.resolve()))}",
        f"timeseries = {json.dumps(str(Path(series_path).resolve()))}",
        "[horizon]",
        f"start_hour = {start_hour}",
        f"hours = {hours}",
    ]
    if import_limit_MW is not None:
        lines += ["[grid]", f"import_limit_MW = {import_limit_MW!r}"]
    if demand:
        lines += ["[demand]"] + [f"{key} = {json.dumps(value)}" for key, value in demand.items()]
    path = Path(directory) / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_district(
    directory: str | Path,
    homes: int,
    flavour: str = "existing",
    seed: int = 0,
    hours: int = 8760,
    start_hour: int = 0,
    name: str | None = None,
    bind_share: float = 0.0,
) -> Path:
    """Generate a district and write its network and case into `directory`; return the case path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    binding = f"_bind{round(100 * bind_share)}" if bind_share else ""
    name = name or f"synthetic_{flavour}_{homes}{binding}_s{seed}"
    dist = district(homes, flavour, seed, bind_share=bind_share)
    network = write_geojson(directory / f"{name}.geojson", dist)
    limit = max(round(IMPORT_LIMIT_PER_IT * dist.it_load_MW, 3), 0.001)
    return write_case(directory, network, name, hours, start_hour, limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("homes", type=int, help="number of homes (100-20,000 benchmarked)")
    parser.add_argument("--flavour", choices=FLAVOURS, default="existing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("."), help="directory for the .geojson and .toml")
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--start-hour", type=int, default=0, help="first hour of the horizon [h]")
    parser.add_argument("--peak-day", action="store_true", help="start at the peak-demand day (overrides --start-hour)")
    parser.add_argument("--bind-share", type=float, default=0.0, help="share of pipes laid too small (existing)")
    args = parser.parse_args()
    start = peak_day_start_hour() if args.peak_day else args.start_hour
    print(write_district(args.out, args.homes, args.flavour, args.seed, args.hours, start, bind_share=args.bind_share))


if __name__ == "__main__":
    main()
