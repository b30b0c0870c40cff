"""Injected faults reach the caller as the right typed error after the right number of requests.

The fake counts every request it receives, so "retried" and "never repeated" are asserted on
what arrived at the server, not on what the SDK believes it sent.
"""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time

import aiohttp
import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead, Fault

from ._support import (
    AVAILABILITY,
    BOOKING_ITEM,
    BOOKINGS,
    CALENDARS,
    LEADS,
    MakeClient,
    Sleeps,
    berlin,
    booking_ids_named,
    trainer_request,
)

# Real-time faults stay small: the fake's late answer must not outlive the test by much.
LATE = 0.4
BUDGET = 0.15  # generous: under load, connecting alone can take tens of ms
ATTEMPT = 0.15  # an attempt limit a healthy loopback answer always meets


# -- GET: transient failures are retried --------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_get_burst_is_retried_then_succeeds(
    client: rl.RocketLeadClient, fake: FakeRocketLead, sleeps: Sleeps, status: int
) -> None:
    fake.faults.add(CALENDARS, Fault.status(status), times=2)
    calendars = await client.calendars.list()
    assert len(calendars) == 2
    assert fake.request_count(CALENDARS) == 3
    assert sleeps.delays == [0.0, 0.0]  # RetryPolicy(initial_backoff=0), injected sleep


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_get_burst_exhausts_the_attempts(
    client: rl.RocketLeadClient, fake: FakeRocketLead, status: int
) -> None:
    fake.faults.add(CALENDARS, Fault.status(status), times=3)
    with pytest.raises(rl.InternalServerError) as caught:
        await client.calendars.list()
    assert caught.value.status == status
    assert fake.request_count(CALENDARS) == 3  # max_attempts counts requests
    assert await client.calendars.list()  # the burst is over


async def test_max_attempts_bounds_requests(make_client: MakeClient, fake: FakeRocketLead) -> None:
    client = make_client(retry=rl.RetryPolicy(max_attempts=5, initial_backoff=0))
    fake.faults.add(CALENDARS, Fault.status(503), times=4)
    assert await client.calendars.list()
    assert fake.request_count(CALENDARS) == 5
    fake.faults.add(CALENDARS, Fault.status(503), times=1)
    with pytest.raises(rl.InternalServerError):
        await client.calendars.list(retry=rl.NO_RETRY)
    assert fake.request_count(CALENDARS) == 6


async def test_retried_availability_returns_the_full_answer(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.faults.add(AVAILABILITY, Fault.status(502))
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=berlin(25, 9),
        end=berlin(25, 10),
    )
    assert len(av.bookable()) == 2
    assert fake.request_count(AVAILABILITY) == 2


# -- 429 and Retry-After ------------------------------------------------------------------------


async def test_429_retry_after_seconds_is_honoured(
    client: rl.RocketLeadClient, fake: FakeRocketLead, sleeps: Sleeps
) -> None:
    fake.faults.add(CALENDARS, Fault.status(429, retry_after=3))
    assert await client.calendars.list()
    assert sleeps.delays == [3.0]
    assert fake.request_count(CALENDARS) == 2


async def test_429_retry_after_http_date_is_honoured(
    client: rl.RocketLeadClient, fake: FakeRocketLead, sleeps: Sleeps
) -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)  # whole seconds
    fake.faults.add(CALENDARS, Fault.status(429, retry_after=when))
    assert await client.calendars.list()
    (delay,) = sleeps.delays
    assert 3.5 < delay <= 5.0
    assert fake.request_count(CALENDARS) == 2


async def test_429_retry_after_is_capped(
    make_client: MakeClient, fake: FakeRocketLead, sleeps: Sleeps
) -> None:
    client = make_client(retry=rl.RetryPolicy(initial_backoff=0, retry_after_cap=2))
    fake.faults.add(CALENDARS, Fault.status(429, retry_after=7))
    assert await client.calendars.list()
    assert sleeps.delays == [2.0]


async def test_429_retry_after_beyond_the_budget_raises_at_once(
    client: rl.RocketLeadClient, fake: FakeRocketLead, sleeps: Sleeps
) -> None:
    fake.faults.add(CALENDARS, Fault.status(429, retry_after=60))
    with pytest.raises(rl.RateLimitError) as caught:
        await client.calendars.list(timeout=5)
    assert caught.value.status == 429
    assert caught.value.retry_after == 60.0
    assert sleeps.delays == []  # nothing waited
    assert fake.request_count(CALENDARS) == 1


