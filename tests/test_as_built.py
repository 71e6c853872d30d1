"""The dispatch stage on the network as built (reduced again) has the optimum of the full reduced network."""

from __future__ import annotations

import pytest
from test_reuse import ballerup

from dhopt.aggregate import typical_days
from dhopt.case import load_case
from dhopt.inputs import prepare_inputs
from dhopt.model import build_model, design_of, fix_design
from dhopt.network import load_network
from dhopt.reduce import reduce_network
from dhopt.run import as_built
from dhopt.solve import solve


@pytest.mark.parametrize("route", ["transmission", "north"])
def test_dispatch_as_built_matches_the_design_fixed_on_the_whole_network(tmp_path, route):
    # a small heat pump makes the model choose the shorter "north" route; a poor one (COP about 3.8 instead
    # of about 8), whose larger output per MWh of campus heat the north branch cannot carry, "transmission"
    changes = {"heat_pump": {"max_MW": 8.0} if route == "north" else {"lorenz_efficiency": 0.3}}
    case = load_case(ballerup(tmp_path, route, **changes))
    inputs, _ = reduce_network(prepare_inputs(case, load_network(case.network_path)))
    design_model = build_model(typical_days(inputs, 3))
    solve(design_model)
    design = design_of(design_model)
    assert {pipe for (pipe, _), y in design["pipes.build"].items() if y > 0.5} == {route}

    whole = build_model(inputs)
    fix_design(whole, design)
    built, built_design = as_built(inputs, design)
    collapsed = build_model(built)
    fix_design(collapsed, built_design)
    assert solve(collapsed).objective_EUR == pytest.approx(solve(whole).objective_EUR, rel=1e-9)
    assert built.options["annual_cost_EUR"].eq(0).all()  # no decision left: the pipes' cost is a constant
    if route == "transmission":  # with the route at the plant site no pipe binds: two zones remain
        assert len(built.nodes) == 2 < len(inputs.nodes)
    assert built.forced_dn[route] == max(
        dn for (pipe, dn), y in design["pipes.build"].items() if pipe == route and y > 0.5
    )
