"""Fault plans: what to do to the next requests of a route instead of answering normally.

Route keys are ``"<METHOD> <route pattern>"`` exactly as registered, e.g.
``"POST /connect/calendar_bookings/"`` or ``"DELETE /connect/calendar_bookings/{id}"``, or
``"*"`` for any request. Plans are consulted in the order they were added; each applies to the
next ``times`` matching requests (``None``: every one).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, Literal

from attrs import define, frozen

FaultKind = Literal[
    "status", "latency", "drop", "html", "empty", "truncated", "wrong_shape", "huge"
]

_AUTO: Any = object()


@frozen
class Fault:
    """One misbehaviour; build it with the class methods, e.g. ``Fault.status(503)``.

    ``commit`` means the request is processed (and any change kept) before the fault replaces
    or cuts the answer, as when a gateway times out after the backend committed.
    """

    kind: FaultKind
    status_code: int | None = None
    retry_after: str | None = None
    seconds: float = 0.0
    commit: bool = False
    size_bytes: int = 0
    content_length: bool = True
    mid_stream: bool = False
    body_json: str | None = None

    @classmethod
    def status(
        cls, status: int, *, retry_after: str | int | None = None, commit: bool = False
    ) -> Fault:
        """Answer ``status`` in the standard envelope, with ``Retry-After`` (seconds or
        HTTP-date) when given."""
        if status < 400:
            raise ValueError("a status fault needs an error status (>= 400)")
        after = None if retry_after is None else str(retry_after)
        return cls("status", status_code=status, retry_after=after, commit=commit)

    @classmethod
    def latency(cls, seconds: float, *, commit: bool = False) -> Fault:
        """Wait ``seconds``, then answer normally.

        With ``commit`` the request is processed first and only the answer is late, so a
        client that times out meanwhile leaves a committed change behind.
        """
        return cls("latency", seconds=seconds, commit=commit)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection without processing the request or answering."""
        return cls("drop")

    @classmethod
    def drop_after_commit(cls) -> Fault:
        """Process (commit) the request, then close the connection without answering."""
        return cls("drop", commit=True)

    @classmethod
    def html(cls, status: int = 502, *, commit: bool = False) -> Fault:
        """Answer a proxy-style ``text/html`` error page."""
        return cls("html", status_code=status, commit=commit)

    @classmethod
    def empty(cls, status: int = 502, *, commit: bool = False) -> Fault:
        """Answer ``status`` with an empty body (still labelled ``application/json``)."""
        return cls("empty", status_code=status, commit=commit)

    @classmethod
    def truncated(cls, status: int | None = None, *, mid_stream: bool = False) -> Fault:
        """Process the request, then send only the first half of the real JSON body.

        By default the response is complete at HTTP level (``Content-Length`` of the half);
        ``mid_stream=True`` announces the full length and closes the connection halfway.
        ``status`` defaults to the real one.
        """
        return cls("truncated", status_code=status, commit=True, mid_stream=mid_stream)

    @classmethod
    def wrong_shape(cls, body: Any = _AUTO) -> Fault:
        """Process the request, then answer 2xx with valid JSON of the wrong shape.

        By default an object becomes a list and a list an object; pass ``body`` (any JSON
        value, ``None`` for ``null``) to choose it.
        """
        body_json = None if body is _AUTO else json.dumps(body)
        return cls("wrong_shape", commit=True, body_json=body_json)

    @classmethod
    def huge(cls, size_bytes: int, *, content_length: bool = True, commit: bool = False) -> Fault:
        """Answer 200 with ``size_bytes`` of valid JSON padding (chunked if no
        ``content_length``)."""
        if size_bytes < 16:
            raise ValueError("size_bytes must be at least 16")
        return cls("huge", size_bytes=size_bytes, content_length=content_length, commit=commit)


@define
class FaultPlan:
    """A fault armed for a route; ``remaining`` None means forever."""

    route: str
    fault: Fault
    remaining: int | None
    applied: int = 0


class Faults:
    """The armed fault plans of one fake."""

    def __init__(self, routes: Collection[str]) -> None:
        self._routes = routes
        self._plans: list[FaultPlan] = []

    def add(self, route: str, fault: Fault, *, times: int | None = 1) -> FaultPlan:
        """Arm ``fault`` for the next ``times`` requests matching ``route``."""
        if route != "*" and route not in self._routes:
            known = ", ".join(sorted(self._routes))
            raise ValueError(f"unknown route key {route!r}; use '*' or one of: {known}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        plan = FaultPlan(route, fault, times)
        self._plans.append(plan)
        return plan

    def clear(self) -> None:
        """Disarm every plan."""
        self._plans.clear()

    @property
    def pending(self) -> list[FaultPlan]:
        """Plans that will still apply to some request."""
        return [p for p in self._plans if p.remaining != 0]

    def take(self, route_key: str) -> Fault | None:
        """Consume and return the first armed fault matching ``route_key``."""
        for plan in self._plans:
            if plan.remaining != 0 and plan.route in ("*", route_key):
                if plan.remaining is not None:
                    plan.remaining -= 1
                plan.applied += 1
                return plan.fault
        return None
