"""Published data-center heat-reuse schemes against dhopt: each scheme is a case (``cases/validation/``)
built from its published inputs, and ``projects.toml`` beside them lists the figures the scheme published
(heat delivered, heat-pump MW, COP, homes, share of the campus's heat reused) with their sources.
`compare_projects` solves every case through the one public solve path (`dhopt.run.solve_case`) and
tabulates published figure, dhopt's figure and the difference (dhopt / published - 1), for every figure of
`FIGURES`: one the scheme did not publish is printed as dhopt's figure alone ("not published").

dhopt's figures: heat delivered = the heat pumps' and direct exchange's heat into the network
(``campus_heat_to_network_MWh``, MWh/yr); homes = that heat / the case's ``home_annual_heat_MWh`` (the
scheme's own heat per home where it published one, else the country's standard home the case states);
heat-pump MW and mean COP as solved; share of campus heat reused = heat taken by the heat pumps (and
direct exchange) / the campus's recoverable heat over the year (``campus_heat_reused_share``).
A figure that is an input of the case (e.g. a heat-pump capacity given as ``max_MW``) is marked so.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dhopt.case import case_from_dict, read_toml
from dhopt.errors import CaseError
from dhopt.run import solve_case
from dhopt.solve import SolveOptions

PROJECTS_TOML = "projects.toml"
FIGURES = {  # published figure -> label, how it prints
    "heat_delivered_MWh": ("heat delivered", "{:,.0f} MWh/yr"),
    "hp_capacity_MW": ("heat-pump capacity", "{:,.1f} MW"),
    "hp_mean_cop": ("heat-pump mean COP", "{:.2f}"),
    "homes": ("homes heated", "{:,.0f} homes"),
    "heat_reused_share": ("share of campus heat reused", "{:.1%}"),
}


class Project(BaseModel):
    """One published scheme: its case file, the figures it published and where they were published."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    name: str = Field(..., min_length=1)
    case: str = Field(..., min_length=1, description="case file, relative to projects.toml")
    sources: list[str] = Field(..., min_length=1, description="where the published figures come from")
    published: dict[str, float] = Field(..., min_length=1, description="figure name (`FIGURES`) -> value")
    inputs: list[str] = Field([], description="published figures that are inputs of the case")


def load_projects(folder: Path) -> list[Project]:
    """The schemes of ``FOLDER/projects.toml``; a bad entry is one line naming it and the key."""
    path = folder / PROJECTS_TOML
    entries = read_toml(path, "projects").get("project", [])
    projects, problems = [], []
    for number, entry in enumerate(entries, start=1):
        try:
            project = Project.model_validate(entry)
        except ValidationError as error:
            problems += [
                f"{path}: project {number}: key '{'.'.join(map(str, e['loc']))}': {e['msg']}" for e in error.errors()
            ]
            continue
        unknown = sorted(set(project.published) - set(FIGURES))
        if unknown:
            problems.append(f"{path}: project {number}: published {unknown}: expected figures of {sorted(FIGURES)}")
        projects.append(project)
    if problems or not entries:
        raise CaseError(problems or [f"{path}: no [[project]] entries"])
    return projects


def dhopt_figures(kpis: dict[str, float], home_annual_heat_MWh: float) -> dict[str, float]:
    """dhopt's value of each published figure (see the module docstring)."""
    heat = kpis["campus_heat_to_network_MWh"]
    return {
        "heat_delivered_MWh": heat,
        "hp_capacity_MW": kpis["hp_capacity_MW"],
        "hp_mean_cop": kpis["hp_mean_cop"],
        "homes": heat / home_annual_heat_MWh,
        "heat_reused_share": kpis["campus_heat_reused_share"],
    }


def compare_projects(folder: Path, hours: int | None = None, options: SolveOptions = SolveOptions(), progress=None):
    """Solve every scheme's case (its first `hours`, if given) and compare: one row per scheme and figure."""
    rows = []
    for project in load_projects(folder):
        path = folder / project.case
        data = read_toml(path)
        if hours is not None:
            data["horizon"] = {**data.get("horizon", {}), "hours": hours}
        case = case_from_dict(path, data)
        solution = solve_case(case, options, reference=False)
        ours = dhopt_figures(solution.kpis, case.spec.demand.home_annual_heat_MWh)
        for figure in FIGURES:
            published = project.published.get(figure, math.nan)
            rows.append(
                {
                    "project": project.name,
                    "figure": figure,
                    "published": published,
                    "dhopt": ours[figure],
                    "difference": ours[figure] / published - 1.0,
                    "case_input": figure in project.inputs,
                    "hours": case.hours,
                }
            )
        if progress:
            progress(f"{project.name}: solved ({case.hours} h, {solution.solve.status})")
    return pd.DataFrame(rows)


def comparison_lines(table: pd.DataFrame) -> list[str]:
    """One line per scheme and figure: published, dhopt, difference ("not published": dhopt's figure alone)."""
    lines = []
    for row in table.itertuples():
        label, shown = FIGURES[row.figure]
        ours = f"dhopt {shown.format(row.dhopt)}"
        if math.isnan(row.published):
            lines.append(f"{row.project}: {label}: not published, {ours}")
            continue
        given = " (a case input)" if row.case_input else ""
        lines.append(
            f"{row.project}: {label}: published {shown.format(row.published)}, {ours}, {row.difference:+.1%}{given}"
        )
    return lines


def comparison_figure(table: pd.DataFrame):
    """Bars of dhopt's figure / the published one, one bar per scheme and published figure, each labelled
    with its difference; a grey band marks 10 %."""
    from matplotlib.figure import Figure

    table = table[table["published"].notna()].reset_index(drop=True)
    figure = Figure(figsize=(max(6.0, 0.8 * len(table) + 2.0), 4.2), layout="constrained")
    ax = figure.add_subplot()
    labels = [f"{p}\n{FIGURES[f][0]}" for p, f in zip(table["project"], table["figure"])]
    bars = ax.bar(range(len(table)), 1.0 + table["difference"], color="#3182bd")
    ax.bar_label(bars, [f"{d:+.0%}" for d in table["difference"]], fontsize=7)
    ax.axhline(1.0, color="#111111", lw=1)
    ax.axhspan(0.9, 1.1, color="#bdbdbd", alpha=0.4, label="within 10 %")
    ax.set_xticks(range(len(table)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("dhopt / published [-]")
    ax.legend(loc="upper right")
    return figure
