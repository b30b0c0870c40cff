"""Finding the token anywhere a user could see it: errors rendered in full, log records."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable

# Loggers whose records are checked for the token at DEBUG level.
WATCHED_LOGGERS = ("rocketlead_async", "aiohttp", "asyncio")


def render_error(error: BaseException) -> str:
    """``str``, ``repr`` and the full traceback with every frame's locals, across the whole
    ``__cause__``/``__context__`` chain (what ``pytest --showlocals`` would print)."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    rendered = traceback.TracebackException(
        type(error), error, error.__traceback__, capture_locals=True
    )
    parts.append("".join(rendered.format(chain=True)))
    return "\n".join(parts)


def secret_parts(token: str) -> list[str]:
    """The token and its secret part (after ``rocketlead_live_``), as a leak would show."""
    secret = token.split("_")[-1]
    return [token, secret, secret[:24], secret[-24:]]


def assert_no_secret(token: str, texts: Iterable[str], where: str) -> None:
    for text in texts:
        for part in secret_parts(token):
            at = text.find(part)
            assert at < 0, f"the token leaked into {where}: …{text[max(0, at - 300) : at + 40]}…"


def log_text(records: Iterable[logging.LogRecord]) -> str:
    """Every record rendered, plus the raw message and args (a formatter could show them)."""
    lines = []
    for record in records:
        lines += [record.getMessage(), str(record.msg), repr(record.args)]
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(render_error(record.exc_info[1]))
    return "\n".join(lines)
