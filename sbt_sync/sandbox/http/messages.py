"""Request and response values passed between the HTTP server and the simulators' routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs


@dataclass(slots=True)
class Response:
    """What a route answers; ``drop`` closes the connection without answering at all."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    truncate: bool = False


class HttpError(Exception):
    """Raised by a route to answer with ``response`` (an auth failure, a bad parameter...)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class BadRequest(Exception):
    """A malformed request; the simulator turns it into a 400 in its own error envelope."""


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed HTTP request. ``query`` keeps the last value of each parameter."""

    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    def json(self) -> Any:
        """The body parsed as JSON; raises :class:`BadRequest` if it is not."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise BadRequest("request body is not valid JSON") from exc

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (last value wins)."""
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in parsed.items()}

    def int_param(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        """Query parameter ``name`` as an int in [minimum, maximum]; raises :class:`BadRequest`."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise BadRequest(f"{name} must be an integer") from exc
        if not minimum <= value <= maximum:
            raise BadRequest(f"{name} must be between {minimum} and {maximum}")
        return value
