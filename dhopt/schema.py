"""What a result directory (``dhopt run --out DIR``) holds, declared once for its writer and its readers.

`dhopt.results.write_results` writes these files and checks its dataset against `VARIABLES` first;
the report (`dhopt.report.load`) and the hydraulic check (`dhopt.planning.hydraulics.open_result`)
read them through `result_paths` and `read_dataset`, so a missing file, variable or attribute is one
line naming the file and what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import xarray as xr

from dhopt.errors import CaseError
from dhopt.files import digest

RESULTS_NC, DESIGN_CSV, KPIS_JSON = "results.nc", "design.csv", "kpis.json"
RESULT_FILES = (RESULTS_NC, DESIGN_CSV, KPIS_JSON)
MANIFEST_JSON = "manifest.json"  # written last: the run's id and each result file's SHA-256
DESIGN_COLUMNS = ("component", "id", "quantity", "value")  # design.csv; kpis.json: KPI name -> number
CASE_ATTRS = ("case_json",)  # results.nc attributes the hydraulic check needs (the case as JSON)

# results.nc variables (and coordinates) that a reader relies on: name -> (dims, units; None: text)
VARIABLES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "weight_h": (("time",), "h"),
    "supply_temperature_degC": (("time",), "degC"),
    "electricity_price_EUR_per_MWh": (("time",), "EUR/MWh"),
    "electricity_MW": (("time",), "MW"),
    "source_heat_MW": (("source", "time"), "MW"),
    "hp_heat_MW": (("source", "time"), "MW"),
    "hp_electricity_MW": (("source", "time"), "MW"),
    "direct_heat_MW": (("source", "time"), "MW"),
    "rejected_heat_MW": (("source", "time"), "MW"),
    "cop": (("source", "time"), "1"),
    "storage_capacity_MWh": (("site",), "MWh"),
    "storage_level_MWh": (("site", "time"), "MWh"),
    "storage_charge_MW": (("site", "time"), "MW"),
    "storage_discharge_MW": (("site", "time"), "MW"),
    "plant_heat_MW": (("plant", "time"), "MW"),
    "plant_technology": (("plant",), None),
    "unit_capacity_MW": (("unit",), "MW"),
    "unit_heat_MW": (("unit", "time"), "MW"),
    "unit_electricity_MW": (("unit", "time"), "MW"),
    "unit_cop": (("unit", "time"), "1"),
    "unit_technology": (("unit",), None),
    "pit_capacity_MWh": (("pit",), "MWh"),
    "pit_level_MWh": (("pit", "time"), "MWh"),
    "pit_charge_MW": (("pit", "time"), "MW"),
    "pit_discharge_MW": (("pit", "time"), "MW"),
    "pipe_flow_MW": (("pipe", "time"), "MW"),
    "pipe_loss_MW": (("pipe", "time"), "MW"),
    "pipe_dn": (("pipe",), "mm"),
    "pipe_from_zone": (("pipe",), None),
    "pipe_to_zone": (("pipe",), None),
    "demand_MW": (("zone", "time"), "MW"),
    "unmet_MW": (("zone", "time"), "MW"),
    "node_x_m": (("node",), "m"),
    "node_y_m": (("node",), "m"),
    "node_kind": (("node",), None),
    "node_zone": (("node",), None),
    "node_annual_heat_MWh": (("node",), "MWh"),
    "node_profile": (("node",), None),
    "node_min_supply_degC": (("node",), "degC"),
    "profile_share": (("profile", "time"), "1/h"),
    "link_from": (("link",), None),
    "link_to": (("link",), None),
    "link_length_m": (("link",), "m"),
    "link_status": (("link",), None),
    "link_dn": (("link",), "mm"),
    "link_inner_diameter_m": (("link",), "m"),
    "link_outer_diameter_m": (("link",), "m"),
    "link_model_pipe": (("link",), None),
    # a campus's own electricity (dhopt/model/power.py); no power_site without one
    "pv_capacity_MWp": (("power_site",), "MWp"),
    "battery_energy_MWh": (("power_site",), "MWh"),
    "battery_power_MW": (("power_site",), "MW"),
    "backup_capacity_MW": (("power_site",), "MW"),
    **{
        name: (("power_site", "time"), "MWh" if name.endswith("MWh") else "MW")
        for name in (
            *("pv_MW", "pv_available_MW", "battery_charge_MW", "battery_discharge_MW", "battery_level_MWh"),
            *("backup_MW", "grid_import_MW", "grid_export_MW", "it_load_MW", "it_served_MW"),
        )
    },
    "link_geometry_wkt": (("link",), None),
}
POWER_VARIABLES = tuple(name for name, (dims, _) in VARIABLES.items() if dims[0] == "power_site")
REPORT_VARIABLES = (  # what `dhopt report` reads (and `import_limit_MW` where the case has a limit)
    *("weight_h", "supply_temperature_degC", "electricity_price_EUR_per_MWh", "electricity_MW"),
    *("source_heat_MW", "hp_heat_MW", "hp_electricity_MW", "direct_heat_MW", "rejected_heat_MW", "cop"),
    *("storage_capacity_MWh", "storage_level_MWh", "storage_charge_MW", "storage_discharge_MW"),
    *("plant_heat_MW", "plant_technology", "pipe_flow_MW", "pipe_dn", "demand_MW", "unmet_MW"),
    *("unit_capacity_MW", "unit_heat_MW", "unit_technology", "pit_capacity_MWh", "pit_level_MWh"),
    *("pit_charge_MW", "pit_discharge_MW"),
    *("node_x_m", "node_y_m", "node_kind", "link_from", "link_to", "link_length_m", "link_status", "link_dn"),
)
HYDRAULICS_VARIABLES = (  # what `dhopt hydraulics` reads: the network layer and the hourly flows
    *("node_x_m", "node_y_m", "node_kind", "node_zone", "node_annual_heat_MWh", "node_profile"),
    *("node_min_supply_degC", "profile_share", "link_from", "link_to", "link_length_m", "link_status"),
    *(
        "link_dn",
        "link_inner_diameter_m",
        "link_outer_diameter_m",
        "link_model_pipe",
        "pipe_from_zone",
        "pipe_to_zone",
        "pipe_flow_MW",
        "pipe_loss_MW",
    ),
    *("supply_temperature_degC", "demand_MW", "unmet_MW", "storage_charge_MW", "storage_discharge_MW"),
)


def dataset_problems(ds: xr.Dataset, path: Path, names: Iterable[str] = VARIABLES) -> list[str]:
    """One line for the variables of `names` that `ds` lacks, one per variable with other dims or units."""
    names = list(names)
    problems = []
    missing = [name for name in names if name not in ds]
    if missing:
        problems.append(f"{path}: missing variable(s) {', '.join(missing)}")
    for name in (name for name in names if name in ds):
        dims, units = VARIABLES[name]
        found = (ds[name].dims, ds[name].attrs.get("units"))
        if found != (dims, units):
            problems.append(f"{path}: variable {name!r}: dims {found[0]}, units {found[1]}; expected {dims}, {units}")
    return problems


def result_paths(result_dir: Path, names: Iterable[str] = RESULT_FILES) -> dict[str, Path]:
    """The files `names` of `result_dir` by name; a `CaseError` with one line per missing one."""
    if result_dir.exists() and not result_dir.is_dir():
        raise CaseError(f"{result_dir}: a file, expected a result directory (written by dhopt run CASE --out DIR)")
    if not result_dir.is_dir():
        raise CaseError(f"{result_dir}: no such result directory; write one with dhopt run CASE --out DIR")
    paths = {name: result_dir / name for name in names}
    absent = [path for path in paths.values() if not path.is_file()]
    if absent:
        raise CaseError([f"{path}: missing; write it with dhopt run CASE --out {result_dir}" for path in absent])
    mixed = manifest_problems(result_dir, paths)
    if mixed:
        raise CaseError(mixed)
    return paths


def manifest_problems(result_dir: Path, paths: dict[str, Path]) -> list[str]:
    """One line per file of `paths` that the folder's manifest does not vouch for: no manifest (a run
    stopped while writing), or a file whose SHA-256 is not the one its run wrote (files of two runs)."""
    again = f"run dhopt run CASE --out {result_dir} again"
    try:
        listed = json.loads((result_dir / MANIFEST_JSON).read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return [
            f"{result_dir / MANIFEST_JSON}: missing, so the results are incomplete (a run stopped while writing); {again}"
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{result_dir / MANIFEST_JSON}: unreadable ({error}); {again}"]
    return [
        f"{path}: not the file its run wrote (manifest {result_dir / MANIFEST_JSON}): files of different runs; {again}"
        for name, path in paths.items()
        if not isinstance(listed, dict) or listed.get(name) != digest(path)
    ]


def read_dataset(path: Path, names: Iterable[str], problems: list[str], attrs: Iterable[str] = ()) -> xr.Dataset | None:
    """``results.nc`` at `path` loaded; what it lacks of `names` and `attrs` is added to `problems`."""
    try:
        with xr.open_dataset(path, engine="h5netcdf") as stored:
            ds = stored.load()
    except (OSError, ValueError) as error:
        problems.append(f"{path}: cannot read as NetCDF ({error})")
        return None
    problems += [
        f"{line}; written by an older dhopt? run dhopt run --out again" for line in dataset_problems(ds, path, names)
    ]
    missing = [name for name in attrs if name not in ds.attrs]
    if missing:
        problems.append(f"{path}: missing attribute(s) {', '.join(missing)}; run dhopt run --out again")
    return ds
