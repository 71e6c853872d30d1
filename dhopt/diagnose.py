"""Explain problems in words a planner can act on: why a model is infeasible, where and when demand
is not met.

Unmet demand is a priced slack, so the model is infeasible only for structural reasons; the one
the model can have is heat that must be produced with nowhere to go (plants' must-run output above
what demand, network losses and storage charging can absorb).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from dhopt.errors import SolverError
from dhopt.grid import binding_steps
from dhopt.inputs import Inputs


def explain_infeasible(inputs: Inputs) -> list[str]:
    """A line naming the conflict when the inputs show one (must-run heat that demand, losses and
    storage cannot take), or a line saying that none was found; never a guess at the cause."""
    unbounded = _non_finite_demand(inputs)
    if unbounded:
        return [unbounded]
    must_run = float(inputs.plants["must_run_MW"].sum())
    demand = inputs.demand_MW.to_numpy().sum(axis=1)
    losses = float(inputs.fixed_loss_MW_per_K.sum()) * inputs.loss_drive_K.to_numpy()
    surplus = must_run - (demand + losses)  # must-run heat the network's demand and losses do not take [MW]
    stuck = _heat_left_over(surplus, inputs) if must_run > 0 else None
    if stuck is None:
        return [
            "no cause found in the inputs (must-run heat fits demand, losses and storage every hour); run with "
            "--verbose for HiGHS's log"
        ]
    hours = inputs.demand_MW.index.to_numpy()
    plants = ", ".join(inputs.plants.index[inputs.plants["must_run_MW"] > 0])
    capacity_MWh = float(inputs.storage_sites.sum())
    return [
        f"must-run heat has nowhere to go from hour {hours[stuck]}: plants {plants} must deliver {must_run:.2f} MW "
        f"but demand {demand[stuck]:.2f} MW + losses {losses[stuck]:.2f} MW take only {must_run - surplus[stuck]:.2f} "
        f"MW, and storage ({capacity_MWh:,.0f} MWh, {capacity_MWh * inputs.scalars.storage_power_per_MWh:.2f} MW) "
        "cannot take the rest or give it back later; constraint families plants.heat_MW (lower bound must_run_MW), "
        "heat_balance and storage - lower must_run_MW or add demand"
    ]


def _non_finite_demand(inputs: Inputs) -> str | None:
    """A line naming the first consumer whose hourly demand is not a finite number (an annual heat or a
    number of homes too large to compute with), or None."""
    demand = inputs.demand_MW
    bad = ~np.isfinite(demand.to_numpy(dtype=float))
    if not bad.any():
        return None
    column = int(np.flatnonzero(bad.any(axis=0))[0])
    value = demand.to_numpy(dtype=float)[bad[:, column], column][0]
    return (
        f"consumer '{demand.columns[column]}': its hourly demand is {value} MW, not a finite number (an annual heat "
        "or a number of homes too large to compute with); expected a demand within the network's reach"
    )


def _heat_left_over(surplus: np.ndarray, inputs: Inputs) -> int | None:
    """First hourly step whose must-run surplus s_t [MW] storage cannot take, filling it within its
    power P and capacity E and emptying it where s_t < 0; or, the level being cyclic, the last step
    when more is stored over the horizon than can be given back. None when every surplus fits."""
    capacity_MWh = float(inputs.storage_sites.sum())
    power_MW, level = capacity_MWh * inputs.scalars.storage_power_per_MWh, 0.0
    for t, s in enumerate(surplus):
        if s > 1e-9 and (s > power_MW + 1e-9 or level + s > capacity_MWh + 1e-6):
            return t
        level = max(level + s, 0.0)
    taken, returned = float(np.clip(surplus, 0.0, None).sum()), float(np.clip(-surplus, 0.0, None).sum())
    return len(surplus) - 1 if taken > returned + 1e-6 else None


def unmet_summary(ds: xr.Dataset, max_consumers: int = 5) -> list[str]:
    """One line per demand zone with unmet demand: where (consumers), when (hours), how much."""
    lines = []
    unmet = ds["unmet_MW"]
    weight = ds["weight_h"]
    binding = binding_steps(ds)
    for zone in ds["zone"].values:
        series = unmet.sel(zone=zone).to_numpy()
        short = series > 1e-6
        if not short.any():
            continue
        members = [
            str(n)
            for n, z, k in zip(ds["node"].values, ds["node_zone"].values, ds["node_kind"].values)
            if z == zone and k == "consumer"
        ]
        shown = ", ".join(members[:max_consumers]) + (
            f" and {len(members) - max_consumers} more" if len(members) > max_consumers else ""
        )
        time = ds["time"].values
        peak = int(np.argmax(series))
        cause = int((short & binding).sum())
        lines.append(
            f"unmet demand in zone '{zone}' ({len(members)} consumers: {shown}): "
            f"{float((unmet.sel(zone=zone) * weight).sum()):,.1f} MWh/yr in {int(short.sum())} of {len(series)} "
            f"time steps, from hour {time[np.argmax(short)]}; largest {series[peak]:.2f} MW at hour {time[peak]}"
            + (f"; the grid import limit binds in {cause} of these time steps" if cause else "")
        )
    return lines


AT_CAPACITY = 0.999  # a pipe whose |flow| reaches this share of its capacity runs at capacity [-]


def hours_at_capacity(ds: xr.Dataset) -> xr.DataArray:
    """Hours a year each modelled pipe runs at capacity: sum_t w_t [|f_t| >= 0.999 capacity_t] [h/yr]."""
    capacity = ds["pipe_capacity_MW"]
    at_capacity = (abs(ds["pipe_flow_MW"]) >= AT_CAPACITY * capacity) & (capacity > 0)
    return (at_capacity * ds["weight_h"]).sum("time")


def _status(ds: xr.Dataset, pipe: str) -> str:
    """A model pipe's status; "candidate" for a candidate the design built (existing in the dispatch
    model), when the dataset holds the original network (`dhopt.results.network_layer`)."""
    if (
        "link_model_pipe" in ds
        and (ds["link_status"].values[ds["link_model_pipe"].values == pipe] == "candidate").any()
    ):
        return "candidate"
    return str(ds["pipe_status"].sel(pipe=pipe).item())


def bottlenecks(ds: xr.Dataset) -> list[str]:
    """One line per modelled pipe that runs at its capacity: how many hours a year, and its largest flow."""
    flow = abs(ds["pipe_flow_MW"])
    hours = hours_at_capacity(ds)
    lines = []
    for pipe in ds["pipe"].values[hours.values > 0]:
        status = _status(ds, pipe)
        dn = float(ds["pipe_dn"].sel(pipe=pipe).item())
        lines.append(
            f"bottleneck: pipe '{pipe}' ({status}, DN{dn:.0f}) runs at capacity {float(hours.sel(pipe=pipe)):,.0f} h/yr "
            f"(largest flow {float(flow.sel(pipe=pipe).max()):.2f} MW)"
        )
    return lines


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def campus_heat_explained(ds: xr.Dataset, figures: dict[str, float]) -> str | None:
    """One line reconciling the campus's recoverable heat with the heat it delivers: recoverable MWh and
    the homes it equals, the share rejected and the months most of it is rejected in, the share of the
    demand each existing plant technology covers (None without a campus)."""
    available = figures.get("campus_heat_available_MWh", 0.0)
    if not available > 0:
        return None
    home = figures["heat_demand_MWh"] / figures["homes_served"] if figures.get("homes_served") else float("nan")
    weight = ds["weight_h"]
    rejected = (ds["rejected_heat_MW"].sum("source") * weight).to_series()
    month = (rejected.index.to_numpy(dtype=int) % 8760) // 730  # 730 h per month on average
    by_month = rejected.groupby(month).sum()
    heavy = by_month.index[by_month >= 0.5 * by_month.max()] if by_month.max() > 0 else []
    months = f"{MONTHS[min(heavy)]}-{MONTHS[max(heavy)]}" if len(heavy) else "no month"
    plants = (ds["plant_heat_MW"] * weight).sum("time").to_series().groupby(ds["plant_technology"].values).sum()
    covered = ", ".join(
        f"{technology.replace('_', '-')} covers {mwh / figures['heat_demand_MWh']:.0%}"
        for technology, mwh in plants.sort_values(ascending=False).items()
        if mwh > 0
    )
    return (
        f"campus heat: {available:,.0f} MWh/yr recoverable = {available / home:,.0f} homes; "
        f"{figures['rejected_heat_MWh'] / available:.0%} rejected, most in {months}, when demand is lower"
        + (f"; {covered} of the demand" if covered else "")
    )


KPIS_FINITE = (  # the plan's own figures: never NaN in a usable solution (those against the reference may be)
    "objective_EUR",
    "annual_cost_EUR",
    "investment_annuity_EUR",
    "operating_cost_EUR",
    "levelised_cost_of_heat_EUR_per_MWh",
    "heat_demand_MWh",
    "heat_delivered_MWh",
    "unmet_demand_MWh",
    "hp_capacity_MW",
    "storage_capacity_MWh",
    "co2_t",
    "energy_balance_residual_MWh",
)


def non_finite_figures(figures: dict[str, float]) -> list[str]:
    """The KPIs that make a solution unusable: any that is infinite, and any of `KPIS_FINITE` that is NaN."""
    bad = []
    for key, value in figures.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or np.isfinite(value):
            continue
        if np.isinf(value) or key in KPIS_FINITE:
            bad.append(f"{key} = {value}")
    return bad


def refuse_non_finite(figures: dict[str, float], case_path) -> None:
    """Raise a one-line `SolverError` when the solution's figures are not finite (`non_finite_figures`):
    an answer with NaN or infinite costs is not reported as one."""
    bad = non_finite_figures(figures)
    if bad:
        shown = ", ".join(bad[:4]) + (f" and {len(bad) - 4} more" if len(bad) > 4 else "")
        raise SolverError(
            f"{case_path}: the solution's figures are not finite ({shown}), so none is reported; expected finite "
            "costs and energies (an input too large to compute with, such as a cost or price of 1e308, gives these)"
        )
