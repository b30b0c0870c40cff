"""The whole suite uses the shipped pytest plugin, exactly as the README tells users to."""

import pytest

pytest_plugins = ["rocketlead_async.testing.pytest_plugin"]


@pytest.fixture(autouse=True)
def _no_rocketlead_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's exported ROCKETLEAD_* settings must not change what the tests see."""
    for name in ("ROCKETLEAD_BASE_URL", "ROCKETLEAD_ALLOW_INSECURE_HTTP", "ROCKETLEAD_LOG"):
        monkeypatch.delenv(name, raising=False)
