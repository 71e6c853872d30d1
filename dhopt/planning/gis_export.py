"""Write a solved design back as GIS layers (GeoPackage and GeoJSON) for QGIS, in the input's CRS.

`export_gis` reads ``RESULT_DIR/results.nc`` (its network layer holds each pipe's geometry as WKT and
the CRS, `dhopt.results.network_layer`), checks the hydraulics at the peak hour
(`dhopt.planning.hydraulics.check_dataset`) and writes ``design.gpkg`` (layers ``pipes`` and
``consumers``), ``pipes.geojson`` and ``consumers.geojson`` into its own folder, each file atomically,
then a ``manifest.json`` with their SHA-256 and the run they came from.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio.raw
import pyproj
import shapely
import xarray as xr

from dhopt.diagnose import hours_at_capacity
from dhopt.errors import CaseError
from dhopt.files import digest, remove_stale_temporaries, write_atomically
from dhopt.planning.hydraulics import check_dataset, open_result
from dhopt.schema import MANIFEST_JSON

GIS_FILES = ("design.gpkg", "pipes.geojson", "consumers.geojson")


def pipe_fields(ds: xr.Dataset, peak: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per pipe of the original network: id, ends, status, built, DN [mm], length [m], largest flow of
    the horizon [MW] (model pipes; a pipe merged into a zone: its flow at the peak hour), hours at
    capacity [h/yr] (0 for merged pipes) and velocity [m/s] and pressure drop [Pa/m] at the peak hour."""
    links = pd.Index(ds["link"].values)
    model = pd.Series(ds["link_model_pipe"].values, index=links)
    largest = abs(ds["pipe_flow_MW"]).max("time").to_series()
    at_capacity = hours_at_capacity(ds).to_series()
    at_peak = peak.set_index("pipe").reindex(links)
    merged = model.eq("")
    dn = ds["link_dn"].values
    status = ds["link_status"].values
    built = np.where(status == "existing", "existing", np.where(np.isnan(dn), "not built", "built"))
    return {
        "id": links.to_numpy(dtype=object),
        "from": ds["link_from"].values.astype(object),
        "to": ds["link_to"].values.astype(object),
        "status": status.astype(object),
        "built": built.astype(object),
        "dn": dn,
        "length_m": ds["link_length_m"].values,
        "model_pipe": model.to_numpy(dtype=object),
        "peak_flow_MW": np.where(merged, at_peak["flow_MW"].abs(), model.map(largest)).astype(float),
        "hours_at_capacity_h": np.where(merged, 0.0, model.map(at_capacity).fillna(0.0)).astype(float),
        "peak_velocity_m_per_s": at_peak["velocity_m_per_s"].to_numpy(dtype=float),
        "peak_pressure_drop_Pa_per_m": at_peak["pressure_drop_Pa_per_m"].to_numpy(dtype=float),
    }


