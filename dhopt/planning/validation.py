"""Published data-center heat-reuse schemes against dhopt: each scheme is a case (``cases/validation/``)
built from its published inputs, and ``projects.toml`` beside them lists the figures the scheme published
(heat delivered, heat-pump MW, COP, homes) with their sources. `compare_projects` solves every case through
the one public solve path (`dhopt.run.solve_case`) and tabulates published figure, dhopt's figure and the
difference (dhopt / published - 1).

dhopt's figures: heat delivered = the heat pumps' and direct exchange's heat into the network
(``campus_heat_to_network_MWh``, MWh/yr); homes = that heat / the case's ``home_annual_heat_MWh`` (set to
the scheme's own heat per home, so homes compare like with like); heat-pump MW and mean COP as solved.
A figure that is an input of the case (e.g. a heat-pump capacity given as ``max_MW``) is marked so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dhopt.case import case_from_dict, read_toml
from dhopt.errors import CaseError
from dhopt.run import solve_case
from dhopt.solve import SolveOptions

PROJECTS_TOML = "projects.toml"
FIGURES = {  # published figure -> label, unit
    "heat_delivered_MWh": ("heat delivered", "MWh/yr"),
    "hp_capacity_MW": ("heat-pump capacity", "MW"),
    "hp_mean_cop": ("heat-pump mean COP", "-"),
    "homes": ("homes heated", "homes"),
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
        for figure, published in project.published.items():
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
    """One line per scheme and figure: published, dhopt, difference."""
    lines = []
    for row in table.itertuples():
        label, unit = FIGURES[row.figure]
        given = " (a case input)" if row.case_input else ""
        lines.append(
            f"{row.project}: {label}: published {row.published:,.6g} {unit}, dhopt {row.dhopt:,.6g} {unit}, "
            f"{row.difference:+.1%}{given}"
        )
    return lines


def comparison_figure(table: pd.DataFrame):
    """Bars of dhopt's figure against the published one (ratio), one group per scheme."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = figure.add_subplot()
    labels = [f"{p}\n{FIGURES[f][0]}" for p, f in zip(table["project"], table["figure"])]
    ax.bar(range(len(table)), 1.0 + table["difference"], color="#3182bd")
    ax.axhline(1.0, color="#111111", lw=1)
    ax.axhspan(0.9, 1.1, color="#bdbdbd", alpha=0.4, label="within 10 %")
    ax.set_xticks(range(len(table)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("dhopt / published [-]")
    ax.legend(loc="upper right")
    return figure
