"""The ``stdlib_json`` fixture: the SDK's JSON module as without orjson (the default install).

Import it into a test module (``from ._no_orjson import stdlib_json``) to use it there."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

from rocketlead_async import _json


@pytest.fixture
def stdlib_json(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``rocketlead_async._json`` reloaded as if orjson were not installed; restored after."""
    monkeypatch.setitem(sys.modules, "orjson", None)
    try:
        importlib.reload(_json)
        yield
    finally:
        monkeypatch.undo()
        importlib.reload(_json)
