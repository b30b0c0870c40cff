"""The outermost middleware: count requests, add latency, apply fault plans.

A dropped connection is produced by closing the transport and returning a response that can
no longer be written; aiohttp treats that as a client disconnect and logs nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import NamedTuple

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._errors import envelope
from ._faults import Fault, Faults

_HUGE_CHUNK = 64 * 1024


class RecordedRequest(NamedTuple):
    """One request as seen by the fake: method and route pattern (the raw path if unrouted)."""

    method: str
    route: str

    @property
    def key(self) -> str:
        """The fault-plan key, e.g. ``"POST /connect/calendar_bookings/"``."""
        return f"{self.method} {self.route}"


def route_of(request: web.Request) -> str:
    """The matched route pattern, or the raw path when nothing matched."""
    resource = request.match_info.route.resource
    return request.path if resource is None else resource.canonical


class InFlight:
    """Requests being handled right now and open client connections, with their peaks (so a
    test can check a client's connection-pool bound)."""

    def __init__(self) -> None:
        self.requests = 0
        self.peak_requests = 0
        self._connections: set[asyncio.BaseTransport] = set()
        self.peak_connections = 0

    def enter(self, request: web.Request) -> None:
        self.requests += 1
        self.peak_requests = max(self.peak_requests, self.requests)
        self._connections = {t for t in self._connections if not t.is_closing()}
        if request.transport is not None:
            self._connections.add(request.transport)
        self.peak_connections = max(self.peak_connections, len(self._connections))


def injection_middleware(
    faults: Faults,
    requests: list[RecordedRequest],
    latency: Callable[[], float],
    in_flight: InFlight | None = None,
) -> Middleware:
    """Record every request, delay it by ``latency()``, and apply the next matching fault."""
    counter = InFlight() if in_flight is None else in_flight

    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        recorded = RecordedRequest(request.method, route_of(request))
        requests.append(recorded)
        counter.enter(request)
        try:
            delay = latency()
            if delay > 0:
                await asyncio.sleep(delay)
            fault = faults.take(recorded.key)
            if fault is None:
                return await handler(request)
            return await _apply(fault, request, handler)
        finally:
            counter.requests -= 1

    return inject


async def _apply(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    if fault.kind == "latency":
        if not fault.commit:
            await asyncio.sleep(fault.seconds)
            return await handler(request)
        answer = await handler(request)
        await asyncio.sleep(fault.seconds)
        return answer
    if fault.kind in ("truncated", "wrong_shape"):
        real = await handler(request)
        if fault.kind == "truncated":
            return await _truncated(fault, request, real)
        return _wrong_shape(fault, real)
    if fault.commit:
        await handler(request)
    else:
        # Drain the body so closing sends a clean FIN rather than a reset for unread data.
        await request.read()
    if fault.kind == "drop":
        return _drop(request)
    if fault.kind == "huge":
        return await _huge(fault, request)
    status = fault.status_code or 502
    if fault.kind == "html":
        return _html(status)
    if fault.kind == "empty":
        return web.Response(status=status, body=b"", content_type="application/json")
    headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
    return envelope(status, _phrase(status), headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _close_connection(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def _drop(request: web.Request) -> web.StreamResponse:
    _close_connection(request)
    # Never written: aiohttp sees the closed transport and treats it as a client disconnect.
    return web.Response()


def _body_of(response: web.StreamResponse) -> bytes:
    body = response.body if isinstance(response, web.Response) else None
    return body if isinstance(body, bytes) else b""


def _html(status: int) -> web.Response:
    title = f"{status} {_phrase(status)}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=page, content_type="text/html")


async def _truncated(
    fault: Fault, request: web.Request, real: web.StreamResponse
) -> web.StreamResponse:
    full = _body_of(real) or b'{"statusCode":204,"message":"No Content"}'
    half = full[: len(full) // 2]
    status = fault.status_code or real.status
    if not fault.mid_stream:
        return web.Response(status=status, body=half, content_type="application/json")
    response = web.StreamResponse(status=status)
    response.content_type = "application/json"
    response.content_length = len(full)
    await response.prepare(request)
    await response.write(half)
    _close_connection(request)
    return response


def _wrong_shape(fault: Fault, real: web.StreamResponse) -> web.Response:
    if fault.body_json is not None:
        body = fault.body_json
    else:
        try:
            parsed = json.loads(_body_of(real) or b"{}")
        except ValueError:
            parsed = {}
        wrong: object = (
            {"unexpected": "an object where a list belongs"}
            if isinstance(parsed, list)
            else ["unexpected", "a list where an object belongs"]
        )
        body = json.dumps(wrong)
    status = real.status if 200 <= real.status < 300 and real.status != 204 else 200
    return web.Response(status=status, text=body, content_type="application/json")


async def _huge(fault: Fault, request: web.Request) -> web.StreamResponse:
    head, tail = b'{"padding":"', b'"}'
    padding = fault.size_bytes - len(head) - len(tail)
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    if fault.content_length:
        response.content_length = fault.size_bytes
    else:
        response.enable_chunked_encoding()
    try:
        await response.prepare(request)
        await response.write(head)
        while padding > 0:
            piece = min(padding, _HUGE_CHUNK)
            await response.write(b"x" * piece)
            padding -= piece
        await response.write(tail)
    except ConnectionError:
        # The client gave up on the body (size limit, timeout): that is the point of the fault.
        pass
    return response
