"""Planner's comparative questions, each built on the single-case model.

- `export_curve`: the case solved across heat-export capacities, with its knee (issue 5, item 2).
- `pareto`: the cost-CO2 trade-off by the epsilon-constraint method (issue 5, item 5).
- `hydraulics`: Darcy-Weisbach pressure drop and velocity of every model pipe at the peak hour
  of a result (issue 5, item 6).
- `regimes`: the case solved under network supply/return temperature regimes (issue 5, item 3).
- `connection`: where a campus connects and with which DN, existing pipes at capacity and the value
  of upgrading them (issue 5, item 1).
- `output`: atomic CSV/PNG writing shared by them.
"""
