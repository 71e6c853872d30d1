"""Temperature regimes: the case solved under several network supply/return temperatures.

A regime is ``SUPPLY/RETURN`` [degC], e.g. ``55/30`` (supply constant all year), or a heating
curve ``SUPPLY_MAX-SUPPLY_MIN/RETURN``, e.g. ``80-65/40`` (supply_max at the design outdoor
temperature, supply_min from the heating limit up). It is applied through the case's
``temperatures`` section, so every temperature effect follows from `dhopt.inputs.prepare_inputs`:

- heat-pump COP = eta T_s / (T_s - T_source,out) in kelvin (sink = supply temperature),
- pipe capacity = m_max(DN) c_p (T_s - T_r),
- pipe loss = U(DN) L [(T_s - T_g) + (T_r - T_g)].

A consumer whose ``min_supply_degC`` is above the regime's supply at design conditions
(``supply_max_degC``) cannot be served by the network: it is taken out of the network (its node
becomes a junction, so no pipe is built for it alone) and reported with its count, homes and heat
[MWh/yr]; it needs a local booster, which is not costed. Its heat is then missing from the regime's
heat delivered and cost, so compare the levelised cost of heat (cost per MWh delivered) beside the
annual saving.

The baseline is the case's own temperatures. Each regime is solved like ``dhopt run``
(`dhopt.run.solve_case`: monolithic or two-stage as the case says), without the no-campus reference.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from dhopt.case import HOURS_PER_YEAR, Case, Temperatures, case_from_dict, parse_case_spec, read_toml
from dhopt.diagnose import bottlenecks, unmet_summary
from dhopt.errors import CaseError, SolverError
from dhopt.inputs import consumer_table, unservable_consumers
from dhopt.kpi_format import Kpi, horizon_note
from dhopt.network import Network, load_network
from dhopt.run import solve_case
from dhopt.solve import SolveOptions

DEFAULT_REGIMES = ("55/30", "65/35", "75/40", "80/45")
UNMET_NOTED_MWH = 0.05  # unmet demand below this is not noted (it prints as 0.0) [MWh/yr]
KPI_COLUMNS = (
    "hp_mean_cop",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "annual_cost_EUR",
    "levelised_cost_of_heat_EUR_per_MWh",
    "heat_delivered_MWh",
    "unmet_demand_MWh",
    "unmet_backup_EUR",
    "unmet_backup_co2_t",
    "network_losses_MWh",
    "campus_heat_to_network_MWh",
    "homes_heated_by_campus",
    "hp_electricity_MWh",
    "co2_t",
)
COLUMNS = (
    "regime",
    "supply_max_degC",
    "supply_min_degC",
    "return_degC",
    *KPI_COLUMNS,
    "pipes_at_capacity",
    "unservable_consumers",
    "unservable_homes",
    "unservable_heat_MWh",
    "annual_saving_EUR",
    "lcoh_saving_EUR_per_MWh",
    "co2_saving_t",
    "solver_status",
    "mip_gap",
)
_PATTERN = re.compile(r"^\s*([0-9.]+)\s*(?:-\s*([0-9.]+)\s*)?/\s*([0-9.]+)\s*$")


@dataclass(frozen=True)
class Regime:
    """Network temperatures [degC]: supply at the design outdoor temperature, supply from the
    heating limit up (equal for a constant supply) and return."""

    label: str
    supply_max_degC: float
    supply_min_degC: float
    return_degC: float

    def temperatures(self) -> dict[str, float]:
        """The case's ``temperatures`` keys this regime sets."""
        return {
            "supply_max_degC": self.supply_max_degC,
            "supply_min_degC": self.supply_min_degC,
            "return_degC": self.return_degC,
        }


