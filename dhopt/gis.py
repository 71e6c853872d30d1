"""Read a network from GIS layers (GeoPackage, Shapefile, GeoJSON) through pyogrio (GDAL).

`read_gis` turns the layers into the same raw node and pipe tables the GeoJSON/CSV loader builds
(`dhopt.network._Table`), so every field goes through the same checks and every problem line names
the file, the layer, the feature, the field and what was expected. Attribute names are mapped by the
case's ``[network_options.fields]``; a projected CRS is kept, a geographic one (EPSG:4326) is
reprojected with pyproj to the UTM zone of the data's centroid (or to ``[network_options] crs``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import pyproj
import shapely

from dhopt.errors import NetworkError
from dhopt.files import input_file_problem

GIS_SUFFIXES = (".gpkg", ".shp", ".fgb", ".gml", ".kml", ".sqlite")
LAYER_KINDS = {"pipes": None, "nodes": None, "consumers": "consumer", "plants": "plant", "sources": "source"}
_LINES = ("LineString", "MultiLineString")
_PIPE_TYPE = re.compile(r"(\d+(?:[.,]\d+)?)")  # the first number of a manufacturer's pipe type


@dataclass(frozen=True)
class GisCrs:
    """The CRS the network is computed in (projected, metres) and the one it was read in."""

    working: str | None  # e.g. "EPSG:25832"; None: not stated (metres assumed)
    input: str | None  # the input layers' CRS, for writing results back
    note: str  # one line for the output: kept, or reprojected to which CRS


def uses_gis_reader(path: Path, options) -> bool:
    """A GIS format (by suffix), a folder of Shapefiles, or any network with ``[network_options]``."""
    if path.is_dir():
        return not (path / "nodes.csv").exists() and any(path.glob("*.shp"))
    if path.name.lower().endswith((".nodes.csv", ".edges.csv")):
        return False
    return path.suffix.lower() in GIS_SUFFIXES or options is not None


def utm_crs(lon_deg: float, lat_deg: float) -> str:
    """EPSG code of the WGS 84 UTM zone holding (lon, lat) [degrees]: 326zz north, 327zz south.

    >>> utm_crs(9.19, 48.78), utm_crs(-58.4, -34.6)
    ('EPSG:32632', 'EPSG:32721')
    """
    zone = int(math.floor((lon_deg + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{(32600 if lat_deg >= 0 else 32700) + zone}"


def pipe_type_dn(value) -> int | None:
    """The DN [mm] of a manufacturer's pipe type, its first number ("KMR 65/180-2v" -> 65); None if none.

    >>> pipe_type_dn("KMR 65/180-2v"), pipe_type_dn("DN 150"), pipe_type_dn("PE-Xa")
    (65, 150, None)
    """
    match = _PIPE_TYPE.search(value) if isinstance(value, str) else None
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    return int(number) if number == round(number) and number > 0 else None


def read_gis(path: Path, options, problems, nodes, pipes) -> GisCrs:
    """Fill the empty node and pipe tables (`dhopt.network`'s raw tables) from the GIS network at `path`;
    its `GisCrs`."""
    layers = _layers(path, options)
    crs = _working_crs(path, layers, options)
    mapping = dict(options.fields) if options is not None else {}
    defaults = dict(options.defaults) if options is not None else {}
    seen: set[str] = set()
    for name, role, data in layers:
        meta, fids, geometry, values = data
        seen |= set(meta["fields"])
        geometry = _to_working(geometry, meta.get("crs"), crs.working)
        columns = dict(zip(meta["fields"], values, strict=True))
        for number in range(len(fids)):
            record = _record(columns, number, fids[number], mapping, defaults, role)
            _add_feature(nodes, pipes, record, geometry[number], number, f"{path}: layer {name!r}", role)
    absent = sorted(theirs for ours, theirs in mapping.items() if theirs not in seen and theirs.lower() != "fid")
    for theirs in absent:
        ours = next(k for k, v in mapping.items() if v == theirs)
        problems.add(
            f"{path}: key 'network_options.fields.{ours}': expected an attribute of the layers, got {theirs!r} "
            f"(attributes: {', '.join(sorted(seen)) or 'none'})"
        )
    return crs


def _layers(path: Path, options) -> list[tuple[str, str | None, tuple]]:
    """(layer name, role, pyogrio.raw.read result) of every layer to read; unreadable files raise."""
    problem = None if path.is_dir() else input_file_problem(path)
    if problem:
        raise NetworkError(f"{path}: file {problem}")
    try:
        available = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as error:  # pyogrio.errors.DataSourceError and GDAL's own
        raise NetworkError(f"{path}: cannot read as a GIS file ({str(error).splitlines()[0]})") from None
    wanted = dict(options.layers) if options is not None and options.layers else {}
    if not wanted:
        chosen = [(name, None) for name in available]
    else:
        missing = [f"{role} = {name!r}" for role, name in wanted.items() if name not in available]
        if missing:
            raise NetworkError(
                f"{path}: key 'network_options.layers': expected layers of the file, got {', '.join(missing)} "
                f"(layers: {', '.join(available)})"
            )
        chosen = [(name, role) for role, name in wanted.items()]
    read = []
    for name, role in chosen:
        try:
            data = pyogrio.raw.read(path, layer=name, return_fids=True, force_2d=True)
        except Exception as error:
            raise NetworkError(f"{path}: layer {name!r}: cannot read ({str(error).splitlines()[0]})") from None
        read.append((name, role, data))
    return read


def _working_crs(path: Path, layers, options) -> GisCrs:
    """Keep a projected CRS; reproject a geographic one to ``options.crs`` or the centroid's UTM zone."""
    stated = [meta.get("crs") for _, _, (meta, *_rest) in layers if meta.get("crs")]
    pipes_first = [meta.get("crs") for _, role, (meta, *_r) in layers if role == "pipes" and meta.get("crs")]
    source = (pipes_first or stated or [None])[0]
    target = options.crs if options is not None else None
    if target is not None:
        try:
            chosen = pyproj.CRS.from_user_input(target)
        except pyproj.exceptions.CRSError:
            raise NetworkError(
                f"key 'network_options.crs': expected a CRS such as 'EPSG:25832', got {target!r}"
            ) from None
        if not chosen.is_projected:
            raise NetworkError(f"key 'network_options.crs': expected a projected CRS in metres, got {target!r}")
        return GisCrs(target, source, f"CRS: {source or 'not stated'} reprojected to {target} (network_options.crs)")
    if source is None:
        return GisCrs(None, None, "CRS: not stated in the file, coordinates taken as metres")
    crs = pyproj.CRS.from_user_input(source)
    bounds = [shapely.total_bounds(shapely.from_wkb(g[~_is_none(g)])) for _, _, (_, _, g, _) in layers if len(g)]
    beyond = any(abs(b[0]) > 180 or abs(b[2]) > 180 or abs(b[1]) > 90 or abs(b[3]) > 90 for b in bounds)
    if not crs.is_projected and beyond:  # GDAL gives a GeoJSON without "crs" WGS 84; these are metres
        return GisCrs(None, None, f"CRS: {source} stated, but the coordinates are beyond degrees: taken as metres")
    if crs.is_projected:
        return GisCrs(source, source, f"CRS: {source} ({crs.name}), kept")
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    centres = [shapely.centroid(shapely.from_wkb(g[~_is_none(g)])) for _, _, (_, _, g, _) in layers]
    xy = shapely.get_coordinates(np.concatenate(centres)) if centres else np.zeros((0, 2))
    lon, lat = to_lonlat.transform(*xy.mean(axis=0)) if len(xy) else (0.0, 0.0)
    utm = utm_crs(lon, lat)
    zone = f"UTM zone {int(utm[-2:])}{'N' if utm[5:8] == '326' else 'S'}"
    return GisCrs(
        utm, source, f"CRS: {source} (geographic) reprojected to {utm} (WGS 84 / {zone}, the data's centroid)"
    )


def _is_none(values: np.ndarray) -> np.ndarray:
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def _to_working(wkb: np.ndarray, layer_crs: str | None, working: str | None) -> np.ndarray:
    """The layer's geometries (shapely) in the working CRS (pyproj.Transformer through shapely.transform)."""
    geometry = shapely.from_wkb(wkb)
    if layer_crs is None or working is None or pyproj.CRS(layer_crs) == pyproj.CRS(working):
        return geometry
    transformer = pyproj.Transformer.from_crs(layer_crs, working, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _python(value):
    """A field value as the loader reads JSON: numpy scalars as Python numbers, NaN and NaT as None."""
    if isinstance(value, np.ndarray):  # a list field (GeoJSON arrays such as dn_options)
        return [_python(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _record(columns: dict, number: int, fid, mapping: dict, defaults: dict, role) -> dict:
    """The feature's attributes under dhopt's names (``mapping``: dhopt name -> attribute), defaults added."""
    record = {name: _python(values[number]) for name, values in columns.items()}
    for ours, theirs in mapping.items():
        if theirs in columns:
            record[ours] = record[theirs]
        elif theirs.lower() == "fid":
            record[ours] = int(fid)
    kind = LAYER_KINDS.get(role)
    if kind and record.get("kind") in (None, ""):
        record["kind"] = kind
    for name, value in defaults.items():
        if record.get(name) is None or record.get(name) == "":
            record[name] = value
    if isinstance(record.get("dn"), str) and pipe_type_dn(record["dn"]) is not None:
        record["dn"] = pipe_type_dn(record["dn"])  # "KMR 65/180-2v" -> 65; other text is refused by the checks
    return record


def _add_feature(nodes, pipes, record: dict, geometry, number: int, where: str, role) -> None:
    """Append the feature to the node or the pipe table, its geometry checked (problems kept pending)."""
    gtype = None if geometry is None else shapely.get_type_id(geometry)
    is_line = gtype in (1, 5) if role is None else role == "pipes"
    table = pipes if is_line else nodes
    problem = None
    if geometry is None or shapely.is_empty(geometry):
        problem = ("a geometry", "none")
    elif is_line:
        parts = shapely.get_num_geometries(geometry) if gtype == 5 else 1
        if gtype not in (1, 5) or parts != 1:
            got = f"a MultiLineString of {parts} parts" if gtype == 5 else shapely.geometry_type_name(geometry)
            problem = ("a LineString or a one-part MultiLineString (split it into pipes)", got)
        else:
            line = shapely.get_geometry(geometry, 0) if gtype == 5 else geometry
            record["_geometry"], record["_geometry_length_m"] = line, float(shapely.length(line))
    elif gtype in (0, 3, 6):  # Point, Polygon, MultiPolygon: the centroid (shapely.centroid)
        point = shapely.centroid(geometry)
        record["x_m"], record["y_m"] = float(shapely.get_x(point)), float(shapely.get_y(point))
    else:
        problem = ("a Point or a Polygon (node)", shapely.geometry_type_name(geometry))
    if problem:
        table.pending.append((len(table.records), "geometry", *problem))
    table.numbers.append(number)
    table.records.append(record)
    table.where.append(where)
