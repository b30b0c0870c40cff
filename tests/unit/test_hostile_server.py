"""Hostile servers on raw loopback sockets: a booking POST is never sent twice when it may have
committed, and a booking that may exist is never reported as a definite failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from tests.helpers.clients import MakeClient
from tests.helpers.raw_server import RawRequest, RawServer, raw_server, response

import rocketlead_async as rl
from rocketlead_async import _json

from ._no_orjson import stdlib_json  # noqa: F401 - a fixture
from ._support import booking_json, booking_request

REQUEST = booking_request()
SLOT_TAKEN = {"statusCode": 400, "message": "The selected time slot is no longer available"}


@pytest.fixture
async def server() -> AsyncIterator[RawServer]:
    """A raw server whose answers each test scripts through ``server.answer``."""
    async with raw_server(lambda _request: None) as running:
        yield running


class Hooked(list[rl.OutcomeUnknownError]):
    """An on_outcome_unknown hook recording what it gets."""

    def __call__(self, error: rl.OutcomeUnknownError) -> None:
        self.append(error)


def answering(*answers: bytes | None) -> Any:
    """An answer script: the next bytes for each request, in order."""
    pending = list(answers)

    def answer(_request: RawRequest) -> bytes | None:
        return pending.pop(0)

    return answer


BOOKED = response(201, booking_json(), reason="Created")


# -- a user session's defaults never change what the SDK sees ---------------------------------


async def test_a_raise_for_status_session_still_reports_the_slot_as_taken(
    server: RawServer, make_client: MakeClient
) -> None:
    server.answer = answering(response(400, SLOT_TAKEN))
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        client = make_client(base_url=server.url, session=session)
        with pytest.raises(rl.SlotUnavailableError):
            await client.bookings.create(REQUEST)
    assert len(server.posts()) == 1


async def test_an_auto_decompress_false_session_reads_a_gzip_booking(
    server: RawServer, make_client: MakeClient
) -> None:
    server.answer = answering(response(201, booking_json(), gzipped=True))
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        client = make_client(base_url=server.url, session=session)
        booking = await client.bookings.create(REQUEST)
    assert booking.id == booking_json()["id"]


# -- bytes that arrived before the POST was written never answer it ----------------------------


async def _until_pooled_connection_holds_data(client: rl.RocketLeadClient) -> None:
    """Let the loop read the unsolicited bytes into the idle pooled connection."""
    connector = client._transport.session().connector
    assert connector is not None
    for _ in range(1000):
        pooled = [proto for conns in connector._conns.values() for proto, _ in conns]
        if pooled and all(proto.should_close for proto in pooled):
            return
        await asyncio.sleep(0)
    raise AssertionError("the unsolicited response never reached the pooled connection")


@pytest.mark.parametrize("session_kind", ["sdk", "user"])
async def test_a_stale_response_on_an_idle_connection_never_answers_a_booking(
    server: RawServer, make_client: MakeClient, session_kind: str
) -> None:
    """A proxy writes a response nobody asked for onto an idle kept-alive connection. Taken
    as the answer to the next booking POST, its 400 would start recovery while the POST
    commits: the caller booked twice. The POST goes out on another connection instead."""
    server.answer = answering(response(200, []), BOOKED)
    async with aiohttp.ClientSession() as session:
        user_session = session if session_kind == "user" else None
        client = make_client(base_url=server.url, session=user_session)
        assert await client.calendars.list() == []
        await server.push(response(400, SLOT_TAKEN))
        await _until_pooled_connection_holds_data(client)

        booking = await client.bookings.create(REQUEST)

    assert booking.id == booking_json()["id"]
    (post,) = server.posts()  # sent once, on a fresh connection
    assert post.connection == 2


# -- what an answer to a sent booking POST means ------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        response(520, "<html>origin error</html>"),
        response(524, "a timeout occurred"),
        response(598, ""),
        response(599, ""),
        response(507, {"statusCode": 507, "message": "Insufficient Storage"}),
        response(502, "Bad Gateway"),
        response(504, "Gateway Timeout"),
        # Envoy after forwarding the request: not the API's own refusal.
        response(503, "upstream connect error or disconnect/reset before headers"),
        response(301, "", headers={"Location": "https://elsewhere.example/"}),
        response(307, "", headers={"Location": "https://elsewhere.example/"}),
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    ],
    ids=["520", "524", "598", "599", "507", "502", "504", "503-proxy", "301", "307", "101"],
)
async def test_answers_that_do_not_say_the_post_failed_are_unknown_outcomes(
    server: RawServer, make_client: MakeClient, answer: bytes
) -> None:
    server.answer = answering(answer, BOOKED)
    hooked = Hooked()
    client = make_client(base_url=server.url, on_outcome_unknown=hooked)
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(REQUEST)
    assert hooked == [caught.value]
    assert caught.value.request is REQUEST
    assert len(server.posts()) == 1  # never repeated


@pytest.mark.parametrize("status", [500, 501, 505])
async def test_statuses_that_say_the_post_failed_are_definite_failures(
    server: RawServer, make_client: MakeClient, status: int
) -> None:
    server.answer = answering(response(status, {"statusCode": status, "message": "nope"}), BOOKED)
    hooked = Hooked()
    client = make_client(base_url=server.url, on_outcome_unknown=hooked)
    with pytest.raises(rl.InternalServerError):
        await client.bookings.create(REQUEST)
    assert hooked == []
    assert len(server.posts()) == 1


@pytest.mark.parametrize(
    "refusal",
    [
        response(503, {"statusCode": 503, "message": "Service Unavailable"}),
        response(503, "busy", headers={"Retry-After": "0"}),
    ],
    ids=["api-envelope", "retry-after"],
)
async def test_a_503_the_api_itself_sent_is_repeated(
    server: RawServer, make_client: MakeClient, refusal: bytes
) -> None:
    server.answer = answering(refusal, BOOKED)
    client = make_client(base_url=server.url)
    booking = await client.bookings.create(REQUEST)
    assert booking.id == booking_json()["id"]
    assert len(server.posts()) == 2


@pytest.mark.usefixtures("stdlib_json")
async def test_a_deeply_nested_booking_body_is_an_unknown_outcome_without_orjson(
    server: RawServer, make_client: MakeClient
) -> None:
    """The stdlib parser gives up with RecursionError; a committed booking must still end as
    BookingOutcomeUnknown with the hook called, never as a bare non-SDK error."""
    assert _json.DecodeError is json.JSONDecodeError  # the stdlib parser, not orjson
    server.answer = answering(response(201, b"[" * 100_000 + b"]" * 100_000))
    hooked = Hooked()
    client = make_client(base_url=server.url, on_outcome_unknown=hooked)
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(REQUEST)
    assert hooked == [caught.value]
    assert isinstance(caught.value.__cause__, rl.UnexpectedResponseError)


# -- aclose() with a booking in flight ----------------------------------------------------------


async def test_aclose_waits_for_the_hook_of_a_booking_that_ends_during_close(
    server: RawServer, make_client: MakeClient
) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(_request: RawRequest) -> bytes:
        arrived.set()
        await release.wait()
        return response(504, "Gateway Timeout")

    finished: list[rl.OutcomeUnknownError] = []

    async def hook(error: rl.OutcomeUnknownError) -> None:
        for _ in range(5):
            await asyncio.sleep(0)
        finished.append(error)

    server.answer = held
    client = make_client(base_url=server.url, on_outcome_unknown=hook)
    booking = asyncio.create_task(client.bookings.create(REQUEST))
    await arrived.wait()
    closing = asyncio.create_task(client.aclose())
    for _ in range(5):
        await asyncio.sleep(0)
    release.set()
    await closing

    assert booking.done()
    assert isinstance(booking.exception(), rl.BookingOutcomeUnknown)
    assert finished == [booking.exception()]  # the hook started during close, and finished
