"""Read a result directory written by ``dhopt run --out``; every problem becomes one line of a `CaseError`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from dhopt.errors import CaseError

DESIGN_COLUMNS = ("component", "id", "quantity", "value")
REQUIRED_VARIABLES = (
    "weight_h",
    "supply_temperature_degC",
    "electricity_price_EUR_per_MWh",
    "source_heat_MW",
    "hp_heat_MW",
    "hp_electricity_MW",
    "direct_heat_MW",
    "rejected_heat_MW",
    "cop",
    "storage_capacity_MWh",
    "storage_level_MWh",
    "storage_charge_MW",
    "storage_discharge_MW",
    "plant_heat_MW",
    "pipe_flow_MW",
    "pipe_dn",
    "demand_MW",
    "unmet_MW",
    "node_x_m",
    "node_y_m",
    "node_kind",
    "link_from",
    "link_to",
    "link_length_m",
    "link_status",
    "link_dn",
)


@dataclass(frozen=True)
class Result:
    """One solved case as written to disk: hourly results, KPIs (per year) and the design."""

    directory: Path
    dataset: xr.Dataset
    kpis: dict[str, float]
    design: pd.DataFrame  # columns DESIGN_COLUMNS


def _dataset(path: Path, problems: list[str]) -> xr.Dataset | None:
    try:
        with xr.open_dataset(path, engine="h5netcdf") as stored:
            ds = stored.load()
    except (OSError, ValueError) as error:
        problems.append(f"{path}: cannot read as NetCDF ({error})")
        return None
    missing = [name for name in REQUIRED_VARIABLES if name not in ds]
    if missing:
        problems.append(
            f"{path}: missing variable(s) {', '.join(missing)}; written by an older dhopt? run dhopt run --out again"
        )
    return ds


def _kpis(path: Path, problems: list[str]) -> dict[str, float] | None:
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        problems.append(f"{path}: cannot read ({error.strerror})")
        return None
    except json.JSONDecodeError as error:
        problems.append(f"{path}: not valid JSON ({error.msg} at line {error.lineno})")
        return None
    if not isinstance(figures, dict) or not all(isinstance(v, int | float) for v in figures.values()):
        problems.append(f"{path}: expected an object of KPI name -> number")
        return None
    return {key: float(value) for key, value in figures.items()}


def _design(path: Path, problems: list[str]) -> pd.DataFrame | None:
    try:
        design = pd.read_csv(path)
    except (OSError, ValueError) as error:
        problems.append(f"{path}: cannot read as CSV ({error})")
        return None
    if tuple(design.columns) != DESIGN_COLUMNS:
        problems.append(f"{path}: expected the columns {','.join(DESIGN_COLUMNS)}, got {','.join(design.columns)}")
        return None
    return design


def load_result(result_dir: Path) -> Result:
    """results.nc, kpis.json and design.csv of ``result_dir``; raises `CaseError` listing every problem."""
    if not result_dir.is_dir():
        raise CaseError(f"{result_dir}: no such result directory; write one with dhopt run CASE --out DIR")
    paths = {name: result_dir / name for name in ("results.nc", "kpis.json", "design.csv")}
    absent = [
        f"{path}: missing; write it with dhopt run CASE --out DIR" for path in paths.values() if not path.is_file()
    ]
    if absent:
        raise CaseError(absent)
    problems: list[str] = []
    ds = _dataset(paths["results.nc"], problems)
    figures = _kpis(paths["kpis.json"], problems)
    design = _design(paths["design.csv"], problems)
    if problems:
        raise CaseError(problems)
    return Result(result_dir, ds, figures, design)
