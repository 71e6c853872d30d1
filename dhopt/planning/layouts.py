"""One campus or a fleet of small units in buildings, on the same district and the same compute demand
(`dhopt compare-layouts`).

The case names both: a campus (a ``source`` node of its network) and a ``[fleet]``. Layout ``campus``
runs the fleet's compute demand D_t at the campus (recoverable heat r_s D_t IT_s / sum IT, its largest
heat pump re-derived from it), with no fleet; layout ``fleet`` runs it on the fleet's units, with no
campus (nor the candidate pipes only the campus needed, `dhopt.reduce.drop_campus_routes`). Each is
designed and dispatched as the case's horizon says (`dhopt.run.solve_inputs`). The IT load's own
electricity (PUE x D_t) is the same in both and is not in the grid figures, which count heat pumps and
electric boilers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from dhopt.case import Case, load_case
from dhopt.data import DEFAULT_CASE
from dhopt.errors import CaseError
from dhopt.inputs import Inputs, prepare_inputs
from dhopt.network import load_network
from dhopt.planning.output import write_table
from dhopt.reduce import reduce_network
from dhopt.run import Phases, Solution, solve_inputs, without_campus
from dhopt.solve import SolveOptions

LAYOUTS_CSV = "layouts.csv"


def campus_layout(inputs: Inputs) -> Inputs:
    """The fleet's compute demand at the case's campus (or campuses, split by IT load), without the fleet."""
    sources = inputs.sources
    split = sources["it_load_MW"] / sources["it_load_MW"].sum()
    compute = inputs.fleet_compute_MW.to_numpy()[:, None]
    heat = pd.DataFrame(
        compute * (split * sources["recovered_share"]).to_numpy()[None, :],
        index=inputs.source_heat_MW.index,
        columns=sources.index,
    )
    cop = inputs.cop[sources.index]
    useful = (heat * cop / (cop - 1.0).clip(lower=1e-9)).max()  # all heat lifted at the best COP
    return inputs.with_(
        sources=sources.assign(hp_max_MW=useful.to_numpy()),
        source_heat_MW=heat,
        fleet=inputs.fleet.iloc[:0],
        fleet_demand_MW=inputs.fleet_demand_MW.iloc[:, :0],
        fleet_el_per_heat_building=inputs.fleet_el_per_heat_building.iloc[:, :0],
        fleet_el_per_heat_network=inputs.fleet_el_per_heat_network.iloc[:, :0],
    )


def fleet_layout(inputs: Inputs) -> Inputs:
    """The fleet alone: no campus, no candidate pipe only the campus needed; the case's CO2 settings kept."""
    names = ("fleet", "fleet_demand_MW", "fleet_el_per_heat_building", "fleet_el_per_heat_network")
    return without_campus(inputs).with_(scalars=inputs.scalars, **{name: getattr(inputs, name) for name in names})


def with_campus(case: Case) -> Case:
    """`case` with its campuses recovering heat (a fleet's ``replaces_campus`` set false), so that both
    layouts can be formed from its inputs."""
    fleet = case.spec.fleet
    if fleet is None or not fleet.replaces_campus:
        return case
    spec = case.spec.model_copy(update={"fleet": fleet.model_copy(update={"replaces_campus": False})})
    return replace(case, spec=spec)


def layout_row(name: str, solution: Solution) -> dict:
    """A layout's figures: cost [EUR/yr], heat reused [MWh/yr], homes, grid peak [MW], CO2 [t/yr], new pipes."""
    k, ds = solution.kpis, solution.dataset
    built = (ds["link_status"].values == "candidate") & ~np.isnan(ds["link_dn"].values)
    return {
        "layout": name,
        "annual_cost_EUR": k["annual_cost_EUR"],
        "campus_heat_reused_MWh": k["campus_heat_reused_MWh"],
        "rejected_heat_MWh": k["rejected_heat_MWh"],
        "homes_heated_by_campus": k["homes_heated_by_campus"],
        "heat_pump_capacity_MW": k["hp_capacity_MW"] + k.get("fleet_hp_capacity_MW", 0.0),
        "grid_peak_MW": float(ds["electricity_MW"].max()),
        "co2_t": k["co2_t"],
        "new_pipes": int(built.sum()),
        "new_pipe_km": float(ds["link_length_m"].values[built].sum() / 1000.0),
        "heat_reused_without_shifting_MWh": k.get("heat_reused_without_shifting_MWh", k["campus_heat_reused_MWh"]),
    }


def compare_layouts(
    case_path: str | Path | None = None,
    options: SolveOptions = SolveOptions(),
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per layout (`layout_row`): ``campus`` and ``fleet`` on the same district and compute demand."""
    case = with_campus(load_case(case_path or DEFAULT_CASE))
    network = load_network(case.network_path, case.spec.network_options)
    prepared = prepare_inputs(case, network)
    if prepared.sources.empty or prepared.fleet.empty or not prepared.power.empty:
        raise CaseError(
            f"{case.path}: compare-layouts: expected a campus (a source node of {network.path}) on the grid "
            f"and a [fleet] section, got {len(prepared.sources)} campus(es) and {len(prepared.fleet)} fleet units"
            + (" (a campus with its own electricity is not compared)" if not prepared.power.empty else "")
        )
    rows = []
    for name, layout in (("campus", campus_layout), ("fleet", fleet_layout)):
        chosen = layout(prepared)
        reduced, _ = reduce_network(chosen)
        phases = Phases(None if progress is None else lambda line, n=name: progress(f"{n:<7}{line}"))
        solution = solve_inputs(reduced, case, network, options, reference=False, phases=phases)
        rows.append(layout_row(name, solution))
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, hours: int) -> list[str]:
    """The table as aligned lines, and what its figures count."""
    shown = table.set_index("layout").T
    lines = [f"{'':<34}" + "".join(f"{c:>16}" for c in shown.columns)]
    for row, values in shown.iterrows():
        lines.append(f"{row:<34}" + "".join(f"{v:>16,.1f}" if isinstance(v, float) else f"{v:>16}" for v in values))
    lines.append(
        f"per year: the {hours} h modelled scaled to 8,760 h; grid peak: heat pumps and electric boilers (the IT "
        "load's own electricity is the same in both); new pipes: candidate pipes built"
    )
    return lines


def write_layouts(out_dir: Path, table: pd.DataFrame) -> list[Path]:
    """layouts.csv in `out_dir`."""
    return [write_table(Path(out_dir) / LAYOUTS_CSV, table)]
