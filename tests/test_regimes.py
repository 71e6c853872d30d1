"""Temperature regimes on small cases whose answers are computed by hand: heat-pump COP and
electricity, pipe capacity and losses, consumers a low supply temperature cannot serve, the CLI."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from builders import campus, consumer, existing, write_case, write_network, write_series

from dhopt import physics
from dhopt.case import load_case
from dhopt.cli import main
from dhopt.errors import NetworkError
from dhopt.network import load_network
from dhopt.planning.regimes import parse_regime, regime_table, solve_regime

DN100_KG_PER_S = float(physics.allowed_mass_flow_kg_per_s(0.1071, 80.0, 3.0))  # default basis (isoplus: 9.167)

HOURS = 4
KELVIN = 273.15
ETA_L = 0.67  # default lorenz_efficiency
APPROACH_K = 5.0  # default approach_K
SOURCE_IN_K, SOURCE_OUT_K = 45.0 + KELVIN, 35.0 + KELVIN  # liquid cooling: 45 degC, cooled 10 K in the evaporator
CP_MJ_PER_KG_K = 4.187e-3
GROUND_DEGC = 8.0


def lorenz(supply_degC: float, return_degC: float) -> float:
    """eta_L T_H / (T_H - T_L), T_H and T_L the log-mean temperatures [K] of network and cooling water,
    each shifted by the approach toward the refrigerant."""
    t_high = (supply_degC - return_degC) / math.log(
        (supply_degC + APPROACH_K + KELVIN) / (return_degC + APPROACH_K + KELVIN)
    )
    t_low = (SOURCE_IN_K - SOURCE_OUT_K) / math.log((SOURCE_IN_K - APPROACH_K) / (SOURCE_OUT_K - APPROACH_K))
    return ETA_L * t_high / (t_high - t_low)


def case_with(tmp_path, nodes, pipes, outdoor_degC=-20.0):
    network = write_network(tmp_path, nodes, pipes)
    series = write_series(tmp_path, HOURS, outdoor_temperature_degC=outdoor_degC)
    return write_case(tmp_path, network, series, HOURS)


def test_regime_cop_and_electricity_match_hand_calculation(tmp_path):
    # Campus S feeds a flat 5 MW consumer through 10 m of DN400 and is the only producer, so the
    # heat pumps deliver demand + losses every hour at the regime's constant COP. Outdoor 2 degC puts
    # the case's own curve (80 at -12, 65 from 16 degC up) at 65 + 15 * 14/28 = 72.5 degC.
    case = case_with(
        tmp_path, [("S", 0, 0, campus()), ("C", 10, 0, consumer(5.0))], [("P", "S", "C", existing(400, 10.0))], 2.0
    )
    table, notes = regime_table(case, [parse_regime("55/30"), parse_regime("80/45")])
    table = table.set_index("regime")
    assert list(table.index) == ["case 80-65/40", "55/30", "80/45"]
    assert len(notes) == 1 and notes[0].startswith("note: 4 h modelled (hours 0-3)")  # the horizon, scaled
    hand = {"case 80-65/40": lorenz(72.5, 40.0), "55/30": lorenz(55.0, 30.0), "80/45": lorenz(80.0, 45.0)}
    # T_L = lm(303.15, 313.15) = 308.123 K; 55/30: T_H = lm(308.15, 333.15) = 320.488 K, 0.67 * 320.488 / 12.365
    # = 17.366; 80/45: T_H = lm(323.15, 358.15) = 340.350 K, 0.67 * 340.350 / 32.227 = 7.076
    assert hand["55/30"] == pytest.approx(17.3663, rel=1e-5) and hand["80/45"] == pytest.approx(7.07585, rel=1e-5)
    for label, cop in hand.items():
        assert table.loc[label, "hp_mean_cop"] == pytest.approx(cop, rel=1e-9)
        heat_MWh = 5.0 * 8760.0 + table.loc[label, "network_losses_MWh"]
        assert table.loc[label, "campus_heat_to_network_MWh"] == pytest.approx(heat_MWh, rel=1e-6)
        assert table.loc[label, "hp_electricity_MWh"] == pytest.approx(heat_MWh / cop, rel=1e-6)
    low, high = table.loc["55/30"], table.loc["80/45"]
    # losses over 10 m are < 1e-4 of the demand: electricity scales with 1/COP, 80/45 needs 2.45x 55/30
    ratio = high["hp_electricity_MWh"] / low["hp_electricity_MWh"]
    assert ratio == pytest.approx(lorenz(55.0, 30.0) / lorenz(80.0, 45.0), rel=1e-4)
    assert ratio == pytest.approx(17.3663 / 7.07585, rel=1e-4)
    assert low["annual_saving_EUR"] > 0 and table.loc["case 80-65/40", "annual_saving_EUR"] == 0.0


def test_regime_pipe_capacity_and_losses_scale_with_temperatures(tmp_path):
    # 500 m of existing DN100 (9.167 kg/s allowed) from the campus to a flat 2 MW consumer with a gas
    # boiler beside it: the pipe caps the campus heat at m c_p (T_s - T_r), 0.96 MW at 55/30 and
    # 1.34 MW at 80/45, both below the demand, so cheap heat-pump heat fills the pipe every hour.
    gas = {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5.0}
    nodes = [("S", 0, 0, campus()), ("C", 500, 0, consumer(2.0)), ("G", 500, 10, gas)]
    case_path = case_with(
        tmp_path, nodes, [("P", "S", "C", existing(100, 500.0)), ("PG", "G", "C", existing(400, 10.0))]
    )
    network = load_network(tmp_path / "net.geojson")
    base = load_case(case_path)
    results = {}
    for text in ("55/30", "80/45"):
        regime = parse_regime(text)
        case = load_case(
            write_case(
                tmp_path,
                base.network_path,
                base.timeseries_path,
                HOURS,
                name=text.replace("/", "_"),
                temperatures=regime.temperatures(),
            )
        )
        row, dataset, ids = solve_regime(case, network, regime)
        results[text] = (row, dataset.sel(pipe="P"))
        assert ids == []
    for text, (supply, back) in {"55/30": (55.0, 30.0), "80/45": (80.0, 45.0)}.items():
        row, pipe = results[text]
        capacity_MW = DN100_KG_PER_S * CP_MJ_PER_KG_K * (supply - back)
        assert pipe["pipe_capacity_MW"].values == pytest.approx(capacity_MW, rel=1e-9)
        assert pipe["pipe_flow_MW"].values == pytest.approx(capacity_MW, rel=1e-6)
        # the campus sends the pipe's capacity plus half the pipe's loss (charged to its end)
        hourly_MW = capacity_MW + 0.5 * float(pipe["pipe_loss_MW"][0])
        assert row["campus_heat_to_network_MWh"] == pytest.approx(hourly_MW * 8760.0, rel=1e-6)
    (low, low_pipe), (high, high_pipe) = results["55/30"], results["80/45"]
    assert low["campus_heat_to_network_MWh"] < high["campus_heat_to_network_MWh"]
    # loss drive (T_s - T_g) + (T_r - T_g): (55 + 30 - 16) / (80 + 45 - 16) = 69 / 109
    drive_ratio = (55.0 + 30.0 - 2 * GROUND_DEGC) / (80.0 + 45.0 - 2 * GROUND_DEGC)
    assert drive_ratio == pytest.approx(69.0 / 109.0)
    assert float(low_pipe["pipe_loss_MW"][0] / high_pipe["pipe_loss_MW"][0]) == pytest.approx(drive_ratio, rel=1e-9)
    assert low["network_losses_MWh"] / high["network_losses_MWh"] == pytest.approx(drive_ratio, rel=1e-9)
    assert low["pipes_at_capacity"] == high["pipes_at_capacity"] == 1


def two_consumer_case(tmp_path, **sections):
    """Campus S; consumer C1 (2 MW, needs 70 degC at design conditions) and C2 (3 MW)."""
    old_building = {**consumer(2.0), "min_supply_degC": 70}
    nodes = [("S", 0, 0, campus()), ("C1", 100, 0, old_building), ("C2", 0, 100, consumer(3.0))]
    pipes = [("P1", "S", "C1", existing(400, 100.0)), ("P2", "S", "C2", existing(400, 100.0))]
    network = write_network(tmp_path, nodes, pipes)
    return write_case(tmp_path, network, write_series(tmp_path, HOURS), HOURS, **sections)


def test_consumer_needing_70_degC_is_unservable_at_55_30(tmp_path):
    table, notes = regime_table(two_consumer_case(tmp_path), [parse_regime("80/45"), parse_regime("55/30")])
    table = table.set_index("regime")
    served, short = table.loc["80/45"], table.loc["55/30"]
    assert served["unservable_consumers"] == 0 and served["heat_delivered_MWh"] == pytest.approx(5.0 * 8760)
    assert short["unservable_consumers"] == 1
    assert short["unservable_heat_MWh"] == pytest.approx(2.0 * 8760)
    assert short["unservable_homes"] == pytest.approx(2.0 * 8760 / 18.1)
    assert short["heat_delivered_MWh"] == pytest.approx(3.0 * 8760)  # only C2 is in the network
    assert short["unmet_demand_MWh"] == pytest.approx(0.0, abs=1e-6)
    assert len(notes) == 2 and notes[0].startswith("note: ") and "an extrapolation" in notes[0]
    assert notes[1].startswith("55/30: 1 consumer(s) need more than 55 degC") and "'C1'" in notes[1]


def test_run_refuses_a_case_too_cold_for_a_consumer(tmp_path, capsys):
    case = two_consumer_case(tmp_path, temperatures={"supply_max_degC": 60.0, "supply_min_degC": 55.0})
    assert main(["run", str(case)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "field 'min_supply_degC'" in err[0] and "supply_max_degC = 60" in err[0]
    assert "'C1' (70 degC)" in err[0] and "C2" not in err[0]


def test_min_supply_degC_out_of_range_is_one_line(tmp_path):
    nodes = [("S", 0, 0, campus()), ("C", 100, 0, {**consumer(1.0), "min_supply_degC": 343.15})]
    write_network(tmp_path, nodes, [("P", "S", "C", existing(400, 100.0))])
    with pytest.raises(NetworkError) as error:
        load_network(tmp_path / "net.geojson")
    assert error.value.problems == [
        f"{tmp_path / 'net.geojson'}: feature 1 (id 'C'): field 'min_supply_degC': "
        "expected a supply temperature between 20 and 150 °C, got 343.15"
    ]


def test_cli_regimes_writes_table_and_figure(tmp_path, capsys):
    case = two_consumer_case(tmp_path)
    out = tmp_path / "out"
    assert main(["regimes", str(case), "--regime", "55/30", "--regime", "75-60/40", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "regimes.csv")
    assert table["regime"].tolist() == ["case 80-65/40", "55/30", "75-60/40"]
    assert table["unservable_consumers"].tolist() == [0, 1, 0]
    assert (out / "regimes.png").stat().st_size > 10_000
    assert "heat-pump mean COP" in printed and "55/30: 1 consumer(s)" in printed and "regimes.png" in printed


@pytest.mark.parametrize("text", ["55-30", "30/55", "55/30/20", "abc"])
def test_cli_bad_regime_is_one_line_and_exit_2(tmp_path, capsys, text):
    assert main(["regimes", str(tmp_path / "unused.toml"), "--regime", text]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dhopt regimes: error: argument --regime: expected SUPPLY/RETURN")
    assert err[0].endswith(f", got {text!r}")
