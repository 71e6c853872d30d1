"""Build networks/heide.geojson from the DHNx Heide (OSM) example network.

Run by hand from the project root (reads the shared reference data, never at run time):

    python networks/build_heide.py [SHARED_DATA_DIR]   # default ../shared/data

consumers -> consumer (peak_kW = P_heat_max, profile residential), forks -> junction, the producer ->
plant gas_boiler sized 1.2 x the total peak (rounded up to a whole MW), pipes -> candidate pipes
(whole DN catalogue) with from/to/length_m. Node ids are DHNx's id_full, pipe ids "pipes-<id>".
Coordinates: EPSG:4647 minus OFFSET (recorded in the file's dhopt_note); other properties are dropped.
"""

from __future__ import annotations

import json

from _common import NETWORKS, line, plant_capacity_MW, point, shared_dir, write_geojson

OFFSET = (32_500_000.0, 6_000_000.0)
NOTE = (
    "Heide (DE) district-heating network from DHNx (MIT); geometry (c) OpenStreetMap contributors, ODbL 1.0. "
    f"Coordinates are EPSG:4647 (ETRS89 / UTM zone 32N with zone prefix) MINUS an offset of "
    f"x {OFFSET[0]:,.0f} m, y {OFFSET[1]:,.0f} m: add it back to get EPSG:4647. Built by networks/build_heide.py."
)


def main() -> None:
    folder = shared_dir(__doc__.splitlines()[0]) / "dhnx_heide_network"
    layers = {
        name: json.loads((folder / f"{name}.geojson").read_text(encoding="utf-8"))["features"]
        for name in ("consumers", "forks", "producers", "pipes")
    }

    def shifted(xy):
        return xy[0] - OFFSET[0], xy[1] - OFFSET[1]

    total_peak_kW = sum(f["properties"]["P_heat_max"] for f in layers["consumers"])
    features = []
    for f in layers["producers"]:
        props = {
            "id": f["properties"]["id_full"],
            "kind": "plant",
            "technology": "gas_boiler",
            "capacity_MW": plant_capacity_MW(total_peak_kW),
        }
        features.append(point(props, *shifted(f["geometry"]["coordinates"])))
    for f in layers["forks"]:
        features.append(
            point({"id": f["properties"]["id_full"], "kind": "junction"}, *shifted(f["geometry"]["coordinates"]))
        )
    for f in layers["consumers"]:
        props = {
            "id": f["properties"]["id_full"],
            "kind": "consumer",
            "peak_kW": float(f["properties"]["P_heat_max"]),
            "profile": "residential",
        }
        features.append(point(props, *shifted(f["geometry"]["coordinates"])))
    for f in layers["pipes"]:
        p = f["properties"]
        props = {
            "id": f"pipes-{p['id']}",
            "from": p["from_node"],
            "to": p["to_node"],
            "length_m": round(p["length"], 2),
            "status": "candidate",
        }
        features.append(line(props, [shifted(xy) for xy in f["geometry"]["coordinates"]]))

    write_geojson(NETWORKS / "heide.geojson", NOTE, features)
    ids = [f["properties"]["id"] for f in features]
    assert len(ids) == len(set(ids)) == 158 + 164 + 1 + 333
    print(
        f"heide: {len(features) - len(layers['pipes'])} nodes, {len(layers['pipes'])} candidate pipes "
        f"({sum(f['properties']['length'] for f in layers['pipes']):,.0f} m); peak {total_peak_kW / 1000:.3f} MW, "
        f"plant {plant_capacity_MW(total_peak_kW):.0f} MW"
    )


if __name__ == "__main__":
    main()
