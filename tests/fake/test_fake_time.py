"""FakeRocketLead's wire timestamps: its parser accepts the same strings on every Python version.

The private ``_time`` parser is tested directly: ``datetime.fromisoformat`` differs between
Python 3.10 and 3.11+, and this table pins the strings the fake accepts on all of them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from rocketlead_async.testing._time import format_ts, parse_ts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-22T13:00:00Z", datetime(2027, 3, 22, 13, tzinfo=timezone.utc)),
        ("2027-03-22T13:00:00.000Z", datetime(2027, 3, 22, 13, tzinfo=timezone.utc)),
        ("2027-03-22t13:00z", datetime(2027, 3, 22, 13, tzinfo=timezone.utc)),
        ("20270322T140000+0100", datetime(2027, 3, 22, 13, tzinfo=timezone.utc)),
        ("2027-03-22T14:00:00+01:00", datetime(2027, 3, 22, 13, tzinfo=timezone.utc)),
        ("2027-03-22T08:30:00-0430", datetime(2027, 3, 22, 13, tzinfo=timezone.utc)),
        ("2027-03-22 13:00:00.5Z", datetime(2027, 3, 22, 13, 0, 0, 500000, tzinfo=timezone.utc)),
        (
            "2027-03-22T13:00:00.123456789Z",
            datetime(2027, 3, 22, 13, 0, 0, 123456, tzinfo=timezone.utc),
        ),
    ],
)
def test_parse_accepts_offsets_and_z(text: str, expected: datetime) -> None:
    parsed = parse_ts(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "text",
    [
        "2027-03-22T13:00:00",
        "2027-03-22",
        "tomorrow",
        "",
        "2027-13-01T00:00:00Z",
        "2027-03-22T13:00:00+25:00",
        "2027-03-22T13:00:00Z trailing",
    ],
)
def test_parse_refuses_naive_and_garbage(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is ours, the type is the contract
        parse_ts(text)


def test_format_is_javascript_style_utc() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    moment = datetime(2027, 3, 29, 9, 0, 0, 123999, tzinfo=berlin_summer)
    assert format_ts(moment) == "2027-03-29T07:00:00.123Z"
    assert parse_ts(format_ts(moment)) == moment.replace(microsecond=123000)
