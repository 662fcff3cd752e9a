"""environment.yml (conda) must list exactly the packages of pyproject's runtime, book and test deps."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _split(req: str) -> tuple[str, str]:
    req = req.split(";")[0]  # environment markers do not exist in conda
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, f"cannot parse requirement {req!r}"
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in ("book", "test"):
        reqs += project["optional-dependencies"][extra]
    out: dict[str, str] = {}
    for r in reqs:
        name, spec = _split(r)
        assert out.get(name, spec) == spec, f"{name} pinned twice in pyproject with different ranges"
        out[name] = spec
    return out


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e") or item.split(">")[0].split("=")[0] in ("python", "pip"):
                continue
            name, spec = _split(item)
            out[name] = spec
    return out


def test_environment_matches_pyproject():
    py, env = _pyproject_requirements(), _environment_requirements()
    missing = sorted(set(py) - set(env))
    extra = sorted(set(env) - set(py))
    assert not missing, f"in pyproject.toml but not in environment.yml: {missing}"
    assert not extra, f"in environment.yml but not in pyproject.toml: {extra}"
    drift = {n: (py[n], env[n]) for n in py if py[n] != env[n]}
    assert not drift, f"version ranges differ (pyproject, environment.yml): {drift}"


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    assert any(str(d).startswith("python>=3.10") for d in env["dependencies"])
