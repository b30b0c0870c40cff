"""The voice extras stay optional: the SDK never imports a framework, an adapter whose
framework is missing says which extra to install, a framework suite whose framework is missing
is skipped with that extra as the reason (an error where CI requires it), and the framework
suites need nothing of the test extra (their venvs have only ``[testing]``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FRAMEWORKS = ("livekit", "pipecat", "pydantic", "loguru")
# What the test extra adds to [testing] (pyproject.toml).
TEST_EXTRA_ONLY = ("aioresponses", "hypothesis", "trustme", "orjson", "opentelemetry", "redis")
ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
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


def test_the_fixture_modules_import_without_the_test_extra() -> None:
    # The root conftest loads every fixture module, in the framework venvs too (.ci/run):
    # each must import the test extra's packages lazily, inside the fixtures that need them.
    done = _python(
        "import importlib, sys\n"
        f"for name in {TEST_EXTRA_ONLY!r}: sys.modules[name] = None\n"
        "import tests.conftest\n"
        "for plugin in tests.conftest.pytest_plugins: importlib.import_module(plugin)\n"
    )
    assert done.returncode == 0, done.stderr


def test_a_suite_without_its_framework_is_skipped_with_the_extra_unless_required() -> None:
    # Both frameworks blocked (installed or not); CI's RL_REQUIRE_FRAMEWORK names livekit only.
    done = _python(
        "import sys\nsys.modules['livekit'] = sys.modules['pipecat'] = None\nimport pytest\n"
        "sys.exit(pytest.main(['-q', '-rs', '-p', 'no:cacheprovider', "
        "'tests/integrations/livekit', 'tests/integrations/pipecat']))",
        RL_REQUIRE_FRAMEWORK="livekit",
    )
    assert done.returncode != 0, done.stdout
    # livekit's two test modules fail to import (required); pipecat's two are skipped
    assert "2 skipped, 2 errors" in done.stdout, done.stdout
    assert "ERROR collecting tests/integrations/livekit/" in done.stdout
    skipped = "pipecat is not installed (pip install 'rocketlead-async[pipecat]')"
    assert done.stdout.count(skipped) == 2, done.stdout
