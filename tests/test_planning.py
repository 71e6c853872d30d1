"""Planning tools on small cases whose answers are known: export curve and knee, Pareto front,
hydraulic check against a hand-computed Darcy-Weisbach pressure drop."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import campus, consumer, write_case, write_network, write_series

from dhopt import physics
from dhopt.cli import main
from dhopt.planning import hydraulics
from dhopt.planning.export_curve import export_curve, knee_index, parse_mw_range, write_export_curve
from dhopt.planning.pareto import pareto_front, write_pareto
from dhopt.run import run_case

HOURS = 4


def plant(technology: str, mw: float) -> dict:
    return {"kind": "plant", "technology": technology, "capacity_MW": mw}


def flat_case(tmp_path, demand_MW: float, pipe_dn: int, extra_nodes=(), **series):
    """Campus S (20 MW IT, liquid cooled) - existing pipe - consumer C with a flat demand and a
    30 MW gas boiler at C; supply 80 degC every hour (outdoor -20 degC)."""
    nodes = [("S", 0, 0, campus()), ("C", 500, 0, consumer(demand_MW)), ("G", 500, 10, plant("gas_boiler", 30.0))]
    nodes += list(extra_nodes)
    pipes = [("P", "S", "C", {"status": "existing", "dn": pipe_dn, "length_m": 500.0})]
    pipes += [
        (f"P{n[0]}", n[0], "C", {"status": "existing", "dn": 400, "length_m": 10.0}) for n in [("G",), *extra_nodes]
    ]
    network = write_network(tmp_path, nodes, pipes)
    return write_case(tmp_path, network, write_series(tmp_path, HOURS, **series), HOURS)


def test_parse_mw_range_includes_stop():
    assert parse_mw_range("0:20:5") == [0.0, 5.0, 10.0, 15.0, 20.0]


def test_parse_mw_range_bad_step_raises():
    with pytest.raises(ValueError, match="START:STOP:STEP"):
        parse_mw_range("0:20:0")


def test_knee_index_definition():
    # first step 10 MWh/MW; second 8 (kept); third 4 < 5: the knee is the point before it (index 2)
    assert knee_index([0, 1, 2, 3], [0, 10, 18, 22]) == 2
    assert knee_index([0, 1, 2, 3], [0, 10, 20, 30]) is None
    assert knee_index([0, 1, 2], [0, 0, 0]) is None


def test_export_curve_flat_demand_knee_at_demand(tmp_path):
    # 10 MW flat demand, heat pump far cheaper than gas and 26 MW of heat-pump output available from
    # the campus: campus heat = min(export MW, demand + losses) x 8760 h. Steps of 5 MW add 5 MW x 8760
    # twice, then only the losses: the knee is at 10 MW by construction.
    case = flat_case(tmp_path, 10.0, 400)
    table, knee = export_curve(case, [0, 5, 10, 15, 20], heat_price_EUR_per_MWh=30.0)
    heat = table["campus_heat_to_network_MWh"].to_numpy()
    assert table["export_MW"].tolist() == [0, 5, 10, 15, 20]
    assert np.all(np.diff(heat) >= -1e-6)  # never less heat with more export capacity
    assert heat[:3] == pytest.approx([0.0, 5 * 8760, 10 * 8760], rel=1e-6)
    assert heat[3] == pytest.approx(heat[4], rel=1e-6)  # demand-limited beyond 10 MW + losses
    assert knee == 2 and table["export_MW"].iloc[knee] == 10
    assert table["hp_capacity_MW"].iloc[1:3].tolist() == pytest.approx([5.0, 10.0], rel=1e-6)
    assert np.all(np.diff(table["co2_saved_t"]) >= -1e-6) and table["co2_saved_t"].iloc[0] == 0.0
    # the utility owns the heat pumps and pays 30 EUR/MWh for the waste heat they take: output minus electricity
    paid = table["contract_paid_heat_MWh"]
    assert paid.iloc[2] < heat[2] and paid.iloc[2] > 0.6 * heat[2]
    assert table["campus_npv_EUR"].iloc[2] == pytest.approx(30.0 * paid.iloc[2] / 0.0640119, rel=1e-4)
    assert table["utility_npv_EUR"].iloc[1:].gt(0).all()
    written = write_export_curve(tmp_path / "out", table, knee, "test")
    assert [p.name for p in written] == ["export_curve.csv", "export_curve.png"]
    assert len(pd.read_csv(written[0])) == 5 and written[1].stat().st_size > 1000


def test_pareto_front_monotone(tmp_path):
    # Waste-to-energy (5 EUR/MWh, 0.08 t/MWh) is cheaper and dirtier than the heat pump (about
    # 12 EUR/MWh + capacity, 0.135 / 3.9 t/MWh): a real trade-off.
    wte = ("W", 500, 20, plant("waste_to_energy", 6.0))
    case = flat_case(tmp_path, 5.0, 400, extra_nodes=[wte], electricity_price_EUR_per_MWh=[20.0, 60.0, 120.0, 40.0])
    table = pareto_front(case, 4)
    assert len(table) == 4
    assert np.all(np.diff(table["co2_cap_t"]) > 0)
    assert np.all(np.diff(table["annual_cost_EUR"]) <= 1e-6 * table["annual_cost_EUR"].abs().max())
    assert np.all(np.diff(table["co2_t"]) >= -1e-6 * table["co2_t"].max())
    # the cap holds up to the tonnes reported above it, and those are what the full-year KPIs show
    excess = table["co2_cap_excess_t"]
    assert np.all(table["co2_t"] <= table["co2_cap_t"] * (1 + 1e-5) + excess + 1e-5)
    applied = table["co2_cap_t"] * (1 + 1e-6) + 1e-6  # the caps as solved (`CAP_TOLERANCE`)
    assert excess.to_numpy() == pytest.approx(np.maximum(table["co2_t"] - applied, 0.0), abs=1e-6)
    assert excess.max() <= 1e-4 * table["co2_t"].max()  # only the last tonnes at the least-CO2 end
    assert table["co2_t"].iloc[0] < table["co2_t"].iloc[-1]  # a real trade-off, not one point
    assert table["unmet_demand_MWh"].max() == pytest.approx(0.0, abs=1e-6)
    written = write_pareto(tmp_path / "out", table, "test")
    assert written[1].stat().st_size > 1000


def test_pressure_drop_matches_hand_calculation():
    # D = 0.1 m, v = 1 m/s, water at 70 degC (rho 977.8 kg/m3, mu 4.04e-4 Pa s), roughness 0.01 mm:
    # Re = 977.8 * 1 * 0.1 / 4.04e-4 = 242,030
    # Swamee-Jain: f = 0.25 / log10(1e-5 / 0.37 + 5.74 / 242030^0.9)^2 = 0.25 / (-3.9631)^2 = 0.01592
    # dp/L = f / D * rho v^2 / 2 = 0.01592 / 0.1 * 488.9 = 77.8 Pa/m
    assert physics.reynolds(1.0, 0.1) == pytest.approx(242_030, rel=1e-4)
    assert physics.pressure_drop_Pa_per_m(1.0, 0.1) == pytest.approx(77.8, rel=2e-3)
    # Colebrook-White solved by fixed-point iteration agrees within 1 %
    f = 0.02
    for _ in range(50):
        f = (-2.0 * math.log10(1e-5 / (3.7 * 0.1) + 2.51 / (242_030 * math.sqrt(f)))) ** -2
    assert physics.swamee_jain_friction_factor(242_030, 0.1) == pytest.approx(f, rel=0.01)
    assert physics.swamee_jain_friction_factor(1000.0, 0.1) == pytest.approx(0.064)  # laminar 64/Re


def test_check_pipes_flags_violations():
    # DN100 (inner 0.1071 m) carrying 1.0 m/s: m = 977.8 * pi 0.1071^2 / 4 = 8.809 kg/s = 1.475 MW at 40 K
    heat = 8.809 * 4.187e-3 * 40.0
    flows = pd.Series([heat, 3 * heat], index=["slow", "fast"])
    table = hydraulics.check_pipes(flows, [100, 100], [0.1071, 0.1071], 80.0, 40.0, hydraulics.Limits(250.0, 2.0))
    assert table.loc["slow", "velocity_m_per_s"] == pytest.approx(1.0, rel=1e-3)
    assert table.loc["slow", "violation"] == ""
    assert "velocity > 2 m/s" in table.loc["fast", "violation"]
    assert "pressure drop" in table.loc["fast", "violation"]  # 9x the 1 m/s drop (about 650 Pa/m)


def test_hydraulics_cli_exit_code_counts_violations(tmp_path, capsys):
    # A DN100 existing pipe (1.5 MW at 40 K) towards a 10 MW consumer binds: it stays a model pipe and
    # runs at the case's hydraulic basis (80 Pa/m), which the check accepts by default, outside 50 Pa/m.
    case = flat_case(tmp_path, 10.0, 100)
    out = tmp_path / "result"
    run_case(case, out)
    assert main(["hydraulics", str(out)]) == 0
    assert main(["hydraulics", str(out), "--max-pressure-drop", "50"]) == 4
    printed = capsys.readouterr()
    assert "violation: pipe P DN100 at peak hour 0" in printed.out
    assert "1 pipe(s) and 0 consumer(s) violate" in printed.err
    table = pd.read_csv(out / "hydraulics.csv")  # model pipe P and the boiler's pipe PG, merged into C's zone
    assert sorted(table["pipe"]) == ["P", "P", "PG", "PG"]
    assert table.loc[table["violation"].notna(), "pipe"].tolist() == ["P", "P"]


def test_export_curve_of_a_short_horizon_says_it_extrapolates(tmp_path, capsys):
    case = flat_case(tmp_path, 10.0, 400)
    assert main(["export-curve", str(case), "--mw", "0:5:5", "--out", str(tmp_path / "curve")]) in (0, None)
    printed = capsys.readouterr().out
    assert f"note: {HOURS} h modelled (hours 0-{HOURS - 1}); every per-year figure is that period scaled" in printed
