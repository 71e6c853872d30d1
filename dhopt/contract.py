"""The heat contract: how the money of a system-optimal plan splits between the campus and the utility.

The plan is optimised for the whole system; the contract moves money between the two parties only.
With S the system's annual saving against the same network without the campus [EUR/yr]:

    R = sum_t w_t p_t Q_t                       heat payment, utility -> campus
    campus_net = R - C_campus                   C_campus: annual cost of what the campus owns
    utility_saving = S - campus_net             what is left to the utility after paying for heat

so campus_net + utility_saving = S for every price. The price is p_t = p_0 + a e_t + b c_t (a constant,
a share of the electricity price e_t and of the avoided plant's heat cost c_t, `dhopt.inputs`), and Q_t
the paid heat: the waste heat taken at the campus, or the heat-pump and direct output at network
temperature. The bargaining range of the constant p_0 is where neither party loses:

    campus_net >= 0      <=>  p_0 >= (C_campus - R_index) / Q
    utility_saving >= 0  <=>  p_0 <= (S + C_campus - R_index) / Q

with R_index the payment for the indexed part and Q the annual paid heat. Without a given p_0 the price
is the middle of the range, where each party keeps half of S. The NPVs discount the annual figures over
the contract's years, NPV = A / a(r, n) (`dhopt.physics.annuity_factor`).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import xarray as xr

from dhopt.inputs import Inputs
from dhopt.physics import annuity_factor

CAMPUS = "campus"


def paid_heat_MW(ds: xr.Dataset, basis: str) -> xr.DataArray:
    """Heat the utility pays for in each step, all campuses [MW]: waste heat taken (available minus
    rejected) or heat at network temperature (heat-pump plus direct-exchange output)."""
    if basis == "waste_heat":
        return (ds["source_heat_MW"] - ds["rejected_heat_MW"]).sum("source")
    return (ds["hp_heat_MW"] + ds["direct_heat_MW"]).sum("source")


def connection_links(ds: xr.Dataset) -> np.ndarray:
    """Which links of the network layer are the campuses' new connection: built candidate pipes from a
    campus up to the first node that is not a junction with exactly two built pipes (a consumer, a plant
    or a branch point). Boolean over ``link``."""
    built = ~np.isnan(ds["link_dn"].values)
    graph = nx.MultiGraph()
    ends = zip(ds["link_from"].values[built], ds["link_to"].values[built], ds["link"].values[built])
    graph.add_edges_from((u, v, {"link": k}) for u, v, k in ends)
    kind = dict(zip(ds["node"].values, ds["node_kind"].values))
    reached, stack = set(), [n for n in ds["node"].values[ds["node_kind"].values == "source"] if n in graph]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for _, other, data in graph.edges(node, data=True):
            reached.add(data["link"])
            if other not in seen and kind.get(other) == "junction" and graph.degree(other) == 2:
                seen.add(other)
                stack.append(other)
    candidate = ds["link_status"].values == "candidate"
    return np.isin(ds["link"].values, list(reached)) & candidate


def campus_costs_EUR(ds: xr.Dataset, inputs: Inputs) -> dict[str, float]:
    """Annual cost of what the campus owns under the contract [EUR/yr], by asset: heat pumps (annuity and
    fixed O&M per MW, electricity and variable O&M per step), storage (annuity and fixed O&M per MWh),
    connection pipes (annuity of the DN built)."""
    s, w = inputs.scalars, ds["weight_h"]
    costs = {"heat_pumps": 0.0, "storage": 0.0, "connection": 0.0}
    if s.heat_pump_owner == CAMPUS:
        running = ds["hp_electricity_MW"] * ds["electricity_price_EUR_per_MWh"] + ds["hp_heat_MW"] * (
            s.hp_variable_om_EUR_per_MWh
        )
        costs["heat_pumps"] = float(s.hp_annual_EUR_per_MW * ds["hp_capacity_MW"].sum() + (running * w).sum())
    if s.storage_owner == CAMPUS:
        costs["storage"] = float(s.storage_annual_EUR_per_MWh * ds["storage_capacity_MWh"].sum())
    if s.connection_owner == CAMPUS:
        mine = connection_links(ds)
        length, dn = ds["link_length_m"].values[mine], ds["link_dn"].values[mine]
        costs["connection"] = float(s.pipe_annual_EUR(length, dn).sum())
    return costs


def bargaining_range(saving_EUR: float, campus_cost_EUR: float, index_payment_EUR: float, paid_MWh: float):
    """Lowest and highest constant part of the heat price at which the campus, resp. the utility, does
    not lose [EUR/MWh]; NaN, NaN when no heat is paid for.

    >>> bargaining_range(1000.0, 200.0, 0.0, 100.0)
    (2.0, 12.0)
    """
    if paid_MWh <= 0:
        return math.nan, math.nan
    return (campus_cost_EUR - index_payment_EUR) / paid_MWh, (saving_EUR + campus_cost_EUR - index_payment_EUR) / (
        paid_MWh
    )


def settle(ds: xr.Dataset, inputs: Inputs, saving_EUR: float) -> dict[str, float]:
    """The contract's KPIs of a solved plan whose system saving against no campus is `saving_EUR` [EUR/yr]
    (NaN when the comparison has no solution): the paid heat, the price, each party's annual figures
    and NPVs, and the bargaining range."""
    s, w = inputs.scalars, ds["weight_h"]
    paid = paid_heat_MW(ds, s.paid_heat)
    index = inputs.heat_price_index_EUR_per_MWh.reindex(ds["time"].values).to_numpy()
    paid_MWh = float((paid * w).sum())
    index_EUR = float((paid * w * index).sum())
    costs = campus_costs_EUR(ds, inputs)
    cost = sum(costs.values())
    low, high = bargaining_range(saving_EUR, cost, index_EUR, paid_MWh)
    constant = 0.5 * (low + high) if math.isnan(s.heat_price_EUR_per_MWh) else s.heat_price_EUR_per_MWh
    constant = 0.0 if math.isnan(constant) and paid_MWh <= 0 else constant
    revenue = constant * paid_MWh + index_EUR
    net = revenue - cost
    utility = saving_EUR - net
    factor = annuity_factor(s.discount_rate, s.contract_years)
    return {
        "contract_paid_heat_MWh": paid_MWh,
        "heat_price_constant_EUR_per_MWh": constant,
        "heat_price_mean_EUR_per_MWh": revenue / paid_MWh if paid_MWh > 0 else math.nan,
        "campus_revenue_EUR": revenue,
        "campus_heat_pump_cost_EUR": costs["heat_pumps"],
        "campus_storage_cost_EUR": costs["storage"],
        "campus_connection_cost_EUR": costs["connection"],
        "campus_cost_EUR": cost,
        "campus_net_EUR": net,
        "utility_saving_EUR": utility,
        "campus_npv_EUR": net / factor,
        "utility_npv_EUR": utility / factor,
        "contract_years": s.contract_years,
        "bargaining_min_EUR_per_MWh": low,
        "bargaining_max_EUR_per_MWh": high,
    }


def contract_line(figures: dict[str, float], scalars) -> str:
    """One line on the contract: what is paid for at which price, the bargaining range, who owns what."""
    what = {"waste_heat": "waste heat taken at the campus", "network_heat": "heat at network temperature"}
    owners = {"heat pumps": scalars.heat_pump_owner, "storage": scalars.storage_owner}
    owners["connection"] = scalars.connection_owner
    owned = "; ".join(
        f"{o}: {', '.join(k for k, v in owners.items() if v == o)}" for o in (CAMPUS, "utility") if o in owners.values()
    )
    chosen = "given" if not math.isnan(scalars.heat_price_EUR_per_MWh) else "the middle of the range"
    low, high = figures["bargaining_min_EUR_per_MWh"], figures["bargaining_max_EUR_per_MWh"]
    return (
        f"contract: the utility pays for {figures['contract_paid_heat_MWh']:,.0f} MWh/yr of {what[scalars.paid_heat]} at "
        f"{figures['heat_price_mean_EUR_per_MWh']:,.2f} EUR/MWh on average (constant part "
        f"{figures['heat_price_constant_EUR_per_MWh']:,.2f}, {chosen}; neither party loses between {low:,.2f} and "
        f"{high:,.2f}); owned by {owned}; NPVs over {figures['contract_years']:g} yr: campus "
        f"{figures['campus_npv_EUR'] / 1e6:,.1f} MEUR, utility {figures['utility_npv_EUR'] / 1e6:,.1f} MEUR"
    )
