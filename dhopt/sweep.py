"""Sweep files: a base case, a full-factorial grid over case fields and named scenarios.

A sweep file (``cases/*.sweep.toml``)::

    base = "../dhopt/data/default/ballerup.toml"   # case file, relative to the sweep file

    [grid]                                  # dotted case paths -> values; full factorial
    "grid.import_limit_MW" = [4, 8, 12]
    heat_pump.lorenz_efficiency = [0.6, 0.7]     # unquoted dotted keys work too

    [[scenario]]                            # optional; the sweep is scenarios x grid
    name = "dk2019"
    overrides = { timeseries = "../dhopt/data/default/dk_2019_hourly.csv" }

Paths given in a sweep (``network``, ``timeseries``) are relative to the sweep file; those in
the base case stay relative to the base case. Every expanded case carries its fully resolved
inputs and a content hash of them (including the bytes of the network and time-series files),
so identical inputs give the same hash whatever the key order or the file names.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dhopt.case import Case, CaseSpec, case_from_dict, load_case, read_toml
from dhopt.errors import CaseError
from dhopt.files import input_file_problem, resolved

HASH_FORMAT = 1  # bump when the hashed content changes meaning, so old results are not reused
PATH_KEYS = ("network", "timeseries")
NOT_HASHED = ("name", "description")  # labels: renaming a scenario does not invalidate its result


class Scenario(BaseModel):
    """One named set of overrides, combined with every point of the grid."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(..., min_length=1, description="label of the scenario in results")
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted case path -> value")


