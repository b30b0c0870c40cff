"""The voice extras stay optional: the SDK never imports a framework, and an adapter whose
framework is missing says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORKS = ("livekit", "pipecat", "pydantic", "loguru")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_importing_the_sdk_and_the_integrations_package_imports_no_framework() -> None:
    done = _python(
        "import sys, rocketlead_async, rocketlead_async.integrations\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(loaded)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("adapter", "blocked", "extra"),
    [("livekit", "livekit", "livekit"), ("pipecat", "pipecat", "pipecat")],
)
def test_a_missing_framework_names_its_extra(adapter: str, blocked: str, extra: str) -> None:
    # ``sys.modules[name] = None`` makes ``import name`` fail, installed or not.
    done = _python(
        f"import sys\nsys.modules[{blocked!r}] = None\n"
        f"import rocketlead_async.integrations.{adapter}"
    )
    assert done.returncode != 0
    assert "ImportError" in done.stderr
    assert f"pip install 'rocketlead-async[{extra}]'" in done.stderr
