"""Keeping the API token out of every repr, log line, exception and traceback."""

from __future__ import annotations

__all__ = ["MASK", "TOKEN_PREFIX", "RedactedStr", "check_token", "scrub", "scrub_bytes"]

TOKEN_PREFIX = "rocketlead_"
MASK = "***"


class RedactedStr(str):
    """A ``str`` that shows as ``'***'`` in ``repr``.

    The Authorization header value is one of these, so when a traceback is rendered with its
    locals (``pytest --showlocals``, ``traceback.TracebackException(capture_locals=True)``) or a
    header mapping is printed, the token is not.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


def check_token(token: str) -> RedactedStr:
    """Validate a token's form and return it wrapped; errors never echo the token. (Its type
    is the caller's to check: a token that is not a ``str`` cannot be wrapped, so the caller
    drops it from its own locals before it raises.)"""
    token = RedactedStr(token.strip())  # a traceback's locals show '***', even for a bad token
    if not token:
        raise ValueError(
            "no API token: pass token= or set the ROCKETLEAD_API_TOKEN environment variable"
        )
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError(
            f"the API token does not start with {TOKEN_PREFIX!r}; RocketLead would reject it "
            "with 401 (the token itself is not shown)"
        )
    if not token.isascii():
        # An HTTP header value is latin-1 at best; RocketLead tokens are ASCII.
        raise ValueError("the API token contains non-ASCII characters (not shown)")
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        raise ValueError("the API token contains whitespace or control characters (not shown)")
    return RedactedStr(token)


def scrub(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``.

    The SDK knows its token, so every text it repeats from elsewhere (a server's error message
    or body, a proxy page, a transport error, a rejected argument) goes through this.
    """
    return text.replace(secret, MASK) if secret and secret in text else text


def scrub_bytes(raw: bytes, secret: bytes) -> bytes:
    """:func:`scrub` for a raw body, before anything is decoded from it."""
    return raw.replace(secret, MASK.encode()) if secret and secret in raw else raw
