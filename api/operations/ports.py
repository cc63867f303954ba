"""Free loopback ports for the processes an evaluation, a benchmark or a test starts.

A port asked from the kernel (binding port 0) comes from the range it also hands to outgoing
connections. Between closing that probe and the server binding the port, an outgoing connection
(HAProxy's health checks, an HTTP client) can take it, and the server fails with "address already
in use". Ports below that range are never given to outgoing connections, so they are taken from
there, and never twice by one process.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL_RANGE = (32768, 60999)  # the kernel's default, where the file cannot be read
LOWEST = 10000  # below: ports of well-known and registered services
ATTEMPTS = 200

_handed_out: set[int] = set()


def ephemeral_range(path: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The ports the kernel gives to outgoing connections (and to a bind to port 0)."""
    try:
        low, high = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL_RANGE
    return low, high


def _can_bind(port: int, host: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _kernel_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def free_port(host: str = "127.0.0.1", *, ephemeral: tuple[int, int] | None = None) -> int:
    """A port nothing listens on now, outside the kernel's range for outgoing connections, not
    handed out before by this process. Where that range leaves no room below it, the kernel's choice."""
    low, _ = ephemeral or ephemeral_range()
    if low - LOWEST >= ATTEMPTS:
        for _ in range(ATTEMPTS):
            port = random.randrange(LOWEST, low)
            if port not in _handed_out and _can_bind(port, host):
                _handed_out.add(port)
                return port
    port = _kernel_port(host)
    _handed_out.add(port)
    return port
