"""Shared machinery of the HTTP simulators: routing, fault injection and the threaded server.

Each simulator is a :class:`Simulator` (routes plus its error envelopes) served by its own
:class:`SimulatorServer`, a ``ThreadingHTTPServer`` on a loopback port. The standard library server is
used on purpose: faults such as "applied, then the connection dropped" need the raw socket.

Faults (latency, 5xx, 429) apply to every route of a simulator, token endpoints included, before the
route runs; truncation applies to any 200 answer with a JSON body.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.messages import BadRequest, HttpError, Request, Response

log = logging.getLogger(__name__)

_NIP = re.compile(r"(?<!\d)\d{14}(\d{4})(?!\d)")
_SERVER_ERRORS = (500, 502, 503)


def mask_nips(text: str) -> str:
    """``text`` with every 18-digit NIP reduced to its last 4 digits (PDP: logs never carry NIPs)."""
    return _NIP.sub(lambda m: "*" * 14 + m.group(1), text)


Handler = Callable[[Request], Response]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Simulator:
    """One simulated system: its routes, its error envelopes and the fault endpoint it answers to."""

    endpoint: ClassVar[str | None] = None
    """The :class:`FaultSwitches` endpoint name; None means faults never apply (the control server)."""

    def __init__(self, *, clock: SandboxClock, faults: FaultSwitches) -> None:
        self.clock = clock
        self.faults = faults
        self.base_url = ""  # set by the runtime once the server is bound
        self._routes: list[Route] = []
        self._next_5xx = itertools.cycle(_SERVER_ERRORS)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` on paths fully matching ``pattern`` (named groups become ``params``)."""
        self._routes.append(Route(method, re.compile(pattern), handler))

    def error_response(self, status: int, message: str) -> Response:
        """The simulator's envelope for an error; subclasses override to match their system."""
        return Response(status, {"error": HTTPStatus(status).phrase, "message": message})

    def throttled_response(self, retry_after: int) -> Response:
        response = self.error_response(429, "too many requests")
        response.headers["Retry-After"] = str(retry_after)
        return response

    def dispatch(self, request: Request) -> Response:
        """Answer ``request``: injected faults first, then the matching route; never raises."""
        faults = self.faults.get(self.endpoint) if self.endpoint else None
        if faults is not None:
            if faults.latency_ms > 0:
                time.sleep(faults.latency_ms / 1000)
            if self.faults.roll(faults.error_5xx_rate):
                status = next(self._next_5xx)
                return self.error_response(status, "injected server error (sandbox fault)")
            if self.faults.roll(faults.throttle_rate):
                return self.throttled_response(faults.retry_after_seconds)
        response = self._route(request)
        if faults is not None and response.status == 200 and response.body is not None:
            response.truncate = self.faults.roll(faults.truncate_rate)
        return response

    def _route(self, request: Request) -> Response:
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            try:
                return route.handler(replace(request, params=match.groupdict()))
            except HttpError as exc:
                return exc.response
            except BadRequest as exc:
                return self.error_response(400, str(exc))
        if allowed:
            response = self.error_response(405, f"use {', '.join(sorted(set(allowed)))}")
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return response
        return self.error_response(404, "no such endpoint")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real gateways do; every answer sets Content-Length
    timeout = 30  # an idle keep-alive connection releases its thread after this
    # Headers and body go out in two writes; with Nagle's algorithm the body waits for the client's
    # delayed ACK (about 40 ms), so every keep-alive request would cost that much.
    disable_nagle_algorithm = True
    server: SimulatorServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else b""
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        request = Request(self.command, split.path, query, self.headers, body)
        simulator = self.server.simulator
        try:
            response = simulator.dispatch(request)
        except Exception:  # a simulator bug must not kill the connection thread silently
            log.exception("sandbox %s failed on %s", self.server.name, mask_nips(split.path))
            response = simulator.error_response(500, "internal sandbox error")
        if response.drop:
            self._drop()
            return
        if isinstance(response.body, bytes):  # a page (the SSO login form), sent as the route made it
            payload = response.body
        else:
            payload = b"" if response.body is None else json.dumps(response.body, ensure_ascii=False).encode()
        if response.truncate:
            payload = payload[: max(1, len(payload) // 2)]
        self.send_response(response.status)
        if response.body is not None and "Content-Type" not in response.headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close the socket without a byte of answer: the client sees the connection die."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.server.name, mask_nips(format % args))


class SimulatorServer(ThreadingHTTPServer):
    """Serves one :class:`Simulator` on its own port, optionally over TLS, from a daemon thread."""

    daemon_threads = True

    def __init__(
        self,
        simulator: Simulator,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.simulator = simulator
        self.name = name
        self.ssl_context = ssl_context
        self._thread: threading.Thread | None = None
        super().__init__((host, port), _RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """``scheme://host:port`` of this server, without a trailing slash."""
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.server_address[0]!s}:{self.port}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            # The handshake runs on first read, in the connection's own thread, so one slow or
            # broken client never stalls the accept loop.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (or failing the TLS handshake) are normal under fault injection.
        log.debug("sandbox %s: a connection ended with an error", self.name, exc_info=True)

    def start(self) -> None:
        """Serve in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name=f"sandbox-{self.name}", daemon=True
        )
        self._thread.start()
        log.info("sandbox %s listening on %s", self.name, self.url)

    def stop(self) -> None:
        """Stop accepting, close the listening socket and wait for the serving thread."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()
