"""Running the ``rocketlead`` command line in tests: in-process against a fake (``run_cli``
fixture), or as a real ``python -m rocketlead_async`` process."""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import attrs
import pytest

from rocketlead_async import cli
from rocketlead_async.testing import DemoOrg

from .demo import BEN, POPULAR
from .secrets import assert_no_secret

TOKEN_ENV = "ROCKETLEAD_API_TOKEN"
# The popular hour (Wed 24 March 2027, 15:00 in Berlin) as a user types it on the command line.
POPULAR_ARG = POPULAR.isoformat()
POPULAR_END_ARG = (POPULAR + timedelta(hours=1)).isoformat()


@attrs.frozen
class Result:
    """What one CLI run did."""

    code: int
    out: str
    err: str


class CliRunner:
    """``await run_cli(*argv)`` runs ``cli.main`` in a worker thread (it calls ``asyncio.run``)
    while the test's loop keeps serving the fake; inspect the fake between runs. Every run is
    checked for what every run must respect: no token in its output, no traceback."""

    def __init__(self, capsys: pytest.CaptureFixture[str], secrets: Sequence[str]) -> None:
        self.capsys = capsys
        self.secrets = secrets

    async def __call__(self, *argv: str) -> Result:
        self.capsys.readouterr()
        code = await asyncio.to_thread(cli.main, list(argv))
        captured = self.capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        for secret in self.secrets:
            assert_no_secret(secret, [result.out, result.err], "the CLI's output")
        assert "Traceback" not in result.err
        return result

    async def fails(self, *argv: str, code: int) -> str:
        """Run a command that must fail with exit ``code`` and one line on stderr (nothing on
        stdout); return that line."""
        result = await self(*argv)
        assert (result.code, result.out) == (code, "")
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        return lines[0]


def slot_args(demo: DemoOrg, start: str = POPULAR_ARG, end: str = POPULAR_END_ARG) -> list[str]:
    """The arguments naming a Personal Training slot at Studio Mitte."""
    return [
        "--calendar",
        demo.mitte_calendar_id,
        "--appointment-type",
        demo.personal_training_type_id,
        "--start",
        start,
        "--end",
        end,
    ]


def trainer(demo: DemoOrg, index: int = BEN) -> str:
    """The resource id of a Mitte trainer (``ANNA`` or ``BEN``)."""
    return demo.mitte_trainer_ids[index]


def python_cli(*argv: str) -> list[str]:
    """The command line of ``python -m rocketlead_async ...`` in this interpreter."""
    return [sys.executable, "-m", "rocketlead_async", *argv]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: no token or base URL unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROCKETLEAD_")}
    env.update(extra)
    return env


@contextmanager
def fake_server(*argv: str) -> Iterator[subprocess.Popen[str]]:
    """``rocketlead fake-server --port 0 ...`` running; killed if the test leaves it running."""
    proc = subprocess.Popen(
        python_cli("fake-server", "--port", "0", *argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def first_lines(proc: subprocess.Popen[str], count: int) -> list[str]:
    """The first ``count`` lines the server printed (it prints them in one flush)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    assert ready, "the fake server printed nothing"
    return [proc.stdout.readline() for _ in range(count)]


def stop(proc: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    """Send ``signum``; the exit code and stderr once the process ended."""
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=10)
    return proc.returncode, err
