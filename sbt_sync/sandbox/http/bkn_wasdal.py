"""BKN Wasdal simulator: verifications and recommendations, OAuth2 client credentials, opaque cursors.

- ``POST /oauth/token`` with ``grant_type=client_credentials``; the client id and secret come in HTTP
  Basic auth or as ``client_id``/``client_secret`` form fields. Answer ``{"access_token",
  "token_type": "Bearer", "expires_in"}``.
- ``GET /api/v1/rekomendasi?cursor=<opaque>&limit=100`` with ``Authorization: Bearer <token>``.
  Answer ``{"items": [...], "next_cursor": str | null, "sync_cursor": str | null}``.

Records are listed in the order their versions became available. ``next_cursor`` fetches the next page
and is null on the last one. ``sync_cursor`` marks the position after this page: keep the last one and
call again with it later to receive only what changed since (it is null only when nothing at all has
been listed yet). Cursors are opaque to clients (URL-safe base64 of the position).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.auth import TokenIssuer, basic_credentials, bearer_token, same_secret
from sbt_sync.sandbox.http.base import Simulator
from sbt_sync.sandbox.http.messages import BadRequest, Request, Response
from sbt_sync.sandbox.http.records import VersionedRecords, parse_instant

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a secret
RECORDS_PATH = "/api/v1/rekomendasi"
TOKEN_LIFETIME_SECONDS = 3600
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def encode_cursor(position: tuple[datetime, str]) -> str:
    raw = json.dumps([position[0].isoformat(), position[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor stands for; raises :class:`BadRequest` for anything not made here."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        instant, key = json.loads(raw)
        return parse_instant(str(instant)), str(key)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadRequest("cursor is not one this server issued") from exc


class BknWasdalSimulator(Simulator):
    endpoint = "bkn_wasdal"

    def __init__(
        self,
        *,
        clock: SandboxClock,
        faults: FaultSwitches,
        records: VersionedRecords,
        client_id: str,
        client_secret: str,
    ) -> None:
        super().__init__(clock=clock, faults=faults)
        self.records = records
        self._client = (client_id, client_secret)
        self.tokens = TokenIssuer(kind="bkn_wasdal", lifetime_seconds=TOKEN_LIFETIME_SECONDS)
        self.route("POST", TOKEN_PATH, self._token)
        self.route("GET", RECORDS_PATH, self._records)

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, {"error": _ERROR_CODES.get(status, "error"), "error_description": message})

    def _ttl(self) -> int | None:
        return self.faults.get("bkn_wasdal").token_ttl_seconds

    def _token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Response(400, {"error": "unsupported_grant_type", "error_description": "not supported"})
        given = basic_credentials(request.header("Authorization")) or (
            form.get("client_id"),
            form.get("client_secret"),
        )
        if not (same_secret(given[0], self._client[0]) and same_secret(given[1], self._client[1])):
            return Response(401, {"error": "invalid_client", "error_description": "unknown client or secret"})
        token, lifetime = self.tokens.issue(self._ttl())
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})

    def _records(self, request: Request) -> Response:
        if not self.tokens.is_valid(bearer_token(request.header("Authorization")), self._ttl()):
            response = self.error_response(401, "access token missing, invalid or expired")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        limit = request.int_param("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        cursor = request.query.get("cursor") or None
        after = decode_cursor(cursor) if cursor else None
        pending = self.records.current(self.clock.now(), after=after)
        page = pending[:limit]
        last = page[-1].position if page else after
        return Response(
            200,
            {
                "items": [version.record for version in page],
                "next_cursor": encode_cursor(page[-1].position) if len(pending) > limit else None,
                "sync_cursor": encode_cursor(last) if last else None,
            },
        )


_ERROR_CODES = {400: "invalid_request", 401: "invalid_token", 404: "not_found", 429: "rate_limited"}
