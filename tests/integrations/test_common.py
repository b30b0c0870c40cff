"""What both voice adapters share, at its own layer: the LLM's arguments and one desk per
session (no framework needed)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from rocketlead_async.desk import BookingDesk
from rocketlead_async.integrations._common import (
    BadToolCall,
    DeskSource,
    parse_booking,
    parse_window,
)
from tests.helpers.demo import BERLIN, berlin


def test_a_local_window_is_read_in_the_calendars_zone() -> None:
    start, end = parse_window("2027-03-24T14:00", "2027-03-24T17:30", BERLIN)
    assert (start, end) == (berlin(24, 14), berlin(24, 17, 30))


def test_a_window_without_end_spans_four_hours_and_an_offset_is_kept() -> None:
    start, end = parse_window("2027-03-24T13:00:00Z", None, BERLIN)
    assert start == berlin(24, 14)  # 13:00 UTC is 14:00 in Berlin (CET)
    assert end - start == timedelta(hours=4)


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("tomorrow", None, "not an ISO 8601 date-time"),
        (14, None, "start must be an ISO 8601"),
        ("2027-03-24T14:00", "2027-03-24T13:00", "end must be after start"),
        ("2027-03-01T00:00", "2027-05-01T00:00", "at most 31 days"),
    ],
)
def test_a_bad_window_tells_the_llm_how_to_call_again(start: Any, end: Any, says: str) -> None:
    with pytest.raises(BadToolCall, match=says):
        parse_window(start, end, BERLIN)


def test_booking_arguments() -> None:
    assert parse_booking(" S2 ", " Jane ") == ("S2", "Jane")
    assert parse_booking("S2", "") == ("S2", None)
    with pytest.raises(BadToolCall, match="slot_id"):
        parse_booking("", "Jane")
    with pytest.raises(BadToolCall, match="name"):
        parse_booking("S1", 7)


def test_a_desk_source_takes_a_desk_or_a_callable() -> None:
    with pytest.raises(TypeError, match="BookingDesk or a callable"):
        DeskSource("desk")  # type: ignore[arg-type]


async def test_concurrent_first_calls_share_one_desk_and_a_failure_is_retried(
    voice_desk: BookingDesk,
) -> None:
    calls: list[object] = []

    async def factory(data: object) -> BookingDesk:
        calls.append(data)
        await asyncio.sleep(0)
        if len(calls) == 1:
            raise RuntimeError("no calendar yet")
        return voice_desk

    source = DeskSource(factory)

    class Session:
        pass

    session = Session()
    with pytest.raises(RuntimeError):
        await source.get(session, "first")
    first, second = await asyncio.gather(source.get(session, "a"), source.get(session, "b"))
    assert first is second
    assert first.desk is voice_desk
    assert calls == ["first", "a"]  # retried after the failure, then made once for both
