"""Kept only for the old unit modules that still import ``stdlib_json`` from here: the fixture
now lives in ``tests/helpers/fixtures/core.py`` and is available suite-wide by name. Delete
this module once nothing imports it."""

from tests.helpers.fixtures.core import stdlib_json

__all__ = ["stdlib_json"]
