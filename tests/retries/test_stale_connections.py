"""The stale-connection guard on TLS: bytes an idle kept-alive TLS connection received but the
loop has not read yet (still encrypted in the kernel buffer) make it unfit for a booking POST,
exactly as on plain TCP: the POST goes out once, on a fresh connection. Production traffic is
TLS, so this is where the guard matters most. Only a connection that has answered the SDK
before can hold a stale answer: a fresh one's unread bytes are TLS 1.3 session tickets."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator

import aiohttp
import pytest
import trustme

from tests.helpers.bodies import booking_json
from tests.helpers.clients import MakeClient
from tests.helpers.raw_server import RawRequest, RawServer, raw_server, response
from tests.helpers.recorders import Unknowns
from tests.helpers.retries import REQUEST

STALE = response(408, reason="Request Timeout")
LISTED = response(200, [])


class FirstGetInTwoParts:
    """Answers a POST with a created booking and the first GET in two writes: all but its last
    byte at once, the rest once ``release`` is set. Until then the client's response holds its
    connection, so the test can take hold of that connection's transport."""

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.release = asyncio.Event()

    async def __call__(self, request: RawRequest) -> bytes:
        if request.method == "POST":
            return response(201, booking_json(), reason="Created")
        await self.server.push(LISTED[:-1])
        await self.release.wait()
        return LISTED[-1:]


@pytest.fixture(params=["no session tickets"])
async def tls(request: pytest.FixtureRequest) -> AsyncIterator[tuple[RawServer, ssl.SSLContext]]:
    """A raw TLS server on loopback (a certificate from a test CA) and a client context
    trusting it. By default it sends no TLS 1.3 session tickets; see
    test_a_booking_on_a_fresh_tls_connection_is_not_taken_for_stale for why."""
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    if request.param == "no session tickets":
        server_ctx.num_tickets = 0
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    async with raw_server(lambda _request: None, ssl=server_ctx) as server:
        yield server, client_ctx


def _kernel_holds_bytes(transport: asyncio.BaseTransport) -> bool:
    raw = transport.get_extra_info("socket")
    peek = socket.socket(fileno=raw.fileno())
    try:
        return bool(peek.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        peek.detach()


@pytest.mark.parametrize("sdk_answer", ["in two parts", "whole"])
async def test_an_idle_tls_connection_with_unread_bytes_never_carries_a_booking(
    tls: tuple[RawServer, ssl.SSLContext],
    make_client: MakeClient,
    unknowns: Unknowns,
    sdk_answer: str,
) -> None:
    """``whole`` is the usual case: an answer small enough to arrive in one piece, whose
    connection aiohttp has released before the SDK sees the response. That connection has
    answered the SDK all the same, and a stale answer waiting on it must not answer the POST."""
    server, client_ctx = tls
    first_get = FirstGetInTwoParts(server)

    async def answer(request: RawRequest) -> bytes:
        if sdk_answer == "whole" and len(server.requests) > 1 and request.method == "GET":
            return LISTED
        return await first_get(request)

    server.answer = answer
    held: list[asyncio.Transport] = []

    async def hold_transport(
        _session: aiohttp.ClientSession, _ctx: object, params: aiohttp.TraceRequestEndParams
    ) -> None:
        # The first GET has its headers: take hold of its connection's transport, then let the
        # last byte of its body come.
        connection = params.response.connection
        if connection is not None and connection.transport is not None and not held:
            held.append(connection.transport)
        first_get.release.set()

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(hold_transport)
    connector = aiohttp.TCPConnector(ssl=client_ctx)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as session:
        if sdk_answer == "whole":
            async with session.get(server.url + "/connect/calendar/") as own:
                await own.read()  # the user's own request, on the connection the SDK reuses
        client = make_client(base_url=server.url, session=session)
        assert await client.calendars.list() == []
        assert {seen.connection for seen in server.requests} == {1}
        (transport,) = held  # kept alive in the pool
        # The loop does not read what comes next: it stays encrypted in the kernel buffer,
        # where aiohttp itself sees nothing.
        transport.pause_reading()
        await server.push(STALE)
        for _ in range(10_000):
            if _kernel_holds_bytes(transport):
                break
            await asyncio.sleep(0)
        assert _kernel_holds_bytes(transport)

        booking = await client.bookings.create(REQUEST)
        # The stale connection is being closed: a TLS close reads the peer's close_notify.
        transport.resume_reading()

    assert booking.id == booking_json()["id"]
    (post,) = server.posts()  # sent once, on a fresh connection
    assert post.connection == 2
    assert unknowns == []


@pytest.mark.parametrize("tls", ["session tickets"], indirect=True)
async def test_a_booking_on_a_fresh_tls_connection_is_not_taken_for_stale(
    tls: tuple[RawServer, ssl.SSLContext], make_client: MakeClient
) -> None:
    """A fresh connection cannot hold a stale answer. But a TLS 1.3 server sends session
    tickets right after the handshake; on a fast network they sit in the kernel buffer, still
    encrypted, when the body is about to go out."""
    server, client_ctx = tls
    server.answer = FirstGetInTwoParts(server)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ctx)) as session:
        client = make_client(base_url=server.url, session=session)
        booking = await client.bookings.create(REQUEST)

    assert booking.id == booking_json()["id"]
    assert len(server.posts()) == 1
