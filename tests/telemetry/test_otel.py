"""OpenTelemetry: spans per HTTP attempt (on canned answers) and per book() (against the fake),
metrics; no secrets or personal data in any of them; no telemetry work while only the API's
proxies exist, yet a provider installed later is honoured from the next call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import rocketlead_async as rl
from rocketlead_async import _telemetry
from rocketlead_async.testing import FakeRocketLead, Fault
from tests.helpers.bodies import envelope
from tests.helpers.clients import TOKEN, MakeClient
from tests.helpers.demo import AVAILABILITY, BOOKINGS
from tests.helpers.scripted import ScriptedServer


class Otel:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metrics])

    def finished(self) -> list[Any]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]

    def total(self, name: str) -> float:
        return float(sum(point.value for point in self.points(name)))


@pytest.fixture
def otel() -> Otel:
    """In-memory span and metric exporters."""
    return Otel()


@pytest.fixture
def otel_client(otel: Otel, make_fake_client: MakeClient) -> rl.RocketLeadClient:
    """An admin client of ``fake`` reporting to ``otel``, on the fake clock."""
    return make_fake_client(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    )


async def _bookable(client: rl.RocketLeadClient, fake: FakeRocketLead) -> rl.BookingRequest:
    demo = fake.demo
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.trial_session_type_id,
        start=demo.week_start,
        end=demo.week_end,
    )
    return rl.BookingRequest.from_slot(
        av.nearest(demo.popular_start)[0],
        calendar_id=demo.mitte_calendar_id,
        name="Erika Mustermann",
        entry_id=demo.lead_entry_ids[0],
    )


async def test_one_client_span_per_attempt_with_http_semantic_conventions(
    otel: Otel, make_client: MakeClient, server: ScriptedServer
) -> None:
    server.get("/connect/calendar/cal_1", status=503, payload=envelope(503, "Unavailable"))
    server.get("/connect/calendar/cal_1", payload={"id": "cal_1"})
    client = make_client(
        base_url=server.url,
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
    )
    await client.calendars.get("cal_1")
    failed, ok = otel.finished()
    for span in (failed, ok):
        assert span.kind is SpanKind.CLIENT
        assert span.name == "GET /connect/calendar/{id}"
        assert span.attributes["http.request.method"] == "GET"
        assert span.attributes["server.address"] == "127.0.0.1"
        assert span.attributes["server.port"] == int(server.url.rsplit(":", 1)[1])
        assert span.attributes["url.template"] == "/connect/calendar/{id}"
        # Required for client spans; never with a query string (see the PII test below).
        assert span.attributes["url.full"] == server.url + "/connect/calendar/cal_1"
    assert failed.attributes["http.response.status_code"] == 503
    assert failed.attributes["error.type"] == "503"
    assert failed.status.status_code is StatusCode.ERROR
    assert ok.attributes["http.response.status_code"] == 200
    assert ok.attributes["http.request.resend_count"] == 1
    assert "error.type" not in ok.attributes
    assert otel.total("rocketlead.client.requests") == 2
    assert otel.total("rocketlead.client.retries") == 1
    (duration,) = [p for p in otel.points("http.client.request.duration") if p.count == 1][:1]
    assert duration.attributes["url.template"] == "/connect/calendar/{id}"


async def test_a_connection_failure_has_an_error_type(
    otel: Otel, make_client: MakeClient, closed_port: int
) -> None:
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port}",
        retry=rl.NO_RETRY,
        tracer_provider=otel.tracer_provider,
        meter_provider=otel.meter_provider,
    )
    with pytest.raises(rl.APIConnectionError):
        await client.calendars.list()
    (span,) = otel.finished()
    assert span.attributes["error.type"] == "APIConnectionError"
    assert "http.response.status_code" not in span.attributes


async def test_book_has_a_parent_span_with_recovery_steps_as_events(
    otel: Otel, otel_client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    request = await _bookable(otel_client, fake)
    otel.spans.clear()
    fake.race_next_bookings(1)
    outcome = await otel_client.bookings.book(request, recovery=rl.SlotRecovery(spread=1))
    assert outcome.recovered
    spans = otel.finished()
    (book,) = [s for s in spans if s.name == "rocketlead.book"]
    children = [s for s in spans if s is not book]
    assert [s.name for s in children] == [
        BOOKINGS,
        AVAILABILITY,
        BOOKINGS,
    ]
    assert all(s.parent is not None and s.parent.span_id == book.context.span_id for s in children)
    assert [e.name for e in book.events] == [
        "attempt",
        "slot_taken",
        "refetched",
        "picked",
        "attempt",
        "booked",
    ]
    assert book.events[-1].attributes["rocketlead.attempt"] == 2
    assert book.attributes["rocketlead.book.outcome"] == "booked"
    assert book.attributes["rocketlead.book.recovered"] is True
    assert otel.total("rocketlead.recovery.attempts") == 2
    (booked,) = otel.points("rocketlead.book.duration")
    assert booked.attributes == {"rocketlead.book.outcome": "booked"}


async def test_unknown_outcomes_are_counted_and_the_book_span_says_so(
    otel: Otel, otel_client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    request = await _bookable(otel_client, fake)
    fake.faults.add(BOOKINGS, Fault.drop_after_commit())
    with pytest.raises(rl.BookingOutcomeUnknown):
        await otel_client.bookings.book(request)
    (book,) = [s for s in otel.finished() if s.name == "rocketlead.book"]
    assert book.attributes["rocketlead.book.outcome"] == "unknown"
    assert book.status.status_code is StatusCode.ERROR
    assert otel.total("rocketlead.client.outcome_unknown") == 1


async def test_no_token_body_or_personal_data_in_any_attribute(
    otel: Otel, otel_client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    request = await _bookable(otel_client, fake)
    fake.race_next_bookings(1)
    await otel_client.bookings.book(request)
    fake.faults.add(BOOKINGS, Fault.status(400))
    with pytest.raises(rl.BadRequestError):
        await otel_client.bookings.create(request)
    exported: list[Any] = []
    for span in otel.finished():
        exported += [span.name, dict(span.attributes or {})]
        exported += [(e.name, dict(e.attributes or {})) for e in span.events]
    metrics = otel.metrics.get_metrics_data()
    assert metrics is not None
    data = metrics.to_json()
    text = json.dumps(exported, default=str) + data
    for secret in (fake.tokens.admin, "Erika", "Mustermann", "calendarId", "?"):
        assert secret not in text


def test_switched_off_or_absent_telemetry_is_the_shared_no_op(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _telemetry.make_telemetry(False) is _telemetry.NOOP
    monkeypatch.setenv("ROCKETLEAD_OTEL", "off")
    assert _telemetry.make_telemetry() is _telemetry.NOOP
    # Private: no public view tells which telemetry a client was given.
    assert rl.RocketLeadClient(TOKEN)._transport.telemetry is _telemetry.NOOP
    noop = _telemetry.NOOP
    # The no-op path hands out the same objects every time: nothing is allocated per call.
    assert noop.attempt("GET", "/p", "h", None, 1) is noop.attempt("POST", "/q", "h", 1, 2)
    assert noop.book() is noop.book()
    monkeypatch.delenv("ROCKETLEAD_OTEL")
    monkeypatch.setitem(__import__("sys").modules, "opentelemetry", None)
    assert _telemetry.make_telemetry() is _telemetry.NOOP
    with pytest.raises(ImportError, match=r"rocketlead-async\[otel\]"):
        _telemetry.make_telemetry(True)


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/connect/calendar_bookings/", "/connect/calendar_bookings/"),
        ("/connect/calendar_bookings/bk_1", "/connect/calendar_bookings/{id}"),
        ("/connect/table_entries/e%2F1", "/connect/table_entries/{id}"),
        ("/connect/availability/", "/connect/availability/"),
    ],
)
def test_url_template(path: str, template: str) -> None:
    assert _telemetry.url_template(path) == template


async def test_no_span_while_no_provider_is_installed_and_one_installed_later_counts(
    make_fake_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What trace.set_tracer_provider() writes; undone after the test (it is set-once).
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    async with make_fake_client(meter_provider=NoOpMeterProvider()) as client:
        telemetry = client._transport.telemetry
        assert telemetry.enabled
        await client.calendars.list()
        assert not telemetry.recording()
        # The shared no-op handles: nothing allocated, nothing started.
        assert telemetry.attempt("GET", "/p", "h", None, 1) is _telemetry.NOOP_ATTEMPT
        assert telemetry.book() is _telemetry.NOOP_BOOK

        spans = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(spans))
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
        await client.calendars.list()
        assert telemetry.recording()
    (span,) = spans.get_finished_spans()
    assert span.name == "GET /connect/calendar/"


LATE_PROVIDER = """
import asyncio
import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

async def main():
    spans = InMemorySpanExporter()
    async with FakeRocketLead.running() as fake:
        async with rl.RocketLeadClient(fake.tokens.read, base_url=fake.url) as client:
            await client.calendars.list()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(spans))
            trace.set_tracer_provider(provider)
            await client.calendars.get(fake.demo.mitte_calendar_id)
    print(*[span.name for span in spans.get_finished_spans()], sep="\\n")

asyncio.run(main())
"""


def test_a_provider_installed_through_the_api_after_the_client_was_made_gets_spans() -> None:
    """The same through OpenTelemetry's own set_tracer_provider() (set-once per process: run
    in one of its own), as an application that configures tracing late does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ROCKETLEAD_"))}
    run = subprocess.run(
        [sys.executable, "-c", LATE_PROVIDER],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["GET /connect/calendar/{id}"]


async def test_a_meter_provider_alone_is_recorded(otel: Otel, make_fake_client: MakeClient) -> None:
    async with make_fake_client(
        tracer_provider=trace.NoOpTracerProvider(), meter_provider=otel.meter_provider
    ) as client:
        await client.calendars.list()
    assert otel.total("rocketlead.client.requests") == 1
