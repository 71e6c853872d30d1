"""Cost-CO2 trade-off by the epsilon-constraint method.

1. min cost gives the cheapest design and its CO2, CO2_max [t/yr];
2. min CO2 (`dhopt.model.set_co2_objective`) gives CO2_min;
3. for N caps eps evenly spaced from CO2_min to CO2_max: min cost s.t. CO2 <= eps
   (`dhopt.model.add_co2_cap`). The two ends are solved the same way, so the CO2_min point is the
   cheapest design at that CO2 (lexicographic), not an arbitrary one.

Unmet demand emits nothing, so min CO2 would shed demand: after step 1 the unmet-demand variables
are bounded by their min-cost values throughout. Each cap only loosens the previous one, so cost
is non-increasing and the cap non-decreasing along the front (exactly for LPs; within the MIP gap
for MILPs). The front is computed on one model: the full horizon if the case is monolithic,
the design stage's typical days (weighted to a year) if the case runs in two stages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from dhopt.aggregate import typical_days
from dhopt.case import load_case
from dhopt.errors import CaseError
from dhopt.inputs import prepare_inputs
from dhopt.model import add_co2_cap, build_model, set_co2_objective
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.results import kpis, to_dataset
from dhopt.run import _solved, uses_two_stage
from dhopt.solve import SolveOptions
from dhopt.start import set_start

NO_CAP_T = 1e15  # a cap that never binds [t/yr] (below HiGHS's infinity, 1e20)
CAP_TOLERANCE = 1e-6  # relative slack on each cap so a cap equal to a solved CO2 stays feasible [-]


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
    """One row per cap: co2_cap_t, co2_t, annual_cost_EUR, heat-pump and storage capacity, campus heat,
    and the cost of each tonne avoided against the min-cost point [EUR/t]."""
    if points < 2:
        raise CaseError(f"--points {points}: expected at least 2 (the two ends of the front)")
    case = load_case(case_path)
    inputs, _ = reduce_network(prepare_inputs(case, load_network(case.network_path)))
    if uses_two_stage(case.spec.horizon, inputs):
        inputs = typical_days(inputs, case.spec.horizon.typical_days)
    model = build_model(inputs)
    set_start(model, inputs)
    add_co2_cap(model, inputs, NO_CAP_T)  # builds model.co2_t; not binding
    _solved(model, inputs, options)
    co2_max = float(pyo.value(model.co2_t))
    for var in model.unmet_MW.values():  # no shedding demand to save CO2
        var.setub(max(var.value or 0.0, 0.0))
    set_co2_objective(model, inputs)
    _solved(model, inputs, options)
    co2_min = float(pyo.value(model.co2_t))
    model.co2_objective.deactivate()
    model.cost.activate()
    caps = co2_caps(co2_min, max(co2_max, co2_min), points)
    rows = []
    for cap in caps:
        add_co2_cap(model, inputs, cap * (1 + CAP_TOLERANCE) + CAP_TOLERANCE)
        report = _solved(model, inputs, options)
        figures = kpis(to_dataset(model, inputs), inputs, model)
        rows.append(
            {
                "co2_cap_t": cap,
                "co2_t": figures["co2_t"],
                "annual_cost_EUR": figures["annual_cost_EUR"],
                "hp_capacity_MW": figures["hp_capacity_MW"],
                "storage_capacity_MWh": figures["storage_capacity_MWh"],
                "campus_heat_to_network_MWh": figures["campus_heat_to_network_MWh"],
                "unmet_demand_MWh": figures["unmet_demand_MWh"],
                "solver_status": report.status,
                "mip_gap": report.gap,
            }
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
