"""Load a district-heating network file (docs/formats.md) into checked tables and a graph.

`load_network` reads a GeoJSON FeatureCollection or a CSV pair, checks every feature or row and
then the graph, and raises one `NetworkError` listing every problem found. Problem lines name the
file, then the feature (GeoJSON, numbered from 0 as in ``features[i]``) or row (CSV, numbered as in
a spreadsheet: the header is row 1), then the field and what was expected.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from dhopt.cooling import COOLING_TYPES, cooling_default
from dhopt.errors import NetworkError
from dhopt.files import input_file_problem
from dhopt.gis import GisCrs, read_gis, uses_gis_reader
from dhopt.physics import pipe_catalogue
from dhopt.technologies import TECHNOLOGIES, plant_defaults
from dhopt.topology import DEFAULT_TOLERANCE_M, Service, build_topology, far_ends

NODE_KINDS = ("source", "plant", "consumer", "junction")
DEFAULT_PROFILE = {"source": "it_utilisation", "consumer": "residential"}
CONSUMER_PROFILES = ("residential", "commercial", "greenhouse")
PIPE_STATUSES = ("existing", "candidate")
NODE_COLUMNS = (
    "kind", "x_m", "y_m",
    "it_load_MW", "cooling", "source_temperature_degC", "recovered_share", "profile", "recovery_profile",
    "technology", "capacity_MW", "must_run_MW", "marginal_cost_EUR_per_MWh", "co2_t_per_MWh",
    "electric_efficiency", "homes", "annual_heat_MWh", "peak_kW", "min_supply_degC",
)  # fmt: skip
PIPE_COLUMNS = (
    "from_node", "to_node", "length_m", "status", "dn", "inner_diameter_m", "dn_options", "upgrade_dn_options",
)  # fmt: skip
_TEXT_NODE_COLUMNS = ("kind", "cooling", "profile", "recovery_profile", "technology")
_TEXT_DTYPE = "str" if int(pd.__version__.split(".")[0]) >= 3 else object  # pandas 2: object, None
_CSV_REQUIRED = {"nodes": ("id", "kind", "x_m", "y_m"), "edges": ("id", "from", "to", "length_m", "status")}
_DEGREE_CRS = ("4326", "CRS84")
_DEMAND_FIELDS = ("homes", "annual_heat_MWh", "peak_kW")

# numeric node fields: kind they belong to, required?, rule, what is expected
_NODE_NUMBERS = {
    "it_load_MW": ("source", True, "positive", "a positive number of MW"),
    "source_temperature_degC": ("source", False, "source temperature", "a source temperature between 5 and 95 °C"),
    "recovered_share": ("source", False, "share", "a share between 0 and 1"),
    "capacity_MW": ("plant", True, "positive", "a positive number of MW"),
    "must_run_MW": ("plant", False, "non-negative", "a non-negative number of MW"),
    "marginal_cost_EUR_per_MWh": ("plant", False, "cost", "a cost between -1,000 and 10,000 EUR/MWh"),
    "co2_t_per_MWh": ("plant", False, "emission factor", "an emission factor between 0 and 10 t/MWh"),
    "homes": ("consumer", False, "homes", "a number of homes between 0 and 1,000,000"),
    "annual_heat_MWh": ("consumer", False, "non-negative", "a non-negative number of MWh"),
    "peak_kW": ("consumer", False, "non-negative", "a non-negative number of kW"),
    "min_supply_degC": ("consumer", False, "supply temperature", "a supply temperature between 20 and 150 °C"),
}
# plausibility limits: a value beyond any heat network is a unit mistake (kW for MW, W for kW)
_PLAUSIBLE = {
    "it_load_MW": (5_000, "MW", "kW"),
    "capacity_MW": (5_000, "MW", "kW"),
    "must_run_MW": (5_000, "MW", "kW"),
    "annual_heat_MWh": (1e7, "MWh", "kWh"),
    "peak_kW": (1e6, "kW", "W"),
}
_RULES = {
    "finite": np.isfinite,
    "positive": lambda v: np.isfinite(v) & (v > 0),
    "non-negative": lambda v: np.isfinite(v) & (v >= 0),
    "share": lambda v: (v >= 0) & (v <= 1),
    "supply temperature": lambda v: (v >= 20) & (v <= 150),  # [°C]: from ultra-low to steam-era networks
    "source temperature": lambda v: (v >= 5) & (v <= 95),  # [°C]: liquid cooling water, never ice or steam
    "coordinate": lambda v: np.isfinite(v) & (np.abs(v) <= 1e8),  # [m]: beyond any projected CRS (40,000 km)
    "length": lambda v: np.isfinite(v) & (v > 0) & (v <= 1e6),  # [m]: longer than any heat transmission line
    "cost": lambda v: np.isfinite(v) & (v >= -1000) & (v <= 10000),  # [EUR/MWh]: beyond any fuel or market
    "emission factor": lambda v: np.isfinite(v) & (v >= 0) & (v <= 10),  # [t/MWh]: lignite is about 0.4
    "homes": lambda v: np.isfinite(v) & (v >= 0) & (v <= 1e6),  # one consumer node: a district at most
    "inner diameter": lambda v: np.isfinite(v) & (v >= 10) & (v <= 2000),  # [mm]: service pipe to DN2000
}


@dataclass(frozen=True, eq=False)
class Network:
    """A checked district-heating network.

    ``nodes``: indexed by ``id`` (str); columns `NODE_COLUMNS` with defaults applied, NaN where a
    field does not apply to the node's kind (coordinates [m], loads and capacities [MW], demand
    [MWh], [kW]). ``pipes``: indexed by ``id`` (str); columns `PIPE_COLUMNS`: ends, trench length
    [m], status, ``dn`` [mm] (NaN for candidates), ``inner_diameter_m`` (an existing pipe's own, from
    ``inner_diameter_mm``; NaN: its DN's) and ``dn_options`` (sorted tuple of DNs).
    ``graph``: one node per node id, one edge per pipe (key = pipe id), attributes from the tables.
    ``pipe_geometry_wkt``: each pipe's line as WKT in the working CRS ("" when the file has none);
    ``crs``: the working and the input CRS (GIS files; None: not known); ``warnings``: what topology
    from geometry repaired or found suspicious, one line each.
    """

    nodes: pd.DataFrame
    pipes: pd.DataFrame
    graph: nx.MultiGraph
    path: Path
    pipe_geometry_wkt: pd.Series | None = None
    crs: GisCrs | None = None
    warnings: tuple[str, ...] = ()


INPUT_FIELDS = frozenset(
    {"id", "from", "to", "inner_diameter_mm", *NODE_COLUMNS, *PIPE_COLUMNS}
    - {"from_node", "to_node", "inner_diameter_m"}
)
"""The fields a network feature may carry (what `[network_options.fields]` and `defaults` may name)."""


def _check_mapped_fields(path: Path, options, problems: _Problems) -> None:
    """A `[network_options]` field mapping or default names a field dhopt reads, else one line each."""
    if options is None:
        return
    for key in ("fields", "defaults"):
        for name in sorted(set(getattr(options, key)) - INPUT_FIELDS):
            close = difflib.get_close_matches(name, sorted(INPUT_FIELDS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.add(f"{path}: key 'network_options.{key}.{name}': expected a network field name{hint}")


def load_network(path: str | Path, options=None) -> Network:
    """Read and check the network at ``path`` (``.geojson``, ``<stem>.nodes.csv``, a directory, or a GIS
    file such as ``.gpkg`` or ``.shp``); ``options``: the case's ``[network_options]``
    (`dhopt.case.NetworkOptions`: layers, field mapping, CRS, snap tolerance, service lines).

    Raises `NetworkError` with one line per problem found.
    """
    path = Path(path)
    problems = _Problems()
    crs = None
    if uses_gis_reader(path, options):
        nodes_table = _Table(str(path), "feature", 0, from_geometry=True)
        pipes_table = _Table(str(path), "feature", 1, from_geometry=True)
        _check_mapped_fields(path, options, problems)
        crs = read_gis(path, options, problems, nodes_table, pipes_table)
        crs_in_degrees = False
    else:
        nodes_table, pipes_table, crs_in_degrees = _read(path, problems)
    tolerance_m = options.snap_tolerance_m if options is not None else DEFAULT_TOLERANCE_M
    service = Service(options.service_status, options.service_dn) if options is not None else Service()
    warnings = _join_by_geometry(nodes_table, pipes_table, tolerance_m, service)
    nodes = _node_frame(nodes_table, problems)
    pipes = _pipe_frame(pipes_table, set(nodes.index.dropna()), problems)
    _check_coordinates(nodes, nodes_table, crs_in_degrees, problems)
    _check_graph(nodes, pipes, str(path), problems)
    if problems:
        raise NetworkError(problems.lines())
    geometry = [r.get("_geometry") for r in pipes_table.records]
    warnings += _far_end_warnings(nodes, pipes, pipes_table, geometry, tolerance_m)
    wkt = pd.Series([shapely.to_wkt(g, rounding_precision=3) if g is not None else "" for g in geometry],
                    index=pipes.index, dtype=_TEXT_DTYPE)  # fmt: skip
    graph = nx.MultiGraph()
    graph.add_nodes_from(nodes.to_dict("index").items())
    graph.add_edges_from((p["from_node"], p["to_node"], key, p) for key, p in pipes.to_dict("index").items())
    return Network(nodes, pipes, graph, path, wkt, crs, tuple(warnings))


def _join_by_geometry(nodes: _Table, pipes: _Table, tolerance_m: float, service: Service) -> list[str]:
    """Pipes without from/to joined by `dhopt.topology.build_topology`; the tables are updated in place
    (a split pipe's parts keep the feature number of the line they came from)."""
    if not any(r.get("from") in (None, "") and r.get("to") in (None, "") for r in pipes.records):
        return []
    junctions, out, warnings = build_topology(nodes.records, pipes.records, tolerance_m, service)
    for record in junctions:
        nodes.records.append(record)
        nodes.numbers.append(-1)
        if nodes.where:
            nodes.where.append(nodes.file)
    pending = {}
    for i, name, expected, got in pipes.pending:
        pending.setdefault(i, []).append((name, expected, got))
    numbers, records, where, new_pending = [], [], [], []
    for source, record in out:
        if source in pending:
            new_pending += [(len(records), *item) for item in pending.pop(source)]
        numbers.append(pipes.numbers[source] if source >= 0 else -1)
        where.append(pipes.where[source] if pipes.where and source >= 0 else pipes.file)
        records.append(record)
    pipes.numbers, pipes.records, pipes.pending = numbers, records, new_pending
    pipes.where = where if pipes.where else []
    return warnings


def _far_end_warnings(nodes, pipes, table: _Table, geometry: list, tolerance_m: float) -> list[str]:
    """`dhopt.topology.far_ends` for the pipes given with from/to (not joined by geometry)."""
    given = [k for k, r in enumerate(table.records) if geometry[k] is not None and not r.get("_joined")]
    if not given:
        return []
    rows = pipes.iloc[given]
    xy = nodes[["x_m", "y_m"]]
    return far_ends(
        rows.index.tolist(), np.array([geometry[k] for k in given], dtype=object),
        xy.loc[rows["from_node"]].to_numpy(dtype=float), xy.loc[rows["to_node"]].to_numpy(dtype=float),
        rows["from_node"].tolist(), rows["to_node"].tolist(), tolerance_m,
    )  # fmt: skip


class _Problems:
    """Problem lines, reported in file and feature/row order whatever order the checks ran in."""

    def __init__(self):
        self._items: list[tuple[int, float, int, str]] = []

    def add(self, text: str, order: int = 0, row: float = -1) -> None:
        self._items.append((order, row, len(self._items), text))

    def __bool__(self) -> bool:
        return bool(self._items)

    def lines(self) -> list[str]:
        return [item[-1] for item in sorted(self._items)]


@dataclass
class _Table:
    """Raw records (field -> value as read) of the nodes or the pipes of one file."""

    file: str
    unit: str  # "feature" or "row"
    order: int  # position of the file among the network's files
    numbers: list[int] = field(default_factory=list)  # feature index or spreadsheet row per record
    records: list[dict] = field(default_factory=list)
    pending: list[tuple[int, str, str, str]] = field(default_factory=list)  # (record, field, expected, got)
    from_geometry: bool = False  # GeoJSON: coordinates and default lengths come from the geometry
    where: list[str] = field(default_factory=list)  # GIS: file and layer of each record (else `file`)

    def column(self, name: str) -> list:
        return [record.get(name) for record in self.records]


# ---------------------------------------------------------------------------------------- reading
def _read(path: Path, problems: _Problems) -> tuple[_Table, _Table, bool]:
    """Node table, pipe table and whether a GeoJSON ``crs`` names degrees; unreadable files raise."""
    name = path.name.lower()
    if path.is_dir():
        nodes_path, edges_path = path / "nodes.csv", path / "edges.csv"
    elif name.endswith((".nodes.csv", ".edges.csv")):
        stem = path.name[: -len(".nodes.csv")]
        nodes_path, edges_path = path.with_name(stem + ".nodes.csv"), path.with_name(stem + ".edges.csv")
    elif input_file_problem(path):
        raise NetworkError(f"{path}: file {input_file_problem(path)}")
    elif path.suffix.lower() in (".geojson", ".json"):
        return _read_geojson(path, problems)
    else:
        raise NetworkError(
            f"{path}: expected a .geojson file, a <stem>.nodes.csv file or a directory holding nodes.csv and edges.csv"
        )
    nodes, node_error = _read_csv(nodes_path, "nodes", 0)
    edges, edge_error = _read_csv(edges_path, "edges", 1)
    if node_error or edge_error:
        raise NetworkError([line for line in (node_error, edge_error) if line])
    return nodes, edges, False


def _read_text(path: Path) -> str:
    problem = input_file_problem(path)
    if problem:
        raise NetworkError(f"{path}: file {problem}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NetworkError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise NetworkError(f"{path}: expected UTF-8 text, got undecodable bytes at byte {err.start}") from None
    except OSError as err:
        raise NetworkError(f"{path}: cannot read the file ({err.strerror or err})") from None


def _read_geojson(path: Path, problems: _Problems) -> tuple[_Table, _Table, bool]:
    file = str(path)
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        raise NetworkError(
            f"{file}: expected JSON, got a syntax error at line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    except RecursionError:
        raise NetworkError(f"{file}: expected JSON, got nesting too deep to read") from None
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if kind != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise NetworkError(f"{file}: expected a GeoJSON FeatureCollection with a 'features' list, got {_show(kind)}")
    crs = data.get("crs")
    crs_name = (
        crs.get("properties", {}).get("name")
        if isinstance(crs, dict) and isinstance(crs.get("properties"), dict)
        else None
    )
    crs_in_degrees = isinstance(crs_name, str) and any(tag in crs_name.upper() for tag in _DEGREE_CRS)
    if crs_in_degrees:
        problems.add(f"{file}: field 'crs': expected a projected CRS in metres, got {crs_name!r} (degrees)")
    nodes = _Table(file, "feature", 0, from_geometry=True)
    pipes = _Table(file, "feature", 0, from_geometry=True)
    for number, feature in enumerate(data["features"]):
        if not isinstance(feature, dict):
            problems.add(
                f"{file}: feature {number}: expected a GeoJSON Feature object, got {_show(feature)}", 0, number
            )
            continue
        props = feature.get("properties")
        record = dict(props) if isinstance(props, dict) else {}
        geometry = feature.get("geometry")
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if gtype == "Point" or (gtype != "LineString" and "kind" in record):
            table, expected = nodes, "a Point with coordinates [x, y] in metres"
            xy = _position(geometry.get("coordinates")) if gtype == "Point" else None
            record["x_m"], record["y_m"] = xy if xy else (None, None)  # a bad geometry is reported once
            ok = xy is not None
        elif gtype in ("LineString", "MultiLineString") or "from" in record or "to" in record:
            table, expected = pipes, "a LineString with at least two positions [x, y] in metres"
            coordinates = geometry.get("coordinates") if gtype else None
            if gtype == "MultiLineString":  # a QGIS export: one part is its line
                coordinates = coordinates[0] if isinstance(coordinates, list) and len(coordinates) == 1 else None
            line = _line(coordinates) if gtype else None
            record["_geometry_length_m"] = None if line is None else sum(map(math.dist, line[:-1], line[1:]))
            record["_geometry"] = None if line is None else shapely.linestrings(line)
            ok = line is not None
        else:
            label = _label("feature", number, record.get("id"))
            problems.add(
                f"{file}: {label}: field 'geometry': expected a Point (node) or LineString (pipe), got {_show(gtype)}",
                0,
                number,
            )
            continue
        if props is not None and not isinstance(props, dict):
            table.pending.append((len(table.records), "properties", "an object", _show(props)))
        if not ok:
            parts = geometry.get("coordinates") if gtype == "MultiLineString" else None
            got = (
                f"coordinates {_show(geometry.get('coordinates'))}"
                if gtype in ("Point", "LineString")
                else f"a MultiLineString of {len(parts)} parts (split it into pipes)"
                if isinstance(parts, list) and len(parts) != 1
                else _show(gtype)
            )
            table.pending.append((len(table.records), "geometry", expected, got))
        table.numbers.append(number)
        table.records.append(record)
    return nodes, pipes, crs_in_degrees


def _position(value) -> tuple[float, float] | None:
    """(x, y) of a GeoJSON position, None unless it holds at least two finite numbers."""
    if not isinstance(value, list) or len(value) < 2 or not all(_is_number(v) for v in value[:2]):
        return None
    x, y = _to_float(value[0]), _to_float(value[1])
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def _line(value) -> list[tuple[float, float]] | None:
    """Positions (x, y) of a GeoJSON LineString, None unless there are at least two and all are valid."""
    if not isinstance(value, list) or len(value) < 2:
        return None
    positions = [_position(v) for v in value]
    return None if any(p is None for p in positions) else positions


def _read_csv(path: Path, which: str, order: int) -> tuple[_Table | None, str | None]:
    """The table of one CSV file, or None and the one line saying why it cannot be read."""
    file = str(path)
    problem = input_file_problem(path)
    if problem:
        return None, f"{file}: file {problem}"
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        return None, f"{file}: file not found"
    except UnicodeDecodeError as err:
        return None, f"{file}: expected UTF-8 text, got undecodable bytes at byte {err.start}"
    except (OSError, csv.Error) as err:
        return None, f"{file}: cannot read the file as CSV ({err})"
    if not rows or not any(cell.strip() for cell in rows[0]):
        got = "an empty line" if rows else "an empty file"
        return None, f"{file}: row 1: expected a header row naming the columns, got {got}"
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in _CSV_REQUIRED[which] if name not in header]
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if missing or doubled:
        wrong = [f"no column {', '.join(missing)}"] if missing else []
        wrong += [f"column {', '.join(doubled)} twice"] if doubled else []
        if len(header) == 1 and ";" in header[0]:
            wrong.append("the file looks semicolon-separated; use commas")
        wanted = ", ".join(_CSV_REQUIRED[which])
        return None, f"{file}: row 1 (header): expected the columns {wanted}, each once, got {'; '.join(wrong)}"
    table = _Table(file, "row", order)
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            table.pending.append((len(table.records), "(row)", f"{len(header)} cells as in the header", f"{len(row)}"))
        table.numbers.append(number)
        table.records.append(dict(zip(header, row, strict=False)))
    return table, None


# ----------------------------------------------------------------------------------------- values
def _absent(value) -> bool:
    """True for JSON null, a missing key and an empty (or blank) cell."""
    return value is None or (isinstance(value, str) and not value.strip())


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_float(value) -> float | None:
    """The number held by a JSON number or a numeric string, None when it holds none."""
    try:
        if _is_number(value):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
    except (ValueError, OverflowError):
        return math.inf if _is_number(value) else None
    return None


def _as_id(value) -> str | None:
    """An id as text (JSON integers are accepted and turned into text), None when not an id."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _to_dn(value) -> int | None:
    """The DN [mm] in ``150``, ``150.0``, ``"150"`` or ``"DN150"``, None when there is none."""
    if isinstance(value, str):
        text = value.strip()
        value = text[2:] if text[:2].upper() == "DN" else text
    number = _to_float(value)
    if number is None or not math.isfinite(number) or number != round(number):
        return None
    return int(number)


def _show(value) -> str:
    """A value as it should appear after 'got' in a problem line."""
    if _absent(value):
        return "nothing"
    if isinstance(value, str):
        return value.strip() if _to_float(value) is not None else repr(value.strip())
    if _is_number(value):
        return repr(value)
    text = json.dumps(value, default=str, allow_nan=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _label(unit: str, number: int, raw_id) -> str:
    ident = _as_id(raw_id)
    return f"{unit} {number} (id {ident!r})" if ident else f"{unit} {number} (no id)"


def _objects(values: list) -> np.ndarray:
    """A 1-D object array of ``values`` (never split lists or tuples into a second axis)."""
    return np.fromiter(values, dtype=object, count=len(values))


# ---------------------------------------------------------------------------------------- checking
class _Checker:
    """Field checks over all records of one table at once; problems go to ``problems``."""

    def __init__(self, table: _Table, problems: _Problems):
        self.table, self.problems, self.n = table, problems, len(table.records)
        self.labels = [
            _label(table.unit, number, r.get("id")) for number, r in zip(table.numbers, table.records, strict=True)
        ]
        for i, name, expected, got in table.pending:
            self.line(i, name, expected, got)

    def line(self, i: int, name: str, expected: str, got: str) -> None:
        where = "" if name.startswith("(") else f" field {name!r}:"
        file = self.table.where[i] if self.table.where else self.table.file
        self.problems.add(
            f"{file}: {self.labels[i]}:{where} expected {expected}, got {got}",
            self.table.order,
            self.table.numbers[i],
        )

    def flag(self, mask: np.ndarray, name: str, expected: str, raw: list) -> None:
        for i in np.flatnonzero(mask):
            self.line(i, name, expected, _show(raw[i]))

    def present(self, raw: list) -> np.ndarray:
        return np.fromiter((not _absent(v) for v in raw), dtype=bool, count=self.n)

    def ids(self, what: str) -> np.ndarray:
        raw = self.table.column("id")
        ids = _objects([_as_id(v) for v in raw])
        self.flag(~self.present(raw), "id", f"a unique {what} id", raw)
        self.flag(self.present(raw) & pd.isna(ids), "id", f"a unique {what} id as text", raw)
        first: dict[str, int] = {}
        for i, ident in enumerate(ids):
            if ident is not None and first.setdefault(ident, i) != i:
                where = f"{self.table.unit} {self.table.numbers[first[ident]]}"
                self.line(i, "id", f"a unique {what} id", f"{ident!r} again (first at {where})")
        return ids

    def number(self, name: str, applies: np.ndarray, rule: str, expected: str, needed_by: str = "") -> np.ndarray:
        """Floats where the field applies and is valid, NaN elsewhere."""
        raw = self.table.column(name)
        present = self.present(raw)
        values = np.array([_to_float(v) if p else None for v, p in zip(raw, present, strict=True)], dtype=float)
        ok = _RULES[rule](values)
        self.flag(applies & present & ~ok, name, expected, raw)
        if needed_by:
            self.flag(applies & ~present, name, f"{expected} (required for {needed_by})", raw)
        return np.where(applies & present & ok, values, np.nan)

    def choice(self, name: str, allowed, applies: np.ndarray, needed_by: str = "") -> np.ndarray:
        """Stripped text where the field applies and is allowed (any text if ``allowed`` is None), else None."""
        raw = self.table.column(name)
        present = self.present(raw)
        texts = _objects([v.strip() if isinstance(v, str) else None for v in raw])
        ok = np.fromiter((t is not None and (allowed is None or t in allowed) for t in texts), dtype=bool, count=self.n)
        expected = "a text" if allowed is None else "one of " + ", ".join(repr(a) for a in allowed)
        self.flag(applies & present & ~ok, name, expected, raw)
        if needed_by:
            self.flag(applies & ~present, name, f"{expected} (required for {needed_by})", raw)
        return np.where(applies & present & ok, texts, None)


def _node_frame(table: _Table, problems: _Problems) -> pd.DataFrame:
    """The node table with defaults applied (values that failed a check are NaN)."""
    check = _Checker(table, problems)
    ids = check.ids("node")
    everyone = np.ones(check.n, dtype=bool)
    kind = check.choice("kind", NODE_KINDS, everyone, "every node")
    of = {k: kind == k for k in NODE_KINDS}
    columns = {"kind": kind}
    for axis in ("x_m", "y_m"):  # GeoJSON coordinates were checked with the geometry
        needed_by = "" if table.from_geometry else "every node"
        columns[axis] = check.number(axis, everyone, "coordinate", "a coordinate within 1e8 m", needed_by)
    for name, (owner, required, rule, expected) in _NODE_NUMBERS.items():
        columns[name] = check.number(name, of[owner], rule, expected, f"a {owner}" if required else "")
    for name, (limit, unit, mistaken) in _PLAUSIBLE.items():
        too_large = columns[name] > limit
        check.flag(
            too_large, name, f"at most {limit:,.0f} {unit} (a larger value looks like {mistaken})", table.column(name)
        )
        columns[name] = np.where(too_large, np.nan, columns[name])
    cooling = check.choice("cooling", COOLING_TYPES, of["source"], "a source")
    technology = check.choice("technology", TECHNOLOGIES, of["plant"], "a plant")
    source_profile = check.choice("profile", None, of["source"])
    consumer_profile = check.choice("profile", CONSUMER_PROFILES, of["consumer"])
    columns.update(cooling=cooling, technology=technology)
    columns["profile"] = _fill(np.where(of["source"], source_profile, consumer_profile), kind, DEFAULT_PROFILE)
    columns["recovery_profile"] = check.choice("recovery_profile", None, of["source"])  # None: all of it, always

    for name in ("source_temperature_degC", "recovered_share"):  # by cooling type where the node gives none
        given, present = columns[name], check.present(table.column(name))
        by_cooling = np.array([cooling_default(c, name) for c in cooling], dtype=float)
        columns[name] = np.where(of["source"] & ~present, by_cooling, given)

    must_run, capacity = columns["must_run_MW"], columns["capacity_MW"]
    check.flag(must_run > capacity, "must_run_MW", "at most capacity_MW", table.column("must_run_MW"))
    columns["must_run_MW"] = np.where(of["plant"] & ~check.present(table.column("must_run_MW")), 0.0, must_run)
    for name in ("marginal_cost_EUR_per_MWh", "co2_t_per_MWh", "electric_efficiency"):
        given = columns.get(name, np.full(check.n, np.nan))
        fallback = np.array([plant_defaults(t)[name] if t else np.nan for t in technology], dtype=float)
        columns[name] = np.where(np.isnan(given), fallback, given)

    demand_given = np.zeros(check.n, dtype=bool)
    for name in _DEMAND_FIELDS:
        demand_given |= check.present(table.column(name))
    for i in np.flatnonzero(of["consumer"] & ~demand_given):
        check.line(i, "homes", "at least one of 'homes', 'annual_heat_MWh', 'peak_kW' for a consumer", "none of them")

    frame = pd.DataFrame(
        {name: columns[name] for name in NODE_COLUMNS}, index=pd.Index(ids, name="id", dtype=_TEXT_DTYPE)
    )
    return frame.astype({name: _TEXT_DTYPE for name in _TEXT_NODE_COLUMNS})


def _fill(values: np.ndarray, kind: np.ndarray, default: dict) -> np.ndarray:
    """``values`` with None replaced by ``default[kind]`` where the kind has a default."""
    return _objects([default.get(k) if v is None else v for v, k in zip(values, kind, strict=True)])


def _pipe_frame(table: _Table, node_ids: set, problems: _Problems) -> pd.DataFrame:
    """The pipe table: ends, length, status, DN and allowed DNs (values that failed a check are NaN)."""
    check = _Checker(table, problems)
    ids = check.ids("pipe")
    everyone = np.ones(check.n, dtype=bool)
    ends = {}
    for end in ("from", "to"):
        raw = table.column(end)
        ends[end] = _objects([_as_id(v) for v in raw])
        present = check.present(raw)
        check.flag(~present, end, "the id of a node (required for every pipe)", raw)
        check.flag(present & pd.isna(ends[end]), end, "the id of a node as text", raw)
        for i in np.flatnonzero(_isin(ends[end], node_ids, invert=True)):
            check.line(i, end, "the id of a node", f"{ends[end][i]!r} (no node has this id)")
    for i in np.flatnonzero((ends["from"] == ends["to"]) & pd.notna(ends["from"])):
        check.line(i, "to", "a node other than the 'from' node", f"{ends['to'][i]!r} again (a pipe cannot loop)")
    status = check.choice("status", PIPE_STATUSES, everyone, "every pipe")
    expected = "a length between 0 and 1,000 km in metres"
    length = check.number("length_m", everyone, "length", expected, "" if table.from_geometry else "every pipe")
    if table.from_geometry:
        given = check.present(table.column("length_m"))
        geometric = np.array(table.column("_geometry_length_m"), dtype=float)
        for i in np.flatnonzero(~given & (geometric <= 0)):
            check.line(i, "length_m", expected, "nothing, and the geometry is 0 m long")
        for i in np.flatnonzero(~given & ~_RULES["length"](geometric) & (geometric > 0)):
            check.line(i, "length_m", expected, f"nothing, and the geometry is {geometric[i]:.3g} m long")
        length = np.where(given, length, np.where(geometric > 0, geometric, np.nan))
    inner_mm = check.number(
        "inner_diameter_mm", status == "existing", "inner diameter", "an inner diameter between 10 and 2,000 mm"
    )
    candidate_inner = (status == "candidate") & check.present(table.column("inner_diameter_mm"))
    check.flag(candidate_inner, "inner_diameter_mm", "nothing on a candidate (its dn_options are catalogue pipes)",
               table.column("inner_diameter_mm"))  # fmt: skip
    dn, dn_options = _dns(check, status, inner_mm)
    upgrade_dn_options = _upgrades(check, status, dn)
    frame = pd.DataFrame(
        {
            "from_node": ends["from"],
            "to_node": ends["to"],
            "length_m": length,
            "status": status,
            "dn": dn,
            "inner_diameter_m": inner_mm / 1000.0,
            "dn_options": dn_options,
            "upgrade_dn_options": upgrade_dn_options,
        },
        index=pd.Index(ids, name="id", dtype=_TEXT_DTYPE),
    )
    return frame.astype({name: _TEXT_DTYPE for name in ("from_node", "to_node", "status")})


def _isin(values: np.ndarray, allowed: set, invert: bool = False) -> np.ndarray:
    """Where the (non-None) ``values`` are (or with ``invert``, are not) in ``allowed``."""
    return np.fromiter((v is not None and ((v in allowed) != invert) for v in values), dtype=bool, count=len(values))


def _dns(check: _Checker, status: np.ndarray, inner_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dn`` of existing pipes [mm] (NaN for others) and ``dn_options`` of every pipe (tuple of DNs). An
    existing pipe given by its inner diameter [mm] (``inner_mm``, NaN: not given) may have a DN not in the
    catalogue (e.g. 175) or none: it is then named after the catalogue DN of the nearest inner diameter."""
    catalogue = pipe_catalogue().index.to_numpy()
    known = set(catalogue.tolist())

    def describe(value) -> str:
        dn = _to_dn(value)
        if dn is None:
            return f"{_show(value)} (not a DN)"
        position = int(np.searchsorted(catalogue, float(dn)))
        near = catalogue[max(position - 1, 0) : position + 1]
        return f"{float(dn):g} (nearest in the catalogue: {', '.join(f'DN{d}' for d in near)})"

    raw_dn, raw_options = check.table.column("dn"), check.table.column("dn_options")
    dn = np.full(check.n, np.nan)
    options = _objects([None] * check.n)
    default = tuple(int(d) for d in catalogue)
    listed_m = pipe_catalogue()["inner_diameter_m"].to_numpy()
    for i in np.flatnonzero(status == "existing"):
        value, measured = _to_dn(raw_dn[i]), np.isfinite(inner_mm[i])
        if _absent(raw_dn[i]) and measured:
            value = int(catalogue[np.argmin(np.abs(listed_m - inner_mm[i] / 1000.0))])
        elif _absent(raw_dn[i]):
            check.line(
                i, "dn", "a catalogue DN in mm such as 150 or 'DN150', or an inner_diameter_mm (one is required "
                "for an existing pipe)", "nothing",
            )  # fmt: skip
            continue
        elif measured and (value is None or not 0 < value <= 2000):
            check.line(i, "dn", "a DN in mm such as 175 or 'DN175'", describe(raw_dn[i]))
            continue
        elif not measured and value not in known:
            check.line(
                i, "dn", "a catalogue DN in mm such as 150 or 'DN150' (or give inner_diameter_mm for another size)",
                describe(raw_dn[i]),
            )  # fmt: skip
            continue
        dn[i], options[i] = value, (value,)
    for i in np.flatnonzero(status == "candidate"):
        value = raw_options[i]
        if _absent(value):
            options[i] = default
            continue
        items = _dn_items(value)
        if not isinstance(items, list) or not items:
            check.line(i, "dn_options", "a list of catalogue DNs such as [100, 150] (CSV: 100;150)", _show(value))
            continue
        wrong = [item for item in items if _to_dn(item) not in known]
        if wrong:
            check.line(i, "dn_options", "catalogue DNs only", ", ".join(describe(item) for item in wrong))
        else:
            options[i] = tuple(sorted({_to_dn(item) for item in items}))
    return dn, options


def _dn_items(value):
    """The items of a DN list: a JSON list, one number, or text such as ``"100;150"`` / ``"100,150"``."""
    items = [s for s in value.replace(",", ";").split(";") if s.strip()] if isinstance(value, str) else value
    return [items] if _is_number(items) else items


def _upgrades(check: _Checker, status: np.ndarray, dn: np.ndarray) -> np.ndarray:
    """``upgrade_dn_options`` of every pipe: the larger catalogue DNs an existing pipe may be replaced
    with (sorted tuple; empty when none is given). Refused on candidates and for DNs not above ``dn``."""
    known = set(pipe_catalogue().index.tolist())
    raw = check.table.column("upgrade_dn_options")
    upgrades = _objects([()] * check.n)
    expected = "a list of catalogue DNs larger than the pipe's dn, such as [200, 250] (CSV: 200;250)"
    for i in np.flatnonzero(check.present(raw)):
        if status[i] == "candidate":
            check.line(
                i, "upgrade_dn_options", "nothing on a candidate pipe (its dn_options are the choice)", _show(raw[i])
            )
            continue
        if status[i] != "existing" or np.isnan(dn[i]):
            continue  # status or dn already reported
        items = _dn_items(raw[i])
        if not isinstance(items, list) or not items:
            check.line(i, "upgrade_dn_options", expected, _show(raw[i]))
            continue
        values = [_to_dn(item) for item in items]
        wrong = [
            f"{_show(item)} (not a catalogue DN)" if value not in known else f"{value} (not above DN{dn[i]:.0f})"
            for item, value in zip(items, values, strict=True)
            if value not in known or value <= dn[i]
        ]
        if wrong:
            check.line(
                i, "upgrade_dn_options", f"catalogue DNs larger than the pipe's dn {dn[i]:.0f}", ", ".join(wrong)
            )
        else:
            upgrades[i] = tuple(sorted(set(values)))
    return upgrades


DEGREE_SPAN_LIMIT = 5.0  # a network whose coordinates span less than this is taken to be in degrees


def _check_coordinates(nodes: pd.DataFrame, table: _Table, crs_in_degrees: bool, problems: _Problems) -> None:
    """One problem when the coordinates look like degrees: every one within ±180 / ±90 and the
    whole network spanning less than DEGREE_SPAN_LIMIT (a few metres would be no heat network)."""
    x, y = nodes["x_m"].to_numpy(), nodes["y_m"].to_numpy()
    finite = np.isfinite(x) & np.isfinite(y)
    if crs_in_degrees or finite.sum() < 2:
        return
    x, y = x[finite], y[finite]
    span = max(x.max() - x.min(), y.max() - y.min())
    if (np.abs(x) <= 180).all() and (np.abs(y) <= 90).all() and span < DEGREE_SPAN_LIMIT:
        problems.add(
            f"{table.file}: node coordinates: expected a projected CRS in metres, got values that look like "
            f"degrees (every |x| <= 180 and |y| <= 90, whole network within {DEGREE_SPAN_LIMIT:g} units)",
            table.order,
        )


def _check_graph(nodes: pd.DataFrame, pipes: pd.DataFrame, file: str, problems: _Problems) -> None:
    """A source or plant exists, and every consumer is joined to one through pipes."""
    kinds = nodes["kind"]
    supply = set(kinds.index[kinds.isin(("source", "plant"))])
    if not supply:
        problems.add(f"{file}: network: expected at least one node of kind 'source' or 'plant', got none", 9)
        return
    ids = kinds.index.dropna()
    valid = pipes["from_node"].isin(ids) & pipes["to_node"].isin(ids) & (pipes["from_node"] != pipes["to_node"])
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(zip(pipes.loc[valid, "from_node"], pipes.loc[valid, "to_node"], strict=True))
    reached: set = set()
    for component in nx.connected_components(graph):
        if not supply.isdisjoint(component):
            reached |= component
    stranded = [ident for ident in kinds.index[kinds == "consumer"] if ident not in reached]
    if stranded:
        shown = ", ".join(repr(ident) for ident in stranded[:10])
        more = f" and {len(stranded) - 10} more" if len(stranded) > 10 else ""
        problems.add(
            f"{file}: network: expected every consumer to be reachable through pipes from a source or plant, "
            f"got {len(stranded)} unreachable: {shown}{more}",
            9,
        )
