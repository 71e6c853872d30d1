"""Pipes: heat flow in either direction, limited by the DN's capacity at the hour's supply/return
temperature difference; candidate pipes are built with at most one DN.

Flow f_t is a free variable (positive from `from_node` to `to_node`), so a reported flow never
has two opposite parts. |f_t| <= Q_dn (T_s,t - T_r) for existing pipes, and
|f_t| <= sum_dn y_dn Q_dn (T_s,t - T_r) with sum_dn y_dn <= 1 for candidates. An existing pipe with
upgrade DNs is replaced by at most one of them: |f_t| <= (Q_0 + sum_dn y_dn (Q_dn - Q_0)) (T_s,t - T_r)
with Q_0 its installed capacity (the convex hull of the choices, as for candidates). A pipe that can
carry heat one way only (``direction`` +1: from -> to, -1: to -> from, `dhopt.reduce`) has a flow of that
sign and only that way's limit.
"""

from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from dhopt.inputs import Inputs, installed_options


def add_pipes(m: pyo.ConcreteModel, inputs: Inputs) -> pyo.Block:
    b = m.pipes = pyo.Block()
    pipes = inputs.pipes
    options = inputs.options
    delta_t = inputs.delta_t_K.to_numpy()
    capacity_per_K = options["limit_MW_per_K"].to_dict()
    installed = installed_options(options, pipes)
    installed_per_K = options.loc[installed, "limit_MW_per_K"].droplevel("dn").to_dict()
    candidate_options = options[~installed]  # candidate DNs and upgrades of existing pipes
    dns = candidate_options.index.to_frame(index=False).groupby("pipe")["dn"].apply(list).to_dict()
    fixed_per_K = {e: q for e, q in installed_per_K.items() if e not in dns}
    candidate = [e for e in pipes.index if e in dns]
    one_way = pipes["direction"].fillna(0.0) if "direction" in pipes else pd.Series(0.0, index=pipes.index)
    direction = one_way.to_dict()

    b.E = pyo.Set(initialize=list(pipes.index), doc="pipes")
    b.C = pyo.Set(initialize=candidate, doc="pipes with a DN choice: candidates and upgradable existing pipes")
    b.O = pyo.Set(initialize=list(candidate_options.index), dimen=2, doc="(pipe, DN) choices")
    b.build = pyo.Var(b.O, within=pyo.Binary, doc="1 if the pipe is built with this DN")

    def flow_bounds(b, e, t):
        limit = fixed_per_K[e] * float(delta_t[t]) if e in fixed_per_K else None
        lower = 0.0 if direction[e] > 0 else (-limit if limit is not None else None)
        upper = 0.0 if direction[e] < 0 else limit
        return (lower, upper)

    b.flow_MW = pyo.Var(b.E, m.T, bounds=flow_bounds, doc="heat flow from from_node to to_node [MW]")

    @b.Constraint(b.C)
    def one_dn(b, e):
        return sum(b.build[e, dn] for dn in dns[e]) <= 1

    base_per_K = {e: installed_per_K.get(e, 0.0) for e in candidate}  # 0 for a candidate
    per_K = {e: [(capacity_per_K[e, dn] - base_per_K[e], b.build[e, dn]) for dn in dns[e]] for e in candidate}

    def built_capacity(b, e, t):
        dt = float(delta_t[t])
        return base_per_K[e] * dt + sum(limit * dt * y for limit, y in per_K[e])

    forward = [e for e in candidate if direction[e] >= 0]
    backward = [e for e in candidate if direction[e] <= 0]

    @b.Constraint(forward, m.T)
    def forward_limit(b, e, t):
        return b.flow_MW[e, t] <= built_capacity(b, e, t)

    @b.Constraint(backward, m.T)
    def backward_limit(b, e, t):
        return -b.flow_MW[e, t] <= built_capacity(b, e, t)

    return b
