"""Loopback ports: finding free ones for servers the tests start, and waiting for them to answer."""

from __future__ import annotations

import socket


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now; all are held until every one is found, so they differ."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
