"""Bearer tokens, scopes and the middleware that enforces them.

``read`` allows GET/HEAD/OPTIONS, ``write`` adds POST/PATCH/PUT, ``admin`` adds DELETE.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Literal

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from attrs import frozen

from ._errors import ApiError

Scope = Literal["read", "write", "admin"]

_RANK: dict[Scope, int] = {"read": 0, "write": 1, "admin": 2}
_NEEDED: dict[str, Scope] = {
    "GET": "read",
    "HEAD": "read",
    "OPTIONS": "read",
    "POST": "write",
    "PATCH": "write",
    "PUT": "write",
    "DELETE": "admin",
}
_PREFIX = "Bearer "


@frozen
class FakeTokens:
    """The seeded tokens of the demo organization, one per scope."""

    read: str
    write: str
    admin: str


@frozen
class Grant:
    """Who a token speaks for and what it may do."""

    organization_id: str
    scope: Scope


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


class TokenRegistry:
    """Issued tokens; revocation takes effect on the next request."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._grants: dict[str, Grant] = {}

    def issue(self, scope: Scope, organization_id: str) -> str:
        """A new ``rocketlead_live_<64 hex>`` token, deterministic in seed and issue order."""
        material = f"rocketlead-fake/{self._seed}/{scope}/{len(self._grants)}"
        token = "rocketlead_live_" + hashlib.sha256(material.encode()).hexdigest()
        self._grants[token] = Grant(organization_id, scope)
        return token

    def revoke(self, token: str) -> None:
        """Forget the token; unknown tokens are ignored."""
        self._grants.pop(token, None)

    def grant(self, headers: Mapping[str, str]) -> Grant:
        """The grant behind the request's ``Authorization`` header, or a 401."""
        header = headers.get("Authorization", "")
        if not header.startswith(_PREFIX):
            raise unauthorized()
        token = header[len(_PREFIX) :].strip()
        if not token.startswith("rocketlead_"):
            raise unauthorized()
        found = self._grants.get(token)
        if found is None:
            raise unauthorized()
        return found

    def middleware(self) -> Middleware:
        """Enforce token and scope on every routed request (unknown routes answer 404/405)."""

        @web.middleware
        async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.match_info.http_exception is None:
                needed = _NEEDED.get(request.method, "admin")
                if _RANK[self.grant(request.headers).scope] < _RANK[needed]:
                    raise ApiError(403, f"Forbidden: this token lacks the '{needed}' scope")
            return await handler(request)

        return authorize
