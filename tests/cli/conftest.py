"""Fixtures of the CLI tests: a fake in a background thread and an in-process CLI runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._support import TOKEN_ENV, Runner, ThreadedFake


@pytest.fixture
def served() -> Iterator[ThreadedFake]:
    server = ThreadedFake(seed=0)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def run(
    served: ThreadedFake, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Runner:
    """``run("calendars", ...)`` against ``served`` with its admin token in the environment."""
    monkeypatch.setenv(TOKEN_ENV, served.fake.tokens.admin)
    monkeypatch.setenv("ROCKETLEAD_BASE_URL", served.url)
    tokens = served.fake.tokens
    return Runner(capsys, [tokens.read, tokens.write, tokens.admin])
