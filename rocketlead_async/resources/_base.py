"""What every resource namespace shares: building a :class:`Call` and checking ids."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from .. import _json
from .._convert import decoder as _decoder
from .._retry import RetryPolicy, check_retry
from .._transport import Call, Transport
from .._validate import check_aware, check_id, check_timeout
from ..errors import OutcomeUnknownError
from ..models import Attempt

__all__ = ["Host", "Resource", "aware", "encode_body", "path_id", "query_id"]

T = TypeVar("T")


def query_id(value: object, name: str) -> str:
    """An id for a query parameter (the one id rule, :func:`check_id`)."""
    return check_id(value, name)


def path_id(value: object, name: str = "id") -> str:
    """An id for a path segment: the one id rule, then percent-quoted."""
    return quote(check_id(value, name), safe="")


def aware(value: object, name: str) -> str:
    """An aware datetime as the ISO-8601 string the API takes."""
    return check_aware(value, name).isoformat()


def encode_body(body: Any, name: str) -> bytes:
    """JSON-encode a request body once, before any attempt; ``TypeError`` names what failed."""
    try:
        return _json.dumps(body)
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"{name} is not JSON-serializable: {exc}") from None


class Host(Protocol):
    """What a resource namespace uses of its client (a ``RocketLeadClient``)."""

    @property
    def timeout(self) -> float: ...
    @property
    def retry(self) -> RetryPolicy: ...
    @property
    def _transport(self) -> Transport: ...


class Resource:
    """Base of the namespaces on :class:`RocketLeadClient` (``client.bookings`` …)."""

    def __init__(self, client: Host) -> None:
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
        history: Sequence[Attempt] | None = None,
        late: bool = False,
        on_sent: Callable[[], None] | None = None,
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
            history=None if history is None else tuple(history),
            late=late,
            on_sent=on_sent,
        )

    def _get(
        self,
        path: str,
        cls: type[T],
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        params: Mapping[str, str] | None = None,
    ) -> Coroutine[Any, Any, T]:
        """The GET of one ``cls``, for the resource method to await (no frame of its own: the
        transport's coroutine is the next one down)."""
        call: Call[T] = self._call(
            "GET", path, _decoder(cls), timeout=timeout, retry=retry, params=params
        )
        return self._client._transport.request(call)

    def _list(
        self,
        path: str,
        cls: type[T],
        *,
        timeout: float | None,
        retry: RetryPolicy | None,
        params: Mapping[str, str] | None = None,
    ) -> Coroutine[Any, Any, list[T]]:
        """The GET of a list of ``cls`` (as :meth:`_get`)."""
        call: Call[list[T]] = self._call(
            "GET", path, _decoder(cls, many=True), timeout=timeout, retry=retry, params=params
        )
        return self._client._transport.request(call)

    def _send(
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
        history: Sequence[Attempt] | None = None,
        late: bool = False,
        on_sent: Callable[[], None] | None = None,
    ) -> Coroutine[Any, Any, T]:
        """A request with a JSON ``body`` (encoded here, once), as :meth:`_get`."""
        call: Call[T] = self._call(
            method,
            path,
            _decoder(cls),
            timeout=timeout,
            retry=retry,
            body=encode_body(body, "request body"),
            request=request,
            unknown_error=unknown_error,
            history=history,
            late=late,
            on_sent=on_sent,
        )
        return self._client._transport.request(call)
