"""The one rule for a framework suite whose framework is missing: skip with a reason, unless
``RL_REQUIRE_FRAMEWORK`` names it (CI's framework venvs), where a missing import must fail."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def framework(module: str, key: str, extra: str) -> ModuleType:
    """Import ``module`` for the suite ``key`` (``livekit``, ``pipecat``)."""
    required = {name.strip() for name in os.environ.get("RL_REQUIRE_FRAMEWORK", "").split(",")}
    if key in required:
        return importlib.import_module(module)  # an ImportError fails the run
    return pytest.importorskip(
        module, reason=f"{module} is not installed (pip install 'rocketlead-async[{extra}]')"
    )
