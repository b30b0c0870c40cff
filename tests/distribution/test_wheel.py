"""The package as a user gets it: the built wheel, installed with only ``[testing]`` into a
fresh venv, runs a user's async test with the shipped fixtures and no configuration at all.

Marked ``wheel`` (it builds and installs, about half a minute): ``pytest -m wheel
tests/distribution`` runs it (``.ci/run`` does); the default ``pytest`` run leaves it out.
Dependencies come from the package indexes pip is configured with.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers.commands import run_checked

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.wheel

# A user's test file: pytest-asyncio's default strict mode, no conftest.py, no ini options.
USER_TEST = """
import pytest
import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, ManualClock


@pytest.mark.asyncio
async def test_books_against_the_fake(fake_rocketlead: FakeRocketLead) -> None:
    async with rl.RocketLeadClient(
        fake_rocketlead.tokens.write, base_url=fake_rocketlead.url
    ) as client:
        calendars = await client.calendars.list()
    assert [c.id for c in calendars] == list(fake_rocketlead.demo.calendar_ids)


@pytest.mark.asyncio
async def test_client_fixture_and_factories(
    rocketlead_client: rl.RocketLeadClient, fake_rocketlead_factory, manual_clock: ManualClock
) -> None:
    assert len(await rocketlead_client.appointment_types.list()) >= 1
    other = await fake_rocketlead_factory(seed=7, now=manual_clock, latency=0.01)
    assert other.seed == 7 and other.url != rocketlead_client.base_url
"""


def test_wheel_with_only_the_testing_extra_runs_a_users_async_test(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run_checked(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, cwd=tmp_path
    )
    (wheel,) = dist.glob("rocketlead_async-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "[pytest11]" in archive.read(entry_points).decode()
        assert any(n.endswith("licenses/LICENSE") for n in names)
        assert "rocketlead_async/py.typed" in names

    venv = tmp_path / "venv"
    run_checked(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wheel_install: list[str | Path] = ["pip", "install", "-q", "--find-links", dist]
    run_checked(python, "-m", *wheel_install, "rocketlead-async[testing]", cwd=tmp_path)
    installed = run_checked(python, "-m", "pip", "list", "--format=freeze", cwd=tmp_path)
    # Only [testing]: none of this repository's own test tools came along.
    for absent in ("aioresponses", "hypothesis", "mypy", "ruff"):
        assert absent not in installed.lower()

    project = tmp_path / "project"
    project.mkdir()
    (project / "test_agent.py").write_text(USER_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "ROCKETLEAD_"))}
    out = run_checked(
        python, "-m", "pytest", "-q", "-W", "error::ResourceWarning", cwd=project, env=env
    )
    assert "2 passed" in out
