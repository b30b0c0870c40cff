"""Fault plans as a raw aiohttp client sees them, plus request counters and latency."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import pytest
from yarl import URL

from rocketlead_async.testing import FakeRocketLead, Fault
from tests.helpers.recorders import until
from tests.helpers.wire import Dropped, Wire, ben_booking, fresh_get_status

BOOKINGS = "/connect/calendar_bookings/"
POST_BOOKING = "POST /connect/calendar_bookings/"
CALENDARS = "GET /connect/calendar/"


def created(fake: FakeRocketLead) -> int:
    return len(fake.state.bookings) - len(fake.demo.booking_ids)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_status_fault_uses_the_envelope(
    wire: Wire, manual_fake: FakeRocketLead, status: int
) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.status(status))
    reply = await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert reply.status == status
    assert reply.json["statusCode"] == status
    assert isinstance(reply.json["message"], str)
    assert "Retry-After" not in reply.headers
    assert created(manual_fake) == 0
    assert (await wire.post(BOOKINGS, ben_booking(manual_fake.demo))).status == 201


@pytest.mark.parametrize("retry_after", ["2", 7, "Wed, 21 Oct 2026 07:28:00 GMT"])
async def test_retry_after(wire: Wire, manual_fake: FakeRocketLead, retry_after: str | int) -> None:
    manual_fake.faults.add(CALENDARS, Fault.status(429, retry_after=retry_after))
    reply = await wire.get("/connect/calendar/")
    assert (reply.status, reply.headers["Retry-After"]) == (429, str(retry_after))
    assert reply.json == {"statusCode": 429, "message": "Too Many Requests"}


async def test_times_counts_and_then_normal(wire: Wire, manual_fake: FakeRocketLead) -> None:
    plan = manual_fake.faults.add(POST_BOOKING, Fault.status(503, retry_after="2"), times=2)
    statuses = [(await wire.post(BOOKINGS, ben_booking(manual_fake.demo))).status for _ in range(3)]
    assert statuses == [503, 503, 201]
    assert (plan.remaining, plan.applied) == (0, 2)
    assert manual_fake.faults.pending == []
    assert manual_fake.request_count(POST_BOOKING) == 3


async def test_plans_apply_in_order_and_star_matches_all(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    manual_fake.faults.add("*", Fault.status(500))
    manual_fake.faults.add(CALENDARS, Fault.status(502))
    assert (await wire.get("/connect/tables/")).status == 500
    assert (await wire.get("/connect/calendar/")).status == 502
    assert (await wire.get("/connect/calendar/")).status == 200


async def test_forever_until_cleared(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.status(503), times=None)
    for _ in range(3):
        assert (await wire.get("/connect/calendar/")).status == 503
    manual_fake.faults.clear()
    assert (await wire.get("/connect/calendar/")).status == 200


def test_bad_plans_are_refused(manual_fake: FakeRocketLead) -> None:
    with pytest.raises(ValueError, match="unknown route key"):
        manual_fake.faults.add("POST /connect/calendar_bookings", Fault.status(503))
    with pytest.raises(ValueError, match="times"):
        manual_fake.faults.add("*", Fault.status(503), times=0)
    with pytest.raises(ValueError, match="error status"):
        Fault.status(200)
    with pytest.raises(ValueError, match="size_bytes"):
        Fault.huge(3)
    manual_fake.faults.add("DELETE /connect/calendar_bookings/{id}", Fault.status(503))
    manual_fake.faults.add("PATCH /connect/table_entries/{id}", Fault.status(503))
    manual_fake.faults.add("HEAD /connect/tables/{id}", Fault.status(503))


async def test_status_fault_may_commit(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.status(504, commit=True))
    assert (await wire.post(BOOKINGS, ben_booking(manual_fake.demo))).status == 504
    assert created(manual_fake) == 1


@pytest.mark.parametrize("commit", [False, True])
async def test_latency_delays_the_answer(
    wire: Wire, manual_fake: FakeRocketLead, commit: bool
) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.latency(0.02, commit=commit))
    began = time.perf_counter()
    assert (await wire.post(BOOKINGS, ben_booking(manual_fake.demo))).status == 201
    assert time.perf_counter() - began >= 0.0199
    assert created(manual_fake) == 1


@pytest.mark.parametrize(("commit", "created_while_held"), [(False, 0), (True, 1)])
async def test_latency_holds_the_answer_before_or_after_the_commit(
    wire: Wire, manual_fake: FakeRocketLead, commit: bool, created_while_held: int
) -> None:
    # A client that gives up during the hold: with commit=True the booking exists anyway.
    manual_fake.faults.add(POST_BOOKING, Fault.latency(3600, commit=commit))
    posting = asyncio.create_task(wire.post(BOOKINGS, ben_booking(manual_fake.demo)))
    await until(lambda: manual_fake.request_count(POST_BOOKING) == 1, what="the POST")
    await until(lambda: created(manual_fake) == created_while_held, what="the commit")
    # A whole round trip on another connection meanwhile: the POST's answer is still held.
    assert (await wire.get("/connect/tables/")).status == 200
    assert not posting.done()
    assert created(manual_fake) == created_while_held
    posting.cancel()


async def test_global_latency(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.latency = 0.02
    began = time.perf_counter()
    assert (await wire.get("/connect/tables/")).status == 200
    assert time.perf_counter() - began >= 0.0199


async def test_drop_before_does_not_commit(wire: Wire, manual_fake: FakeRocketLead) -> None:
    # The POST goes out on the connection this GET leaves open in the session's pool.
    assert (await wire.get("/connect/tables/")).status == 200
    manual_fake.faults.add(POST_BOOKING, Fault.drop_before())
    with pytest.raises(Dropped):
        await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert created(manual_fake) == 0
    assert manual_fake.events == []
    assert manual_fake.request_count(POST_BOOKING) == 1
    assert (await wire.post(BOOKINGS, ben_booking(manual_fake.demo))).status == 201


async def test_drop_after_commit_commits(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.drop_after_commit())
    with pytest.raises(Dropped):
        await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert created(manual_fake) == 1
    assert len(manual_fake.events_named("calendar.appointment.booked")) == 1
    retry = await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert retry.json["message"] == "The selected time slot is no longer available"


async def test_drop_on_get_and_delete(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.drop_before())
    with pytest.raises(Dropped):
        await wire.get("/connect/calendar/")
    assert manual_fake.request_count(CALENDARS) == 1  # seen by the client, not resent
    booking_id = manual_fake.demo.booking_ids[0]
    manual_fake.faults.add("DELETE /connect/calendar_bookings/{id}", Fault.drop_after_commit())
    with pytest.raises(Dropped):
        await wire.call("DELETE", f"{BOOKINGS}{booking_id}")
    assert booking_id not in manual_fake.state.bookings
    assert (await wire.call("DELETE", f"{BOOKINGS}{booking_id}")).status == 404


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_html(wire: Wire, manual_fake: FakeRocketLead, status: int) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.html(status))
    reply = await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{status} ".encode() in reply.raw
    assert reply.json is None
    assert created(manual_fake) == 0


async def test_empty(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.empty(502))
    manual_fake.faults.add(POST_BOOKING, Fault.empty(201, commit=True))
    reply = await wire.get("/connect/calendar/")
    assert (reply.status, reply.raw) == (502, b"")
    assert reply.headers["Content-Type"].startswith("application/json")
    posted = await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert (posted.status, posted.raw) == (201, b"")
    assert created(manual_fake) == 1


async def test_truncated_post_commits(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.truncated())
    reply = await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert reply.status == 201
    assert reply.raw.startswith(b'{"organizationId"')
    assert int(reply.headers["Content-Length"]) == len(reply.raw)
    with pytest.raises(ValueError):  # noqa: PT011 - any JSON decode error
        json.loads(reply.raw)
    assert created(manual_fake) == 1


async def test_truncated_with_status_override(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.truncated(status=500))
    reply = await wire.get("/connect/calendar/")
    assert reply.status == 500
    assert reply.raw.startswith(b'[{"id"')
    assert reply.json is None


async def test_truncated_mid_stream(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(POST_BOOKING, Fault.truncated(mid_stream=True))
    with pytest.raises(aiohttp.ClientPayloadError):
        await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert created(manual_fake) == 1


async def test_wrong_shape(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.wrong_shape())
    manual_fake.faults.add("GET /connect/tables/{id}", Fault.wrong_shape())
    manual_fake.faults.add(POST_BOOKING, Fault.wrong_shape())
    listing = await wire.get("/connect/calendar/")
    assert listing.status == 200
    assert isinstance(listing.json, dict)
    item = await wire.get(f"/connect/tables/{manual_fake.demo.table_id}")
    assert isinstance(item.json, list)
    posted = await wire.post(BOOKINGS, ben_booking(manual_fake.demo))
    assert posted.status == 201
    assert isinstance(posted.json, list)
    assert created(manual_fake) == 1


async def test_wrong_shape_with_chosen_body(wire: Wire, manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.wrong_shape(body="calendar"))
    manual_fake.faults.add(CALENDARS, Fault.wrong_shape(body=None))
    manual_fake.faults.add("DELETE /connect/calendar_bookings/{id}", Fault.wrong_shape())
    assert (await wire.get("/connect/calendar/")).json == "calendar"
    null = await wire.get("/connect/calendar/")
    assert (null.status, null.raw) == (200, b"null")
    deleted = await wire.call("DELETE", f"{BOOKINGS}{manual_fake.demo.booking_ids[0]}")
    assert deleted.status == 200
    assert isinstance(deleted.json, list)


@pytest.mark.parametrize("content_length", [True, False])
async def test_huge(wire: Wire, manual_fake: FakeRocketLead, content_length: bool) -> None:
    size = 300_000
    manual_fake.faults.add(CALENDARS, Fault.huge(size, content_length=content_length))
    reply = await wire.get("/connect/calendar/")
    assert reply.status == 200
    assert len(reply.raw) == size
    assert json.loads(reply.raw)["padding"].startswith("xxx")
    if content_length:
        assert reply.headers["Content-Length"] == str(size)
    else:
        assert reply.headers["Transfer-Encoding"] == "chunked"


async def test_huge_body_the_client_abandons(manual_fake: FakeRocketLead) -> None:
    manual_fake.faults.add(CALENDARS, Fault.huge(5_000_000, content_length=False))
    url = manual_fake.url + "/connect/calendar/"
    headers = {"Authorization": f"Bearer {manual_fake.tokens.read}"}
    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        assert len(await response.content.read(1000)) > 0
        response.close()
    # The fake keeps serving after the client hung up mid-body.
    assert await fresh_get_status(url, manual_fake.tokens.read) == 200


async def test_request_counters(wire: Wire, manual_fake: FakeRocketLead) -> None:
    await wire.get("/connect/calendar/")
    await wire.get(f"/connect/calendar/{manual_fake.demo.mitte_calendar_id}")
    await wire.get("/connect/calendar/", token=None)  # 401s count too
    await wire.get("/connect/nope/")
    assert manual_fake.requests == [
        ("GET", "/connect/calendar/"),
        ("GET", "/connect/calendar/{id}"),
        ("GET", "/connect/calendar/"),
        ("GET", "/connect/nope/"),
    ]
    assert manual_fake.requests[1].key == "GET /connect/calendar/{id}"
    assert manual_fake.request_count(CALENDARS) == 2
    assert manual_fake.request_count() == 4


async def test_a_client_gone_mid_request_is_no_error_and_books_nothing(
    manual_fake: FakeRocketLead, wire: Wire, caplog: pytest.LogCaptureFixture
) -> None:
    """A booking POST whose client leaves before its body is complete (a barge-in closing the
    connection) books nothing and is not logged as a server error: the barge-in demo's
    output stays clean at a hundred callers."""
    url = URL(manual_fake.url)
    _reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(
        f"POST {BOOKINGS} HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: Bearer {manual_fake.tokens.write}\r\n"
        'Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{"calendarId": '.encode()
    )
    await writer.drain()
    await until(lambda: manual_fake.in_flight.requests == 1, what="the request")
    writer.close()
    await writer.wait_closed()
    await until(lambda: manual_fake.in_flight.requests == 0, what="the handler")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert created(manual_fake) == 0
    assert (await wire.post(BOOKINGS, ben_booking(manual_fake.demo))).status == 201
