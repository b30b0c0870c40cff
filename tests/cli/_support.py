"""Helpers of the CLI tests: a fake served from a background thread, and a CLI runner."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import attrs
import pytest

from rocketlead_async import cli
from rocketlead_async.testing import FakeRocketLead

TOKEN_ENV = "ROCKETLEAD_API_TOKEN"
T = TypeVar("T")


class ThreadedFake:
    """A FakeRocketLead serving from its own loop in a daemon thread, so that sync tests can run
    ``cli.main`` (which calls ``asyncio.run``) against it. Inspect ``fake`` only between CLI
    runs: the server thread is idle then."""

    def __init__(self, seed: int = 0) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake", daemon=True)
        self.thread.start()
        self.fake = FakeRocketLead(seed)
        self.url = self._run(self.fake.start())

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def close(self) -> None:
        self._run(self.fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@attrs.frozen
class Result:
    """What one CLI run did."""

    code: int
    out: str
    err: str


class Runner:
    """Runs ``cli.main`` in-process and checks what every run must respect."""

    def __init__(self, capsys: pytest.CaptureFixture[str], secrets: Sequence[str]) -> None:
        self.capsys = capsys
        self.secrets = secrets

    def __call__(self, *argv: str) -> Result:
        self.capsys.readouterr()
        code = cli.main(list(argv))
        captured = self.capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        for secret in self.secrets:
            assert secret not in result.out + result.err, "the token was printed"
        assert "Traceback" not in result.err
        return result

    def fails(self, *argv: str, code: int | None = None) -> str:
        """Run a command that must fail with one line on stderr; return that line."""
        result = self(*argv)
        assert result.code != 0
        if code is not None:
            assert result.code == code
        assert result.out == ""
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        return lines[0]


def python_cli(*argv: str) -> list[str]:
    """The command line of ``python -m rocketlead_async ...`` in this interpreter."""
    return [sys.executable, "-m", "rocketlead_async", *argv]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: no token or base URL unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKETLEAD_")}
    env.update(extra)
    return env


def run_python_cli(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rocketlead_async ...`` to completion."""
    return subprocess.run(
        python_cli(*argv), capture_output=True, text=True, timeout=timeout, env=clean_env()
    )
