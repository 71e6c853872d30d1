"""Cost-CO2 trade-off by the epsilon-constraint method, each point a full answer of `dhopt run`.

1. least cost gives the cheapest design and its CO2, CO2_max [t/yr];
2. least CO2 (case ``objective.minimise = "co2"``) gives CO2_min;
3. for N caps eps evenly spaced from CO2_min to CO2_max: least cost with an annual CO2 cap
   (case ``objective.co2_cap_t = eps``). The two ends are solved the same way, so the CO2_min point
   is the cheapest design at that CO2 (lexicographic), not an arbitrary one.

Every solve goes through `dhopt.run.solve_case`, so a point is what ``dhopt run`` gives for the case
with that cap: monolithic, or the design on typical days and the dispatch of every hour of the
horizon, each stage under the cap. Unmet demand emits nothing; the least-CO2 objective weights unmet
heat far above any producer's CO2, and a tonne above a cap costs more than shedding could save
(`dhopt.inputs.with_co2_weights`), so no point meets its cap by leaving demand unserved. A cap that
the full year cannot meet with the design chosen on typical days shows as ``co2_cap_excess_t``.
The cap points differ only in the cap, so they re-solve one model in place (`dhopt.reuse`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dhopt.case import case_from_dict, read_toml
from dhopt.errors import CaseError
from dhopt.network import load_network
from dhopt.reuse import ModelCache
from dhopt.run import Solution, solve_case
from dhopt.solve import SolveOptions

CAP_TOLERANCE = 1e-6  # relative slack on each cap so a cap equal to a solved CO2 stays feasible [-]
KPI_COLUMNS = (
    "co2_t",
    "co2_cap_excess_t",
    "annual_cost_EUR",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "campus_heat_to_network_MWh",
    "unmet_demand_MWh",
)


def co2_caps(co2_min_t: float, co2_max_t: float, points: int) -> np.ndarray:
    """`points` caps [t/yr] evenly spaced from the lowest to the highest CO2, both included.

    >>> co2_caps(100.0, 200.0, 3).tolist()
    [100.0, 150.0, 200.0]
    """
    return np.linspace(co2_min_t, co2_max_t, points)


def pareto_front(
    case_path: str | Path,
    points: int,
    options: SolveOptions = SolveOptions(),
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per cap: co2_cap_t, co2_t, co2_cap_excess_t, annual_cost_EUR, heat-pump and storage
    capacity, campus heat, unmet demand, solver status and gap, and the cost of each tonne avoided
    against the least-cost point [EUR/t]; every figure of the full horizon, as `dhopt run` gives it."""
    if points < 2:
        raise CaseError(f"--points {points}: expected at least 2 (the two ends of the front)")
    path = Path(case_path)
    data = read_toml(path)
    base = case_from_dict(path, data)
    network = load_network(base.network_path, base.spec.network_options)
    cache = ModelCache()

    def solved(**objective) -> Solution:
        point = copy.deepcopy(data)
        point["objective"] = {**point.get("objective", {}), **objective}
        return solve_case(case_from_dict(path, point), options, network=network, reference=False, cache=cache)

    co2_max = solved(minimise="cost", co2_cap_t=None).kpis["co2_t"]
    co2_min = solved(minimise="co2", co2_cap_t=None).kpis["co2_t"]
    rows = []
    for cap in co2_caps(co2_min, max(co2_max, co2_min), points):
        point = solved(minimise="cost", co2_cap_t=float(cap * (1 + CAP_TOLERANCE) + CAP_TOLERANCE))
        figures = point.kpis
        rows.append(
            {"co2_cap_t": cap, **{key: figures[key] for key in KPI_COLUMNS}}
            | {"solver_status": str(point.solve.status), "mip_gap": point.solve.gap}
        )
        if progress:
            progress(
                f"cap {cap:>12,.0f} t/yr: CO2 {figures['co2_t']:>12,.0f} t/yr, cost {figures['annual_cost_EUR']:>14,.0f} EUR/yr"
            )
    table = pd.DataFrame(rows)
    cheapest = table.iloc[-1]
    avoided = cheapest["co2_t"] - table["co2_t"]
    table["cost_per_t_avoided_EUR"] = np.where(
        avoided > 1e-9, (table["annual_cost_EUR"] - cheapest["annual_cost_EUR"]) / avoided.where(avoided > 1e-9), np.nan
    )
    return table


def figure(table: pd.DataFrame, title: str):
    """The front: annual cost against annual CO2, each point labelled with its heat-pump MW."""
    from dhopt.planning.output import plt

    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot(table["co2_t"] / 1e3, table["annual_cost_EUR"] / 1e6, "o-")
    for row in table.itertuples():
        ax.annotate(
            f"{row.hp_capacity_MW:.1f} MW",
            (row.co2_t / 1e3, row.annual_cost_EUR / 1e6),
            fontsize=8,
            textcoords="offset points",
            xytext=(4, 4),
        )
    ax.set_xlabel("CO2 [kt/yr]")
    ax.set_ylabel("annual cost [MEUR/yr]")
    ax.set_title(title)
    return fig


def write_pareto(out_dir: Path, table: pd.DataFrame, title: str) -> list[Path]:
    """`pareto.csv` and `pareto.png` in `out_dir`, each written atomically."""
    from dhopt.planning.output import write_figure, write_table

    return [write_table(out_dir / "pareto.csv", table), write_figure(out_dir / "pareto.png", figure(table, title))]
