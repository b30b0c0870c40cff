"""How the outside world's failures become typed errors: answers by status, failures by type.

- :func:`status_error`: a non-2xx answer → the :class:`APIStatusError` subclass for its status,
  from RocketLead's ``{"statusCode", "message"}`` envelope (a NestJS list of messages too),
  with slot-taken detection, headers, request id and ``Retry-After``.
- :func:`transport_error`: the aiohttp/OS exception of an attempt → an
  :class:`APIConnectionError`/:class:`APITimeoutError`/:class:`DeadlineExceeded`, over the
  table ``TRANSPORT_ERRORS`` (the model is httpx's ``map_httpcore_exceptions``).

Both scrub the token from every text they copy, and never chain a raw exception: its
traceback's frames hold the request bytes, the ``Authorization`` header included.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import aiohttp
from multidict import CIMultiDict

from . import _json
from ._retry import parse_retry_after
from ._secret import scrub, scrub_bytes
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeadlineExceeded,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SlotUnavailableError,
)

__all__ = [
    "REQUEST_ID_HEADERS",
    "STATUS_ERRORS",
    "TRANSPORT_ERRORS",
    "envelope_message",
    "excerpt",
    "is_slot_taken",
    "status_error",
    "transport_error",
]

EXCERPT_CHARS = 200

STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}
"""The error class of each documented status; other 5xx are :class:`InternalServerError`,
everything else the base :class:`APIStatusError`."""

REQUEST_ID_HEADERS = ("X-Request-Id", "Request-Id", "X-Amzn-RequestId")
"""Where a request id is looked for, first match wins (``APIStatusError.request_id``)."""

_SLOT_TAKEN = re.compile(r"no\s*longer\s*available")
# Zero-width and other format characters (U+200B, U+FEFF …) that split a phrase invisibly.
_INVISIBLE = dict.fromkeys(
    i for i in range(0x2000, 0x2070) if unicodedata.category(chr(i)) == "Cf"
) | {0xFEFF: None, 0xAD: None}


def excerpt(raw: bytes) -> str:
    """A short one-line text excerpt of a body, for messages."""
    text = raw[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


def envelope_message(body: Any) -> str | None:
    """The ``message`` of an error envelope (a list of messages joined), if ``body`` is one."""
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message
        # NestJS-style validation errors send a list of messages.
        if isinstance(message, list) and all(isinstance(part, str) for part in message):
            return "; ".join(message)
    return None


def is_slot_taken(message: str) -> bool:
    """Whether a 400's message says the slot is taken ("no longer available", as the docs'
    own example matches it), whatever the case, spacing or invisible characters."""
    return _SLOT_TAKEN.search(message.translate(_INVISIBLE).casefold()) is not None


def _kept_headers(headers: Mapping[str, str] | None, secret: str) -> CIMultiDict[str]:
    items: CIMultiDict[str] = CIMultiDict()
    if headers is not None:
        for key, value in headers.items():
            items.add(key, scrub(value, secret))
    return items


def status_error(
    method: str,
    path: str,
    status: int,
    raw: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    secret: str = "",
) -> APIStatusError:
    """The typed error for a non-2xx answer, the token (``secret``) scrubbed from all of it."""
    raw = scrub_bytes(raw, secret.encode())
    body: Any
    try:
        body = _json.loads(raw) if raw else None
    except ValueError:
        body = None
    message = envelope_message(body)
    if message is None:
        body = excerpt(raw) if raw else None
        message = f"non-JSON error body: {body}" if raw else "empty error body"
    cls = STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    if cls is BadRequestError and is_slot_taken(message):
        cls = SlotUnavailableError
    kept = _kept_headers(headers, secret)
    request_id = next((kept[name] for name in REQUEST_ID_HEADERS if name in kept), None)
    return cls(
        message,
        status=status,
        method=method,
        path=path,
        body=body,
        retry_after=parse_retry_after(kept.get("Retry-After")),
        headers=kept,
        request_id=request_id,
    )


# -- transport failures -------------------------------------------------------------------------

TRANSPORT_ERRORS: tuple[tuple[type[BaseException], type[APIConnectionError], bool | None], ...] = (
    # (raw type, SDK type, request_sent): the first matching row wins. ``None``: the request
    # reached the server as far as the body write shows (see Transport), so the caller decides.
    (aiohttp.ConnectionTimeoutError, APITimeoutError, False),  # connect timed out
    (aiohttp.ClientConnectorError, APIConnectionError, False),  # refused, DNS, TLS handshake
    (asyncio.TimeoutError, APITimeoutError, None),  # no complete answer in time
    (aiohttp.ClientError, APIConnectionError, None),  # reset, disconnect, broken HTTP/payload
    (OSError, APIConnectionError, None),
)


def describe(exc: BaseException, secret: str) -> str:
    """A frame-free, token-free one-line description of a raw exception."""
    detail = str(exc)
    return scrub(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__, secret)


def transport_error(
    exc: BaseException,
    method: str,
    path: str,
    *,
    sent: bool | None,
    limit: float,
    budget: float,
    budget_bound: bool,
    secret: str,
) -> APIConnectionError | None:
    """The SDK error for the aiohttp/OS failure ``exc`` of one attempt, by ``TRANSPORT_ERRORS``
    (``None``: not a transport failure, such as ours, a cancellation or a bug).

    ``sent``: whether the request body was written (``None``: no body). ``budget_bound``:
    whether the attempt's time limit ``limit`` is the call's whole remaining budget (then a
    timeout is a :class:`DeadlineExceeded`). The caller raises the result outside its
    ``except`` block: raised inside, it would chain ``exc`` as ``__context__``, frames and all.
    """
    row = next((row for row in TRANSPORT_ERRORS if isinstance(exc, row[0])), None)
    if row is None:
        return None
    _, error_type, request_sent = row
    if request_sent is None and sent is not None:
        request_sent = sent
    description = describe(exc, secret)
    if error_type is APITimeoutError:
        if budget_bound:
            error_type = DeadlineExceeded
            message = f"no answer within the call's budget ({budget:g}s)"
        else:
            message = f"no answer within the attempt timeout ({limit:g}s)"
    else:
        message = description.partition(": ")[2] or description
    return error_type(
        message,
        method=method,
        path=path,
        request_sent=request_sent,
        transport_error=description,
    )
