"""What every resource namespace shares: building a :class:`Call` and checking ids."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from .. import _json
from .._convert import structure, structure_list
from .._retry import RetryPolicy
from .._transport import Call
from ..errors import OutcomeUnknownError

if TYPE_CHECKING:
    from .._client import RocketLeadClient

__all__ = ["Resource", "aware", "encode_body", "path_id", "query_id"]

T = TypeVar("T")


def query_id(value: object, name: str) -> str:
    """A non-empty id string for a query parameter; ``TypeError``/``ValueError`` otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    if not value.isprintable():
        raise ValueError(f"{name} contains control characters")
    return value


def path_id(value: object, name: str = "id") -> str:
    """An id made safe to put in a path: refused if it could reach another path, then quoted."""
    text = query_id(value, name)
    if any(char in text for char in "/?#\\") or ".." in text:
        raise ValueError(f"{name} {text!r} contains '/', '?', '#', '\\\\' or '..'; not a valid id")
    return quote(text, safe="")


def aware(value: object, name: str) -> str:
    """An aware datetime as the ISO-8601 string the API takes."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime (got naive {value.isoformat()})"
        )
    return value.isoformat()


def encode_body(body: Any, name: str) -> bytes:
    """JSON-encode a request body once, before any attempt; ``TypeError`` names what failed."""
    try:
        return _json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} is not JSON-serializable: {exc}") from None


_DECODERS: dict[tuple[type[Any], bool], Callable[[Any], Any]] = {}


def _decoder(cls: type[T], *, many: bool = False) -> Callable[[Any], Any]:
    """One decode function per model (and list of it), made once: calls build no closures."""
    try:
        return _DECODERS[cls, many]
    except KeyError:
        decode = partial(structure_list if many else structure, cls=cls)
        return _DECODERS.setdefault((cls, many), decode)


class Resource:
    """Base of the namespaces on :class:`RocketLeadClient` (``client.bookings`` …)."""

    def __init__(self, client: RocketLeadClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def _call(
        self,
        method: str,
        path: str,
        decode: Callable[[Any], T],
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        request: Any = None,
        unknown_error: type[OutcomeUnknownError] = OutcomeUnknownError,
    ) -> Call[T]:
        client = self._client
        return Call(
            method=method,
            path=path,
            decode=decode,
            timeout=client.timeout if timeout is None else check_timeout(timeout),
            retry=client.retry if retry is None else check_retry(retry),
            params=params,
            body=body,
            request=request,
            unknown_error=unknown_error,
        )

    async def _get(
        self,
        path: str,
        cls: type[T],
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        params: Mapping[str, str] | None = None,
    ) -> T:
        call: Call[T] = self._call(
            "GET", path, _decoder(cls), timeout=timeout, retry=retry, params=params
        )
        return await self._client._transport.request(call)

    async def _list(
        self,
        path: str,
        cls: type[T],
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        params: Mapping[str, str] | None = None,
    ) -> list[T]:
        call: Call[list[T]] = self._call(
            "GET", path, _decoder(cls, many=True), timeout=timeout, retry=retry, params=params
        )
        return await self._client._transport.request(call)

    async def _send(
        self,
        method: str,
        path: str,
        cls: type[T],
        body: Any,
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        request: Any = None,
        unknown_error: type[OutcomeUnknownError] = OutcomeUnknownError,
    ) -> T:
        call: Call[T] = self._call(
            method,
            path,
            _decoder(cls),
            timeout=timeout,
            retry=retry,
            body=encode_body(body, "request body"),
            request=request,
            unknown_error=unknown_error,
        )
        return await self._client._transport.request(call)


def check_retry(retry: object) -> RetryPolicy:
    """A :class:`RetryPolicy`, or a ``TypeError`` naming what was passed instead."""
    if not isinstance(retry, RetryPolicy):
        raise TypeError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
    return retry


def check_timeout(timeout: object) -> float:
    """A call budget in seconds: a finite number > 0."""
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(f"timeout must be a finite number of seconds > 0, not {timeout!r}")
    return float(timeout)
