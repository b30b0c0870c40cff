"""The error envelope ``{"statusCode": N, "message": "..."}`` and the middleware that emits it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

_log = logging.getLogger("rocketlead_async.testing")


class ApiError(Exception):
    """Raised by handlers; becomes an error envelope with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def validation(detail: str) -> ApiError:
    """A 400 whose message reads ``Validation failed: <detail>``."""
    return ApiError(400, f"Validation failed: {detail}")


def not_found(kind: str) -> ApiError:
    """A 404 naming the kind, e.g. ``Calendar not found``."""
    return ApiError(404, f"{kind} not found")


def json_response(payload: Any, status: int = 200) -> web.Response:
    """Serialize ``payload`` compactly as an ``application/json`` response."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def envelope(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """The API's error body with that status."""
    response = json_response({"statusCode": status, "message": message}, status)
    response.headers.update(headers or {})
    return response


@web.middleware
async def envelope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure, the router's 404/405 included, into the JSON envelope."""
    try:
        return await handler(request)
    except ApiError as exc:
        return envelope(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.reason
        if exc.status == 404:
            # NestJS (which RocketLead's envelope comes from) words unknown routes this way.
            message = f"Cannot {request.method} {request.path}"
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return envelope(exc.status, message, allow)
    except ConnectionResetError:
        # The client went away mid-request (a caller cancelled as its body was written): not
        # a bug, and nothing was done. Answered, not raised: aiohttp would log a raised one
        # as a server error with its traceback; an answer nobody reads is dropped quietly.
        return envelope(400, "the request body was cut off: the client closed the connection")
    except Exception:
        # A bug in the fake itself: keep the wire contract, but make it loud.
        _log.exception("FakeRocketLead handler crashed")
        return envelope(500, "Internal server error")
