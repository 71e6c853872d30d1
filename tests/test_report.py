"""The HTML report of a two-day Ballerup result, as a file and as a browser shows it; the sweep report."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from dhopt.data import DEFAULT_NETWORK, DEFAULT_TIMESERIES
from dhopt.errors import CaseError
from dhopt.files import digest
from dhopt.kpi_format import HEADLINE, kpi
from dhopt.report import case_report, write_batch_report, write_report
from dhopt.report.balance import balance_figure
from dhopt.report.dispatch import dispatch_horizon, dispatch_weeks, zoom_weeks
from dhopt.report.energy import losses_MW, period_energy_MWh, producers_MW, storage_charge_MW
from dhopt.report.network_map import scale_bar_m
from dhopt.report.operation import cop_price_figure, storage_figure
from dhopt.report.style import report_style
from dhopt.run import run_case

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE = re.compile(r'<img src="data:image/png;base64,([^"]*)"')


def _screenshot_module():
    spec = importlib.util.spec_from_file_location("screenshot_report", REPO / "scripts" / "screenshot_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, read here independently of dhopt [px]."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(data, validate=True) for data in IMAGE.findall(page)]


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory) -> Path:
    """A solved two-day Ballerup case written to disk (as ``dhopt run --out``)."""
    tmp = tmp_path_factory.mktemp("report")
    case = tmp / "ballerup_48h.toml"
    case.write_text(
        f'name = "ballerup-48h"\nnetwork = "{DEFAULT_NETWORK}"\n'
        f'timeseries = "{DEFAULT_TIMESERIES}"\n'
        "[horizon]\nhours = 48\n[grid]\nimport_limit_MW = 12.0\n"
    )
    run_case(case, tmp / "out")
    return tmp / "out"


@pytest.fixture(scope="module")
def report(result_dir) -> Path:
    return write_report(result_dir)


@pytest.fixture(scope="module")
def kpis(result_dir) -> dict[str, float]:
    return json.loads((result_dir / "kpis.json").read_text())


def test_report_written_beside_results_with_kpis(report, result_dir, kpis):
    assert report == result_dir / "report.html"
    page = report.read_text(encoding="utf-8")
    assert "<title>ballerup-48h: dhopt report</title>" in page
    for key, value in kpis.items():
        assert kpi(key).text(value) in page, key
    for key in HEADLINE:
        assert f'{kpi(key).text(kpis[key])} <span class="unit">{kpi(key).unit}</span>' in page
    assert "homes" in page and "levelised cost of heat" in page
    assert "Contract (who pays what)" in page and kpis["campus_net_EUR"] + kpis["utility_saving_EUR"] == pytest.approx(
        kpis["annual_saving_EUR"]
    )
    assert "Annual figures scale the 48-hour horizon" in page


def test_report_images_are_embedded_pngs_matching_the_files(report):
    page = report.read_text(encoding="utf-8")
    images = _images(page)
    files = sorted(report.parent.glob("report_*.png"))
    assert len(images) == page.count("<img ") == len(files) >= 5
    for data in images:
        width, height = _png_size(data)
        assert width > 0 and height > 0
    assert sorted(images) == sorted(f.read_bytes() for f in files)
    assert {f.stem for f in files} >= {"report_network_map", "report_dispatch", "report_energy_balance"}


def test_report_loads_nothing_from_elsewhere(report):
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_report_to_another_path_puts_figures_beside_it(result_dir, tmp_path, monkeypatch):
    one_plot = [plot for plot in case_report.PLOTS if plot.name == "network_map"]
    monkeypatch.setattr(case_report, "PLOTS", one_plot)  # the paths are under test, not the figures
    out = write_report(result_dir, tmp_path / "board" / "ballerup.html")
    assert out == tmp_path / "board" / "ballerup.html" and out.is_file()
    assert (tmp_path / "board" / "ballerup_network_map.png").is_file()
    assert not list(out.parent.glob(".*.tmp"))


def test_report_missing_directory_raises(tmp_path):
    with pytest.raises(CaseError, match=r"nowhere: no such result directory"):
        write_report(tmp_path / "nowhere")


def test_report_missing_file_names_it(result_dir, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    shutil.copy(result_dir / "results.nc", partial)
    with pytest.raises(CaseError, match=r"kpis\.json: missing") as raised:
        write_report(partial)
    assert any("design.csv: missing" in line for line in raised.value.problems)


def test_report_unreadable_kpis_names_the_file(result_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(result_dir, broken, ignore=shutil.ignore_patterns("report*"))
    (broken / "kpis.json").write_text("{not json")
    with pytest.raises(CaseError, match=r"kpis\.json: not the file its run wrote"):
        write_report(broken)  # the manifest catches it first
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["files"]["kpis.json"] = digest(broken / "kpis.json")  # as if the run itself had written it
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CaseError, match=r"kpis\.json: not valid JSON"):
        write_report(broken)


def test_hourly_losses_add_up_to_the_annual_kpi(result_dir, kpis):
    ds = xr.open_dataset(result_dir / "results.nc", engine="h5netcdf").load()
    annual_losses = float((losses_MW(ds) * ds["weight_h"].to_numpy()).sum())
    assert annual_losses == pytest.approx(kpis["network_losses_MWh"], rel=1e-6)
    days = period_energy_MWh(ds, by_month=False)
    assert len(days) == 2
    produced = days[producers_MW(ds).columns].sum(axis=1)
    charged = storage_charge_MW(ds).groupby(ds["time"].to_numpy() // 24).sum().to_numpy()
    np.testing.assert_allclose(produced, days["demand"] + days["losses"] + charged, rtol=1e-9)


def test_storage_figure_skipped_without_storage(result_dir):
    ds = xr.open_dataset(result_dir / "results.nc", engine="h5netcdf").load()
    assert storage_figure(ds.assign(storage_capacity_MWh=ds["storage_capacity_MWh"] * 0.0)) is None


def test_zoom_weeks_full_year_peak_and_summer():
    hours = np.arange(8760)
    demand = 20 + 10 * np.cos(2 * np.pi * hours / 8760)
    demand[500], demand[200 * 24 : 201 * 24] = 60.0, 0.5  # peak in January, quietest day 20 July
    ds = xr.Dataset({"demand_MW": (("zone", "time"), demand[None, :])}, coords={"time": hours})
    (peak_title, peak), (summer_title, summer) = zoom_weeks(ds)
    assert len(peak) == len(summer) == 168
    assert 500 in peak and 200 * 24 in summer
    assert "peak" in peak_title and "Summer" in summer_title


def test_scale_bar_is_a_round_fifth_of_the_width():
    assert scale_bar_m(4000) == 500
    assert scale_bar_m(12_000) == 2000
    assert scale_bar_m(30) == 10


def test_long_horizon_figures_use_daily_means_weeks_and_months(result_dir):
    """A year made of the two solved days repeated: the figures switch to their long-horizon form."""
    ds = xr.open_dataset(result_dir / "results.nc", engine="h5netcdf").load()
    hourly = ds[[v for v in ds.data_vars if "time" in ds[v].dims]]
    year = xr.concat([hourly] * 183, dim="time").isel(time=slice(0, 8760))
    year = ds.drop_dims("time").merge(year.assign_coords(time=np.arange(8760)).assign(weight_h=("time", np.ones(8760))))
    with report_style():
        assert "daily means" in dispatch_horizon(year).axes[0].get_title("left")
        assert [ax.get_title("left").split(":")[0] for ax in dispatch_weeks(year).axes] == [
            "Week of peak demand",
            "Summer week of least demand",
        ]
        months = [label.get_text() for label in balance_figure(year).axes[0].get_xticklabels()]
        assert months[0] == "Jan" and months[-1] == "Dec" and len(months) == 12
        assert any("daily range" in text.get_text() for text in cop_price_figure(year).legends[0].get_texts())
    assert dispatch_weeks(ds) is None  # two days are drawn hour by hour already


def test_batch_report_charts_and_sortable_table(kpis, tmp_path):
    rows = []
    shown = ("levelised_cost_of_heat_EUR_per_MWh", "co2_saved_t", "hp_capacity_MW")
    for limit in (4.0, 8.0, 12.0):
        for tariff in (10.0, 30.0):
            scaled = {k: kpis[k] * limit / 12.0 for k in shown}
            rows.append(
                {
                    "scenario": f"limit={limit:g},tariff={tariff:g}",
                    "status": "ok",
                    "error": "",
                    "grid.import_limit_MW": limit,
                    "grid.tariff_EUR_per_MWh": tariff,
                    **scaled,
                }
            )
    rows[-1].update(status="failed", error="infeasible: demand cannot be met")
    table = pd.DataFrame(rows)
    out = write_batch_report(table, tmp_path / "sweep" / "report.html")
    page = out.read_text(encoding="utf-8")
    assert '<table class="sortable">' in page and "addEventListener" in page
    assert "grid: import limit [MW]" in page and "infeasible: demand cannot be met" in page
    assert kpi("levelised_cost_of_heat_EUR_per_MWh").text(table.loc[0, "levelised_cost_of_heat_EUR_per_MWh"]) in page
    charts = sorted(out.parent.glob("report_*.png"))
    assert (out.parent / "report_levelised_cost_of_heat_EUR_per_MWh.png") in charts
    images = _images(page)
    assert len(images) == len(charts) == len(shown)
    assert all(min(_png_size(data)) > 0 for data in images)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)


def test_batch_report_empty_table_raises(tmp_path):
    with pytest.raises(CaseError, match="no scenarios"):
        write_batch_report(pd.DataFrame(columns=["status"]), tmp_path / "report.html")


def test_report_in_headless_chromium_shows_kpis_and_every_image(report, kpis, tmp_path):
    screenshot = _screenshot_module()
    browser = screenshot.find_chromium()
    if browser is None:
        pytest.skip(f"no Chromium binary found on PATH (looked for {', '.join(screenshot.BROWSERS)})")
    shot = tmp_path / "report.png"
    seen = screenshot.screenshot(report, shot, browser)
    expected = report.read_text(encoding="utf-8").count("<img ")
    assert seen["images"] == seen["loaded"] == expected > 0
    assert all(width > 0 for width in seen["widths"])
    for key in HEADLINE:
        assert kpi(key).text(kpis[key]) in seen["text"], key
    assert _png_size(shot.read_bytes()) == (1280, 4000)
