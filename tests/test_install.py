"""A non-editable install works from an empty folder: the wheel carries the default case.

The wheel is built offline (no build isolation) and installed without its dependencies into a fresh
venv; the dependencies come from this interpreter's site-packages through a .pth file (a venv made
with --system-site-packages would see only the base interpreter's, which in a venv such as CI's has
none of them)."""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from builders import REPO


def _run(*command, **kwargs) -> str:
    """Run `command`, fail with its stderr if it fails, return its stdout."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A venv with dhopt installed from a wheel built from a copy of the project's sources."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"  # a copy: building in the work tree would race other test runs
    shutil.copytree(REPO / "dhopt", source / "dhopt", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    _run(*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", tmp / "wheel", source)
    [wheel] = (tmp / "wheel").glob("dhopt-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (purelib / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(*pip, "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel)
    return venv


def _environment(venv: Path) -> dict[str, str]:
    """This process's environment with the venv first on PATH and no path into the work tree."""
    kept = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return kept | {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def test_installed_package_is_the_venvs_with_its_default_case(venv, tmp_path):
    code = "import dhopt, dhopt.data; print(dhopt.__file__); print(dhopt.data.DEFAULT_CASE)"
    package, case = map(Path, _run(venv / "bin" / "python", "-c", code, cwd=tmp_path, env=_environment(venv)).split())
    assert package.is_relative_to(venv) and not package.is_relative_to(REPO)
    assert case.is_relative_to(venv) and case.is_file()
    assert {p.name for p in case.parent.iterdir()} >= {"ballerup.geojson", "dk_2019_hourly.csv", "README.md"}


def test_dhopt_run_from_an_empty_folder_solves_the_default_case(venv, tmp_path):
    out = _run(venv / "bin" / "dhopt", "run", cwd=tmp_path, env=_environment(venv), timeout=300)
    assert "case 'ballerup' (8760 h), 1854 nodes, 1854 pipes" in out
    assert re.search(r"^heat demand +144,800 +MWh/yr$", out, re.MULTILINE), out
    assert re.search(r"^homes heated by waste heat +[\d,]+ +homes$", out, re.MULTILINE), out
    assert not list(tmp_path.iterdir())  # nothing written without --out


def test_ci_runs_the_readmes_test_command_exactly():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Two commands", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    command = block.split("# 2.", 1)[1].splitlines()[1]
    assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
    assert command in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
