"""The pipes of a long-lived child process, served by threads so that every wait has a
deadline on every platform: `select` takes only sockets on Windows, and a blocking read or
write on a pipe cannot be interrupted there.

Each pipe gets one daemon thread that owns it (and closes it when done); the caller only ever
waits on a `queue.Queue`, with a timeout.
"""

import contextlib
import queue
import threading
import time
from typing import BinaryIO


class PipeReader:
    """Reads a child's output pipe line by line into a queue; None marks its end (the child
    closed it or died). Reading all the time also means a chatty pipe can never fill up and
    block the child."""

    def __init__(self, pipe: BinaryIO, name: str):
        self._pipe = pipe
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name=name, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._pipe:
                self._lines.put(line)
        except (OSError, ValueError):
            pass  # the pipe broke: that is its end, as for a closed one
        finally:
            self._lines.put(None)
            with contextlib.suppress(OSError):
                self._pipe.close()

    def next_line(self, deadline: float) -> bytes | None:
        """The next line (None at the end of the output); raises TimeoutError when none
        arrives before `deadline` (a `time.monotonic()` value)."""
        try:
            return self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None

    def available(self) -> bytes:
        """Everything read so far and not yet taken, without waiting."""
        lines = []
        with contextlib.suppress(queue.Empty):
            while (line := self._lines.get_nowait()) is not None:
                lines.append(line)
        return b"".join(lines)

    def wait_for_end(self, timeout: float) -> None:
        """Give the thread up to `timeout` seconds to read what is left (the child has
        ended); a grandchild still holding the pipe open only costs the wait."""
        self._thread.join(timeout)


class PipeWriter:
    """Writes to a child's input pipe from its own thread, so that a child that stopped
    reading (hung) blocks that thread, not the caller. The thread ends, closing the pipe,
    after `finish()` or when the pipe breaks (the child died)."""

    def __init__(self, pipe: BinaryIO, name: str):
        self._pipe = pipe
        self._chunks: queue.Queue[bytes | None] = queue.Queue()
        self._thread = threading.Thread(target=self._write, name=name, daemon=True)
        self._thread.start()

    def _write(self) -> None:
        try:
            while (chunk := self._chunks.get()) is not None:
                self._pipe.write(chunk)
                self._pipe.flush()
        except (OSError, ValueError):
            pass  # the child is gone; its reader sees the end of its output
        finally:
            with contextlib.suppress(OSError):
                self._pipe.close()

    def send(self, data: bytes) -> None:
        self._chunks.put(data)

    def finish(self) -> None:
        """Close the pipe once everything sent before has been written."""
        self._chunks.put(None)
