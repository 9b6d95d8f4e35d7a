"""The supervisor on a thread of its own, so that the launcher's window never waits."""

import queue
import threading

from .processes import STOP_TIMEOUT, CoreSupervisor, SupervisorError


class Controller:
    """Runs one supervisor on one background thread: the window queues commands and reads
    `status`; every `interval` seconds without a command the supervisor checks on Core."""

    def __init__(self, supervisor: CoreSupervisor, interval: float = 1.0):
        self.supervisor = supervisor
        self.interval = interval
        self.status = supervisor.status
        self.errors: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self.run, name="core-supervisor", daemon=True)
        self._thread.start()

    def submit(self, method_name: str, *args) -> None:
        """Queue `supervisor.<method_name>(*args)`; a SupervisorError lands in `errors`."""
        self._commands.put((method_name, args))

    def run(self) -> None:
        while True:
            try:
                method_name, args = self._commands.get(timeout=self.interval)
            except queue.Empty:
                method_name, args = "check", ()
            if method_name == "close":
                return
            try:
                self.status = getattr(self.supervisor, method_name)(*args)
            except SupervisorError as error:
                self.errors.put(str(error))
            except OSError as error:  # the data folder became unwritable, a disk is full...
                self.errors.put(str(error))
            if method_name != "check":
                self.status = self.supervisor.check()

    def close(self, keep_running: bool, timeout: float = STOP_TIMEOUT + 5) -> None:
        """Finish the queued commands, then stop Core or leave it running, and end the thread."""
        self.submit("detach" if keep_running else "stop")
        self._commands.put(("close", ()))
        self._thread.join(timeout)
