"""The validation library keeps loading and solving, its comparison is arithmetic that holds, and a
campus's recovery profile (free-cooling hours) scales its recoverable heat hour by hour."""

from __future__ import annotations

import numpy as np
import pytest
from builders import REPO, campus, consumer, write_case, write_network, write_series

from dhopt.case import load_case
from dhopt.cli import main
from dhopt.errors import CaseError
from dhopt.inputs import prepare_inputs
from dhopt.network import load_network
from dhopt.planning.validation import FIGURES, compare_projects, load_projects

VALIDATION = REPO / "cases" / "validation"


def test_every_validation_case_solves_on_a_short_horizon():
    projects = load_projects(VALIDATION)
    table = compare_projects(VALIDATION, hours=48)
    assert set(table["project"]) == {p.name for p in projects} and len(projects) >= 2
    assert np.isfinite(table["dhopt"]).all() and (table["dhopt"] > 0).all()
    published = table[table["published"].notna()]
    assert published["difference"].to_numpy() == pytest.approx(
        (published["dhopt"] / published["published"] - 1).to_numpy()
    )
    # every scheme prints every figure, published or not
    assert (table.groupby("project")["figure"].apply(set) == set(FIGURES)).all()
    assert table["difference"].isna().to_numpy().tolist() == table["published"].isna().to_numpy().tolist()
    for project in projects:  # homes are the heat delivered at the scheme's own heat per home
        rows = table[table["project"] == project.name].set_index("figure")
        home_MWh = load_case(VALIDATION / project.case).spec.demand.home_annual_heat_MWh
        assert rows.at["homes", "dhopt"] == pytest.approx(rows.at["heat_delivered_MWh", "dhopt"] / home_MWh)


def test_validate_projects_prints_and_writes_the_comparison(tmp_path, capsys):
    # the smallest scheme alone (PA10), its published heat and homes, the rest "not published"
    (tmp_path / "projects.toml").write_text(
        f'[[project]]\nname = "PA10"\ncase = "{VALIDATION / "paris_pa10.toml"}"\nsources = ["s"]\n'
        "[project.published]\nheat_delivered_MWh = 10800.0\nhomes = 1000.0\n"
    )
    out = tmp_path / "out"
    assert main(["validate-projects", str(tmp_path), "--hours", "24", "--out", str(out)]) in (0, None)
    printed = capsys.readouterr().out
    assert "PA10: heat delivered: published 10,800 MWh/yr, dhopt" in printed
    assert "PA10: heat-pump mean COP: not published, dhopt " in printed
    assert "note: 24 h modelled" in printed
    assert (out / "validation.csv").stat().st_size > 0 and (out / "validation.png").stat().st_size > 1000


def test_a_bad_project_entry_is_one_line(tmp_path):
    (tmp_path / "projects.toml").write_text('[[project]]\nname = "x"\ncase = "x.toml"\nsources = ["s"]\n'
                                            "[project.published]\nheat_MWh = 1.0\n")  # fmt: skip
    with pytest.raises(CaseError) as error:
        load_projects(tmp_path)
    assert error.value.problems == [
        f"{tmp_path / 'projects.toml'}: project 1: published ['heat_MWh']: expected figures of "
        "['heat_delivered_MWh', 'heat_reused_share', 'homes', 'hp_capacity_MW', 'hp_mean_cop']"
    ]


def test_a_recovery_profile_scales_the_recoverable_heat_each_hour(tmp_path):
    # free cooling in hours 1 and 2: the cooling bypasses the heat-recovery coils (share 0 and 0.5)
    nodes = [("S", 0, 0, {**campus(10.0), "recovery_profile": "recovery"}), ("C", 100, 0, consumer(5.0))]
    network = write_network(tmp_path, nodes, [("P", "S", "C", {"status": "existing", "dn": 300, "length_m": 100.0})])
    series = write_series(tmp_path, 4, recovery=[1.0, 0.0, 0.5, 1.0])
    case = load_case(write_case(tmp_path, network, series, 4))
    heat = prepare_inputs(case, load_network(network)).source_heat_MW["S"].tolist()
    assert heat == pytest.approx([10.0, 0.0, 5.0, 10.0])  # 10 MW IT, share 1, utilisation 1
    bad = write_series(tmp_path, 4, recovery=[1.0, 1.5, 0.5, 1.0])
    with pytest.raises(CaseError, match=r"row 3: column 'recovery': expected a recovered share between 0 and 1"):
        prepare_inputs(load_case(write_case(tmp_path, network, bad, 4)), load_network(network))