def consumer_fields(ds: xr.Dataset, peak: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per consumer: id, zone, demand, heat delivered and unmet over the horizon, per year [MWh/yr] (its
    zone's, shared by annual heat), and its supply temperature at the peak hour [degC]."""
    consumer = ds["node_kind"].values == "consumer"
    weight = ds["weight_h"]
    zone_demand = (ds["demand_MW"] * weight).sum("time").to_series()
    zone_unmet = (ds["unmet_MW"] * weight).sum("time").to_series()
    nodes = pd.DataFrame(
        {"zone": ds["node_zone"].values, "annual": ds["node_annual_heat_MWh"].values}, index=ds["node"].values
    )[consumer]
    share = nodes["annual"] / nodes.groupby("zone")["annual"].transform("sum").replace(0.0, np.nan)
    demand = (nodes["zone"].map(zone_demand) * share).fillna(0.0)
    unmet = (nodes["zone"].map(zone_unmet) * share).fillna(0.0)
    supply = peak.set_index("consumer")["supply_degC"].reindex(nodes.index)
    return {
        "id": nodes.index.to_numpy(dtype=object),
        "zone": nodes["zone"].to_numpy(dtype=object),
        "demand_MWh": demand.to_numpy(dtype=float),
        "heat_delivered_MWh": (demand - unmet).to_numpy(dtype=float),
        "unmet_MWh": unmet.to_numpy(dtype=float),
        "peak_supply_degC": supply.to_numpy(dtype=float),
    }


def _geometries(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Pipe lines (the stored WKT, else straight lines between the ends), consumer points, and the CRS to
    write in: the input's, reprojected from the working CRS with pyproj (through shapely.transform)."""
    xy = pd.DataFrame({"x": ds["node_x_m"].values, "y": ds["node_y_m"].values}, index=ds["node"].values)
    wkt = ds["link_geometry_wkt"].values.astype(str)
    ends = np.stack([xy.loc[ds["link_from"].values].to_numpy(), xy.loc[ds["link_to"].values].to_numpy()], axis=1)
    lines = np.where(wkt != "", shapely.from_wkt(np.where(wkt != "", wkt, None)), shapely.linestrings(ends))
    consumer = ds["node_kind"].values == "consumer"
    points = shapely.points(xy.to_numpy()[consumer])
    crs, input_crs = (ds["link_geometry_wkt"].attrs.get(key) or None for key in ("crs", "input_crs"))
    if crs and input_crs and pyproj.CRS(crs) != pyproj.CRS(input_crs):
        back = pyproj.Transformer.from_crs(crs, input_crs, always_xy=True)
        move = lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1]))  # noqa: E731
        lines, points = shapely.transform(lines, move), shapely.transform(points, move)
    return lines, points, input_crs or crs


def _write(path: str, layers: list[tuple[str, np.ndarray, dict, str]], crs: str | None, driver: str) -> None:
    """The layers into `path` (write_atomically's temporary), staged under the driver's own extension."""
    staging = Path(f"{path}.{'gpkg' if driver == 'GPKG' else 'geojson'}")
    staging.unlink(missing_ok=True)
    try:
        for k, (layer, geometry, fields, gtype) in enumerate(layers):
            pyogrio.raw.write(staging, shapely.to_wkb(geometry), list(fields.values()), list(fields), layer=layer,
                              driver=driver, crs=crs, geometry_type=gtype, append=k > 0)  # fmt: skip
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def export_gis(result_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the GIS layers of ``RESULT_DIR`` into `out_dir` (default ``RESULT_DIR/gis``); the paths written."""
    result_dir = Path(result_dir)
    out_dir = Path(out_dir) if out_dir is not None else result_dir / "gis"
    ds = open_result(result_dir)
    check = check_dataset(ds)
    peak_pipes = check.pipes[check.pipes["check"] == "peak"]
    peak_consumers = check.consumers[check.consumers["check"] == "peak"]
    lines, points, crs = _geometries(ds)
    pipes = ("pipes", lines, pipe_fields(ds, peak_pipes), "LineString")
    consumers = ("consumers", points, consumer_fields(ds, peak_consumers), "Point")
    targets = {
        "design.gpkg": lambda p: _write(p, [pipes, consumers], crs, "GPKG"),
        "pipes.geojson": lambda p: _write(p, [pipes], crs, "GeoJSON"),
        "consumers.geojson": lambda p: _write(p, [consumers], crs, "GeoJSON"),
    }
    run_id = json.loads((result_dir / MANIFEST_JSON).read_text(encoding="utf-8")).get("run_id")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out_dir, (*GIS_FILES, MANIFEST_JSON))
        (out_dir / MANIFEST_JSON).unlink(missing_ok=True)
        files = {name: digest(write_atomically(out_dir / name, write)) for name, write in targets.items()}
        manifest = {"results_run_id": run_id, "crs": crs or "", "files": files}
        write_atomically(out_dir / MANIFEST_JSON, lambda p: Path(p).write_text(json.dumps(manifest, indent=2) + "\n"))
    except (OSError, RuntimeError) as error:
        raise CaseError(
            f"{out_dir}: cannot write the GIS layers ({error}); free space or choose another --out"
        ) from None
    return [out_dir / name for name in (*GIS_FILES, MANIFEST_JSON)]
