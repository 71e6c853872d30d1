"""Heat-export capacity curve: the case solved across campus export capacities, with its knee.

Export capacity is the largest campus heat output, set through the case field
``heat_pump.max_MW`` (the bound on each campus's heat-pump capacity [MW heat]). Direct exchange
(possible only when the source is at least supply + approach, never for 45 °C liquid cooling into a
65-80 °C network) is not bounded by it. Export 0 MW is the reference without any campus (no heat
pump, no campus storage): ``max_MW`` must be positive, and a tiny value would still let storage be
built at the campus node, so the reference is the exact meaning of "no export".

Each point is solved like ``dhopt run`` (`dhopt.run.solve_case`: monolithic or two-stage as the case
says); the network is loaded once and the reference without the campus is solved once for all points
(`dhopt.run.reference_kpis`), and points that differ only in the capacity re-solve one model in place.
Every point is compared with the reference like for like (`dhopt.run.compared_with`) and its saving
split between campus and utility by the case's contract (`dhopt.contract.settle`), as `dhopt run` does.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dhopt.case import case_from_dict, read_toml
from dhopt.contract import settle
from dhopt.errors import CaseError
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.reuse import ModelCache
from dhopt.run import compared_with, reference_kpis, solve_case
from dhopt.solve import SolveOptions

COLUMNS = (
    "export_MW",
    "campus_heat_to_network_MWh",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "levelised_cost_of_heat_EUR_per_MWh",
    "annual_cost_EUR",
    "co2_t",
    "co2_saved_t",
    "homes_heated_by_campus",
    "annual_saving_EUR",
    "heat_price_mean_EUR_per_MWh",
    "contract_paid_heat_MWh",
    "campus_revenue_EUR",
    "campus_cost_EUR",
    "campus_net_EUR",
    "utility_saving_EUR",
    "campus_npv_EUR",
    "utility_npv_EUR",
    "bargaining_min_EUR_per_MWh",
    "bargaining_max_EUR_per_MWh",
    "unmet_demand_MWh",
    "marginal_heat_MWh_per_MW",
    "solver_status",
    "mip_gap",
)


NO_EXPORT = {
    "campus_heat_to_network_MWh": 0.0,
    "homes_heated_by_campus": 0.0,
    "heat_price_mean_EUR_per_MWh": float("nan"),
    "contract_paid_heat_MWh": 0.0,
    "campus_revenue_EUR": 0.0,
    "campus_cost_EUR": 0.0,
    "campus_net_EUR": 0.0,
    "utility_saving_EUR": 0.0,
    "campus_npv_EUR": 0.0,
    "utility_npv_EUR": 0.0,
    "bargaining_min_EUR_per_MWh": float("nan"),
    "bargaining_max_EUR_per_MWh": float("nan"),
}


def parse_mw_range(text: str) -> list[float]:
    """``START:STOP:STEP`` [MW] to the list of capacities, STOP included; a single number is one point.

    >>> parse_mw_range("0:30:10"), parse_mw_range("5")
    ([0.0, 10.0, 20.0, 30.0], [5.0])
    """
    parts = text.split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise CaseError(f"--mw {text!r}: expected START:STOP:STEP in MW, e.g. 0:30:5") from None
    if len(numbers) == 1:
        return numbers
    if len(numbers) != 3 or numbers[2] <= 0 or numbers[1] < numbers[0] or numbers[0] < 0:
        raise CaseError(f"--mw {text!r}: expected START:STOP:STEP with 0 <= START <= STOP and STEP > 0 [MW]")
    start, stop, step = numbers
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    return [round(start + i * step, 9) for i in range(count)]


def marginal_heat(export_MW, heat_MWh):
    """Heat added per MW of each step [MWh/yr per MW]; NaN for the first point.

    >>> marginal_heat([0, 5, 10], [0.0, 100.0, 150.0]).tolist()
    [nan, 20.0, 10.0]
    """
    mw, heat = np.asarray(export_MW, dtype=float), np.asarray(heat_MWh, dtype=float)
    return np.concatenate([[np.nan], np.diff(heat) / np.diff(mw)])


def knee_index(export_MW, heat_MWh, share: float = 0.5) -> int | None:
    """Index of the knee of the export curve, or None if there is none within the range.

    The knee is the first point k >= 1 such that the step from k to k+1 adds less than `share`
    (0.5) times the heat per MW of the first step (from point 0 to point 1):
    (E_{k+1} - E_k) / (P_{k+1} - P_k) < share (E_1 - E_0) / (P_1 - P_0), with E the campus heat
    delivered [MWh/yr] and P the export capacity [MW]. Beyond the knee extra MW add little heat.
    None when fewer than three points, when the first step adds no heat, or when no later step
    falls below the threshold.

    >>> knee_index([0, 5, 10, 15, 20], [0, 50, 100, 110, 112])
    2
    >>> knee_index([0, 5, 10], [0, 50, 100]) is None
    True
    """
    slope = marginal_heat(export_MW, heat_MWh)
    if len(slope) < 3 or not slope[1] > 0:
        return None
    for k in range(1, len(slope) - 1):
        if slope[k + 1] < share * slope[1]:
            return k
    return None


def _point_row(mw: float, figures: dict, status, gap) -> dict:
    """One point: its KPIs against the reference without the campus and the contract's split."""
    return {"export_MW": mw, **figures, "solver_status": status, "mip_gap": gap}


