"""Every python block of the README runs against FakeRocketLead, so the docs cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.snippets import ROOT, Snippet, python_blocks, run_snippet

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = python_blocks(README)
RUNNABLE = [block for block in BLOCKS if not block.fragment]


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
