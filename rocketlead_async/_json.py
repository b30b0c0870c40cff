"""JSON encoding and decoding: orjson when installed, the standard library otherwise.

Both behave alike where the SDK relies on it: ``loads`` raises ``DecodeError`` (a
``ValueError``) for anything it cannot read, a body nested too deeply for the stdlib parser
included (never a bare ``RecursionError``); ``dumps`` sends aware datetimes as ISO-8601 strings
and refuses ``NaN``/``Infinity`` (the SDK's argument checks refuse them earlier, naming the
field).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

__all__ = ["DecodeError", "dumps", "loads"]

DecodeError: type[ValueError]
loads: Callable[[bytes], Any]
dumps: Callable[[Any], bytes]


def _default(value: object) -> str:
    if isinstance(value, date):  # datetime included; naive ones were refused before encoding
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the stdlib fallback test
    DecodeError = json.JSONDecodeError
    _encoder = json.JSONEncoder(
        ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default
    )

    def loads(data: bytes) -> Any:
        try:
            return json.loads(data)
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None

    def dumps(obj: Any) -> bytes:
        return _encoder.encode(obj).encode()

else:
    DecodeError = orjson.JSONDecodeError
    loads = orjson.loads
    dumps = orjson.dumps