def parse_regime(text: str) -> Regime:
    """``SUPPLY/RETURN`` or ``SUPPLY_MAX-SUPPLY_MIN/RETURN`` [degC] to a `Regime`.

    >>> parse_regime("55/30")
    Regime(label='55/30', supply_max_degC=55.0, supply_min_degC=55.0, return_degC=30.0)
    >>> parse_regime("80-65/40").supply_min_degC
    65.0
    """
    expected = (
        f"--regime {text!r}: expected SUPPLY/RETURN in degC (e.g. 65/35) or a heating curve "
        "SUPPLY_MAX-SUPPLY_MIN/RETURN (e.g. 80-65/40) with 0 < RETURN < SUPPLY_MIN <= SUPPLY_MAX < 150"
    )
    match = _PATTERN.match(text)
    try:
        supply_max, supply_min, back = (float(g) if g is not None else None for g in match.groups())
    except (AttributeError, ValueError):
        raise CaseError(expected) from None
    supply_min = supply_max if supply_min is None else supply_min
    if not 0 < back < supply_min <= supply_max < 150:
        raise CaseError(expected)
    return Regime(text.replace(" ", ""), supply_max, supply_min, back)


def case_regime(temperatures: Temperatures) -> Regime:
    """The case's own temperatures as a regime labelled ``case S_MAX-S_MIN/R`` (the baseline)."""
    t = temperatures
    curve = f"{t.supply_max_degC:g}" + (f"-{t.supply_min_degC:g}" if t.supply_min_degC != t.supply_max_degC else "")
    return Regime(f"case {curve}/{t.return_degC:g}", t.supply_max_degC, t.supply_min_degC, t.return_degC)


def without_consumers(network: Network, ids: pd.Index) -> Network:
    """The network with the consumers `ids` turned into junctions (no demand; pipes stay)."""
    if not len(ids):
        return network
    nodes = network.nodes.copy()
    nodes.loc[ids, "kind"] = "junction"
    graph = network.graph.copy()
    for node_id in ids:
        graph.nodes[node_id]["kind"] = "junction"
    return replace(network, nodes=nodes, graph=graph)


def unservable_heat(case: Case, network: Network, ids: pd.Index) -> tuple[float, float]:
    """Homes and heat [MWh/yr] of the consumers `ids`: their demand over the horizon scaled to a
    year like every annual figure of a run, sum_t share_t * annual_heat * 8760 / hours."""
    consumers = consumer_table(case, network).loc[ids]
    share = case.timeseries[list(consumers["profile"])].sum().to_numpy() * HOURS_PER_YEAR / case.hours
    return float(consumers["homes_equivalent"].sum()), float((consumers["annual_heat_MWh"].to_numpy() * share).sum())


def solve_regime(case: Case, network: Network, regime: Regime, options: SolveOptions = SolveOptions()):
    """Solve `case` (already carrying the regime's temperatures) with the consumers the regime
    cannot serve left out; return the table row, the result dataset (with the network layer) and
    the ids of those consumers."""
    ids = unservable_consumers(network, regime.supply_max_degC)
    homes, heat_MWh = unservable_heat(case, network, ids)
    served = without_consumers(network, ids)
    solved = solve_case(case, options, network=served, reference=False)
    dataset, figures, report = solved.dataset, solved.kpis, solved.solve
    row = {
        "regime": regime.label,
        **regime.temperatures(),
        **{key: figures[key] for key in KPI_COLUMNS},
        "pipes_at_capacity": len(bottlenecks(dataset)),
        "unservable_consumers": len(ids),
        "unservable_homes": homes,
        "unservable_heat_MWh": heat_MWh,
        "solver_status": str(report.status),
        "mip_gap": report.gap,
    }
    return row, dataset, list(ids)


