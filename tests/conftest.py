"""The suite's only conftest: the shipped pytest plugin (used exactly as the README tells
users to) and the harness's fixture modules (``tests/helpers/fixtures``)."""

import pytest

pytest_plugins = [
    "rocketlead_async.testing.pytest_plugin",
    "tests.helpers.fixtures.core",
    "tests.helpers.fixtures.fake",
    "tests.helpers.fixtures.fake_server",
    "tests.helpers.fixtures.redis",
    "tests.helpers.fixtures.desk",
    "tests.helpers.fixtures.cli",
    "tests.helpers.fixtures.integrations",
    "tests.helpers.fixtures.retries",
]


@pytest.fixture(autouse=True)
def _no_rocketlead_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's exported ROCKETLEAD_* settings must not change what the tests see."""
    for name in ("ROCKETLEAD_BASE_URL", "ROCKETLEAD_ALLOW_INSECURE_HTTP", "ROCKETLEAD_LOG"):
        monkeypatch.delenv(name, raising=False)
