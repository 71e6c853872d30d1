"""Small networks and cases written to a temporary directory, for tests whose answer is known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
HOURS_PER_YEAR = 8760


def write_network(directory: Path, nodes: list[tuple], pipes: list[tuple], name: str = "net.geojson") -> Path:
    """nodes: (id, x_m, y_m, properties); pipes: (id, from, to, properties). Straight-line geometry."""
    xy = {node_id: (x, y) for node_id, x, y, _ in nodes}
    features = [
        {"type": "Feature", "properties": {"id": i, **p}, "geometry": {"type": "Point", "coordinates": [x, y]}}
        for i, x, y, p in nodes
    ]
    features += [
        {
            "type": "Feature",
            "properties": {"id": i, "from": a, "to": b, **p},
            "geometry": {"type": "LineString", "coordinates": [list(xy[a]), list(xy[b])]},
        }
        for i, a, b, p in pipes
    ]
    path = directory / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def write_series(directory: Path, hours: int, **columns) -> Path:
    """Hourly CSV; scalar columns are repeated. Defaults: -20 degC (supply at its maximum),
    40 EUR/MWh, residential share 1/8760 (so annual_heat_MWh / 8760 is the hourly demand in MW),
    full IT utilisation."""
    frame = pd.DataFrame({"hour": np.arange(hours)})
    defaults = {
        "outdoor_temperature_degC": -20.0,
        "electricity_price_EUR_per_MWh": 40.0,
        "residential": 1.0 / HOURS_PER_YEAR,
        "it_utilisation": 1.0,
    }
    for name, value in {**defaults, **columns}.items():
        frame[name] = np.broadcast_to(np.asarray(value, dtype=float), (hours,))
    path = directory / "series.csv"
    frame.to_csv(path, index=False)
    return path


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def write_case(directory: Path, network: Path, series: Path, hours: int, name: str = "test", **sections) -> Path:
    """A case TOML; `sections` maps a section name to its keys, e.g. grid={"tariff_EUR_per_MWh": 0.0}."""
    lines = [f'name = "{name}"', f"network = {_toml_value(str(network))}", f"timeseries = {_toml_value(str(series))}"]
    sections = {"horizon": {"hours": hours, **sections.pop("horizon", {})}, **sections}
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in keys.items()]
    path = directory / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def campus(it_MW: float = 20.0) -> dict:
    """A liquid-cooled campus node whose whole IT load is recoverable heat."""
    return {"kind": "source", "it_load_MW": it_MW, "cooling": "liquid", "recovered_share": 1.0}


def consumer(mw: float) -> dict:
    """A consumer node with a constant demand of `mw` under the default 1/8760 profile."""
    return {"kind": "consumer", "annual_heat_MWh": mw * 8760.0}


def existing(dn: int, length_m: float) -> dict:
    """Properties of an existing pipe."""
    return {"status": "existing", "dn": dn, "length_m": length_m}


def radial_zone() -> tuple[list, list]:
    """A campus S feeding junction A through a binding DN100 pipe P (a model pipe); behind A a radial
    zone: A-B (2 MW), B-C (3 MW), D (1 MW)-A, and a gas boiler G at A. Nodes and pipes for `write_network`."""
    nodes = [
        ("S", 0, 0, campus()),
        ("A", 500, 0, {"kind": "junction"}),
        ("B", 600, 0, consumer(2.0)),
        ("C", 700, 0, consumer(3.0)),
        ("D", 500, 100, consumer(1.0)),
        ("G", 510, -10, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 30.0}),
    ]
    pipes = [
        ("P", "S", "A", existing(100, 500.0)),
        ("P1", "A", "B", existing(300, 100.0)),
        ("P2", "B", "C", existing(300, 100.0)),
        ("P3", "D", "A", existing(300, 100.0)),
        ("PG", "G", "A", existing(400, 10.0)),
    ]
    return nodes, pipes


def solved_result(tmp_path: Path, nodes: list, pipes: list, hours: int, temperatures: dict, **series) -> Path:
    """Write the network, series and case, run it and return its result directory."""
    from dhopt.run import run_case

    network = write_network(tmp_path, nodes, pipes)
    case = write_case(tmp_path, network, write_series(tmp_path, hours, **series), hours, temperatures=temperatures)
    out = tmp_path / "result"
    run_case(case, out)
    return out


def segfault_at_4_MW(case, files, options, shown=None, reuse=True):
    """A stand-in for `dhopt.batch.run_case_files` whose process dies by SIGSEGV on the 4 MW case."""
    import json
    import os
    import signal

    if case["grid"]["import_limit_MW"] == 4.0:
        os.kill(os.getpid(), signal.SIGSEGV)
    return {"status": "ok", "error": "", "error_type": "", "solver_status": "optimal", "wall_s": 0.0,
            "files": {"kpis.json": json.dumps({"co2_t": case["grid"]["import_limit_MW"]}).encode()}}  # fmt: skip
