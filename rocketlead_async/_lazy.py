"""Names a package exports but imports on first use (PEP 562), so ``import rocketlead_async``
loads only what a first call needs."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def load(package: str, lazy: Mapping[str, str], namespace: dict[str, Any], name: str) -> Any:
    """``package.name``, imported from the submodule ``lazy[name]`` names and cached in the
    package's ``namespace``; an ``AttributeError`` for a name the package does not export."""
    module = lazy.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", package), name)
    namespace[name] = value
    return value
