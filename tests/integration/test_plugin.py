"""The shipped pytest plugin, used the way the README documents it, in a project of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = 'pytest_plugins = ["rocketlead_async.testing.pytest_plugin"]\n'
TEST = """
import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, Fault

async def test_fixture_serves_a_fresh_seeded_fake(fake_rocketlead: FakeRocketLead) -> None:
    assert isinstance(fake_rocketlead, FakeRocketLead)
    assert fake_rocketlead.seed == 0
    assert fake_rocketlead.url.startswith("http://127.0.0.1:")
    fake_rocketlead.faults.add("GET /connect/calendar/", Fault.status(503))
    async with rl.RocketLeadClient(
        fake_rocketlead.tokens.read,
        base_url=fake_rocketlead.url,
        retry=rl.RetryPolicy(initial_backoff=0),
    ) as client:
        calendars = await client.calendars.list()
    assert [c.id for c in calendars] == list(fake_rocketlead.demo.calendar_ids)
    assert fake_rocketlead.request_count() == 2

async def test_each_test_gets_its_own_fake(fake_rocketlead: FakeRocketLead) -> None:
    assert fake_rocketlead.requests == []
"""


def run_pytest(project: Path, *options: str) -> str:
    """Run pytest in a user's project directory; its output, after checking it passed."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if run.returncode != 0:
        pytest.fail(f"the plugin did not work:\n{run.stdout}\n{run.stderr}")
    return run.stdout


def test_pytest_plugins_line_provides_the_fake_rocketlead_fixture(tmp_path: Path) -> None:
    # The conftest line and the pytest11 entry point together: the plugin loads once.
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_agent.py").write_text(TEST)
    assert "2 passed" in run_pytest(tmp_path, "-o", "asyncio_mode=auto")


STRICT_TEST = """
from datetime import timedelta

import pytest
import rocketlead_async as rl
from rocketlead_async.testing import ManualClock


@pytest.mark.asyncio
async def test_client_fixture_talks_to_the_fake_fixture(rocketlead_client, fake_rocketlead):
    assert rocketlead_client.base_url == fake_rocketlead.url
    assert len(await rocketlead_client.calendars.list()) == 2


@pytest.mark.asyncio
async def test_a_manual_clock_drives_the_fakes_flow_events(fake_rocketlead_factory, manual_clock):
    fake = await fake_rocketlead_factory(seed=3, now=manual_clock)
    demo = fake.demo
    async with rl.RocketLeadClient(fake.tokens.write, base_url=fake.url) as client:
        av = await client.availability.get(
            calendar_id=demo.mitte_calendar_id,
            appointment_type_id=demo.trial_session_type_id,
            start=manual_clock(),
            end=manual_clock() + timedelta(days=7),
        )
        slot = av.nearest(manual_clock() + timedelta(days=2))[0]
        await client.bookings.create(
            rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id)
        )
    def fired():
        return [e.name for e in fake.events if e.status == "fired"]

    assert fired() == ["calendar.appointment.booked"]
    manual_clock.set(slot.end + timedelta(minutes=1))
    assert fired()[1:] == [
        "calendar.appointment.hasStarted",
        "calendar.appointment.hasEnded",
    ]
"""


def test_fixtures_work_in_strict_mode_without_any_configuration(tmp_path: Path) -> None:
    # The installed package's pytest11 entry point provides the fixtures: no conftest.py.
    (tmp_path / "test_agent.py").write_text(STRICT_TEST)
    assert "2 passed" in run_pytest(tmp_path)
