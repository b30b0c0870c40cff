"""OpenTelemetry for the SDK (optional: ``pip install 'rocketlead-async[otel]'``).

What is recorded, following the OpenTelemetry HTTP client semantic conventions:

- one ``CLIENT`` span per HTTP attempt, named ``"{method} {url.template}"``, with
  ``http.request.method``, ``server.address``, ``server.port``, ``url.full`` (without the query
  string), ``url.template`` (the path with ids replaced by ``{id}``; the metrics' label, which
  must stay low in cardinality), ``http.request.resend_count`` (on retries),
  ``http.response.status_code`` and ``error.type`` (the status code, or the SDK error's class);
- one ``INTERNAL`` span per ``bookings.book()`` (``rocketlead.book``) whose events are the
  recovery steps (``attempt``, ``slot_taken``, ``refetched``, ``picked``, ``booked``,
  ``gave_up``), with the attempt number and, where there is one, the slot's resource id;
- metrics: ``http.client.request.duration`` (s), ``rocketlead.client.requests``,
  ``rocketlead.client.retries``, ``rocketlead.client.outcome_unknown``,
  ``rocketlead.recovery.attempts`` and ``rocketlead.book.duration`` (s, by outcome).

Never recorded: the token, request or response bodies, names, phone numbers, lead data, query
strings, exception messages (a server message may echo a caller's data).

Without ``opentelemetry-api`` installed, or with ``telemetry=False`` on the client or
``ROCKETLEAD_OTEL=off`` in the environment, every hook is a shared no-op object: no allocation,
no lookup beyond one attribute call. With the API installed but no SDK configured (neither a
tracer nor a meter provider given or installed globally: the API's proxies, which would only
discard what they are handed) the hooks are the same no-op objects; a provider installed
globally later is honoured from the next call on.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from ._version import __version__

__all__ = [
    "NOOP",
    "NOOP_ATTEMPT",
    "NOOP_BOOK",
    "OTEL_ENV",
    "Telemetry",
    "make_telemetry",
    "url_template",
]

OTEL_ENV = "ROCKETLEAD_OTEL"
_NAME = "rocketlead_async"
_ITEM = re.compile(r"^(/connect/[^/]+/)[^/]+$")


@functools.lru_cache(maxsize=1024)
def url_template(path: str) -> str:
    """``/connect/calendar_bookings/bk_1`` -> ``/connect/calendar_bookings/{id}``: a bounded
    span name and attribute (ids are high-cardinality)."""
    return _ITEM.sub(r"\1{id}", path)


class _NoopAttempt:
    """The attempt handle when telemetry is off: every method does nothing."""

    __slots__ = ()

    def __enter__(self) -> _NoopAttempt:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        return None

    def status(self, _code: int) -> None:
        return None

    def failed(self, _error_type: str) -> None:
        return None


class _NoopBook(_NoopAttempt):
    __slots__ = ()

    def __enter__(self) -> _NoopBook:
        return self

    def event(self, _kind: str, _attempt: int, _resource_id: str | None) -> None:
        return None

    def outcome(self, _outcome: str, _attempts: int, _recovered: bool) -> None:
        return None


NOOP_ATTEMPT = _NoopAttempt()
NOOP_BOOK = _NoopBook()


class Telemetry:
    """The hooks the transport and ``book()`` call. This base class is the no-op one."""

    enabled = False

    def recording(self) -> bool:
        """Whether anything would be recorded now: callers skip the hooks when not."""
        return False

    def attempt(
        self, method: str, path: str, host: str, port: int | None, number: int, base_url: str = ""
    ) -> _NoopAttempt:
        """A context manager around one HTTP attempt (``base_url + path``: ``url.full``)."""
        return NOOP_ATTEMPT

    def book(self) -> _NoopBook:
        """A context manager around one ``bookings.book()`` call."""
        return NOOP_BOOK

    def outcome_unknown(self, method: str, path: str) -> None:
        """A POST whose outcome is unknown."""


NOOP = Telemetry()
"""Telemetry switched off."""


class _Attempt(_NoopAttempt):
    __slots__ = ("_attrs", "_error", "_owner", "_span", "_start", "_status")

    def __init__(
        self, owner: _OtelTelemetry, method: str, template: str, attrs: Any, url: str
    ) -> None:
        self._owner = owner
        self._attrs = attrs
        self._status: int | None = None
        self._error: str | None = None
        # Started, not made current: nothing runs inside an attempt's span, and skipping the
        # context switch is most of its cost. Exceptions are never recorded (their messages
        # may carry a caller's data); error.type says what failed.
        self._span = owner.tracer.start_span(
            f"{method} {template}", kind=owner.trace.SpanKind.CLIENT, attributes=attrs
        )
        if url:  # a span attribute only: a full URL would make every metric series unique
            self._span.set_attribute("url.full", url)

    def __enter__(self) -> _Attempt:
        self._start = self._owner.clock()
        return self

    def status(self, code: int) -> None:
        self._status = code
        self._span.set_attribute("http.response.status_code", code)
        if code >= 400:
            self.failed(str(code))

    def failed(self, error_type: str) -> None:
        if self._error is None:
            self._error = error_type
            self._span.set_attribute("error.type", error_type)
            self._span.set_status(self._owner.trace.Status(self._owner.trace.StatusCode.ERROR))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self._error is None:
            self.failed(exc_type.__qualname__)
        owner = self._owner
        labels = {k: v for k, v in self._attrs.items() if k != "http.request.resend_count"}
        if self._status is not None:
            labels["http.response.status_code"] = self._status
        if self._error is not None:
            labels["error.type"] = self._error
        owner.duration.record(owner.clock() - self._start, labels)
        owner.requests.add(1, labels)
        self._span.end()


class _Book(_NoopBook):
    __slots__ = ("_context", "_outcome", "_owner", "_span", "_start")

    def __init__(self, owner: _OtelTelemetry) -> None:
        self._owner = owner
        self._outcome = "error"
        self._context = owner.tracer.start_as_current_span(
            "rocketlead.book",
            kind=owner.trace.SpanKind.INTERNAL,
            record_exception=False,
            set_status_on_exception=False,
        )

    def __enter__(self) -> _Book:
        self._span = self._context.__enter__()
        self._start = self._owner.clock()
        return self

    def event(self, kind: str, attempt: int, resource_id: str | None) -> None:
        attributes: dict[str, Any] = {"rocketlead.attempt": attempt}
        if resource_id is not None:
            attributes["rocketlead.resource.id"] = resource_id
        self._span.add_event(kind, attributes)
        if kind == "attempt":
            self._owner.recovery_attempts.add(1)

    def outcome(self, outcome: str, attempts: int, recovered: bool) -> None:
        self._outcome = outcome
        self._span.set_attribute("rocketlead.book.outcome", outcome)
        self._span.set_attribute("rocketlead.book.attempts", attempts)
        self._span.set_attribute("rocketlead.book.recovered", recovered)
        if outcome != "booked":
            self._span.set_status(self._owner.trace.Status(self._owner.trace.StatusCode.ERROR))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self._outcome == "error":
            self._span.set_attribute("error.type", exc_type.__qualname__)
            self._span.set_status(self._owner.trace.Status(self._owner.trace.StatusCode.ERROR))
        elapsed = self._owner.clock() - self._start
        self._owner.book_duration.record(elapsed, {"rocketlead.book.outcome": self._outcome})
        self._context.__exit__(exc_type, exc, tb)


class _OtelTelemetry(Telemetry):
    enabled = True

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        import time

        from opentelemetry import metrics, trace

        self.trace = trace
        self.clock = time.perf_counter
        self.tracer = trace.get_tracer(_NAME, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_NAME, __version__, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of HTTP attempts"
        )
        self.requests = meter.create_counter(
            "rocketlead.client.requests", unit="{request}", description="HTTP attempts sent"
        )
        self.retries = meter.create_counter(
            "rocketlead.client.retries", unit="{request}", description="Attempts after the first"
        )
        self.unknown = meter.create_counter(
            "rocketlead.client.outcome_unknown",
            unit="{request}",
            description="POSTs that may or may not have committed",
        )
        self.recovery_attempts = meter.create_counter(
            "rocketlead.recovery.attempts",
            unit="{request}",
            description="Booking POSTs made by bookings.book()",
        )
        self.book_duration = meter.create_histogram(
            "rocketlead.book.duration", unit="s", description="Time to book, by outcome"
        )
        # The providers to watch: the global ones (an explicit provider never changes).
        self._watched: list[tuple[dict[str, Any], str, tuple[type, ...]]] = []
        tracing = _watch(
            self._watched,
            tracer_provider,
            trace,
            "_TRACER_PROVIDER",
            (trace.ProxyTracerProvider, trace.NoOpTracerProvider),
        )
        metering = _watch(
            self._watched,
            meter_provider,
            getattr(metrics, "_internal", None),
            "_METER_PROVIDER",
            (metrics.NoOpMeterProvider,),
        )
        self._live = tracing or metering

    def recording(self) -> bool:
        """False while only the API's no-op/proxy providers are there: a span or a metric
        would then be discarded anyway. Asked per call until a real provider shows up (the
        API's proxies switch to one installed later, so from then on it is recorded), then
        never again: a provider once installed stays."""
        if self._live:
            return True
        for namespace, name, noop in self._watched:
            provider = namespace.get(name)
            if provider is not None and not isinstance(provider, noop):
                self._live = True
                return True
        return False

    def attempt(
        self, method: str, path: str, host: str, port: int | None, number: int, base_url: str = ""
    ) -> _NoopAttempt:
        if not self.recording():
            return NOOP_ATTEMPT
        template = url_template(path)
        attrs: dict[str, Any] = {
            "http.request.method": method,
            "server.address": host,
            "url.template": template,
        }
        if port is not None:
            attrs["server.port"] = port
        if number > 1:
            attrs["http.request.resend_count"] = number - 1
            self.retries.add(1, {"http.request.method": method, "url.template": template})
        return _Attempt(self, method, template, attrs, base_url and base_url + path)

    def book(self) -> _NoopBook:
        return _Book(self) if self.recording() else NOOP_BOOK

    def outcome_unknown(self, method: str, path: str) -> None:
        if self.recording():
            self.unknown.add(1, {"http.request.method": method, "url.template": url_template(path)})


def _watch(
    watched: list[tuple[dict[str, Any], str, tuple[type, ...]]],
    explicit: Any,
    module: Any,
    name: str,
    noop: tuple[type, ...],
) -> bool:
    """Whether ``explicit`` (the client's provider argument) is a real provider; without one,
    the API's global provider goes on ``watched`` and this is False. The global is read from
    the API module's own variable, which ``set_*_provider`` writes (``None`` until then),
    because the public getter consults ``os.environ`` on every call while none is set (about
    1 us). An API without that variable counts as recording (correct, only slower)."""
    if explicit is not None:
        return not isinstance(explicit, noop)
    namespace = getattr(module, "__dict__", {})
    if name not in namespace:
        return True
    watched.append((namespace, name, noop))
    return False


def make_telemetry(
    enabled: bool | None = None, *, tracer_provider: Any = None, meter_provider: Any = None
) -> Telemetry:
    """The client's telemetry: OpenTelemetry when ``opentelemetry-api`` is importable and it is
    not switched off (``enabled=False``, or ``ROCKETLEAD_OTEL=off`` when ``enabled`` is None);
    ``tracer_provider``/``meter_provider`` default to the global ones. ``enabled=True`` without
    ``opentelemetry-api`` installed is an ``ImportError`` saying which extra to install."""
    explicit = enabled is True
    if enabled is None:
        enabled = os.environ.get(OTEL_ENV, "").strip().lower() not in ("0", "off", "false", "no")
    if not enabled:
        return NOOP
    try:
        return _OtelTelemetry(tracer_provider, meter_provider)
    except ImportError:
        if explicit:
            raise ImportError(
                "telemetry=True needs opentelemetry-api: pip install 'rocketlead-async[otel]'"
            ) from None
        return NOOP
