"""Serving the app with Waitress, and stopping it gracefully from a signal or another thread.

Waitress's own `run()` only stops on KeyboardInterrupt, so the loop is driven here one poll at
a time: `stop()` sets a flag and pulls Waitress's trigger to wake the poll. The loop then
drains (API.md §8 Graceful stop): no new connections, no further request read, every request
already received answered, each connection closed once its replies are sent.
"""

import contextlib
import errno
import io
import os
import socket
import tempfile
import threading
import time
from typing import NamedTuple

import waitress
from waitress import wasyncore
from waitress.buffers import BytesIOBasedBuffer, ReadOnlyFileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver
from waitress.task import WSGITask

from faceforge import client
from faceforge.web.files import MULTIPART_OVERHEAD_BYTES
from faceforge.web.uploads import CHUNK_SIZE

# Enough worker threads for a browser, a few scripts and parallel range downloads at once.
THREADS = 8
# How often the loop looks at the stop flag even when nothing wakes it.
POLL_SECONDS = 0.5
# Waitress reads request bodies 8 KiB per recv() by default; 1 MiB reads made uploads 1.3-1.8x
# faster here (bench/assets.py).
RECEIVE_BYTES = 2**20
# A body up to this size stays in memory; a larger one goes to a temp file (Waitress spools
# once its buffer *reaches* the limit, hence the + 1). Sized so that a tus PATCH of the
# advertised chunk size is written to disk once, into its upload. The worst case is
# CONNECTION_LIMIT bodies of this size at once (docs/assets.md); a body with a Content-Length
# is allocated whole when its headers arrive (`BodyBuffer`), still within that bound.
INBUF_OVERFLOW_BYTES = CHUNK_SIZE + 1
# Connections served at once (Waitress's default is 100). A browser opens at most 6 per host
# and scripts a few more; 32 bounds the request bodies held in memory to 32 x 8 MiB = 256 MiB.
CONNECTION_LIMIT = 32
# Bodies produced by generators (S3 downloads, multipart/byteranges) queue in Waitress's out
# buffers, which spill to a temp file past `outbuf_overflow` (1 MiB by default). The writer
# waits while 4 MiB are unsent, and a buffer holds at most that plus one 1 MiB chunk, so
# with an 8 MiB overflow nothing is ever written to disk on the way out.
OUT_HIGH_WATERMARK_BYTES = 4 * 2**20
OUT_OVERFLOW_BYTES = 8 * 2**20
# Waitress sends a file response in pieces of the socket's send buffer size as it was when
# the connection was accepted: 16 KiB by default here, so a 64 MiB range took 4,096 rounds
# of Python. Accepted sockets inherit the listening socket's SO_SNDBUF.
SEND_BUFFER_BYTES = 2**20
# How long a stop waits for the requests already received to be answered.
DRAIN_SECONDS = 10
# The errors of a send that mean the client has gone (Waitress's own `send()` uses the same).
DISCONNECTED = wasyncore._DISCONNECTED


class BodyBuffer(BytesIOBasedBuffer):
    """A request body of known length held in memory: one BytesIO allocated at that length when
    the headers arrive, then filled in place. Waitress's own grows as the bytes arrive, and a
    growth the heap cannot make in place copies the body into a larger block, both held for
    a moment."""

    def __init__(self, size: int):
        super().__init__()
        self.file.seek(size - 1)
        self.file.write(b"\0")
        self.file.seek(0)
        self._filled = 0

    def append(self, data: bytes) -> None:
        read_position = self.file.tell()
        self.file.seek(self._filled)
        self.file.write(data)
        self.file.seek(read_position)
        self._filled += len(data)
        self.remain += len(data)


class RequestParser(HTTPRequestParser):
    """Waitress's parser, holding a body below `inbuf_overflow` with a Content-Length in a
    `BodyBuffer`. The worst case stays CONNECTION_LIMIT such bodies at once."""

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        receiver = self.body_rcv
        if isinstance(receiver, FixedStreamReceiver) and receiver.remain < self.adj.inbuf_overflow:
            receiver.buf = BodyBuffer(receiver.remain)


class FileSlice(NamedTuple):
    """The next bytes of a file response, as `FileSender.get` names them instead of reading."""

    fd: int
    offset: int
    count: int


class FileSender(ReadOnlyFileBasedBuffer):
    """`wsgi.file_wrapper` where the kernel copies the file to the socket (`os.sendfile`).

    Waitress's own reads each piece into a new bytes object, then sends it: every byte is
    copied twice on the one thread that sends for every connection. Here `get()` names the
    piece and `Connection.send` hands it to `os.sendfile`; Waitress's bookkeeping (`skip()`
    after each send, closing the file at the end) is unchanged."""

    def get(self, numbytes=-1, skip=False):
        if skip:  # Waitress never asks; a copy is what it would get
            return super().get(numbytes, skip)
        count = self.remain if numbytes == -1 else min(numbytes, self.remain)
        return FileSlice(self.file.fileno(), self.file.tell(), count)


def sendable(file) -> bool:
    """Whether `os.sendfile` can send this file (not on Windows, not an in-memory file)."""
    if not hasattr(os, "sendfile"):
        return False
    try:
        file.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    return True


def file_wrapper(file, block_size=32768):
    wrapper = FileSender if sendable(file) else ReadOnlyFileBasedBuffer
    return wrapper(file, block_size)


class Task(WSGITask):
    """Waitress's task, offering `file_wrapper` as `wsgi.file_wrapper`."""

    def get_environment(self):
        environ = super().get_environment()
        environ["wsgi.file_wrapper"] = file_wrapper
        return environ