class SweepSpec(BaseModel):
    """The whole sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base: str = Field(..., min_length=1, description="case file, relative to the sweep file")
    description: str = ""
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="dotted case path -> values")
    scenario: list[Scenario] = Field(default_factory=list)


@dataclass(frozen=True)
class SweepCase:
    """One expanded case: its label, what it changes, its resolved inputs and their hash."""

    name: str  # unique within the sweep, e.g. "dk2019,import_limit_MW=8"
    scenario: str | None  # name of its [[scenario]], if the sweep has any
    overrides: dict[str, Any]  # dotted path -> value (paths made absolute)
    case: dict[str, Any]  # every case field, defaults filled in, network/timeseries absolute
    hash: str  # sha256 hex of the canonical JSON of the inputs (see `case_hash`)


def case_paths() -> list[str]:
    """Every dotted path a sweep may set: top-level fields and ``section.field`` (not ``name``)."""
    paths = []
    for name, info in CaseSpec.model_fields.items():
        if name == "name":  # each case is named after its scenario and grid point
            continue
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            paths += [f"{name}.{field}" for field in section.model_fields]
        else:
            paths.append(name)
    return paths


def _flatten(table: dict, prefix: str = "") -> dict[str, Any]:
    """Nested tables -> dotted keys (so ``a.b = 1`` and ``"a.b" = 1`` mean the same)."""
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _suggest(path: str, known: list[str]) -> str:
    close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    if not close:  # a bare field name, e.g. "import_limit_MW" for "grid.import_limit_MW"
        by_field = {p.rsplit(".", 1)[-1]: p for p in known}
        field = difflib.get_close_matches(path.rsplit(".", 1)[-1], list(by_field), n=1, cutoff=0.75)
        close = [by_field[field[0]]] if field else []
    return f"; did you mean '{close[0]}'?" if close else "; see README 'Case files' for the fields"


def _read_sweep(path: Path) -> SweepSpec:
    data = read_toml(path, "sweep")
    if isinstance(data.get("grid"), dict):
        data["grid"] = _flatten(data["grid"])
    for scenario in data.get("scenario", []) if isinstance(data.get("scenario"), list) else []:
        if isinstance(scenario, dict) and isinstance(scenario.get("overrides"), dict):
            scenario["overrides"] = _flatten(scenario["overrides"])
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            where = ".".join(str(part) for part in e["loc"])
            hint = _suggest(str(e["loc"][-1]), list(SweepSpec.model_fields)) if e["type"] == "extra_forbidden" else ""
            problems.append(f"{path}: key '{where}': {e['msg']}{hint}")
        raise CaseError(problems) from None


def _check_sweep(path: Path, spec: SweepSpec) -> None:
    """Unknown paths, empty or repeated grid values, clashing scenarios: all reported together."""
    known = case_paths()
    problems = []
    for key, values in spec.grid.items():
        if key not in known:
            problems.append(f"{path}: [grid] key '{key}': not a case field{_suggest(key, known)}")
        if not values:
            problems.append(f"{path}: [grid] key '{key}': expected a non-empty list of values")
        canonical = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(canonical)) < len(canonical):
            problems.append(f"{path}: [grid] key '{key}': expected distinct values, got {values}")
    names = [s.name for s in spec.scenario]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(
            f"{path}: [[scenario]] name '{name}': expected unique scenario names, used {names.count(name)} times"
        )
    for scenario in spec.scenario:
        for key in scenario.overrides:
            where = f"{path}: scenario '{scenario.name}' override '{key}'"
            if key not in known:
                problems.append(f"{where}: not a case field{_suggest(key, known)}")
            elif key in spec.grid:
                problems.append(f"{where}: also set by [grid]; set it in one place only")
    if problems:
        raise CaseError(problems)


def _format_value(key: str, value: Any) -> str:
    """A value as shown in a case name: a file's name, a whole float without '.0', text as written (quoted
    with escapes when it holds a newline or another unprintable character, so a name stays on one line)."""
    if key in PATH_KEYS and isinstance(value, str):
        value = Path(value).name
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value if value.isprintable() else json.dumps(value)
    return json.dumps(value)


def _labels(keys: list[str]) -> dict[str, str]:
    """Grid keys as shown in case names: the field name alone when that is unambiguous."""
    fields = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: f if fields.count(f) == 1 else k for k, f in zip(keys, fields)}


def _with_overrides(base: dict, overrides: dict[str, Any], directory: Path, where: str) -> dict:
    data = copy.deepcopy(base)
    for key, value in overrides.items():
        if key in PATH_KEYS and isinstance(value, str):
            value = str(resolved(directory / value, f"{where}: key '{key}'"))
        *sections, field = key.split(".")
        table = data
        for section in sections:
            table = table.setdefault(section, {})
        table[field] = value
    return data


def _sha256_file(path: Path, cache: dict[Path, str], what: str) -> str:
    if path not in cache:
        problem = input_file_problem(path)
        if problem:
            raise CaseError(f"{path}: {what} file {problem}")
        cache[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return cache[path]


def network_files(network: Path) -> tuple[str, dict[str, Path]]:
    """What a case's ``network`` key becomes under portable names, and the files behind it.

    ``x.geojson`` -> one file; ``<stem>.nodes.csv`` -> it and ``<stem>.edges.csv``; a directory ->
    its ``nodes.csv`` and ``edges.csv`` (as `dhopt.network.load_network` reads them).
    """
    if network.is_dir() and not (network / "nodes.csv").exists() and any(network.glob("*.shp")):
        return "network", {f"network/{p.name}": p for p in sorted(network.iterdir()) if p.is_file()}  # Shapefiles
    if network.suffix.lower() == ".shp":  # with its .shx, .dbf, .prj, .cpg beside it
        return f"network/{network.name}", {
            f"network/{p.name}": p for p in sorted(network.parent.glob(f"{network.stem}.*"))
        }
    if network.is_dir():
        return "network", {"network/nodes.csv": network / "nodes.csv", "network/edges.csv": network / "edges.csv"}
    name = network.name
    if name.lower().endswith((".nodes.csv", ".edges.csv")):
        stem = name[: -len(".nodes.csv")]
        files = {f"network/{stem}.{kind}.csv": network.with_name(f"{stem}.{kind}.csv") for kind in ("nodes", "edges")}
        return f"network/{stem}.nodes.csv", files
    return f"network/{name}", {f"network/{name}": network}


def input_files(case: dict[str, Any]) -> dict[str, Path]:
    """Every file a resolved case reads, keyed by a portable relative name."""
    timeseries = Path(case["timeseries"])
    return {**network_files(Path(case["network"]))[1], f"timeseries/{timeseries.name}": timeseries}


def portable_case(case: dict[str, Any], directory: str = "inputs") -> dict[str, Any]:
    """The case with ``network`` and ``timeseries`` pointing into ``directory`` (relative to the case
    file), where `input_files` are placed under their portable names."""
    network = network_files(Path(case["network"]))[0]
    return dict(
        case, network=f"{directory}/{network}", timeseries=f"{directory}/timeseries/{Path(case['timeseries']).name}"
    )


def case_hash(case: dict[str, Any], cache: dict[Path, str] | None = None) -> str:
    """sha256 of the canonical JSON of a resolved case, its input files replaced by their sha256.

    Labels (``name``, ``description``) and file names are left out; keys are sorted, so the
    same inputs give the same hash whatever their order or where the files live.
    """
    cache = {} if cache is None else cache
    content = {k: v for k, v in case.items() if k not in NOT_HASHED}
    content["network"] = [_sha256_file(p, cache, "network") for p in network_files(Path(case["network"]))[1].values()]
    content["timeseries"] = _sha256_file(Path(case["timeseries"]), cache, "time series")
    text = json.dumps({"format": HASH_FORMAT, "case": content}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def build_case(sweep_path: Path, case: dict[str, Any]) -> Case:
    """The validated `Case` of a resolved case dictionary; reads the time series, writes nothing."""
    return case_from_dict(Path(sweep_path), case)


def _resolved(case: Case) -> dict[str, Any]:
    data = case.spec.model_dump(mode="json")
    data.update(network=str(case.network_path), timeseries=str(case.timeseries_path))
    return data


def _grouped(problems: dict[str, list[str]]) -> list[str]:
    """One line per distinct problem, naming the cases that have it."""
    lines = []
    for problem, names in problems.items():
        shown = ", ".join(f"'{n}'" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        lines.append(f"{problem} (case{'s' if len(names) > 1 else ''} {shown})")
    return lines


def expand_sweep(path: str | Path) -> list[SweepCase]:
    """Read a sweep file and expand it into validated cases (scenarios x grid, in file order).

    Raises one `CaseError` listing every problem: in the sweep file, in the base case, or in any
    expanded case (values out of bounds, missing files), before any case is run.
    """
    path = Path(path)
    spec = _read_sweep(path)
    _check_sweep(path, spec)
    load_case(path.parent / spec.base)  # a broken base is reported against its own file, once
    base_path = resolved(path.parent / spec.base, f"{path}: key 'base'")
    base = tomllib.loads(base_path.read_text(encoding="utf-8-sig"))
    for key in PATH_KEYS:
        base[key] = str(resolved(base_path.parent / base[key], f"{base_path}: key '{key}'"))

    keys, labels = list(spec.grid), _labels(list(spec.grid))
    scenarios = spec.scenario or [None]
    cases, problems, cache = [], {}, {}
    for scenario, point in itertools.product(scenarios, itertools.product(*spec.grid.values())):
        grid = dict(zip(keys, point))
        parts = ([scenario.name] if scenario else []) + [f"{labels[k]}={_format_value(k, v)}" for k, v in grid.items()]
        name = ",".join(parts) or "base"
        overrides = {**(scenario.overrides if scenario else {}), **grid}
        try:  # a path override that cannot be resolved, a value out of range, an input file that is not one
            data = _with_overrides(base, overrides, path.parent, str(path))
            data["name"] = name
            case = _resolved(build_case(path, data))
            digest = case_hash(case, cache)
        except CaseError as error:
            for line in error.problems:
                problems.setdefault(line, []).append(name)
            continue
        absolute = {k: case[k] if k in PATH_KEYS else v for k, v in overrides.items()}
        cases.append(SweepCase(name, scenario.name if scenario else None, absolute, case, digest))
    if problems:
        raise CaseError(_grouped(problems))
    _refuse_duplicates(path, cases)
    return cases


def _refuse_duplicates(path: Path, cases: list[SweepCase]) -> None:
    first: dict[str, str] = {}
    problems = []
    for case in cases:
        if case.hash in first:
            problems.append(f"{path}: cases '{first[case.hash]}' and '{case.name}' have identical inputs; drop one")
        first.setdefault(case.hash, case.name)
    if problems:
        raise CaseError(problems)


def sweep_identity(cases: list[SweepCase]) -> str:
    """sha256 of the expanded sweep (every case's name and hash): what a result directory holds."""
    text = json.dumps(sorted((c.name, c.hash) for c in cases), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # floats as 8.0, inf, nan: all valid TOML
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(data: dict[str, Any]) -> str:
    """A case dictionary (scalars, lists, one level of tables) as TOML; ``None`` means 'omit'.

    >>> print(to_toml({"name": "a", "grid": {"import_limit_MW": 8.0, "x": None}}), end="")
    name = "a"
    <BLANKLINE>
    [grid]
    import_limit_MW = 8.0
    """
    scalars = [f"{k} = {_toml_value(v)}" for k, v in data.items() if v is not None and not isinstance(v, dict)]
    tables = []
    for key, table in data.items():
        if isinstance(table, dict):
            rows = [f"{k} = {_toml_value(v)}" for k, v in table.items() if v is not None]
            tables.append("\n".join([f"[{key}]", *rows]))
    return "\n\n".join(["\n".join(scalars), *tables]) + "\n"
