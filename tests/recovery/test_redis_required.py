"""Without a redis-server the Redis tests skip on a developer's machine and fail in CI.

``.ci/run`` sets ``RL_REQUIRE_REDIS``: a CI run whose Redis tests all skipped would claim the
seat claims were proven on a real server when they never ran.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.fixtures.redis import start_server


@pytest.fixture
def no_redis_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine whose redis-server cannot start, outside CI."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("RL_REQUIRE_REDIS", raising=False)
    monkeypatch.setenv("ROCKETLEAD_REDIS_SERVER", "/nonexistent/redis-server")


def outcome() -> tuple[type[BaseException], str]:
    """How ``start_server()`` ends here: a skip or a failure, and its message."""
    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception)) as ended:
        start_server()
    return ended.type, str(ended.value)


@pytest.mark.usefixtures("no_redis_server")
def test_a_missing_server_skips_outside_ci() -> None:
    kind, message = outcome()
    assert kind is pytest.skip.Exception
    assert "redis-server" in message


@pytest.mark.usefixtures("no_redis_server")
@pytest.mark.parametrize("variable", ["RL_REQUIRE_REDIS", "CI"])
def test_a_missing_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "1")
    kind, message = outcome()
    assert kind is pytest.fail.Exception
    assert "CI needs a real Redis server" in message


@pytest.mark.usefixtures("no_redis_server")
def test_a_server_that_exits_at_once_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    false = shutil.which("false")
    assert false is not None
    monkeypatch.setenv("ROCKETLEAD_REDIS_SERVER", false)
    monkeypatch.setenv("RL_REQUIRE_REDIS", "1")
    kind, message = outcome()
    assert kind is pytest.fail.Exception
    assert "did not start" in message


def test_ci_run_requires_the_server() -> None:
    script = (Path(__file__).parents[2] / ".ci" / "run").read_text()
    assert "\nexport RL_REQUIRE_REDIS=1\n" in script
    assert script.index("RL_REQUIRE_REDIS=1") < script.index("python -m pytest -q")
