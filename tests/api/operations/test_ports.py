"""Free ports for the processes Loket starts: bindable, outside the range of outgoing connections,
never the same twice."""

from __future__ import annotations

import socket
from pathlib import Path

from api.operations.ports import LINUX_EPHEMERAL_RANGE, LOWEST, ephemeral_range, free_port


def test_the_range_is_read_from_the_kernel_or_is_linuxs_default(tmp_path: Path) -> None:
    (tmp_path / "range").write_text("40000\t50000\n")
    assert ephemeral_range(tmp_path / "range") == (40000, 50000)
    (tmp_path / "garbled").write_text("forty thousand\n")
    assert ephemeral_range(tmp_path / "garbled") == LINUX_EPHEMERAL_RANGE
    assert ephemeral_range(tmp_path / "absent") == LINUX_EPHEMERAL_RANGE


def test_ports_lie_below_the_range_of_outgoing_connections_and_can_be_listened_on() -> None:
    low, _ = ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(LOWEST <= port < low for port in ports)
    for port in ports[:5]:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()


def test_a_port_something_listens_on_is_never_given(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import api.operations.ports as ports

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = int(busy.getsockname()[1])
        # The first two random picks land on the busy port, the later ones anywhere.
        real_randrange = ports.random.randrange
        picks = iter([taken, taken])
        monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(picks, None) or real_randrange(low, high))
        port = free_port(ephemeral=(65535, 65535))
        assert port != taken and next(picks, None) is None  # both busy picks were tried


def test_without_room_below_the_range_the_kernel_chooses() -> None:
    port = free_port(ephemeral=(LOWEST + 10, 65535))
    assert not LOWEST <= port < LOWEST + 10  # no random pick from the ten ports below the range
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
