"""``ROCKETLEAD_LOG=debug|info``: turn on the SDK's logging without touching logging config.

Like ``OPENAI_LOG``: read once when the package is imported. It gives the ``rocketlead_async``
logger a stderr handler at that level, unless the application configured the logger already
(then the application's handlers and level stay as they are).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

__all__ = ["LOG_ENV", "setup_from_env"]

LOG_ENV = "ROCKETLEAD_LOG"

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "[%(asctime)s %(name)s %(levelname)s] %(message)s"


def setup_from_env(environ: Mapping[str, str] = os.environ) -> logging.Handler | None:
    """Apply ``ROCKETLEAD_LOG``; returns the handler it added, if any."""
    value = environ.get(LOG_ENV, "").strip().lower()
    if not value:
        return None
    logger = logging.getLogger("rocketlead_async")
    level = _LEVELS.get(value)
    if level is None:
        logger.warning("%s=%r is not one of: debug, info; ignored", LOG_ENV, value[:20])
        return None
    if logger.handlers:
        return None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
