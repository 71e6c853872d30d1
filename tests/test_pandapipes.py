"""Cross-check of the hydraulic check with pandapipes: a single pipe against a hand-computed
Darcy-Weisbach / Swamee-Jain pressure drop, a radial network against dhopt's rebuilt flows, a loop
split by equal pressure drop (hand bisection), the CLI end to end."""

from __future__ import annotations

import math
import sys

import pandas as pd
import pytest
from builders import campus, consumer, existing, radial_zone, solved_result

from dhopt.cli import main
from dhopt.errors import DhoptError
from dhopt.physics import pair_loss_conductance_W_per_mK, pipe_catalogue
from dhopt.planning.hydraulics import check_dataset, open_result, pressure_drop_Pa_per_m
from dhopt.planning.pandapipes_export import cross_check, import_pandapipes

HOURS = 4
AT_70 = {"supply_max_degC": 70.0, "supply_min_degC": 60.0, "return_degC": 40.0, "ground_degC": 8.0}
AT_80 = {"supply_max_degC": 80.0, "return_degC": 40.0, "ground_degC": 8.0}  # outdoor -20 degC: supply at its max
CP_MJ = 4.187e-3  # [MJ/(kg K)]


def solved(tmp_path, nodes, pipes, temperatures, **series):
    return solved_result(tmp_path, nodes, pipes, HOURS, temperatures, **series)


def cross(out):
    ds = open_result(out)
    check = check_dataset(ds)
    result = cross_check(ds, check)
    assert result.hours["converged"].all()
    return check, result


def half_loss_MW(dn: int, length_m: float, drive_K: float) -> float:
    """Half a pipe pair's heat loss, booked at each of its ends [MW]: U L drive / 2."""
    outer = pipe_catalogue().at[dn, "outer_diameter_m"]
    return float(pair_loss_conductance_W_per_mK(outer)) * length_m * drive_K * 1e-6 / 2


def test_single_pipe_pressure_drop_is_the_hand_computed_darcy_weisbach(tmp_path):
    # Campus S -(DN100, 500 m)- consumer C drawing 1 MW at 70/40 degC, where water has pandapipes'
    # and dhopt's properties alike (977.8 kg/m3, 0.404 mPa s). The pipe carries 1 MW plus the half
    # of its own loss booked at C (drive (70 - 8) + (40 - 8) = 94 K): m = Q / (cp 30 K).
    out = solved(
        tmp_path, [("S", 0, 0, campus()), ("C", 500, 0, consumer(1.0))], [("P", "S", "C", existing(100, 500.0))], AT_70
    )
    heat_MW = 1.0 + half_loss_MW(100, 500.0, 94.0)
    mass = heat_MW / (CP_MJ * 30.0)
    d, rho, mu, eps = 0.1071, 977.8, 4.04e-4, 1e-5
    v = mass / (rho * math.pi * d**2 / 4)
    re = rho * v * d / mu
    f = 0.25 / math.log10(eps / (3.7 * d) + 5.74 / re**0.9) ** 2
    hand_Pa_per_m = f / d * rho * v**2 / 2  # about 0.97 m/s, 80 Pa/m
    check, result = cross(out)
    peak = result.pipes.set_index("check").loc["peak"]
    assert peak["pandapipes_mass_flow_kg_per_s"] == pytest.approx(mass, rel=1e-6)
    assert peak["pandapipes_pressure_drop_Pa_per_m"] == pytest.approx(hand_Pa_per_m, rel=0.02)
    assert peak["pressure_drop_Pa_per_m"] == pytest.approx(hand_Pa_per_m, rel=1e-3)  # dhopt's own value
    assert abs(peak["pressure_drop_difference"]) < 0.02
    assert hand_Pa_per_m > 40.0  # a pressure drop worth checking, turbulent (Re about 2.6e5)


def test_radial_network_velocities_match_the_rebuilt_flows(tmp_path):
    # S (campus) -P (DN100, binds: a model pipe)- A; zone A: A-B (2 MW), B-C (3 MW), D (1 MW)-A,
    # boiler G-A: every zone pipe's flow is rebuilt by dhopt from node balances; pandapipes solves
    # the same sinks and sources. Velocities agree to the density difference (80 vs 70 degC water).
    nodes, pipes = radial_zone()
    check, result = cross(solved(tmp_path, nodes, pipes, AT_80))
    peak = result.pipes[result.pipes["check"] == "peak"].set_index("pipe")
    assert (peak.loc[["P1", "P2", "P3", "PG"], "status"] == "zone").all()
    assert peak["velocity_difference"].notna().all()  # every pipe carries flow and is compared
    assert peak["velocity_difference"].abs().max() < 0.02
    assert peak["mass_flow_difference"].abs().max() < 1e-6
    # P3 runs from D to A: both dhopt and pandapipes see its flow against the pipe's direction
    assert peak.loc["P3", "pandapipes_mass_flow_kg_per_s"] < 0 and peak.loc["P3", "flow_MW"] < 0


