"""The stale-connection guard on TLS: bytes an idle kept-alive TLS connection received but the
loop has not read yet (still encrypted in the kernel buffer) make it unfit for a booking POST,
exactly as on plain TCP. Production traffic is TLS, so this is where the guard matters most."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import trustme

from rocketlead_async._transport import _unsolicited

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n[]"
STALE = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"


class _Writer:
    """What ``_unsolicited`` reads of aiohttp's StreamWriter: its protocol."""

    def __init__(self, protocol: Any) -> None:
        self.protocol = protocol


@pytest.fixture
async def tls_server() -> AsyncIterator[tuple[str, ssl.SSLContext, list[asyncio.StreamWriter]]]:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(OK)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client closed the connection at the end of the test

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}/", client_ctx, writers
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def _idle_tls_protocol(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        assert await response.read() == b"[]"
    connector = session.connector
    assert connector is not None
    (protocol,) = [proto for conns in connector._conns.values() for proto, _ in conns]
    return protocol


def _kernel_holds_bytes(protocol: Any) -> bool:
    raw = protocol.transport.get_extra_info("socket")
    peek = socket.socket(fileno=raw.fileno())
    try:
        return bool(peek.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        peek.detach()


async def test_an_idle_tls_connection_with_unread_bytes_is_stale(
    tls_server: tuple[str, ssl.SSLContext, list[asyncio.StreamWriter]],
) -> None:
    url, client_ctx, writers = tls_server
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ctx)) as session:
        protocol = await _idle_tls_protocol(session, url)
        assert not _unsolicited(_Writer(protocol))  # a clean idle connection is reusable

        protocol.transport.pause_reading()  # the loop has not read what comes next
        writers[-1].write(STALE)
        await writers[-1].drain()
        for _ in range(10_000):
            if _kernel_holds_bytes(protocol):
                break
            await asyncio.sleep(0)
        assert _kernel_holds_bytes(protocol)

        assert not protocol.should_close  # aiohttp itself has seen nothing
        assert _unsolicited(_Writer(protocol))
        protocol.transport.resume_reading()
