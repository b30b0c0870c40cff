"""The happy path pays only for what is used: no telemetry work while no OpenTelemetry SDK is
configured, yet a provider installed later is honoured from the next call."""

from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import rocketlead_async as rl
from rocketlead_async import _telemetry
from rocketlead_async.testing import FakeRocketLead


async def test_no_span_while_no_provider_is_installed_and_one_installed_later_counts(
    fake_rocketlead: FakeRocketLead, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What trace.set_tracer_provider() writes; undone after the test (it is set-once).
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    async with rl.RocketLeadClient(
        fake_rocketlead.tokens.admin,
        base_url=fake_rocketlead.url,
        meter_provider=NoOpMeterProvider(),
    ) as client:
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


async def test_a_meter_provider_alone_is_recorded(fake_rocketlead: FakeRocketLead) -> None:
    reader = InMemoryMetricReader()
    async with rl.RocketLeadClient(
        fake_rocketlead.tokens.admin,
        base_url=fake_rocketlead.url,
        tracer_provider=trace.NoOpTracerProvider(),
        meter_provider=MeterProvider(metric_readers=[reader]),
    ) as client:
        await client.calendars.list()
    data = reader.get_metrics_data()
    counted = [
        point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "rocketlead.client.requests"
        for point in metric.data.data_points
    ]
    assert counted == [1]


async def test_a_failed_call_s_error_is_held_by_no_frame_it_crossed(
    fake_rocketlead: FakeRocketLead,
) -> None:
    # Such a frame would make a cycle (error -> traceback -> frame -> error) that only the
    # garbage collector frees: dozens of objects per failed call in a loop written with SDK
    # calls (benchmarks/race.py).
    async with rl.RocketLeadClient(
        fake_rocketlead.tokens.admin, base_url=fake_rocketlead.url
    ) as client:
        with pytest.raises(rl.NotFoundError) as caught:
            await client.calendars.get("cal_missing")
    error = caught.value
    tb = error.__traceback__
    assert tb is not None
    holders = []
    tb = tb.tb_next  # past this test's own frame
    while tb is not None:
        if any(value is error for value in tb.tb_frame.f_locals.values()):
            holders.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert holders == []
