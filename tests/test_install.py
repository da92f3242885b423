"""Installable anywhere (issue 14.1): a built wheel, installed (not editable) into a fresh
virtual environment, runs the demo and a report from a folder outside the repository.

How the fresh environment gets its dependencies: installing all of them into a new venv
(``venv/bin/pip install <wheel>``) is the real thing and is what this test does when
``DSPL_EVAL_FULL_INSTALL=1``; on this project's machine that took 6 minutes (from the
pip cache and local indexes), too slow for every ``make test``. By default the wheel is
installed with ``--no-deps`` into a venv made by the project venv's Python, which is
given the project venv's site-packages (a ``.pth`` line, after its own: so the wheel's
``dspl_eval`` wins and the editable install's finder is never loaded) and JUPYTER_PATH
names the project venv's ``share/jupyter`` (nbconvert's base templates are data files
there). Either way the test checks that the ``dspl_eval`` that ran is the installed
wheel's, that its notebooks and templates came from the wheel, and that the run's folder
is outside the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TERM = "2023-24-summer"
WINDOWS = os.name == "nt"


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if WINDOWS else "bin") / (f"{name}.exe" if WINDOWS else name)


def _run(command: list, cwd: Path, env: dict | None = None, timeout: float = 900):
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (so no build/ folder lands in the repo)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "dspl_eval", source / "dspl_eval", ignore=shutil.ignore_patterns("__pycache__")
    )
    _run([sys.executable, "-m", "pip", "wheel", source, "--no-deps", "-w", tmp / "dist"], tmp)
    (built,) = (tmp / "dist").glob("dspl_eval-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (see the module docstring for how)."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    if os.environ.get("DSPL_EVAL_FULL_INSTALL") == "1":
        _run([sys.executable, "-m", "venv", venv], venv.parent)
        _run([_bin(venv, "python"), "-m", "pip", "install", wheel], venv.parent, timeout=1800)
        return venv
    _run([sys.executable, "-m", "venv", "--without-pip", venv], venv.parent)
    python = _bin(venv, "python")
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(own) / "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", wheel],
        venv.parent,
    )
    return venv


@pytest.mark.slow
def test_the_wheel_ships_the_notebooks_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for key in ("ebsa", "elsa", "nqt", "nurture"):
        assert f"dspl_eval/notebooks/{key}.ipynb" in names
    assert "dspl_eval/templates/offline/index.html.j2" in names
    assert "dspl_eval/templates/offline/conf.json" in names
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "data/"))]


@pytest.mark.slow
def test_demo_and_a_run_from_a_folder_outside_the_repository(installed, tmp_path):
    work = tmp_path / "anywhere"
    work.mkdir()
    assert not work.resolve().is_relative_to(ROOT)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(tmp_path / "home")
    if os.environ.get("DSPL_EVAL_FULL_INSTALL") != "1":  # nbconvert's base templates are
        # data files of the project venv (share/jupyter), which a .pth line does not reach
        env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    python = _bin(installed, "python")
    where = _run(
        [python, "-c", "import dspl_eval.paths as p; print(p.NOTEBOOKS_DIR)"], work, env
    ).stdout.strip()
    assert Path(where).is_relative_to(installed), f"not the installed package: {where}"
    assert not Path(where).is_relative_to(ROOT)

    dspl_eval = _bin(installed, "dspl-eval")
    demo = _run([dspl_eval, "demo", "--no-run"], work, env)
    assert "ingested" in demo.stdout
    assert (work / "data" / "demo" / "processed" / TERM / "validation.json").is_file()
    options = ["--data", "data/demo", "--reports", "reports", "--initiative", "ebsa"]
    run = _run([dspl_eval, "run", "--term", TERM, *options, "--jobs", "1"], work, env)
    assert "Traceback" not in run.stderr
    pack = work / "reports" / TERM / "commissioner"
    assert (pack / "ebsa.html").is_file(), run.stdout
    assert (pack / "index.html").is_file()
    assert "<html" in (pack / "ebsa.html").read_text("utf-8").lower()
    assert not list((installed).rglob("*.ipynb.*")), "nothing written into the package"


# --- dspl-eval init and dspl-eval lab (fast) ------------------------------------------


def test_init_makes_the_folders_and_a_private_key_and_never_overwrites_it(
    tmp_path, monkeypatch, capsys
):
    from dspl_eval import cli

    key = tmp_path / "secure" / "dspl.key"
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(key))
    monkeypatch.delenv("DSPL_EVAL_KEY", raising=False)
    assert cli.main(["init", "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "data" / "raw").is_dir() and (tmp_path / "data" / "processed").is_dir()
    secret = key.read_text()
    assert len(secret.strip()) == 64
    if not WINDOWS:
        assert key.stat().st_mode & 0o777 == 0o600
    assert f"created the pseudonymisation key {key}" in out and "next steps:" in out
    assert f"dspl-eval ingest --term 2024-25-autumn --data {tmp_path / 'data'}" in out
    assert secret.strip() not in out

    assert cli.main(["init", "--data", str(tmp_path / "data")]) == 0
    assert key.read_text() == secret, "an existing key is never overwritten"
    assert "kept the existing key file" in capsys.readouterr().out


def test_init_uses_the_default_key_file_in_the_home_folder(tmp_path, monkeypatch, capsys):
    from dspl_eval import cli

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DSPL_EVAL_KEY_FILE", raising=False)
    monkeypatch.delenv("DSPL_EVAL_KEY", raising=False)
    assert cli.main(["init", "--data", str(tmp_path / "data")]) == 0
    assert (tmp_path / "home" / ".config" / "dspl-eval" / "key").is_file()


def test_init_refuses_a_key_file_inside_the_repository(tmp_path, monkeypatch, capsys):
    from dspl_eval import cli
    from dspl_eval.paths import PROJECT_ROOT

    inside = PROJECT_ROOT / "dspl-eval-test.key"
    monkeypatch.setenv("DSPL_EVAL_KEY_FILE", str(inside))
    monkeypatch.delenv("DSPL_EVAL_KEY", raising=False)
    assert cli.main(["init", "--data", str(tmp_path / "data")]) == 1
    assert not inside.exists()
    assert "would be inside" in capsys.readouterr().err


def test_lab_copies_the_notebooks_to_the_data_area_pointing_at_the_data(
    tmp_path, monkeypatch, capsys
):
    import nbformat

    from dspl_eval import cli
    from dspl_eval.paths import NOTEBOOKS_DIR, PACKAGE_DIR

    started = []
    monkeypatch.setattr(subprocess, "call", lambda command: started.append(command) or 0)
    packaged = {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    data = tmp_path / "data"
    assert cli.main(["lab", "--data", str(data), "--no-browser"]) == 0
    folder = data.resolve() / "notebooks"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(packaged)
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    for name in packaged:
        nb = nbformat.read(folder / name, as_version=4)
        (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert f"data_dir: str = {str(data.resolve())!r}" in cell.source
        assert "term" in cell.source
    assert {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.glob("*.ipynb")} == packaged
    ((*_, notebook_dir, no_browser),) = started
    assert started[0][1:4] == ["-m", "jupyter", "lab"]
    assert notebook_dir == f"--notebook-dir={folder}" and no_browser == "--no-browser"

    # an edited working copy is kept; --refresh replaces it
    (folder / "ebsa.ipynb").write_text((folder / "ebsa.ipynb").read_text() + " ")
    edited = (folder / "ebsa.ipynb").read_text()
    assert cli.main(["lab", "--data", str(data)]) == 0
    assert (folder / "ebsa.ipynb").read_text() == edited
    assert cli.main(["lab", "--data", str(data), "--refresh"]) == 0
    assert (folder / "ebsa.ipynb").read_text() != edited
    assert started[-1][-1] == f"--notebook-dir={folder}"

    # never inside the package
    assert cli.main(["lab", "--dir", str(PACKAGE_DIR / "notebooks")]) == 1
    assert "inside the dspl-eval package" in capsys.readouterr().err


# --- PDF printing finds Chromium, Chrome or Edge (fast) -------------------------------


@pytest.mark.parametrize("name", ["msedge", "google-chrome", "chrome", "chromium-browser"])
def test_find_chromium_finds_each_browser_on_the_path(name, tmp_path, monkeypatch):
    from dspl_eval import export

    program = tmp_path / name
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.delenv("DSPL_EVAL_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(export, "_installed_browsers", lambda: [])
    assert export.find_chromium() == str(program)


def test_find_chromium_looks_where_browsers_are_installed(tmp_path, monkeypatch):
    from dspl_eval import export

    edge = tmp_path / "Microsoft" / "Edge" / "Application" / "msedge.exe"
    edge.parent.mkdir(parents=True)
    edge.write_text("")
    edge.chmod(0o755)
    monkeypatch.delenv("DSPL_EVAL_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(export, "_installed_browsers", lambda: [tmp_path / "nothing", edge])
    assert export.find_chromium() == str(edge)


def test_no_browser_says_exactly_what_to_install(tmp_path, monkeypatch):
    from dspl_eval import export
    from dspl_eval.errors import DsplEvalError

    monkeypatch.delenv("DSPL_EVAL_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(export, "_installed_browsers", lambda: [])
    assert export.find_chromium() is None
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><title>x</title>")
    with pytest.raises(DsplEvalError) as raised:
        export.write_pdf(page, tmp_path / "page.pdf")
    message = str(raised.value)
    assert "Microsoft Edge" in message and "Google Chrome" in message
    assert "apt-get install chromium" in message and "DSPL_EVAL_CHROMIUM" in message


def test_the_windows_and_macos_install_paths_are_known(monkeypatch):
    from dspl_eval import export

    monkeypatch.setattr(export.sys, "platform", "darwin")
    paths = [str(p) for p in export._installed_browsers()]
    assert "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" in paths
    assert "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge" in paths
