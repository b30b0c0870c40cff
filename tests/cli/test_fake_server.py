"""``rocketlead fake-server`` as a real process: it tells where it listens, what it prints is
enough to use it, and it stops cleanly; and the CLI at the process boundary (closed pipes, the
console script)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from rocketlead_async import cli
from tests.helpers.cli import (
    TOKEN_ENV,
    CliRunner,
    clean_env,
    fake_server,
    first_lines,
    python_cli,
    stop,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


async def test_json_mode_prints_the_bound_url_and_tokens(
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
        run_cli = CliRunner(capsys, list(info["tokens"].values()))
        result = await run_cli("calendars", "--base-url", info["url"])
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


def test_on_every_interface_it_prints_a_url_that_works() -> None:
    with fake_server("--host", "0.0.0.0", "--json") as proc:
        (line,) = first_lines(proc, 1)
        started = json.loads(line)
        run = subprocess.run(
            python_cli("calendars", "--json", "--base-url", started["url"]),
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(ROCKETLEAD_API_TOKEN=started["tokens"]["read"]),
        )
    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)) == 2


def _lan_address() -> str | None:
    """This machine's address on its default route (nothing is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # a UDP connect only routes: nothing is sent
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_on_a_lan_address_the_printed_try_command_works() -> None:
    """Served on a non-loopback address, the URL is plain http to another host: the printed
    command carries the opt-in it needs."""
    address = _lan_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address")
    with fake_server("--host", address) as proc:
        lines = first_lines(proc, 5)
        assignment, command = lines[4].removeprefix("try: ").split(" ", 1)
        argv = command.split()
        assert argv[:2] == ["rocketlead", "calendars"]
        run = subprocess.run(
            python_cli(*argv[1:]),
            capture_output=True,
            text=True,
            timeout=30,
            env=clean_env(**dict([assignment.split("=", 1)])),
        )
    assert run.returncode == 0, run.stderr
    assert "Studio Mitte" in run.stdout


async def test_a_busy_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = await CliRunner(capsys, []).fails("fake-server", "--port", str(port), code=1)
    assert line.startswith("rocketlead: error: ")
    assert str(port) in line


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
async def test_an_impossible_port_is_one_usage_line(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    line = await CliRunner(capsys, []).fails("fake-server", "--port", port, code=2)
    assert line.startswith("rocketlead fake-server: error: argument --port")


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


def test_the_console_script_is_cli_main() -> None:
    (script,) = entry_points(group="console_scripts", name="rocketlead")
    assert script.load() is cli.main
