"""The shipped pytest plugin: its fixtures, and its loading the way the README documents it
(a ``pytest_plugins`` line, or nothing at all in pytest-asyncio's strict mode) in a user's
project of its own."""

from __future__ import annotations

import sys
from pathlib import Path

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, Fault, ManualClock
from rocketlead_async.testing.pytest_plugin import FakeFactory
from tests.helpers.commands import run_checked
from tests.helpers.demo import lead_request
from tests.helpers.wire import FAKE_NOW


async def test_fake_rocketlead_is_a_running_seed_0_fake(fake_rocketlead: FakeRocketLead) -> None:
    # Serving and stopping are FakeRocketLead.running's (test_fake_server.py).
    assert fake_rocketlead.seed == 0
    assert fake_rocketlead.url.startswith("http://127.0.0.1:")


async def test_rocketlead_client_is_an_admin_client_that_retries_without_waiting(
    rocketlead_client: rl.RocketLeadClient, fake_rocketlead: FakeRocketLead
) -> None:
    assert rocketlead_client.base_url == fake_rocketlead.url
    fake_rocketlead.faults.add("GET /connect/calendar/", Fault.status(503, retry_after=30))
    # Retry-After is capped to no wait at all: the retry goes out at once.
    calendars = await rocketlead_client.calendars.list()
    assert [c.id for c in calendars] == list(fake_rocketlead.demo.calendar_ids)
    assert fake_rocketlead.request_count() == 2
    await rocketlead_client.bookings.delete(fake_rocketlead.demo.booking_ids[0])  # admin scope


async def test_factory_makes_more_fakes_with_their_own_seed_clock_and_latency(
    fake_rocketlead: FakeRocketLead, fake_rocketlead_factory: FakeFactory, manual_clock: ManualClock
) -> None:
    manual_clock.set(FAKE_NOW)
    other = await fake_rocketlead_factory(seed=7, now=manual_clock, latency=0.01)
    assert (other.seed, other.latency) == (7, 0.01)
    assert other.url != fake_rocketlead.url
    assert other.demo != fake_rocketlead.demo
    async with rl.RocketLeadClient(other.tokens.write, base_url=other.url) as client:
        lead = await client.leads.create(lead_request(other.demo, "Ada"))
    assert lead.created_at == FAKE_NOW


def run_pytest(project: Path, *options: str) -> str:
    """Run pytest in a user's project directory; its output, after checking it passed."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options]
    return run_checked(*command, cwd=project, timeout=60)


CONFTEST = 'pytest_plugins = ["rocketlead_async.testing.pytest_plugin"]\n'
AUTO_MODE_TEST = """
from rocketlead_async.testing import FakeRocketLead, Fault

async def test_the_fixture_serves_a_fake(fake_rocketlead: FakeRocketLead) -> None:
    fake_rocketlead.faults.add("*", Fault.status(503), times=None)
    assert fake_rocketlead.url.startswith("http://127.0.0.1:")

async def test_each_test_gets_its_own_fake(fake_rocketlead: FakeRocketLead) -> None:
    assert fake_rocketlead.faults.pending == []
"""


def test_a_pytest_plugins_line_and_the_entry_point_load_the_plugin_once(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_agent.py").write_text(AUTO_MODE_TEST)
    assert "2 passed" in run_pytest(tmp_path, "-o", "asyncio_mode=auto")


STRICT_MODE_TEST = """
import pytest

@pytest.mark.asyncio
async def test_the_fixtures_resolve(rocketlead_client, fake_rocketlead_factory, manual_clock):
    assert len(await rocketlead_client.calendars.list()) == 2
    fake = await fake_rocketlead_factory(seed=3, now=manual_clock)
    assert fake.seed == 3
"""


def test_the_fixtures_work_in_strict_mode_without_any_configuration(tmp_path: Path) -> None:
    # The installed package's pytest11 entry point provides the fixtures: no conftest.py.
    (tmp_path / "test_agent.py").write_text(STRICT_MODE_TEST)
    assert "1 passed" in run_pytest(tmp_path)
