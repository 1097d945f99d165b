"""A total deadline for one HTTP exchange, on top of requests' connect and read timeouts.

requests' read timeout bounds each wait for a byte, not the exchange: a server that sends one byte
every few seconds (a "byte drip", in its headers or its body) holds a request forever. Neither
requests nor urllib3 offers a total deadline, so the connections our sessions open register with
the exchange running in their thread; when its deadline passes, a timer shuts their sockets down,
which ends the blocked read at once (the caller then sees a transport error and
:func:`within_deadline` says why).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

_local = threading.local()


class Deadline:
    """The running exchange's deadline: the connections it used and whether it has passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []
        self.expired = False

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            if self.expired:  # the deadline passed while connecting: do not start the next read
                _cut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                _cut(connection)


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        # The plain socket's shutdown, not SSLSocket's (which would tear down its TLS state under a
        # reader in another thread): the blocked recv returns end-of-file and the read fails.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _attach(connection: HTTPConnection) -> None:
    deadline: Deadline | None = getattr(_local, "deadline", None)
    if deadline is not None:
        deadline.attach(connection)


@contextmanager
def within_deadline(seconds: float) -> Iterator[Deadline]:
    """Run the block's requests (made in this thread, through a :class:`DeadlineAdapter`) under one
    total deadline of ``seconds``; ``Deadline.expired`` tells whether it cut them off."""
    deadline = Deadline()
    timer = threading.Timer(seconds, deadline.expire)
    timer.daemon = True
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    timer.start()
    try:
        yield deadline
    finally:
        timer.cancel()
        _local.deadline = previous


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)  # a kept-alive connection is not connected again
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _attach(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _watch(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections obey :func:`within_deadline` (proxied ones included)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # SOCKS managers have pool classes of their own; those keep only the per-read timeouts.
        return manager if proxy.lower().startswith("socks") else _watch(manager)
