"""A raw HTTP/1.1 server on loopback for hostile-server tests: it writes whatever bytes a test
scripts, when the test says, on connections it keeps alive (asyncio streams, no HTTP library
in the way)."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl as _ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs


@attrs.define
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int  # which accepted connection carried it (1-based)


Answer = Callable[[RawRequest], "Awaitable[bytes | None] | bytes | None"]
"""The bytes to write for a request; ``None`` closes the connection without an answer."""


def response(
    status: int,
    body: bytes | str | Any = b"",
    *,
    reason: str = "X",
    headers: dict[str, str] | None = None,
    gzipped: bool = False,
) -> bytes:
    """The bytes of one HTTP/1.1 response; a non-bytes, non-str ``body`` is sent as JSON."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        headers = {"Content-Type": "application/json", **(headers or {})}
    data = body.encode() if isinstance(body, str) else body
    if gzipped:
        data = gzip.compress(data)
        headers = {"Content-Encoding": "gzip", **(headers or {})}
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(data)}"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


class RawServer:
    """Answers each request with ``answer(request)``; ``push(bytes)`` writes unsolicited bytes
    on the most recent connection; ``requests`` records what arrived, bodies complete. With
    ``ssl`` (a server context) it speaks TLS, at an https URL."""

    def __init__(self, answer: Answer, *, ssl: _ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.ssl = ssl
        self.requests: list[RawRequest] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    def posts(self) -> list[RawRequest]:
        return [request for request in self.requests if request.method == "POST"]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.ssl else 'http'}://127.0.0.1:{port}"

    async def close(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def push(self, data: bytes) -> None:
        """Write ``data`` on the latest connection, asked for by no request."""
        writer = self._writers[-1]
        writer.write(data)
        await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        number = len(self._writers)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = RawRequest(method, path, headers, body, number)
                self.requests.append(request)
                data = self.answer(request)
                if not isinstance(data, (bytes, type(None))):
                    data = await data
                if data is None:
                    break
                writer.write(data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(
    answer: Answer, *, ssl: _ssl.SSLContext | None = None
) -> AsyncIterator[RawServer]:
    server = RawServer(answer, ssl=ssl)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
