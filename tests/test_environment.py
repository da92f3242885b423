"""environment.yml (conda) and pyproject.toml (pip) must list the same dependencies."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_conda_environment_matches_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip_deps = dict(_name_and_spec(r) for r in pyproject["project"]["dependencies"])
    pip_deps["python"] = pyproject["project"]["requires-python"].replace(" ", "")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_deps = dict(
        _name_and_spec(d) for d in env["dependencies"] if isinstance(d, str) and d != "pip"
    )
    assert conda_deps == pip_deps


def test_conda_environment_installs_the_package_with_dev_extra():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e .[dev]" in pip_section


def test_readme_has_exactly_the_two_setup_commands_and_ci_uses_make_test():
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
