"""Timestamps on the wire: JavaScript-style UTC out, any ISO-8601 with an offset in.

The parser is our own (not ``datetime.fromisoformat``) so that Python 3.10 and 3.11+ accept
exactly the same strings, ``Z`` included.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

# Extended (2027-03-22T13:00:00+01:00) and basic (20270322T130000+0100) forms; seconds and
# fractions optional; the zone designator is mandatory.
_ISO = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})[Tt ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))"
)


def utc_now() -> datetime:
    """The real current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def format_ts(moment: datetime) -> str:
    """Render an aware datetime as ``2027-03-22T13:00:00.000Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_ts(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that carries ``Z`` or a numeric offset.

    Raises ``ValueError`` for anything else, naive timestamps included.
    """
    match = _ISO.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an ISO-8601 timestamp with offset: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        tz = timezone.utc
    else:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    micros = int((fraction or "0").ljust(6, "0")[:6])
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(second or 0),
        micros,
        tzinfo=tz,
    )