class Connection(HTTPChannel):
    """Waitress's connection, with four changes:
    - its requests are parsed by `RequestParser`, which holds a body in one block;
    - a file response goes out through `os.sendfile` (`FileSender`, `send`);
    - it reads no further request once the server has stopped accepting connections: a
      request arriving while the server stops is never processed, so it cannot be saved
      without its client getting the answer;
    - it closes the request it is still receiving when the connection closes (the client
      went away, or the server stops). Waitress closes only the requests it has read to the
      end, so a body cut off past `inbuf_overflow` kept its temp file open until the garbage
      collector found it."""

    parser_class = RequestParser
    task_class = Task

    def send(self, data, do_close=True):
        if not isinstance(data, FileSlice):
            return super().send(data, do_close)
        try:
            return os.sendfile(self.socket.fileno(), data.fd, data.offset, data.count)
        except BlockingIOError:
            return 0
        except OSError as error:
            if error.errno not in DISCONNECTED:
                raise
            if do_close:
                self.handle_close()
            return 0

    def readable(self) -> bool:
        return self.server.accepting and super().readable()

    def del_channel(self, map=None):
        # Both ways of closing a connection, handle_close() and close(), pass here.
        if self.request is not None:
            self.request.close()
            self.request = None
        super().del_channel(map)


class ServerError(Exception):
    """The server cannot start; the message says why (port in use, bad address)."""


class Server:
    def __init__(self, app, host: str, port: int, config):
        # Waitress holds a whole body (in a temp file past inbuf_overflow) before the app runs,
        # so its cap is the first line of defence; our own checks answer 413 in the envelope.
        max_body = (
            config["limits.max_upload_bytes"]
            + config["limits.max_json_bytes"]
            + MULTIPART_OVERHEAD_BYTES
        )
        try:
            self._waitress = waitress.create_server(
                app,
                host="127.0.0.1" if host == "localhost" else host,
                port=port,
                threads=THREADS,
                ident="FaceForge",
                max_request_body_size=max_body,
                recv_bytes=RECEIVE_BYTES,
                inbuf_overflow=INBUF_OVERFLOW_BYTES,
                connection_limit=CONNECTION_LIMIT,
                outbuf_high_watermark=OUT_HIGH_WATERMARK_BYTES,
                outbuf_overflow=OUT_OVERFLOW_BYTES,
                clear_untrusted_proxy_headers=True,
            )
            self._waitress.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            self._waitress.channel_class = Connection
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServerError(f"port {port} on {host} is already in use") from None
            raise ServerError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        self._spool_dir = config.home.tmp_dir
        self._runners = app.services.runners
        self._jobs = app.services.jobs
        self._stopping = threading.Event()
        self.stopped = threading.Event()

    @property
    def host(self) -> str:
        return self._waitress.effective_host

    @property
    def port(self) -> int:
        return int(self._waitress.effective_port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def local_url(self) -> str:
        """The address a process on this machine reaches the server at (plugin runners)."""
        return client.http_url(client.connect_host(self.host), self.port)

    def serve(self) -> None:
        """Answer requests until `stop()`; then drain and close every connection and thread.

        Meanwhile the process's temp files go to FACEFORGE_HOME/tmp (emptied at every start),
        never to the system temp folder: Waitress spools a request body past
        `inbuf_overflow` (and a reply past `outbuf_overflow`) with `tempfile.TemporaryFile()`,
        which takes no folder, and `tempfile.tempdir` is the documented way to choose it.
        """
        previous_tempdir, tempfile.tempdir = tempfile.tempdir, str(self._spool_dir)
        self._runners.serve_at(self.local_url)
        try:
            while not self._stopping.is_set():
                self._poll()
            self._drain()
        finally:
            self._close()
            tempfile.tempdir = previous_tempdir
            self.stopped.set()

    def _poll(self) -> None:
        wasyncore.loop(timeout=POLL_SECONDS, map=self._waitress._map, count=1)

    def _drain(self) -> None:
        """Close the listening socket, then keep serving the open connections until each has
        sent the replies to what it received, for at most DRAIN_SECONDS. The worker threads
        pull the trigger when they finish a request, which ends the poll at once."""
        wasyncore.dispatcher.close(self._waitress)
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._close_answered_connections() and time.monotonic() < deadline:
            self._poll()

    def _close_answered_connections(self) -> bool:
        """Close the connections with no request under way and nothing left to send (a request
        only partly received is dropped); whether any connection is still open."""
        connections = self._waitress.active_channels
        for connection in list(connections.values()):
            if not connection.requests and not connection.total_outbufs_len:
                connection.handle_close()
        return bool(connections)

    def _close(self) -> None:
        # The trigger last, once the worker threads are done: a request still being answered
        # pulls it when it ends, and a closed trigger made that a logged EBADF traceback.
        # Waitress's own `server.close()` closes the trigger first, so the listening socket is
        # closed with the plain dispatcher's close().
        server = self._waitress
        wasyncore.dispatcher.close(server)
        wasyncore.close_all({fd: c for fd, c in server._map.items() if c is not server.trigger})
        server.task_dispatcher.shutdown()
        server.trigger.close()

    def stop(self) -> None:
        """Safe from a signal handler or another thread, and to call more than once."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._jobs.end_waits()
        # The wake-up is only a shortcut: the loop also sees the flag within POLL_SECONDS,
        # and may have closed the trigger already; stopping must not fail because of that.
        with contextlib.suppress(OSError):
            self._waitress.pull_trigger()
