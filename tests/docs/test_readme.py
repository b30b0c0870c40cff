"""Every python block of the README runs against FakeRocketLead, so the docs cannot rot; the
test module it shows runs under pytest in a project of its own, as a user's would."""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead
from tests.helpers.commands import run_checked
from tests.helpers.snippets import ROOT, Snippet, python_blocks, run_snippet

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = python_blocks(README)
RUNNABLE = [block for block in BLOCKS if not block.fragment and not block.pytest_module]
PYTEST_MODULES = [block for block in BLOCKS if block.pytest_module]


def test_the_readme_has_runnable_snippets_and_marks_fragments() -> None:
    assert len(RUNNABLE) >= 3
    assert all("<!-- fragment" in README.split(b.code)[0][-200:] for b in BLOCKS if b.fragment)


@pytest.mark.parametrize("block", RUNNABLE, ids=[f"README.md:{b.line}" for b in RUNNABLE])
async def test_readme_snippet_runs(block: Snippet, fake: FakeRocketLead, tmp_path: Path) -> None:
    ran = await run_snippet(block.code, fake, tmp_path)
    assert ran.code == 0, f"stdout:\n{ran.out}\nstderr:\n{ran.err}"
    # A leaked session is a ResourceWarning (or aiohttp's "Unclosed" notice) at exit.
    assert "Unclosed" not in ran.err
    assert "ResourceWarning" not in ran.err
    assert fake.tokens.admin not in ran.out + ran.err


@pytest.mark.parametrize(
    "block", PYTEST_MODULES, ids=[f"README.md:{b.line}" for b in PYTEST_MODULES]
)
def test_readme_test_module_passes_under_pytest_in_a_users_project(
    block: Snippet, tmp_path: Path
) -> None:
    # No conftest.py, no ini file, pytest-asyncio's default strict mode: the plugin comes
    # from the installed package's entry point.
    (tmp_path / "test_from_readme.py").write_text(block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "ROCKETLEAD_"))}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    out = run_checked(*command, "-W", "error::ResourceWarning", cwd=tmp_path, env=env, timeout=60)
    assert " passed" in out  # not skipped (a failure or a warning fails run_checked)


def test_the_readme_shows_a_test_module_to_run() -> None:
    assert len(PYTEST_MODULES) >= 1


def test_the_client_options_table_lists_every_constructor_option() -> None:
    section = README.split("## Client options", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}
    options = set(inspect.signature(rl.RocketLeadClient).parameters) - {"_parent"}
    assert options - documented == set()
