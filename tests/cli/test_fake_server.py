"""``rocketlead fake-server`` as a real process: it tells where it listens and stops cleanly;
and the CLI's behaviour at the process boundary (exit codes, closed pipes)."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ._support import TOKEN_ENV, Runner, clean_env, python_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


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
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=10)
    return proc.returncode, err


def test_json_mode_prints_the_bound_url_and_tokens(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_server("--json", "--seed", "3") as proc:
        (line,) = first_lines(proc, 1)
        info = json.loads(line)
        assert info["url"].startswith("http://127.0.0.1:")
        assert not info["url"].endswith(":0")
        assert info["seed"] == 3
        assert sorted(info["tokens"]) == ["admin", "read", "write"]
        assert all(t.startswith("rocketlead_live_") for t in info["tokens"].values())

        # The printed URL and token are enough to use it.
        monkeypatch.setenv(TOKEN_ENV, info["tokens"]["read"])
        listed = Runner(capsys, list(info["tokens"].values()))
        result = listed("calendars", "--base-url", info["url"])
        assert result.code == 0
        assert "Studio Mitte" in result.out

        code, err = stop(proc, signal.SIGTERM)
    assert (code, err) == (0, "FakeRocketLead stopped\n")


def test_human_mode_prints_url_tokens_and_a_hint() -> None:
    with fake_server() as proc:
        lines = first_lines(proc, 5)
        url = lines[0].split()[3]
        assert lines[0].startswith(f"FakeRocketLead serving at {url}  (seed 0; Ctrl-C to stop)")
        assert [line.split()[:2] for line in lines[1:4]] == [
            ["read", "token:"],
            ["write", "token:"],
            ["admin", "token:"],
        ]
        admin = lines[3].split()[2]
        assert lines[4] == f"try: {TOKEN_ENV}={admin} rocketlead calendars --base-url {url}\n"
        code, err = stop(proc, signal.SIGINT)
    assert (code, err) == (0, "FakeRocketLead stopped\n")


def test_a_busy_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = Runner(capsys, []).fails("fake-server", "--port", str(port), code=1)
    assert line.startswith("rocketlead: error: ")
    assert str(port) in line


def test_a_closed_stdout_ends_quietly() -> None:
    proc = subprocess.Popen(
        python_cli("demo", "--callers", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert proc.stdout is not None
    proc.stdout.close()  # like `rocketlead demo | head -0`
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err == ""
