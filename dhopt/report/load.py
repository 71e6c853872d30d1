"""Read a result directory written by ``dhopt run --out``; every problem becomes one line of a `CaseError`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from dhopt.errors import CaseError
from dhopt.schema import DESIGN_COLUMNS, DESIGN_CSV, KPIS_JSON, REPORT_VARIABLES, RESULTS_NC, read_dataset, result_paths


@dataclass(frozen=True)
class Result:
    """One solved case as written to disk: hourly results, KPIs (per year) and the design."""

    directory: Path
    dataset: xr.Dataset
    kpis: dict[str, float]
    design: pd.DataFrame  # columns DESIGN_COLUMNS


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
    paths = result_paths(result_dir)
    problems: list[str] = []
    ds = read_dataset(paths[RESULTS_NC], REPORT_VARIABLES, problems)
    figures = _kpis(paths[KPIS_JSON], problems)
    design = _design(paths[DESIGN_CSV], problems)
    if problems:
        raise CaseError(problems)
    return Result(result_dir, ds, figures, design)
