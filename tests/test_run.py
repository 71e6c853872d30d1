"""The default case end to end over short horizons: energy balance, two-stage against monolithic."""

from __future__ import annotations

import json

import pytest
import xarray as xr

import dhopt
from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.run import run_case
from dhopt.solve import SolveStatus

NETWORK, SERIES = DEFAULT_NETWORK, DEFAULT_TIMESERIES


def ballerup(tmp_path, hours: int, start_hour: int = 0, **horizon) -> str:
    keys = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in horizon.items())
    path = tmp_path / f"ballerup_{hours}.toml"
    path.write_text(
        f'name = "ballerup-{hours}h"\nnetwork = "{NETWORK}"\ntimeseries = "{SERIES}"\n'
        f"[horizon]\nhours = {hours}\nstart_hour = {start_hour}\n{keys}[grid]\nimport_limit_MW = 12.0\n"
    )
    return path


def test_default_case_energy_balance_closes_over_two_days(tmp_path):
    result = run_case(ballerup(tmp_path, 48), tmp_path / "out")
    k = result.kpis
    produced = k["campus_heat_available_MWh"] + k["hp_electricity_MWh"] + k["plant_heat_MWh"]
    used = k["heat_delivered_MWh"] + k["network_losses_MWh"] + k["rejected_heat_MWh"] + k["storage_net_charge_MWh"]
    assert produced == pytest.approx(used, rel=1e-9)
    assert abs(k["energy_balance_residual_MWh"]) < 1e-6 * k["heat_demand_MWh"]
    assert k["unmet_demand_MWh"] == pytest.approx(0.0, abs=1e-6)
    # homes heated count the campus's waste heat in the network, not the heat pumps' electricity
    waste_MWh = k["hp_heat_MWh"] - k["hp_electricity_MWh"] + k["direct_heat_MWh"]
    assert k["homes_heated_by_campus"] * 18.1 == pytest.approx(waste_MWh, rel=1e-9)
    assert waste_MWh == pytest.approx(k["campus_heat_reused_MWh"], rel=1e-9) and k["hp_electricity_MWh"] > 0
    # 8,000 homes of 18.1 MWh: two January days scaled to a year give more than the annual 144.8 GWh
    assert k["heat_demand_MWh"] > 144_800
    written = json.loads((tmp_path / "out" / "kpis.json").read_text())
    assert written["heat_demand_MWh"] == pytest.approx(k["heat_demand_MWh"])
    stored = xr.open_dataset(tmp_path / "out" / "results.nc", engine="h5netcdf")
    assert stored["hp_heat_MW"].shape == (1, 48)
    assert set(stored["link_status"].values) == {"existing", "candidate"}


def test_two_stage_is_feasible_and_close_to_monolithic(tmp_path):
    monolithic = run_case(ballerup(tmp_path, 720, method="monolithic"))
    two_stage = run_case(ballerup(tmp_path, 720, method="two_stage", typical_days=6))
    cost_mono = monolithic.kpis["objective_EUR"]
    cost_two = two_stage.kpis["objective_EUR"]
    # Holding the design's pipes can only cost more than the joint optimum; with the same pipes built, the
    # capacities sized again on every hour make the two-stage answer the full-horizon optimum itself
    assert cost_two >= cost_mono * (1 - 1e-6)
    pipes = [r.design[r.design["component"] == "pipe"].set_index("id")["value"] for r in (monolithic, two_stage)]
    assert pipes[0].equals(pipes[1]) and pipes[0].gt(0).any()
    assert cost_two == pytest.approx(cost_mono, rel=1e-7)
    for name in ("hp_capacity_MW", "storage_capacity_MWh", "co2_t"):
        assert two_stage.kpis[name] == pytest.approx(monolithic.kpis[name], rel=1e-3), name
    assert two_stage.kpis["design_stage_cost_EUR"] != pytest.approx(cost_two, rel=1e-4)  # typical days differ
    assert "design_stage_cost_EUR" in two_stage.kpis and "design_stage_cost_EUR" not in monolithic.kpis


def test_the_public_solve_path_is_what_dhopt_run_writes(tmp_path):
    # dhopt.solve_case (no files) and run_case (the same path, then written) give one answer
    case = ballerup(tmp_path, 48)
    solution = dhopt.solve_case(case, dhopt.SolveOptions(mip_gap=1e-6))
    written = run_case(case, tmp_path / "out", dhopt.SolveOptions(mip_gap=1e-6))
    assert solution.solve.status is SolveStatus.OPTIMAL and f"{solution.solve.status}" == "optimal"
    assert solution.kpis["objective_EUR"] == pytest.approx(written.kpis["objective_EUR"], rel=1e-9)
    assert solution.kpis["objective_EUR"] == pytest.approx(solution.solve.objective_EUR, rel=1e-9)
    assert solution.written == [] and len(written.written) == 4  # three files and their manifest
    assert set(solution.timings_s) >= {"load", "reduce", "solve", "reference"}
    on_disk = json.loads((tmp_path / "out" / "kpis.json").read_text())
    assert on_disk["co2_saved_t"] == pytest.approx(solution.kpis["co2_saved_t"], rel=1e-9)
    stored = xr.open_dataset(tmp_path / "out" / "results.nc", engine="h5netcdf")
    assert stored.attrs["solver_status"] == "optimal"
