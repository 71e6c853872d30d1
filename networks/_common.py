"""Shared bits of the network build scripts: paths, the command line, the topotherm reader, GeoJSON output."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = ROOT / "networks"
DEFAULT_DATA = ROOT / "dhopt" / "data" / "default"  # the embedded default case, its network and series


def shared_dir(description: str) -> Path:
    """The shared-data folder from the command line (default ../shared/data next to the project root)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("shared", nargs="?", type=Path, default=ROOT / "../shared/data", help="shared data folder")
    return parser.parse_args().shared


def read_topotherm(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """topotherm district: nodes (index id; node_type, x_m, y_m), edges (id, from, to, length_m), peak W per consumer."""
    folder = shared / "topotherm_district"
    nodes = pd.read_csv(folder / "nodes.csv", index_col=0).rename(columns={"x_rel": "x_m", "y_rel": "y_m"})
    nodes.index.name = "id"
    edges = pd.read_csv(folder / "edges.csv").rename(columns={"edge": "id", "from_node": "from", "to_node": "to"})
    peak_W = pd.read_csv(folder / "consumers.csv").set_index("node")["peak_heat_W"]
    assert (len(nodes), len(edges), len(peak_W)) == (1939, 1973, 959)
    assert set(peak_W.index) == set(nodes.index[nodes["node_type"] == "ConsumerNode"])
    return nodes, edges, peak_W


def plant_capacity_MW(total_peak_kW: float) -> float:
    """Existing gas boiler sized 1.2 x the total consumer peak, rounded up to a whole MW."""
    return float(math.ceil(1.2 * total_peak_kW / 1000.0))


def _clean(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}


def point(properties: dict, x: float, y: float) -> dict:
    return {
        "type": "Feature",
        "properties": _clean(properties),
        "geometry": {"type": "Point", "coordinates": [round(x, 2), round(y, 2)]},
    }


def line(properties: dict, coordinates) -> dict:
    coords = [[round(x, 2), round(y, 2)] for x, y in coordinates]
    return {
        "type": "Feature",
        "properties": _clean(properties),
        "geometry": {"type": "LineString", "coordinates": coords},
    }


def write_geojson(path: Path, note: str, features: list[dict]) -> None:
    """One FeatureCollection, one feature per line (small diffs), with a top-level ``dhopt_note``."""
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    note_json = json.dumps(note, ensure_ascii=False)
    path.write_text(
        f'{{"type":"FeatureCollection","dhopt_note":{note_json},"features":[\n{body}\n]}}\n', encoding="utf-8"
    )