def export_curve(
    case_path: str | Path,
    export_MW: list[float],
    heat_price_EUR_per_MWh: float | None = None,
    options: SolveOptions = SolveOptions(),
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, int | None]:
    """Solve the case at each export capacity [MW]; return the table and the knee's row index. Every
    point is split between campus and utility by the case's `[contract]` (`dhopt.contract`), its constant
    heat price replaced by `heat_price_EUR_per_MWh` [EUR/MWh] when given."""
    path = Path(case_path)
    data = read_toml(path)
    if heat_price_EUR_per_MWh is not None:
        data.setdefault("contract", {})["heat_price_EUR_per_MWh"] = float(heat_price_EUR_per_MWh)
    base = case_from_dict(path, data)
    network = load_network(base.network_path, base.spec.network_options)
    inputs = prepare_inputs(base, network)
    if inputs.sources.empty:
        raise CaseError(f"{path}: the network has no campus (source node): there is no heat export to vary")
    reference = reference_kpis(inputs, options)  # same for every point: the campus is removed
    if progress:
        progress(
            f"reference without campus: {reference['co2_t']:,.0f} t CO2/yr, {reference['annual_cost_EUR']:,.0f} EUR/yr"
        )
    rows, cache = [], ModelCache()  # points whose reduced network is the same re-solve one model
    for mw in sorted(set(export_MW)):
        if mw <= 0:
            zero = {**reference, **compared_with(reference, reference), **NO_EXPORT}
            rows.append(_point_row(0.0, zero, "reference", 0.0))
            continue
        point = copy.deepcopy(data)
        point.setdefault("heat_pump", {})["max_MW"] = float(mw)
        solved = solve_case(case_from_dict(path, point), options, network=network, reference=False, cache=cache)
        figures = {**solved.kpis, **compared_with(solved.kpis, reference)}
        figures.update(settle(solved.dataset, solved.inputs, figures["annual_saving_EUR"]))
        rows.append(_point_row(mw, figures, str(solved.solve.status), solved.solve.gap))
        if progress:
            progress(
                f"{mw:7.2f} MW  campus heat {figures['campus_heat_to_network_MWh']:>12,.0f} MWh/yr, "
                f"HP {figures['hp_capacity_MW']:6.2f} MW, cost {figures['annual_cost_EUR']:,.0f} EUR/yr, "
                f"campus net {figures['campus_net_EUR']:,.0f}, utility {figures['utility_saving_EUR']:,.0f} EUR/yr"
            )
    table = pd.DataFrame(rows)
    table["marginal_heat_MWh_per_MW"] = marginal_heat(table["export_MW"], table["campus_heat_to_network_MWh"])
    table = table[[c for c in COLUMNS if c in table]]
    return table, knee_index(table["export_MW"], table["campus_heat_to_network_MWh"])


def figure(table: pd.DataFrame, knee: int | None, title: str):
    """Two panels: campus heat delivered against export MW (knee marked); the two parties' NPVs."""
    from dhopt.planning.output import plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    mw = table["export_MW"]
    top.plot(mw, table["campus_heat_to_network_MWh"] / 1e3, "o-", color="tab:red", label="campus heat delivered")
    if knee is not None:
        top.axvline(mw.iloc[knee], color="grey", linestyle="--", label=f"knee: {mw.iloc[knee]:g} MW")
    top.set_ylabel("campus heat to network [GWh/yr]")
    top.legend(loc="lower right")
    top.set_title(title)
    bottom.plot(mw, table["utility_npv_EUR"] / 1e6, "o-", label="utility (saving vs no campus, after paying for heat)")
    bottom.plot(mw, table["campus_npv_EUR"] / 1e6, "s-", label="campus (heat sales minus what it owns)")
    bottom.axhline(0.0, color="black", linewidth=0.5)
    bottom.set_xlabel("heat-export capacity [MW]")
    bottom.set_ylabel("NPV [MEUR]")
    bottom.legend()
    return fig


def write_export_curve(out_dir: Path, table: pd.DataFrame, knee: int | None, title: str) -> list[Path]:
    """`export_curve.csv` and `export_curve.png` in `out_dir`, each written atomically."""
    from dhopt.planning.output import write_figure, write_table

    return [
        write_table(out_dir / "export_curve.csv", table),
        write_figure(out_dir / "export_curve.png", figure(table, knee, title)),
    ]
