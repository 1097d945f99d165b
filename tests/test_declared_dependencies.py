"""Every third-party package the project imports directly is declared in pyproject.toml.

A package that works only because another one happens to install it breaks the day that other package
drops it. The product's code (sbt_sync, assets, connectors, schemas) may import only
``[project] dependencies``; the tests also the ``dev`` extra; the benchmarks also the ``bench`` extra.
Imports are read from the source (every ``import`` and absolute ``from ... import``, including those
inside functions), and a module is mapped to the distribution that installs it; a module of a package
that is not installed here (the benchmarks' contenders) is taken to be its own distribution's name.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = frozenset({"sbt_sync", "assets", "connectors", "schemas", "tests", "benchmarks"})
PRODUCT = ("sbt_sync", "assets", "connectors", "schemas")


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])


@cache
def declared() -> dict[str, frozenset[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    runtime = frozenset(requirement_name(r) for r in project["dependencies"])
    dev = frozenset(requirement_name(r) for r in extras.get("dev", []))
    bench = frozenset(requirement_name(r) for r in extras.get("bench", []))
    return {"product": runtime, "tests": runtime | dev, "benchmarks": runtime | dev | bench}


def imported_modules(folders: tuple[str, ...]) -> dict[str, str]:
    """Top-level module name -> the first file (relative path) importing it."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def undeclared(folders: tuple[str, ...], allowed: frozenset[str]) -> list[str]:
    distributions = packages_distributions()
    missing = []
    for module, where in sorted(imported_modules(folders).items()):
        if module in sys.stdlib_module_names or module in OURS or module == "__future__":
            continue
        candidates = {canonical(d) for d in distributions.get(module, [module])}
        if not candidates & allowed:
            missing.append(f"{module} (installed by {', '.join(sorted(candidates))}), imported in {where}")
    return missing


@pytest.mark.parametrize(
    ("folders", "scope"),
    [(PRODUCT, "product"), (("tests",), "tests"), (("benchmarks",), "benchmarks")],
    ids=["product", "tests", "benchmarks"],
)
def test_every_directly_imported_package_is_declared(folders: tuple[str, ...], scope: str) -> None:
    missing = undeclared(folders, declared()[scope])
    assert not missing, "imported but not declared in pyproject.toml:\n" + "\n".join(missing)


def test_the_check_sees_an_undeclared_import() -> None:
    """The scan itself works: a package absent from the declared set is reported with its file."""
    missing = undeclared(PRODUCT, declared()["product"] - {"pandas"})
    assert any(line.startswith("pandas (installed by pandas), imported in ") for line in missing)
