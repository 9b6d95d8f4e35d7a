"""Logging: `logs/core.log` (rotating, sized by config) plus warnings on stderr.

Nothing here formats request headers or settings, so a token cannot reach a log line.
"""

import logging
import sys
from logging.handlers import RotatingFileHandler

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LOGGER = logging.getLogger("faceforge")


def configure(config) -> None:
    """Send the `faceforge` loggers to this home's log file (replacing an earlier home's)."""
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
        handler.close()
    file_handler = RotatingFileHandler(
        config.home.log_path,
        maxBytes=config["logging.max_size_mb"] * 2**20,
        backupCount=config["logging.backup_count"],
        encoding="utf-8",
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    console_handler = logging.StreamHandler(sys.stderr)
    console_handler.setLevel(logging.WARNING)
    console_handler.setFormatter(logging.Formatter("faceforge: %(levelname)s %(message)s"))
    LOGGER.addHandler(file_handler)
    LOGGER.addHandler(console_handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    for warning in config.warnings:
        LOGGER.warning("config: %s", warning)
