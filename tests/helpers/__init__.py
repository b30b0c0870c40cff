"""The test suite's one harness: clocks, clients, servers, bodies and recorders.

Fixtures live in ``tests/conftest.py`` (the only conftest) and the ``tests.helpers.fixtures``
modules it loads; everything else a test imports comes from a module here, by name.
"""
