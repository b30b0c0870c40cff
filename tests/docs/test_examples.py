"""The scripts in examples/ run as a reader would run them, against FakeRocketLead."""

from __future__ import annotations

import shutil
import sys

import pytest

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.snippets import ROOT, run_python

EXAMPLES = ROOT / "examples"


def test_every_example_is_covered_here() -> None:
    # The voice-agent examples need their framework: tests/integrations/*/test_example.py.
    assert {p.name for p in EXAMPLES.iterdir() if p.suffix in (".py", ".sh")} - {
        "livekit_agent.py",
        "pipecat_bot.py",
    } == {
        "agent_flow.py",
        "booking_service.py",
        "cli_session.sh",
    }


async def test_agent_flow_books_for_a_new_lead(fake: FakeRocketLead) -> None:
    ran = await run_python([sys.executable, str(EXAMPLES / "agent_flow.py")], fake)
    assert ran.code == 0, ran.err
    assert "agent: You're booked for Wednesday 24 March at" in ran.out
    assert len(fake.events_named("table.entry.added")) == 1
    assert len(fake.events_named("calendar.appointment.booked")) == 1
    assert "+49" not in ran.out  # the booking's repr shows no personal data


async def test_agent_flow_narrates_a_lost_race(fake: FakeRocketLead) -> None:
    fake.race_next_bookings(1)
    ran = await run_python([sys.executable, str(EXAMPLES / "agent_flow.py")], fake)
    assert ran.code == 0, ran.err
    assert "That time was just taken" in ran.out
    assert "recovered: True" in ran.out


async def test_booking_service_books_through_its_endpoint(fake: FakeRocketLead) -> None:
    argv = [sys.executable, str(EXAMPLES / "booking_service.py"), "--demo"]
    ran = await run_python(argv, fake)
    assert ran.code == 0, ran.err
    assert ran.out.startswith("200 {'booking': {")
    assert len(fake.events_named("calendar.appointment.booked")) == 1


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
async def test_cli_session(fake: FakeRocketLead) -> None:
    ran = await run_python(["bash", str(EXAMPLES / "cli_session.sh")], fake)
    assert ran.code == 0, ran.out + ran.err
    assert "exits with 1" in ran.out
    assert "deleted " in ran.out
    assert len(fake.events_named("calendar.appointment.deleted")) == 1
