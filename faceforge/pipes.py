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


class PipeThread:
    """One daemon thread that owns one pipe of a child, exchanging its data through a queue,
    and closes the pipe when it is done."""

    def __init__(self, pipe: BinaryIO, name: str):
        self._pipe = pipe
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._serve()
        except (OSError, ValueError):
            pass  # the pipe broke (the child died): the same end as a closed pipe
        finally:
            self._ended()
            with contextlib.suppress(OSError):
                self._pipe.close()

    def _serve(self) -> None:
        raise NotImplementedError

    def _ended(self) -> None:
        """What the other side learns when the pipe is done."""


class PipeReader(PipeThread):
    """Reads a child's output pipe line by line; None marks its end (the child closed it or
    died). Reading all the time also means a chatty pipe can never fill up and block the
    child."""

    def _serve(self) -> None:
        for line in self._pipe:
            self._queue.put(line)

    def _ended(self) -> None:
        self._queue.put(None)

    def next_line(self, deadline: float) -> bytes | None:
        """The next line (None at the end of the output); raises TimeoutError when none
        arrives before `deadline` (a `time.monotonic()` value)."""
        try:
            return self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None

    def available(self) -> bytes:
        """Everything read so far and not yet taken, without waiting."""
        lines = []
        with contextlib.suppress(queue.Empty):
            while (line := self._queue.get_nowait()) is not None:
                lines.append(line)
        return b"".join(lines)

    def wait_for_end(self, timeout: float) -> None:
        """Give the thread up to `timeout` seconds to read what is left (the child has
        ended); a grandchild still holding the pipe open only costs the wait."""
        self._thread.join(timeout)


class PipeWriter(PipeThread):
    """Writes to a child's input pipe, so that a child that stopped reading (hung) blocks
    this thread, not the caller. It ends, closing the pipe, after `finish()` or when the pipe
    breaks (the child died)."""

    def _serve(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._pipe.write(chunk)
            self._pipe.flush()

    def send(self, data: bytes) -> None:
        self._queue.put(data)

    def finish(self) -> None:
        """Close the pipe once everything sent before has been written."""
        self._queue.put(None)