# -- GET: bodies that are not the documented JSON -----------------------------------------------


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (Fault.html(200), "not JSON"),
        (Fault.empty(200), "empty body"),
        (Fault.truncated(), "not JSON"),
        (Fault.wrong_shape(), "expected a JSON array of Calendar"),
        (Fault.wrong_shape([{"name": "no id"}]), "id"),
    ],
    ids=["html", "empty", "truncated", "wrong-shape", "missing-field"],
)
async def test_get_unreadable_200_is_unexpected_response(
    client: rl.RocketLeadClient, fake: FakeRocketLead, fault: Fault, says: str
) -> None:
    fake.faults.add(CALENDARS, fault)
    with pytest.raises(rl.UnexpectedResponseError, match=says) as caught:
        await client.calendars.list()
    error = caught.value
    assert isinstance(error, rl.APIStatusError)
    assert error.status == 200
    assert (error.method, error.path) == ("GET", "/connect/calendar/")
    assert fake.request_count(CALENDARS) == 1  # a 200 is an answer: not retried


async def test_get_html_error_page_is_retried_then_typed(
    client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    fake.faults.add(CALENDARS, Fault.html(502), times=3)
    with pytest.raises(rl.InternalServerError, match="non-JSON error body") as caught:
        await client.calendars.list()
    assert caught.value.status == 502
    assert "502 Bad Gateway" in caught.value.message
    assert "\n" not in caught.value.message  # a whitespace-collapsed excerpt
    assert fake.request_count(CALENDARS) == 3


async def test_get_cut_mid_stream_is_retried(
    client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    fake.faults.add(CALENDARS, Fault.truncated(mid_stream=True))
    assert len(await client.calendars.list()) == 2
    assert fake.request_count(CALENDARS) == 2


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
async def test_get_huge_body_is_refused(
    make_client: MakeClient, fake: FakeRocketLead, content_length: bool
) -> None:
    client = make_client(max_response_bytes=4096)
    fake.faults.add(CALENDARS, Fault.huge(64 * 1024, content_length=content_length))
    with pytest.raises(rl.UnexpectedResponseError, match="max_response_bytes") as caught:
        await client.calendars.list()
    assert caught.value.status == 200
    assert fake.request_count(CALENDARS) == 1
    # The connection is not left half-read: the next call works.
    assert len(await client.calendars.list()) == 2


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
async def test_answer_exactly_at_the_cap_is_read(
    make_client: MakeClient, fake: FakeRocketLead, content_length: bool
) -> None:
    client = make_client(max_response_bytes=4096)
    fake.faults.add(CALENDARS, Fault.huge(4096, content_length=content_length))
    with pytest.raises(rl.UnexpectedResponseError, match="expected a JSON array"):
        await client.calendars.list()  # read in full (4096 bytes), then refused by shape


# -- GET: dropped connections and deadlines -----------------------------------------------------


async def test_get_drop_before_answer_is_retried(
    client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    await client.calendars.list()  # a kept-alive connection, as aiohttp would reuse
    fake.faults.add(CALENDARS, Fault.drop_before(), times=2)
    assert len(await client.calendars.list()) == 2
    assert fake.request_count(CALENDARS) == 1 + 3


async def test_get_drop_with_one_attempt_is_not_silently_resent(
    make_client: MakeClient, fake: FakeRocketLead
) -> None:
    """aiohttp would resend a GET once on a dropped kept-alive connection; the SDK's session
    turns that off, so ``max_attempts=1`` means exactly one request."""
    client = make_client(retry=rl.NO_RETRY)
    await client.calendars.list()
    fake.faults.add(CALENDARS, Fault.drop_before())
    with pytest.raises(rl.APIConnectionError) as caught:
        await client.calendars.list()
    assert not isinstance(caught.value, rl.APITimeoutError)
    assert caught.value.request_sent is None  # a GET has no body whose write is observed
    assert fake.request_count(CALENDARS) == 2


async def test_get_beyond_the_budget_is_deadline_exceeded(
    client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    fake.faults.add(CALENDARS, Fault.latency(LATE))
    started = time.monotonic()
    with pytest.raises(rl.DeadlineExceeded) as caught:
        await client.calendars.list(timeout=BUDGET)
    assert time.monotonic() - started < LATE  # gave up at the budget, not at the answer
    assert isinstance(caught.value, rl.APITimeoutError)
    assert fake.request_count(CALENDARS) == 1  # no budget left for a retry


async def test_slow_attempt_is_retried_within_the_budget(
    make_client: MakeClient, fake: FakeRocketLead
) -> None:
    client = make_client(retry=rl.RetryPolicy(initial_backoff=0, attempt_timeout=ATTEMPT))
    fake.faults.add(CALENDARS, Fault.latency(LATE))
    assert len(await client.calendars.list(timeout=5)) == 2
    assert fake.request_count(CALENDARS) == 2


# -- DELETE -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault.drop_after_commit(), Fault.status(502, commit=True), Fault.status(504, commit=True)],
    ids=["drop-after-commit", "502-committed", "504-committed"],
)
async def test_delete_retried_after_unknown_attempt_counts_404_as_deleted(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, fault: Fault
) -> None:
    seeded = demo.booking_ids[3]
    fake.faults.add(BOOKING_ITEM, fault)
    assert await client.bookings.delete(seeded) is None
    assert seeded not in fake.state.bookings
    assert fake.request_count(BOOKING_ITEM) == 2  # the retry met 404: already deleted


async def test_delete_503_is_retried(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.faults.add(BOOKING_ITEM, Fault.status(503))
    await client.bookings.delete(demo.booking_ids[3])
    assert demo.booking_ids[3] not in fake.state.bookings
    assert fake.request_count(BOOKING_ITEM) == 2


# -- booking POST: retried only when it certainly did not commit --------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault.status(503), Fault.status(429), Fault.status(429, retry_after=1)],
    ids=["503", "429", "429-retry-after"],
)
async def test_booking_post_refused_before_commit_is_retried_and_booked_once(
    client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
    fault: Fault,
) -> None:
    fake.faults.add(BOOKINGS, fault, times=2)
    booking = await client.bookings.create(trainer_request(demo, berlin(25, 11), "Retried"))
    assert booking_ids_named(fake, "Retried") == [booking.id]
    assert fake.request_count(BOOKINGS) == 3
    assert unknowns == []


async def test_booking_post_429_beyond_the_budget_is_a_rate_limit_error(
    client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    sleeps: Sleeps,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    fake.faults.add(BOOKINGS, Fault.status(429, retry_after=60))
    with pytest.raises(rl.RateLimitError) as caught:
        await client.bookings.create(trainer_request(demo, berlin(25, 11), "Later"), timeout=5)
    assert caught.value.retry_after == 60.0
    assert sleeps.delays == []
    assert fake.request_count(BOOKINGS) == 1
    assert booking_ids_named(fake, "Later") == []
    assert unknowns == []  # refused before anything happened: certainly not booked


async def test_booking_post_500_is_an_error_not_repeated(
    client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    fake.faults.add(BOOKINGS, Fault.status(500))
    with pytest.raises(rl.InternalServerError):
        await client.bookings.create(trainer_request(demo, berlin(25, 11), "Five Hundred"))
    assert fake.request_count(BOOKINGS) == 1
    assert booking_ids_named(fake, "Five Hundred") == []
    assert unknowns == []


UNKNOWN_OUTCOMES = [
    pytest.param(Fault.status(502), 0, id="502"),
    pytest.param(Fault.status(502, commit=True), 1, id="502-committed"),
    pytest.param(Fault.status(504), 0, id="504"),
    pytest.param(Fault.status(504, commit=True), 1, id="504-committed"),
    pytest.param(Fault.html(502), 0, id="html-502"),
    pytest.param(Fault.html(201, commit=True), 1, id="html-201-committed"),
    pytest.param(Fault.empty(201, commit=True), 1, id="empty-201-committed"),
    pytest.param(Fault.drop_after_commit(), 1, id="drop-after-commit"),
    pytest.param(Fault.drop_before(), 0, id="drop-before"),
    pytest.param(Fault.truncated(), 1, id="truncated"),
    pytest.param(Fault.truncated(mid_stream=True), 1, id="truncated-mid-stream"),
    pytest.param(Fault.wrong_shape(), 1, id="wrong-shape"),
    pytest.param(Fault.wrong_shape({"id": "b1"}), 1, id="wrong-shape-missing-fields"),
    pytest.param(Fault.huge(64 * 1024), 0, id="huge"),
    pytest.param(Fault.huge(64 * 1024, commit=True), 1, id="huge-committed"),
    pytest.param(Fault.huge(64 * 1024, content_length=False, commit=True), 1, id="huge-chunked"),
]


@pytest.mark.parametrize(("fault", "committed"), UNKNOWN_OUTCOMES)
async def test_booking_post_with_unknown_outcome_is_never_repeated(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
    fault: Fault,
    committed: int,
) -> None:
    client = make_client(max_response_bytes=16 * 1024)
    request = trainer_request(demo, berlin(25, 11), "Maybe Booked")
    fake.faults.add(BOOKINGS, fault)
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(request)
    error = caught.value
    assert isinstance(error, rl.OutcomeUnknownError)
    assert error.request is request
    assert (error.method, error.path) == ("POST", "/connect/calendar_bookings/")
    assert fake.request_count(BOOKINGS) == 1
    assert len(booking_ids_named(fake, "Maybe Booked")) == committed
    assert unknowns == [error]  # the hook got the very error, exactly once


async def test_booking_post_beyond_the_budget_is_outcome_unknown(
    client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    request = trainer_request(demo, berlin(25, 11), "Slow Server")
    fake.faults.add(BOOKINGS, Fault.latency(LATE, commit=True))
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(request, timeout=BUDGET)
    assert "DeadlineExceeded" in caught.value.reason
    assert fake.request_count(BOOKINGS) == 1
    assert len(booking_ids_named(fake, "Slow Server")) == 1  # committed behind our back
    assert unknowns == [caught.value]


async def test_booking_post_cut_by_attempt_timeout_is_not_retried(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    client = make_client(retry=rl.RetryPolicy(initial_backoff=0, attempt_timeout=BUDGET))
    fake.faults.add(BOOKINGS, Fault.latency(LATE, commit=True))
    with pytest.raises(rl.BookingOutcomeUnknown):
        await client.bookings.create(trainer_request(demo, berlin(25, 11), "Once"), timeout=5)
    assert fake.request_count(BOOKINGS) == 1
    assert len(booking_ids_named(fake, "Once")) == 1
    assert len(unknowns) == 1


async def test_failing_hook_does_not_hide_the_unknown_outcome(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    calls: list[rl.OutcomeUnknownError] = []

    def hook(error: rl.OutcomeUnknownError) -> None:
        calls.append(error)
        raise RuntimeError("alerting is down")

    client = make_client(on_outcome_unknown=hook)
    fake.faults.add(BOOKINGS, Fault.drop_after_commit())
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.create(trainer_request(demo, berlin(25, 11), "Hook Down"))
    assert calls == [caught.value]
    assert fake.request_count(BOOKINGS) == 1


async def test_async_hook_runs_once_per_unknown_post(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    seen: list[rl.OutcomeUnknownError] = []

    async def hook(error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        seen.append(error)

    client = make_client(on_outcome_unknown=hook)
    fake.faults.add(BOOKINGS, Fault.status(504, commit=True), times=2)
    errors = []
    for hour in (10, 11):
        with pytest.raises(rl.BookingOutcomeUnknown) as caught:
            await client.bookings.create(trainer_request(demo, berlin(25, hour), f"H{hour}"))
        errors.append(caught.value)
    await client.aclose()  # the hooks run as tasks of their own; aclose() waits for them
    assert seen == errors
    assert fake.request_count(BOOKINGS) == 2


async def test_cancelled_booking_post_still_reports_unknown_outcome(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    seen: list[rl.OutcomeUnknownError] = []

    async def hook(error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        seen.append(error)

    client = make_client(on_outcome_unknown=hook)
    request = trainer_request(demo, berlin(25, 11), "Hung Up")
    fake.faults.add(BOOKINGS, Fault.latency(LATE, commit=True))
    task = asyncio.create_task(client.bookings.create(request))
    for _ in range(10_000):  # until the POST has reached the server
        if fake.request_count(BOOKINGS):
            break
        await asyncio.sleep(0)
    else:
        pytest.fail("the POST never reached the fake")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await client.aclose()  # waits for the hook
    (error,) = seen
    assert isinstance(error, rl.BookingOutcomeUnknown)
    assert error.request is request
    assert len(booking_ids_named(fake, "Hung Up")) == 1


async def test_booking_post_to_a_server_that_is_down_is_retried_and_not_unknown(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    sleeps: Sleeps,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    client = make_client()
    url = fake.url
    await fake.stop()  # nothing listens on the port any more: connections are refused
    with pytest.raises(rl.APIConnectionError) as caught:
        await client.bookings.create(trainer_request(demo, berlin(25, 11), "Nobody Home"))
    assert client.base_url == url
    assert caught.value.request_sent is False
    assert not isinstance(caught.value, rl.APITimeoutError)
    assert len(sleeps.delays) == 2  # never sent, so safe to try three times
    assert unknowns == []  # certainly not booked
    assert fake.request_count() == 0


async def test_booking_post_cancelled_before_it_was_sent_is_not_unknown(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    """With the only pooled connection busy, the POST waits for a connection; cancelling it
    there sends nothing, so nothing may be reported as possibly booked."""
    client = make_client(max_connections=1)
    fake.faults.add(CALENDARS, Fault.latency(LATE))
    slow_get = asyncio.create_task(client.calendars.list())
    for _ in range(10_000):
        if fake.request_count(CALENDARS):
            break
        await asyncio.sleep(0)
    post = asyncio.create_task(
        client.bookings.create(trainer_request(demo, berlin(25, 11), "Never Sent"))
    )
    for _ in range(20):
        await asyncio.sleep(0)
    post.cancel()
    with pytest.raises(asyncio.CancelledError):
        await post
    assert len(await slow_get) == 2
    assert fake.request_count(BOOKINGS) == 0
    assert unknowns == []


# -- lead POST ----------------------------------------------------------------------------------


async def test_lead_post_with_unknown_outcome_is_never_repeated(
    client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    entries = len(fake.state.entries)
    request = rl.LeadRequest(
        table_id=demo.table_id,
        data={"firstName": {"value": "Dup"}},
        lead_state_id=demo.default_lead_state_id,
    )
    fake.faults.add(LEADS, Fault.drop_after_commit())
    with pytest.raises(rl.OutcomeUnknownError) as caught:
        await client.leads.create(request)
    assert not isinstance(caught.value, rl.BookingOutcomeUnknown)
    assert caught.value.request is request
    assert fake.request_count(LEADS) == 1
    assert len(fake.state.entries) == entries + 1  # one lead, no duplicate
    assert unknowns == [caught.value]


async def test_lead_post_503_is_retried_and_created_once(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    entries = len(fake.state.entries)
    fake.faults.add(LEADS, Fault.status(503))
    await client.leads.create(
        rl.LeadRequest(table_id=demo.table_id, data={}, lead_state_id=demo.default_lead_state_id)
    )
    assert fake.request_count(LEADS) == 2
    assert len(fake.state.entries) == entries + 1


async def test_lead_patch_is_retried_like_a_get(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    jonas = demo.lead_entry_ids[1]
    fake.faults.add("PATCH /connect/table_entries/{id}", Fault.drop_after_commit())
    entry = await client.leads.update(jonas, {"leadStateId": demo.booked_lead_state_id})
    assert entry.lead_state_id == demo.booked_lead_state_id
    assert fake.request_count("PATCH /connect/table_entries/{id}") == 2


# -- whether a POST was sent: known from the body write, for any session --------------------


async def test_booking_post_whose_budget_ends_waiting_for_a_connection_is_not_unknown(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    """The only pooled connection stays busy past the POST's whole budget: its body was never
    written, so nothing can have been booked and nothing is reported as possibly booked."""
    client = make_client(max_connections=1, retry=rl.NO_RETRY)
    fake.faults.add(CALENDARS, Fault.latency(LATE))
    slow_get = asyncio.create_task(client.calendars.list())
    for _ in range(10_000):
        if fake.request_count(CALENDARS):
            break
        await asyncio.sleep(0)
    with pytest.raises(rl.DeadlineExceeded) as caught:
        await client.bookings.create(trainer_request(demo, berlin(25, 11), "Queued"), timeout=0.05)
    assert caught.value.request_sent is False
    assert unknowns == []
    assert len(await slow_get) == 2
    assert fake.request_count(BOOKINGS) == 0


async def test_a_user_session_gets_the_same_post_safety(
    make_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    sleeps: Sleeps,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    """With the user's own aiohttp session (no SDK tracing possible), a POST dropped after it
    committed is still an unknown outcome sent once, and a refused one is still retried."""
    async with aiohttp.ClientSession() as session:
        client = make_client(session=session)
        fake.faults.add(BOOKINGS, Fault.drop_after_commit())
        with pytest.raises(rl.BookingOutcomeUnknown):
            await client.bookings.create(trainer_request(demo, berlin(25, 11), "Dropped"))
        assert fake.request_count(BOOKINGS) == 1
        assert len(unknowns) == 1

        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        refused = make_client(session=session, base_url=f"http://127.0.0.1:{port}")
        with pytest.raises(rl.APIConnectionError) as caught:
            await refused.bookings.create(trainer_request(demo, berlin(25, 12), "Refused"))
        assert caught.value.request_sent is False
        assert len(sleeps.delays) == 2  # three attempts: nothing was sent, so safe to repeat
        assert len(unknowns) == 1
        await client.aclose()
        assert not session.closed  # the user's session is theirs to close
