"""Hostile servers on raw loopback sockets: a booking POST is never sent twice when it may have
committed, and a booking that may exist is never reported as a definite failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from types import ModuleType

import aiohttp
import pytest

import rocketlead_async as rl
from tests.helpers.bodies import booking_json, booking_request
from tests.helpers.clients import MakeClient
from tests.helpers.raw_server import RawRequest, RawServer, raw_server, response
from tests.helpers.recorders import Unknowns

REQUEST = booking_request()
SLOT_TAKEN = {"statusCode": 400, "message": "The selected time slot is no longer available"}
BOOKED = response(201, booking_json(), reason="Created")


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    """A raw server whose answers each test scripts through ``raw.answer``."""
    async with raw_server(lambda _request: None) as running:
        yield running


def answering(*answers: bytes | None) -> Callable[[RawRequest], bytes | None]:
    """An answer script: the next bytes for each request, in order."""
    pending = list(answers)

    def answer(_request: RawRequest) -> bytes | None:
        return pending.pop(0)

    return answer


# -- a user session's defaults never change what the SDK sees ---------------------------------


async def test_a_raise_for_status_session_still_reports_the_slot_as_taken(
    raw: RawServer, make_client: MakeClient
) -> None:
    raw.answer = answering(response(400, SLOT_TAKEN))
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        client = make_client(base_url=raw.url, session=session)
        with pytest.raises(rl.SlotUnavailableError):
            await client.bookings.create(REQUEST)
    assert len(raw.posts()) == 1


async def test_an_auto_decompress_false_session_reads_a_gzip_booking(
    raw: RawServer, make_client: MakeClient
) -> None:
    raw.answer = answering(response(201, booking_json(), gzipped=True))
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        client = make_client(base_url=raw.url, session=session)
        booking = await client.bookings.create(REQUEST)
    assert booking.id == booking_json()["id"]


# -- bytes that arrived before the POST was written never answer it ----------------------------


@pytest.mark.parametrize("read_by_the_loop", [True, False], ids=["read", "in-the-kernel"])
@pytest.mark.parametrize("session_kind", ["sdk", "user"])
async def test_a_stale_response_on_an_idle_connection_never_answers_a_booking(
    raw: RawServer, make_client: MakeClient, session_kind: str, read_by_the_loop: bool
) -> None:
    """A proxy writes a response nobody asked for onto an idle kept-alive connection. Taken
    as the answer to the next booking POST, its 400 would start recovery while the POST
    commits: the caller booked twice. The POST goes out on another connection instead,
    whether aiohttp has already read the stray bytes or they still wait in the kernel."""
    raw.answer = answering(response(200, []), BOOKED)
    async with aiohttp.ClientSession() as session:
        user_session = session if session_kind == "user" else None
        client = make_client(base_url=raw.url, session=user_session)
        assert await client.calendars.list() == []
        await raw.push(response(400, SLOT_TAKEN))
        if read_by_the_loop:
            # The bytes are in the client's socket buffer once push() returns (loopback);
            # a few loop turns let the selector hand them to aiohttp's idle connection.
            for _ in range(10):
                await asyncio.sleep(0)

        booking = await client.bookings.create(REQUEST)

    assert booking.id == booking_json()["id"]
    (post,) = raw.posts()  # sent once, on a fresh connection
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
    raw: RawServer, make_client: MakeClient, unknowns: Unknowns, answer: bytes
) -> None:
    raw.answer = answering(answer, BOOKED)
    client = make_client(base_url=raw.url)
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(REQUEST)
    assert unknowns == [caught.value]
    assert caught.value.request is REQUEST
    assert len(raw.posts()) == 1  # never repeated


@pytest.mark.parametrize("status", [500, 501, 505])
async def test_statuses_that_say_the_post_failed_are_definite_failures(
    raw: RawServer, make_client: MakeClient, unknowns: Unknowns, status: int
) -> None:
    raw.answer = answering(response(status, {"statusCode": status, "message": "nope"}), BOOKED)
    client = make_client(base_url=raw.url)
    with pytest.raises(rl.InternalServerError):
        await client.bookings.create(REQUEST)
    assert unknowns == []
    assert len(raw.posts()) == 1


@pytest.mark.parametrize(
    "refusal",
    [
        response(503, {"statusCode": 503, "message": "Service Unavailable"}),
        response(503, "busy", headers={"Retry-After": "0"}),
    ],
    ids=["api-envelope", "retry-after"],
)
async def test_a_503_the_api_itself_sent_is_repeated(
    raw: RawServer, make_client: MakeClient, refusal: bytes
) -> None:
    raw.answer = answering(refusal, BOOKED)
    booking = await make_client(base_url=raw.url).bookings.create(REQUEST)
    assert booking.id == booking_json()["id"]
    assert len(raw.posts()) == 2


async def test_a_deeply_nested_booking_body_is_an_unknown_outcome_without_orjson(
    raw: RawServer, make_client: MakeClient, unknowns: Unknowns, stdlib_json: ModuleType
) -> None:
    """The stdlib parser gives up with RecursionError; a committed booking must still end as
    BookingOutcomeUnknown with the hook called, never as a bare non-SDK error."""
    assert stdlib_json.DecodeError is json.JSONDecodeError  # the stdlib parser, not orjson
    raw.answer = answering(response(201, b"[" * 100_000 + b"]" * 100_000))
    client = make_client(base_url=raw.url)
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(REQUEST)
    assert unknowns == [caught.value]
    assert isinstance(caught.value.__cause__, rl.UnexpectedResponseError)


# -- aclose() with a booking in flight ----------------------------------------------------------


async def test_aclose_waits_for_the_hook_of_a_booking_that_ends_during_close(
    raw: RawServer, make_client: MakeClient
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

    raw.answer = held
    client = make_client(base_url=raw.url, on_outcome_unknown=hook)
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
