"""SIASN over HTTP: both tokens on every call, lookups, the bulk listing, idempotent block flags.

Contract (DESIGN.md "Pushing to SIASN"): base path ``/apisiasn/1.0``; ``GET /pns/data-utama/{nip}``;
``GET /pns/list?offset=&limit=`` (with ``&updatedSince=``: the changed-since listing);
``POST /pemblokiran/blokir|buka`` with ``Idempotency-Key``;
``GET /pemblokiran/{nip}``. Transient failures (5xx, 429 incl. WSO2 code 900803, dropped connections,
"applied, then the connection dropped") are retried by the HTTP client with the very same request, so
the same key: SIASN replays its stored answer instead of applying twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.errors import HttpStatusError, ResponseFormatError, ThrottledError, TransientHttpError
from connectors.http.auth import SiasnCredentials, SiasnTokenAuth
from connectors.http.classify import HttpResponse, single_answer
from connectors.http.client import HttpClient
from connectors.http.paging import OffsetPaginator, Page, items_of
from connectors.redact import mask_nip, safe_url
from connectors.retry import RetryStats
from connectors.siasn.api import (
    BLOCKED,
    Action,
    BlockStatus,
    ForbiddenPushError,
    PermanentPushError,
    PushResult,
    TransientPushError,
    describe,
)

log = logging.getLogger(__name__)

_NIP = re.compile(r"\d{18}")
_MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class SiasnConfig:
    """Where SIASN answers and as whom (``sbt.yaml``'s ``siasn`` section plus secrets)."""

    base_url: str
    """E.g. ``https://host/apisiasn/1.0`` (no trailing slash needed)."""
    credentials: SiasnCredentials
    registry_page_size: int = 5000


class SiasnClient:
    """:class:`~connectors.siasn.api.SiasnApi` against SIASN's (or the sandbox's) HTTP API."""

    def __init__(
        self,
        config: SiasnConfig,
        *,
        http: HttpClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._http = http or HttpClient()
        self._auth = SiasnTokenAuth(config.credentials, clock=clock)

    @property
    def stats(self) -> RetryStats:
        """Retries and token refreshes so far (for the pusher's run report)."""
        return self._http.stats

    def close(self) -> None:
        self._http.close()

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        """SIASN's record of ``nip`` or None (404 "Data tidak ditemukan").

        Raises ``ValueError`` for a NIP that is not 18 digits, the HTTP client's errors otherwise (a
        404 without SIASN's not-found envelope is an :class:`HttpStatusError`: a wrong base URL must
        not make every ASN look unknown).
        """
        response = self._get(f"/pns/data-utama/{_checked(nip)}")
        return None if response is None else _data_object(response)

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        """The bulk listing by offset; each page's ``cursor`` is the next offset."""
        paginator = OffsetPaginator(
            self._http, f"{self._base}/pns/list", auth=self._auth, page_size=self._config.registry_page_size
        )
        return paginator.pages(cursor)

    def registry_changes(self, since: datetime, cursor: str | None = None) -> Iterator[Page]:
        """The rows SIASN changed at or after ``since`` (``updatedSince``), oldest change first, or
        from ``cursor`` (a page's, to resume). Each page's cursor is the ``updatedAt`` of its last
        row and how many rows of that very instant were read, so the next request starts there: rows
        changing while we page move to the end of the listing instead of shifting the offsets.

        Except the rows of that very instant already read: one of them changing again leaves the
        tie group, and the same offset would then step over a row of it never read (lost until the
        next full pass). So the next request asks from one row earlier and checks that the row there
        is the last one read (the cursor's ``anchor``, a digest of its row id); when it is not, the tie
        group changed under us and is read again from its start (rows read twice are unchanged in
        the mirror and cost a hash)."""
        position = _ChangesPosition.parse(cursor) if cursor else _ChangesPosition(_utc(since), 0)
        url = f"{self._base}/pns/list"
        size = self._config.registry_page_size
        number = 0
        while True:
            # A page of one row would hold only the anchor: such a listing goes by offset alone.
            anchored = position.anchor is not None and position.skip > 0 and size > 1
            offset = position.skip - 1 if anchored else position.skip
            params: dict[str, str | int] = {
                "updatedSince": position.since.isoformat(),
                "offset": offset,
                "limit": size,
            }
            response = self._http.request("GET", url, params=params, auth=self._auth)
            listed = items_of(response, "data")
            items = listed
            if anchored:
                if not listed or _anchor(listed[0]) != position.anchor:
                    log.info("siasn changed-since: rows of %s changed while paging; reread", position.since)
                    position = _ChangesPosition(position.since, 0)
                    continue
                items = listed[1:]
            total = response.json.get("total") if isinstance(response.json, dict) else None
            # ``total`` counts the rows from ``updatedSince`` on; a server may cap our limit.
            last = not items or (
                offset + len(listed) >= total if isinstance(total, int) else len(listed) < size
            )
            position = position.after(items)
            number += 1
            yield Page(items, position.dump(), number, last)
            if last:
                return

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        """Block ``nip`` with ``body`` (``alasan``, ``nomorReferensi``, ``referensiKasus``).

        Raises :class:`TransientPushError` once retries ran out (retry later with the same key),
        :class:`PermanentPushError` when SIASN refused, :class:`~connectors.errors.AuthenticationError`
        when SIASN refuses our credentials even after fresh tokens (a token endpoint said no, or the
        write answered 401: stop pushing; nothing to park), :class:`ForbiddenPushError` when the write
        itself answered 403 (our credentials, or only this NIP: the caller tells), ``ValueError`` for a
        malformed NIP or key, or a body naming another NIP.
        """
        return self._write("blokir", nip, body, idempotency_key)

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        """Unblock ``nip``; same body, result and errors as :meth:`blokir`."""
        return self._write("buka", nip, body, idempotency_key)

    def status(self, nip: str) -> BlockStatus | None:
        """SIASN's block state of ``nip``, or None if SIASN does not know it; errors as
        :meth:`data_utama`."""
        response = self._get(f"/pemblokiran/{_checked(nip)}")
        if response is None:
            return None
        data = _data_object(response)
        status = data.get("status") or ""
        if not isinstance(status, str):
            url = safe_url(response.url)
            raise ResponseFormatError(
                f"GET {url}: the block state's status is not text ({type(status).__name__}): "
                "nothing says whether the ASN is blocked",
                method="GET",
                url=url,
                status=response.status,
            )
        return BlockStatus(
            nip=str(data.get("nip") or nip),
            blocked=status == BLOCKED,
            status=status,
            reference=_optional(data.get("referensi")),
            reason=_optional(data.get("alasan")),
            case_reference=_optional(data.get("nomorReferensi")),
            date=_optional(data.get("tanggal")),
        )

    def _get(self, path: str) -> HttpResponse | None:
        response = self._http.request("GET", self._base + path, auth=self._auth, accept=(404,))
        if response.status != 404:
            single_answer(response, "GET")
            return response
        if _is_not_found(response.json):
            return None
        url = safe_url(response.url)
        raise HttpStatusError(
            f"GET {url}: HTTP 404 without SIASN's not-found answer (wrong base URL?)",
            method="GET",
            url=url,
            status=404,
            body=response.json,
        )

    def _write(self, action: Action, nip: str, body: Mapping[str, Any], key: str) -> PushResult:
        _checked(nip)
        if not key.strip() or len(key) > _MAX_KEY_LENGTH:
            raise ValueError(f"Idempotency-Key must be 1-{_MAX_KEY_LENGTH} characters")
        if body.get("nip", nip) != nip:
            raise ValueError(f"body names another NIP than {mask_nip(nip)}")
        label = describe(nip, action, key)
        ids: dict[str, Any] = {"nip": nip, "action": action, "idempotency_key": key}
        url = f"{self._base}/pemblokiran/{action}"
        try:
            response = self._http.request(
                "POST",
                url,
                json={**body, "nip": nip},
                headers={"Idempotency-Key": key},
                auth=self._auth,
            )
        except TransientHttpError as exc:
            throttled = " (throttled)" if isinstance(exc, ThrottledError) else ""
            raise TransientPushError(
                f"{label}{throttled}: {exc}", retry_after=exc.retry_after, **ids
            ) from exc
        except HttpStatusError as exc:
            if exc.status == 403 and exc.url == safe_url(url):  # the write's own answer, not a token's
                message = _siasn_message(exc.body)
                raise ForbiddenPushError(
                    f"{label}: forbidden (HTTP 403): {message}", status=403, siasn_message=message, **ids
                ) from exc
            if exc.status in (401, 403):
                raise
            message = _siasn_message(exc.body)
            raise PermanentPushError(
                f"{label}: refused: {message}", status=exc.status, siasn_message=message, **ids
            ) from exc
        try:
            single_answer(response, "POST")
        except ResponseFormatError as exc:
            message = str(exc)
            raise PermanentPushError(
                f"{label}: not acknowledged: {message}",
                status=response.status,
                siasn_message=message,
                maybe_applied=True,  # which value SIASN meant is unknown, "success" included
                **ids,
            ) from exc
        result = _push_result(action, nip, response)
        if result is None:
            message = _siasn_message(response.json)
            body = response.json
            refused = isinstance(body, dict) and body.get("success") is False
            raise PermanentPushError(
                f"{label}: not acknowledged: {message}",
                status=response.status,
                siasn_message=message,
                maybe_applied=not refused,
                **ids,
            )
        log.info(
            "%s acknowledged: reference %s, changed %s, replayed %s",
            label,
            result.reference,
            result.changed,
            result.replayed,
        )
        return result


@dataclass(frozen=True, slots=True)
class _ChangesPosition:
    """Where the changed-since listing goes on: ``updatedSince``, the rows of that instant read and
    the last of them (``anchor``: :func:`_anchor`; None when it had no readable instant, or in a
    cursor written before anchors, which resumes by offset alone)."""

    since: datetime
    skip: int
    anchor: str | None = None

    @classmethod
    def parse(cls, cursor: str) -> _ChangesPosition:
        """Raises ``ValueError`` for a cursor :meth:`dump` did not make."""
        try:
            value = json.loads(cursor)
            anchor = value.get("anchor")
            return cls(
                _utc(datetime.fromisoformat(value["since"])),
                int(value["skip"]),
                None if anchor is None else str(anchor),
            )
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a changed-since cursor: {cursor[:80]!r}") from exc

    def dump(self) -> str:
        return json.dumps({"since": self.since.isoformat(), "skip": self.skip, "anchor": self.anchor})

    def after(self, items: list[dict[str, Any]]) -> _ChangesPosition:
        """The position after ``items`` (in the listing's order) were read from this one."""
        if not items:
            return self
        since, skip = self.since, self.skip
        for item in items:
            try:
                instant = _utc(datetime.fromisoformat(str(item.get("updatedAt"))))
            except ValueError:
                skip += 1  # a row without a readable instant: counted where it was listed
                continue
            if instant == since:
                skip += 1
            elif instant > since:
                since, skip = instant, 1
            else:
                skip += 1
        return _ChangesPosition(since, skip, _anchored(items[-1], since))


def _anchor(item: Mapping[str, Any]) -> str:
    """Which row an item is, for the changed-since cursor: a digest of SIASN's own row id. Not of its
    NIP: an unsalted digest of a NIP names the person (the NIP space is small enough to search). A
    cursor written with a NIP's digest no longer matches once, and that tie group is read again."""
    return hashlib.sha256(str(item.get("id") or "").encode()).hexdigest()[:16]


def _anchored(item: Mapping[str, Any], since: datetime) -> str | None:
    """The anchor of the last row read when it was listed at ``since`` (else None: offset alone)."""
    try:
        instant = _utc(datetime.fromisoformat(str(item.get("updatedAt"))))
    except ValueError:
        return None
    return _anchor(item) if instant == since else None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a changed-since instant needs a timezone")
    return value.astimezone(UTC)


def _checked(nip: str) -> str:
    if not _NIP.fullmatch(nip):
        raise ValueError(f"NIP must be 18 digits, got {mask_nip(nip)!r}")
    return nip


def _is_not_found(body: Any) -> bool:
    return (
        isinstance(body, dict) and "tidak ditemukan" in str(body.get("data") or body.get("message")).lower()
    )


def _data_object(response: HttpResponse) -> dict[str, Any]:
    data = response.json.get("data") if isinstance(response.json, dict) else None
    if not isinstance(data, dict):
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: expected an object under 'data'", method="GET", url=url, status=200
        )
    return data


def _push_result(action: Action, nip: str, response: HttpResponse) -> PushResult | None:
    """The acknowledgement in a write's answer, or None if SIASN did not acknowledge it."""
    body = response.json
    if not isinstance(body, dict) or body.get("success") is not True:
        return None
    map_data = body.get("mapData")
    reference = map_data.get("referensi") if isinstance(map_data, dict) else None
    if not isinstance(map_data, dict) or not isinstance(reference, str) or not reference:
        return None
    changed = map_data.get("berubah")
    return PushResult(
        nip=nip,
        action=action,
        reference=reference,
        status=_optional(map_data.get("status")),
        changed=changed if isinstance(changed, bool) else None,
        replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true",
        message=str(body.get("message") or ""),
    )


def _siasn_message(body: Any) -> str:
    """SIASN's explanation in any of its envelopes (write, ``{"code", "data"}``, WSO2)."""
    if isinstance(body, dict):
        for key in ("message", "data", "description", "error_description"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])
    return "no message" if body is None else str(body)[:300]


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)
