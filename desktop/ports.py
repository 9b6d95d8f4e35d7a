"""Free-port picking for the wizard's "Pick a free one" and for starting Core.

A port counts as free when we can bind it the way Waitress will (SO_REUSEADDR on POSIX, so a
port still in TIME_WAIT after a restart is free; Windows gives that option another meaning).
The answer can be stale a moment later; Core's own start-up error covers that race.
"""

import os
import socket

DEFAULT_CORE_PORT = 8787
# How many ports after the preferred one are tried before asking the system for any port.
NEARBY_PORTS = 100


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def pick_free_port(preferred: int = DEFAULT_CORE_PORT, host: str = "127.0.0.1") -> int:
    """`preferred` or the first free port after it (memorable, like 8788); failing that, any
    port the system hands out."""
    for port in range(preferred, min(preferred + NEARBY_PORTS, 65536)):
        if port > 0 and port_is_free(port, host):
            return port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