def _unservable_note(row: dict, ids: list[str]) -> str:
    listed = ", ".join(repr(i) for i in ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    return (
        f"{row['regime']}: {len(ids)} consumer(s) need more than {row['supply_max_degC']:g} degC at design conditions "
        f"and are not served by the network ({row['unservable_homes']:,.0f} homes, {row['unservable_heat_MWh']:,.0f} "
        f"MWh/yr; each needs a local booster, not costed; the saving excludes their heat, compare LCOH): {listed}"
    )


def _unmet_note(row: dict, dataset) -> str:
    unmet_MWh = (dataset["unmet_MW"] * dataset["weight_h"]).sum("time")
    worst = unmet_summary(dataset.sel(zone=[unmet_MWh.idxmax().item()]))
    return (
        f"{row['regime']}: {row['unmet_demand_MWh']:,.1f} MWh/yr of demand unmet in {int((unmet_MWh > 0).sum())} zone(s) "
        f"(heat delivered and cost exclude it; compare LCOH); largest: {worst[0]}"
    )


def regime_table(
    case_path: str | Path,
    regimes: list[Regime],
    hours: int | None = None,
    options: SolveOptions = SolveOptions(),
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Solve the case under its own temperatures (the baseline, first row) and each regime.

    Returns the table (`COLUMNS`; savings are baseline minus regime: annual cost with unmet heat from
    the backup e-boiler on both sides (`dhopt.backup`) [EUR/yr], LCOH
    [EUR/MWh], CO2 [t/yr]) and notes: consumers a regime cannot serve (by id), demand left unmet
    (where and when), regimes the solver failed on (kept as rows with the error as status).
    `hours` shortens the horizon to its first `hours` hours.
    """
    path = Path(case_path)
    data = read_toml(path)
    if hours is not None:
        data.setdefault("horizon", {})["hours"] = hours
    base = case_from_dict(path, data)
    network = load_network(base.network_path, base.spec.network_options)
    rows, notes = [], [note] if (note := horizon_note(base.hours, base.spec.horizon.start_hour)) else []
    for regime in [case_regime(base.spec.temperatures), *regimes]:
        point = copy.deepcopy(data)
        point.setdefault("temperatures", {}).update(regime.temperatures())
        case = replace(base, spec=parse_case_spec(path, point))
        try:
            row, dataset, ids = solve_regime(case, network, regime, options)
        except SolverError as error:
            row = {"regime": regime.label, **regime.temperatures(), "solver_status": f"failed: {error.problems[0]}"}
            notes.append(f"{regime.label}: {row['solver_status']}")
        else:
            notes += [_unservable_note(row, ids)] if ids else []
            notes += [_unmet_note(row, dataset)] if row["unmet_demand_MWh"] > UNMET_NOTED_MWH else []
        rows.append(row)
        if progress:
            progress(
                f"{regime.label:>14}  COP {row.get('hp_mean_cop', np.nan):5.2f}, HP {row.get('hp_capacity_MW', np.nan):6.2f} "
                f"MW, cost {row.get('annual_cost_EUR', np.nan):,.0f} EUR/yr, {row['solver_status']}"
            )
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    baseline = table.iloc[0]
    served = table["annual_cost_EUR"] + table["unmet_backup_EUR"]  # like for like (`dhopt.backup`)
    table["annual_saving_EUR"] = served.iloc[0] - served
    table["lcoh_saving_EUR_per_MWh"] = (
        baseline["levelised_cost_of_heat_EUR_per_MWh"] - table["levelised_cost_of_heat_EUR_per_MWh"]
    )
    co2 = table["co2_t"] + table["unmet_backup_co2_t"]
    table["co2_saving_t"] = co2.iloc[0] - co2
    return table, notes


SHOWN = (
    Kpi("hp_mean_cop", "heat-pump mean COP", "-", "{:.2f}"),
    Kpi("hp_capacity_MW", "heat-pump capacity", "MW", "{:,.1f}"),
    Kpi("storage_capacity_MWh", "storage capacity", "MWh", "{:,.0f}"),
    Kpi("annual_cost_EUR", "annual cost", "EUR/yr", "{:,.0f}"),
    Kpi("annual_saving_EUR", "saving vs baseline", "EUR/yr", "{:,.0f}"),
    Kpi("levelised_cost_of_heat_EUR_per_MWh", "levelised cost of heat", "EUR/MWh", "{:,.2f}"),
    Kpi("lcoh_saving_EUR_per_MWh", "LCOH saving vs baseline", "EUR/MWh", "{:,.2f}"),
    Kpi("heat_delivered_MWh", "heat delivered", "MWh/yr", "{:,.0f}"),
    Kpi("network_losses_MWh", "network losses", "MWh/yr", "{:,.0f}"),
    Kpi("pipes_at_capacity", "model pipes at capacity", "pipes", "{:,.0f}"),
    Kpi("campus_heat_to_network_MWh", "campus heat to the network", "MWh/yr", "{:,.0f}"),
    Kpi("homes_heated_by_campus", "homes heated by waste heat", "homes", "{:,.0f}"),
    Kpi("co2_t", "CO2 emitted", "t/yr", "{:,.0f}"),
    Kpi("co2_saving_t", "CO2 saved vs baseline", "t/yr", "{:,.0f}"),
    Kpi("unmet_demand_MWh", "unmet demand", "MWh/yr", "{:,.1f}"),
    Kpi("unservable_consumers", "unservable consumers", "-", "{:,.0f}"),
    Kpi("unservable_homes", "unservable homes", "homes", "{:,.0f}"),
    Kpi("unservable_heat_MWh", "unservable heat (local boosters)", "MWh/yr", "{:,.0f}"),
)


def summary_lines(table: pd.DataFrame) -> list[str]:
    """The table as printed: one line per figure (label, unit), one column per regime."""
    width = max(12, *(len(label) for label in table["regime"])) + 2
    lines = [" " * 42 + "".join(f"{label:>{width}}" for label in table["regime"])]
    for shown in SHOWN:
        values = "".join(f"{shown.text(v):>{width}}" for v in table[shown.key].astype(float))
        lines.append(f"{shown.label:<34}{shown.unit:>8}{values}")
    return lines


def figure(table: pd.DataFrame, title: str):
    """Two panels by regime, ordered by supply temperature: the annual saving against the baseline
    (first row) with what each regime leaves unserved; mean heat-pump COP and LCOH."""
    from dhopt.planning.output import plt

    order = table.assign(first=np.arange(len(table)) == 0).sort_values(["supply_max_degC", "supply_min_degC"])
    x = np.arange(len(order))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 7), sharex=True)
    saving = order["annual_saving_EUR"].to_numpy() / 1e3
    top.bar(x, saving, color=np.where(order["first"], "tab:grey", np.where(saving >= 0, "tab:blue", "tab:orange")))
    top.axhline(0.0, color="black", linewidth=0.5)
    for i, row in enumerate(order.itertuples()):
        text = "baseline" if row.first else f"{row.annual_saving_EUR / 1e3:+,.0f}"
        if row.unmet_demand_MWh > UNMET_NOTED_MWH:
            text += f"\nunmet {row.unmet_demand_MWh:,.0f} MWh"
        if row.unservable_consumers > 0:
            text += f"\n{row.unservable_consumers:.0f} unservable"
        top.annotate(text, (i, max(saving[i], 0.0)), ha="center", va="bottom", fontsize=8)
    top.margins(y=0.3)
    top.set_ylabel("annual saving vs baseline [kEUR/yr]")
    top.set_title(title)
    bottom.plot(x, order["hp_mean_cop"], "o-", color="tab:red")
    bottom.set_ylabel("mean heat-pump COP [-]", color="tab:red")
    lcoh = bottom.twinx()
    lcoh.plot(x, order["levelised_cost_of_heat_EUR_per_MWh"], "s--", color="tab:green")
    lcoh.set_ylabel("levelised cost of heat [EUR/MWh]", color="tab:green")
    bottom.set_xticks(x, order["regime"].tolist())
    bottom.set_xlabel("regime: supply/return [degC]; a curve as design-warm/return")
    return fig


def write_regimes(out_dir: Path, table: pd.DataFrame, title: str) -> list[Path]:
    """`regimes.csv` and `regimes.png` in `out_dir`, each written atomically."""
    from dhopt.planning.output import write_figure, write_table

    return [write_table(out_dir / "regimes.csv", table), write_figure(out_dir / "regimes.png", figure(table, title))]
