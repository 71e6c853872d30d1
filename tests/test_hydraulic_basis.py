"""One hydraulic basis: the pressure drop and velocity limits of the case size the model's pipe
capacities, the candidates' DN choice and the hydraulic check's default limits alike."""

from __future__ import annotations

import json

import numpy as np
import pytest
from builders import consumer, write_case, write_network, write_series

from dhopt import physics
from dhopt.case import load_case
from dhopt.cli import main
from dhopt.errors import NetworkError
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.planning.hydraulics import check_result
from dhopt.run import run_case

HOURS = 4
DELTA_T_K = 40.0  # supply 80 degC (outdoor -20 degC in the builders' series) minus return 40 degC


def test_allowed_flow_reproduces_the_isoplus_catalogue():
    # isoplus's allowed flows are published for 60-80 Pa/m; Darcy-Weisbach with Swamee-Jain at 0.01 mm
    # roughness and water at 70 degC gives them within 5 % from DN50 to DN900
    catalogue = physics.pipe_catalogue().loc[50:900]
    inner = catalogue["inner_diameter_m"].to_numpy()
    for drop, column in ((60.0, "isoplus_flow_60_Pa_per_m_kg_per_s"), (80.0, "isoplus_flow_80_Pa_per_m_kg_per_s")):
        ratio = physics.allowed_mass_flow_kg_per_s(inner, drop) / catalogue[column].to_numpy()
        assert np.all(np.abs(ratio - 1.0) < 0.05), (drop, ratio)


def test_allowed_flow_sits_exactly_at_the_limit_and_grows_with_it():
    inner = physics.pipe_catalogue()["inner_diameter_m"].to_numpy()
    flows = [physics.allowed_mass_flow_kg_per_s(inner, drop) for drop in (40.0, 80.0, 250.0)]
    assert np.all(np.diff(flows, axis=0) > 0)  # monotone in the allowed pressure drop
    speed = physics.velocity_m_per_s(flows[1], inner)
    assert physics.pressure_drop_Pa_per_m(speed, inner) == pytest.approx(np.full(len(inner), 80.0), rel=1e-9)
    capped = physics.allowed_velocity_m_per_s(inner, 80.0, 3.0)
    assert capped.max() == pytest.approx(3.0) and np.all(capped <= 3.0)
    assert capped[inner < 0.55] == pytest.approx(physics.allowed_velocity_m_per_s(inner[inner < 0.55], 80.0))


def network_with_existing(tmp_path, pipe: dict):
    """Boiler G - existing pipe P (500 m) - consumer C, 2 MW flat: C is served through P alone."""
    nodes = [
        ("G", 0, 0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 30.0}),
        ("C", 500, 0, consumer(2.0)),
    ]
    return write_network(tmp_path, nodes, [("P", "G", "C", {"status": "existing", "length_m": 500.0, **pipe})])


def test_a_pipe_given_by_inner_diameter_lies_between_its_neighbours(tmp_path):
    path = network_with_existing(tmp_path, {"dn": 175, "inner_diameter_mm": 185.0})
    pipe = load_network(path).pipes.loc["P"]
    assert pipe["dn"] == 175 and pipe["inner_diameter_m"] == pytest.approx(0.185)
    case = load_case(write_case(tmp_path, path, write_series(tmp_path, HOURS), HOURS))
    capacity = float(prepare_inputs(case, load_network(path)).options.loc[("P", 175), "capacity_MW_per_K"])
    neighbours = physics.pipe_catalogue().loc[[150, 200], "inner_diameter_m"].to_numpy()
    low, high = physics.pipe_capacity_MW(physics.allowed_mass_flow_kg_per_s(neighbours, 80.0, 3.0), 1.0)
    assert low < capacity < high
    # without its inner diameter DN175 is not a pipe dhopt knows: one line naming the file, pipe and field
    path = network_with_existing(tmp_path, {"dn": 175})
    with pytest.raises(NetworkError) as error:
        load_network(path)
    assert error.value.problems == [
        f"{path}: feature 2 (id 'P'): field 'dn': expected a catalogue DN in mm such as 150 or 'DN150' (or give "
        "inner_diameter_mm for another size), got 175 (nearest in the catalogue: DN150, DN200)"
    ]


def test_a_pipe_given_by_inner_diameter_alone_takes_the_nearest_dn_name(tmp_path):
    pipes = load_network(network_with_existing(tmp_path, {"inner_diameter_mm": 160.3})).pipes
    assert pipes.loc["P", "dn"] == 150


@pytest.mark.parametrize("drop_Pa_per_m", [80.0, 250.0])
def test_no_unmet_demand_behind_a_pipe_the_check_passes(tmp_path, capsys, drop_Pa_per_m):
    # A DN100 pipe is the only way to a 2 MW consumer. At 80 Pa/m it carries 9.4 kg/s = 1.57 MW at 40 K,
    # so heat is left unmet, and the check (by default at the case's basis) finds the pipe exactly at
    # its limit: the model used all the room the check allows. At 250 Pa/m (16.8 kg/s, 2.8 MW) all is met.
    path = network_with_existing(tmp_path, {"dn": 100})
    pipes = {"max_pressure_drop_Pa_per_m": drop_Pa_per_m}
    case = write_case(tmp_path, path, write_series(tmp_path, HOURS), HOURS, pipes=pipes)
    out = tmp_path / "result"
    run_case(case, out)
    kpis = json.loads((out / "kpis.json").read_text())
    check = check_result(out)
    row = check.pipes[(check.pipes["pipe"] == "P") & (check.pipes["check"] == "peak")].iloc[0]
    inner = physics.pipe_catalogue().at[100, "inner_diameter_m"]
    allowed_MW = physics.pipe_capacity_MW(physics.allowed_mass_flow_kg_per_s(inner, drop_Pa_per_m), DELTA_T_K)
    assert check.violations["pipes"] == []
    assert main(["hydraulics", str(out)]) == 0
    if drop_Pa_per_m == 80.0:
        assert kpis["unmet_demand_MWh"] > 0
        assert row["pressure_drop_Pa_per_m"] == pytest.approx(80.0, rel=1e-4)
        assert abs(row["flow_MW"]) == pytest.approx(float(allowed_MW), rel=1e-4)
        assert main(["hydraulics", str(out), "--max-pressure-drop", "79"]) == 4  # a stricter check fails
    else:
        assert kpis["unmet_demand_MWh"] == pytest.approx(0.0, abs=1e-6)
        assert row["pressure_drop_Pa_per_m"] < 250.0
    capsys.readouterr()
