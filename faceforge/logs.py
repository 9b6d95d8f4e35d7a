"""Logging: `logs/core.log` (rotating, sized by config) plus warnings on stderr.

Nothing here formats request headers or settings, so a token cannot reach a log line.
"""

import logging
import queue
import sys
import threading
import time
from logging.handlers import RotatingFileHandler

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LOGGER = logging.getLogger("faceforge")
ACCESS_LOGGER_NAME = "faceforge.access"


class LogFileHandler(RotatingFileHandler):
    """Rotates by size like its parent, without its per-record cost: the parent stats the file
    and formats every record twice just to decide whether to rotate, which dominated the cost
    of a request's access-log line."""

    def shouldRollover(self, record) -> bool:
        return self.maxBytes > 0 and self.stream is not None and self.stream.tell() >= self.maxBytes

    def write_lines(self, lines: list[str]) -> None:
        with self.lock:
            if self.stream is None:
                self.stream = self._open()
            self.stream.write("".join(lines))
            self.stream.flush()
            if self.shouldRollover(None):
                self.doRollover()


class AccessLog:
    """Access-log lines, written by a thread of their own in batches.

    A request only queues its line; the writer drains whatever has queued and writes it with one
    write and one flush. Idle, each line is written at once; busy, a flush serves many requests.
    The line reads as a LogRecord of `faceforge.access` would."""

    def __init__(self, handler: LogFileHandler):
        self.handler = handler
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.write_forever, name="access-log", daemon=True)
        self.thread.start()

    def put(self, text: str) -> None:
        now = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        self.lines.put(f"{stamp},{int(now % 1 * 1000):03d} INFO {ACCESS_LOGGER_NAME} {text}\n")

    def write_forever(self) -> None:
        while True:
            batch = [self.lines.get()]
            while not self.lines.empty():
                batch.append(self.lines.get_nowait())
            stop = None in batch
            self.handler.write_lines([line for line in batch if line is not None])
            if stop:
                return

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        self.lines.put(None)
        self.thread.join(timeout=10)


_access_log: AccessLog | None = None


def access(text: str) -> None:
    """Queue one access-log line for the current home's log file."""
    if _access_log is not None:
        _access_log.put(text)


def shutdown() -> None:
    """Flush and close the log files (at exit, or before pointing logs at another home)."""
    global _access_log
    if _access_log is not None:
        _access_log.close()
        _access_log = None
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
        handler.close()


def configure(config) -> None:
    """Send the `faceforge` loggers to this home's log file (replacing an earlier home's)."""
    # The logging HOWTO's optimisations: we never log caller, thread or process details, and
    # collecting them was a measurable share of every request's access-log line.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    global _access_log
    shutdown()
    file_handler = LogFileHandler(
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
    _access_log = AccessLog(file_handler)
    for warning in config.warnings:
        LOGGER.warning("config: %s", warning)
