"""``python -m rocketlead_async``: the same as the ``rocketlead`` command."""

from .cli import main

raise SystemExit(main())
