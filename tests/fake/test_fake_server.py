"""FakeRocketLead's lifecycle, determinism, and use with aiohttp's test utilities."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rocketlead_async.testing import DemoOrg, FakeRocketLead
from tests.helpers.recorders import until
from tests.helpers.wire import fresh_get_status


async def test_running_serves_on_loopback_and_shuts_down() -> None:
    async with FakeRocketLead.running(seed=0) as fake:
        url = fake.url
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert await fresh_get_status(url + "/connect/calendar/", fake.tokens.read) == 200
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.url
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url + "/connect/calendar/")


async def test_start_twice_is_refused() -> None:
    fake = FakeRocketLead()
    await fake.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            await fake.start()
    finally:
        await fake.stop()
    await fake.stop()  # idempotent


def test_same_seed_same_world_other_seed_other_ids() -> None:
    first, again, other = FakeRocketLead(seed=0), FakeRocketLead(seed=0), FakeRocketLead(seed=1)
    assert first.demo == again.demo
    assert first.tokens == again.tokens
    assert first.demo != other.demo
    assert first.tokens.read != other.tokens.read
    assert first.demo.mitte_calendar_id != other.demo.mitte_calendar_id


def test_demo_landmarks() -> None:
    demo: DemoOrg = FakeRocketLead().demo
    assert demo.week_start.isoformat() == "2027-03-22T00:00:00+01:00"
    assert demo.week_end.isoformat() == "2027-03-30T00:00:00+02:00"
    assert demo.popular_start.isoformat() == "2027-03-24T15:00:00+01:00"
    assert len(demo.calendar_ids) == 2
    assert len(demo.resource_ids) == 5
    assert len(set(demo.appointment_type_ids)) == 3
    assert demo.timezone == "Europe/Berlin"


async def test_app_works_with_aiohttp_test_utilities() -> None:
    fake = FakeRocketLead()
    async with TestClient(TestServer(fake.app)) as client:
        headers = {"Authorization": f"Bearer {fake.tokens.read}"}
        response = await client.get("/connect/tables/", headers=headers)
        assert response.status == 200
        assert (await response.json())[0]["id"] == fake.demo.table_id


async def test_serve_forever_until_cancelled() -> None:
    fake = FakeRocketLead()
    task = asyncio.create_task(fake.serve_forever("127.0.0.1", 0))

    def serving() -> bool:
        try:
            return bool(fake.url)
        except RuntimeError:
            return False

    await until(serving, what="the fake to serve")
    assert await fresh_get_status(fake.url + "/connect/calendar/", fake.tokens.read) == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(RuntimeError):
        _ = fake.url
