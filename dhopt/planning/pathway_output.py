"""The answers of `dhopt pathway`: a table per period, what is built when, the three plans' costs, a figure."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from dhopt.planning.output import write_figure, write_table
from dhopt.planning.pathway import PathwayAnswer

PLAN_COLOURS = {"pathway": "tab:green", "at once": "tab:gray", "myopic": "tab:orange"}
SHORT = {
    "campus.hp_capacity_MW": ("heat pump", "MW"),
    "campus.units": ("heat-pump units", ""),
    "storage.capacity_MWh": ("storage", "MWh"),
    "production.capacity_MW": ("", "MW"),
    "pits.capacity_MWh": ("pit", "MWh"),
}


def _item(row: pd.Series) -> str:
    """One build in words: 'heat pump campus 9.9 MW', 'pipe north DN300'."""
    if row["variable"] == "pipes.build":
        pipe, dn = row["index"]
        return f"pipe {pipe} DN{dn}"
    if row["variable"] == "pits.built":
        return ""
    what, unit = SHORT.get(row["variable"], (row["variable"], ""))
    return f"{what} {row['index']} {row['amount']:,.1f} {unit}".replace("  ", " ").strip()


def period_table(answer: PathwayAnswer) -> pd.DataFrame:
    """Per period of the pathway: what is built then, capacity in place, heat, homes, cost, CO2, gas share."""
    plan = answer.pathway
    built = plan.builds.assign(text=plan.builds.apply(_item, axis=1) if len(plan.builds) else [])
    words = built[built["text"] != ""].groupby("year")["text"].agg("; ".join)
    table = plan.periods.assign(built=plan.periods["year"].map(words).fillna("nothing"))
    if "full_year_annual_cost_EUR" in answer.checks:
        table = table.merge(answer.checks.drop(columns=["plan_annual_cost_EUR"]), on="year")
    return table


def plan_costs(answer: PathwayAnswer) -> pd.DataFrame:
    """Discounted cost of each plan [EUR] and its difference from the pathway's (the value of planning ahead)."""
    rows = [
        {"plan": name, "discounted_cost_EUR": plan.cost_EUR, "more_than_pathway_EUR": plan.cost_EUR - answer.pathway.cost_EUR,
         "investment_EUR": float(plan.builds["investment_EUR"].sum()), "salvage_EUR": float(plan.builds["salvage_EUR"].sum()),
         "solver_status": str(plan.report.status), "mip_gap": plan.report.gap}
        for name, plan in answer.plans.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


def all_builds(answer: PathwayAnswer) -> pd.DataFrame:
    """Every build of every plan: plan, variable, index, year, amount, investment and salvage [EUR]."""
    frames = [plan.builds.assign(plan=name) for name, plan in answer.plans.items()]
    table = pd.concat(frames, ignore_index=True)
    return table.assign(index=table["index"].astype(str))[["plan", *answer.pathway.builds.columns]]


def pathway_figure(answer: PathwayAnswer, title: str) -> plt.Figure:
    """Capacity in place per period (heat pumps, new units) and the three plans' discounted costs."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
    periods = answer.pathway.periods
    years = periods["year"].astype(str)
    left.bar(years, periods["hp_capacity_MW"], label="campus heat pumps [MW]", color="tab:red")
    left.bar(years, periods["new_production_capacity_MW"], bottom=periods["hp_capacity_MW"],
             label="new units at the plant site [MW]", color="tab:blue")  # fmt: skip
    twin = left.twinx()
    twin.plot(years, 100 * periods["gas_share"], "k--o", label="gas share of the heat [%]")
    twin.set_ylabel("gas share [%]")
    left.set_ylabel("capacity in place [MW]")
    left.set_title("pathway: capacity in place per period")
    handles = left.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    left.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper center", fontsize=8, framealpha=0.9)
    left.set_ylim(0, 1.35 * float((periods["hp_capacity_MW"] + periods["new_production_capacity_MW"]).max() or 1.0))
    costs = plan_costs(answer)
    colours = costs["plan"].map(PLAN_COLOURS).tolist()
    right.bar(costs["plan"], costs["discounted_cost_EUR"] / 1e6, color=colours)
    for x, row in costs.iterrows():
        right.annotate(f"+{row['more_than_pathway_EUR'] / 1e6:.2f}", (x, row["discounted_cost_EUR"] / 1e6),
                       ha="center", va="bottom", fontsize=8)  # fmt: skip
    right.set_ylabel("discounted cost [MEUR]")
    right.set_title("plans (MEUR more than the pathway)")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def write_pathway(out_dir: Path, answer: PathwayAnswer, title: str) -> list[Path]:
    """pathway.csv (per period), plans.csv, builds.csv and pathway.png in `out_dir`."""
    return [
        write_table(out_dir / "pathway.csv", period_table(answer)),
        write_table(out_dir / "plans.csv", plan_costs(answer)),
        write_table(out_dir / "builds.csv", all_builds(answer)),
        write_figure(out_dir / "pathway.png", pathway_figure(answer, title)),
    ]


NUMBERS = {  # column: (heading, scale) of the printed table
    "hp_capacity_MW": ("heat pumps MW", 1.0),
    "storage_capacity_MWh": ("storage MWh", 1.0),
    "new_production_capacity_MW": ("new units MW", 1.0),
    "heat_delivered_MWh": ("heat GWh/yr", 1e-3),
    "homes_heated_by_campus": ("homes by waste heat", 1.0),
    "annual_cost_EUR": ("cost MEUR/yr", 1e-6),
    "co2_t": ("CO2 t/yr", 1.0),
    "gas_share": ("gas %", 100.0),
}
FULL_YEAR = {
    "full_year_heat_delivered_MWh": ("heat GWh/yr", 1e-3),
    "full_year_unmet_demand_MWh": ("unmet MWh/yr", 1.0),
    "full_year_homes_heated_by_campus": ("homes by waste heat", 1.0),
    "full_year_annual_cost_EUR": ("cost MEUR/yr", 1e-6),
    "full_year_co2_t": ("CO2 t/yr", 1.0),
    "full_year_gas_share": ("gas %", 100.0),
}


def _numbers(table: pd.DataFrame, columns: dict) -> str:
    shown = pd.DataFrame({"year": table["year"]} | {head: table[c] * k for c, (head, k) in columns.items()})
    return shown.to_string(index=False, float_format=lambda v: f"{v:,.1f}")


def summary_lines(pi, answer: PathwayAnswer) -> list[str]:
    """What `dhopt pathway` prints: builds per period, the per-period table, the plans and what they count."""
    table = period_table(answer)
    lines = [f"built {row.year}: {row.built}" for row in table.itertuples()]
    lines += [_numbers(table, NUMBERS)]
    if "full_year_annual_cost_EUR" in table:
        lines += ["full year, every hour with the pathway's capacities held:", _numbers(table, FULL_YEAR)]
    costs = plan_costs(answer).set_index("plan")
    pathway = costs.loc["pathway"]
    lines.append(
        f"pathway  {pathway['discounted_cost_EUR'] / 1e6:8.2f} MEUR discounted cost {pi.years[0]}-{pi.end_year - 1} "
        f"(overnight investment {pathway['investment_EUR'] / 1e6:.2f} MEUR, salvage {pathway['salvage_EUR'] / 1e6:.2f})"
    )
    for name in ("at once", "myopic"):
        row = costs.loc[name]
        lines.append(f"{name:<8} {row['discounted_cost_EUR'] / 1e6:8.2f} MEUR: {row['more_than_pathway_EUR'] / 1e6:+.2f} "
                     "MEUR against the pathway (the value of planning ahead)")  # fmt: skip
    gap = max(plan.report.gap for plan in answer.plans.values())
    days = len(pi.inputs[0].weight_h) // 24
    stage = f"{days - 1} typical days + peak day" if pi.inputs[0].period_hours else "every hour of its horizon"
    lines.append(
        f"each period's figures are per year, on its {stage}; costs discounted to "
        f"{pi.years[0]} at {pi.discount_rate:.0%}, each build's annuities from its period to {pi.end_year - 1}, the "
        f"rest of them its salvage value; MIP gaps up to {gap:.2%} (a plan's cost is at most that above its optimum)"
    )
    return lines
