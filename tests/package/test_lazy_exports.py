"""The lazily loaded model names are written twice: in ``models.LAZY`` (so ``rl.models`` can
name them without importing their modules) and in each module's ``__all__``. They must agree,
or a model added to its module is missing from ``rl.models`` and ``rl``."""

from __future__ import annotations

import importlib

import rocketlead_async as rl
from rocketlead_async import models


def test_every_lazily_loaded_model_module_is_listed_whole() -> None:
    for module_name in set(models.LAZY.values()):
        module = importlib.import_module(f"rocketlead_async.models.{module_name}")
        listed = {name for name, home in models.LAZY.items() if home == module_name}
        assert listed == set(module.__all__), module_name
        for name in listed:
            assert getattr(models, name) is getattr(module, name)
            assert getattr(rl, name) is getattr(module, name)
            assert name in models.__all__
            assert name in rl.__all__
