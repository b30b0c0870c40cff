"""A scripted Connect API on loopback: canned answers per route, every request recorded.

It replaces aioresponses for answers: aioresponses 0.7.9 cannot build a response on aiohttp
3.14 without a stand-in for aiohttp's private ``stream_writer``, and a real socket proves more
(the bytes the SDK really sends, the body aiohttp really parses). Transport exceptions that no
server can produce on cue are injected with the ``intercept`` fixture (aioresponses, passing
every unmatched request through to this server).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from aiohttp import web
from multidict import CIMultiDict


@attrs.define
class Seen:
    """One request as the server received it, body read in full."""

    method: str
    raw_path: str  # path and query exactly as sent (still percent-encoded)
    path: str  # decoded path, no query
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.frozen
class Answer:
    """A canned response: ``payload`` is sent as JSON, ``body`` as it is."""

    status: int = 200
    payload: Any = None
    body: str | bytes | None = None
    headers: dict[str, str] | None = None

    def response(self) -> web.Response:
        if self.body is not None:
            return web.Response(status=self.status, body=self.body, headers=self.headers)
        if self.payload is None:
            return web.Response(status=self.status, headers=self.headers)
        return web.json_response(self.payload, status=self.status, headers=self.headers)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

Respond = Callable[[Seen], "Answer | Awaitable[Answer | web.StreamResponse] | web.StreamResponse"]
"""A dynamic answer: called with the request, returns an Answer (or an aiohttp response)."""


@attrs.define
class _Route:
    method: str
    path: str
    query: dict[str, str] | None
    answers: list[Answer | Respond]
    repeat: bool

    def matches(self, seen: Seen) -> bool:
        return (
            self.method == seen.method
            and self.path == seen.path
            and (self.query is None or self.query == seen.query)
        )


class ScriptedServer:
    """Answers each request with the first matching route's next answer, in the order added;
    a one-shot route is used up by its answer, a ``repeat`` route answers forever. A request
    no route answers goes to ``handler`` (a plain aiohttp handler, its body already read) if
    there is one; else it gets a 599 and is listed in ``unexpected`` (the fixture fails the
    test for it)."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.url = ""
        self.requests: list[Seen] = []
        self.unexpected: list[Seen] = []
        self._routes: list[_Route] = []
        self._runner: web.AppRunner | None = None

    def add(
        self,
        method: str,
        path: str,
        answer: Answer | Respond | None = None,
        *,
        query: dict[str, str] | None = None,
        repeat: bool = False,
        **fields: Any,
    ) -> None:
        """Answer ``method path`` (any query unless ``query`` is given) with ``answer``, or an
        :class:`Answer` made of ``fields`` (status, payload, body, headers)."""
        chosen = Answer(**fields) if answer is None else answer
        for route in self._routes:
            same = (route.method, route.path, route.query) == (method, path, query)
            if same and not route.repeat:
                route.answers.append(chosen)
                route.repeat = repeat
                return
        self._routes.append(_Route(method, path, query, [chosen], repeat))

    def get(self, path: str, answer: Answer | Respond | None = None, **kw: Any) -> None:
        self.add("GET", path, answer, **kw)

    def post(self, path: str, answer: Answer | Respond | None = None, **kw: Any) -> None:
        self.add("POST", path, answer, **kw)

    def patch(self, path: str, answer: Answer | Respond | None = None, **kw: Any) -> None:
        self.add("PATCH", path, answer, **kw)

    def delete(self, path: str, answer: Answer | Respond | None = None, **kw: Any) -> None:
        self.add("DELETE", path, answer, **kw)

    @property
    def only(self) -> Seen:
        """The one request the server saw (fails if it saw another number)."""
        assert len(self.requests) == 1, f"expected one request, saw {self.requests}"
        return self.requests[0]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(
            request.method,
            request.raw_path,
            request.path,
            dict(request.query),
            CIMultiDict(request.headers),
            await request.read(),
        )
        self.requests.append(seen)
        for route in self._routes:
            if route.matches(seen) and route.answers:
                last = route.repeat and len(route.answers) == 1
                return await _respond(route.answers[0] if last else route.answers.pop(0), seen)
        if self.handler is not None:
            return await self.handler(request)
        self.unexpected.append(seen)
        text = f"no scripted answer for {seen.method} {seen.raw_path}"
        return web.Response(status=599, text=text)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _respond(answer: Answer | Respond, seen: Seen) -> web.StreamResponse:
    result: Any = answer if isinstance(answer, Answer) else answer(seen)
    if not isinstance(result, (Answer, web.StreamResponse)):
        result = await result
    return result.response() if isinstance(result, Answer) else result
