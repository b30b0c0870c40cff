"""JSON encoding and decoding: orjson when installed, the standard library otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["DecodeError", "dumps", "loads"]

DecodeError: type[ValueError]
loads: Callable[[bytes], Any]
dumps: Callable[[Any], bytes]

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the stdlib fallback test
    DecodeError = json.JSONDecodeError
    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def loads(data: bytes) -> Any:
        return json.loads(data)

    def dumps(obj: Any) -> bytes:
        return _encoder.encode(obj).encode()

else:
    DecodeError = orjson.JSONDecodeError
    loads = orjson.loads
    dumps = orjson.dumps
