"""The whole suite uses the shipped pytest plugin, exactly as the README tells users to."""

pytest_plugins = ["rocketlead_async.testing.pytest_plugin"]
