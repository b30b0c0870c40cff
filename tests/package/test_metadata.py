"""What a package index and a user's resolver see: the licence, the project links, the
supported Pythons and the extras (each with only what its feature needs); developer tools are
a dependency group, never an extra a user could pull in."""

from __future__ import annotations

import re
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
META = metadata("rocketlead-async")
USER_EXTRAS = {"fast", "redis", "livekit", "pipecat", "otel", "testing"}


def requirements(extra: str) -> set[str]:
    """The distribution names an extra adds."""
    marker = f"extra == '{extra}'"
    return {
        re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower()
        for line in META.get_all("Requires-Dist") or []
        if marker in line
    }


def test_the_mit_licence_ships_with_the_package() -> None:
    assert META["License-Expression"] == "MIT"
    assert META.get_all("License-File") == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_project_urls_and_the_supported_pythons() -> None:
    urls = dict(entry.split(", ", 1) for entry in META.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Changelog", "Documentation"} <= set(urls)
    assert META["Requires-Python"] == ">=3.10"
    versions = {
        c.rsplit(" :: ", 1)[1]
        for c in META.get_all("Classifier") or []
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert versions == {"3.10", "3.11", "3.12", "3.13"}


def test_each_extra_adds_only_what_its_feature_needs() -> None:
    assert set(META.get_all("Provides-Extra") or []) == USER_EXTRAS | {"test"}
    assert requirements("otel") == {"opentelemetry-api"}
    assert requirements("testing") == {"pytest", "pytest-asyncio"}
    assert requirements("fast") == {"orjson"}
    for extra in USER_EXTRAS | {"test"}:
        assert not requirements(extra) & {"mypy", "ruff"}, extra


def test_developer_tools_are_a_dependency_group() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = {re.split(r"[<>=!~ ]", r, maxsplit=1)[0] for r in pyproject["dependency-groups"]["dev"]}
    assert {"mypy", "ruff"} <= dev