def test_loop_split_follows_equal_pressure_drop(tmp_path):
    # Consumer C (2 MW at 80/40 degC) fed from A by a direct DN150 pipe (400 m) and by a detour
    # through junction J (300 m + 500 m): dhopt cannot split a loop's flow; pandapipes does. The
    # split makes both paths' pressure drops equal; the losses booked at J and C are drawn there.
    nodes = [
        ("S", 0, 0, campus()),
        ("A", 200, 0, {"kind": "junction"}),
        ("J", 350, 260, {"kind": "junction"}),
        ("C", 600, 0, consumer(2.0)),
    ]
    pipes = [
        ("PS", "S", "A", existing(300, 200.0)),
        ("L1", "A", "C", existing(150, 400.0)),
        ("L2", "A", "J", existing(150, 300.0)),
        ("L3", "J", "C", existing(150, 500.0)),
    ]
    out = solved(tmp_path, nodes, pipes, AT_80)
    check, result = cross(out)
    peak = result.pipes[result.pipes["check"] == "peak"].set_index("pipe")
    assert peak.loc[["L1", "L2", "L3"], "note"].str.startswith("pandapipes only: not reconstructed").all()
    assert result.hours.set_index("check").loc["peak", "pandapipes_only"] == 3

    drive_K = (80.0 - 8.0) + (40.0 - 8.0)
    to_kg = 1.0 / (CP_MJ * 40.0)
    at_c = (2.0 + half_loss_MW(150, 400.0, drive_K) + half_loss_MW(150, 500.0, drive_K)) * to_kg
    at_j = (half_loss_MW(150, 300.0, drive_K) + half_loss_MW(150, 500.0, drive_K)) * to_kg
    d, rho, mu = 0.1603, 971.8, 3.544e-4  # water at 80 degC

    def drop_Pa(mass, length_m):
        v = mass / (rho * math.pi * d**2 / 4)
        return float(pressure_drop_Pa_per_m(v, d, density_kg_per_m3=rho, viscosity_Pa_s=mu)) * length_m

    low, high = 0.0, at_c  # m1 through the direct pipe; the detour carries at_c - m1 + at_j, then at_c - m1
    for _ in range(60):
        m1 = (low + high) / 2
        detour = drop_Pa(at_c - m1 + at_j, 300.0) + drop_Pa(at_c - m1, 500.0)
        low, high = (m1, high) if drop_Pa(m1, 400.0) < detour else (low, m1)
    assert peak.loc["L1", "pandapipes_mass_flow_kg_per_s"] == pytest.approx(m1, rel=0.02)
    assert peak.loc["L2", "pandapipes_mass_flow_kg_per_s"] == pytest.approx(at_c - m1 + at_j, rel=0.02)
    assert peak.loc["L3", "pandapipes_mass_flow_kg_per_s"] == pytest.approx(at_c - m1, rel=0.02)
    # direct : detour about sqrt(800 m / 400 m) = 1.41 at constant friction factor, a little more as it falls with flow
    assert 1.42 < m1 / (at_c - m1) < 1.55
    # the bridge S-A is rebuilt by dhopt and agrees
    assert abs(peak.loc["PS", "mass_flow_difference"]) < 1e-6
    # only pandapipes sees the loop pipes: a limit below their pressure drop fails with --pandapipes alone
    limit = str(peak.loc[["L1", "L2", "L3"], "pandapipes_pressure_drop_Pa_per_m"].max() * 0.9)
    assert peak.loc["PS", "pandapipes_pressure_drop_Pa_per_m"] < float(limit)
    assert main(["hydraulics", str(out), "--max-pressure-drop", limit]) == 0
    assert main(["hydraulics", str(out), "--max-pressure-drop", limit, "--pandapipes"]) == 4


def test_cli_pandapipes_writes_the_table_and_flags_its_violations(tmp_path, capsys):
    out = solved(
        tmp_path, [("S", 0, 0, campus()), ("C", 500, 0, consumer(1.0))], [("P", "S", "C", existing(100, 500.0))], AT_70
    )
    assert main(["hydraulics", str(out), "--pandapipes"]) == 0
    printed = capsys.readouterr().out
    assert "pandapipes (swamee-jain), peak hour 0: converged" in printed
    table = pd.read_csv(out / "hydraulics_pandapipes.csv")
    assert sorted(table["pipe"]) == ["P", "P"] and len(set(table["check"])) == 2
    assert table["pandapipes_velocity_m_per_s"].gt(0.5).any()
    assert import_pandapipes().from_json(str(out / "pandapipes_peak.json")).pipe["name"].tolist() == ["P"]
    # a limit between dhopt's (about 80 Pa/m) and pandapipes' figure is flagged by whichever exceeds it
    drop = table.loc[table["check"] == "peak", "pandapipes_pressure_drop_Pa_per_m"].iloc[0]
    assert main(["hydraulics", str(out), "--pandapipes", "--max-pressure-drop", str(drop * 0.99)]) == 4
    assert "pandapipes violation: pipe P DN100 at peak hour 0" in capsys.readouterr().out


def test_missing_pandapipes_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandapipes", None)  # import fails as when not installed
    with pytest.raises(DhoptError, match=r"pandapipes is not installed.*pip install 'pandapipes>=0.16'"):
        import_pandapipes()
