"""Paging through a listing: the :class:`Page` every paginator yields, and the offset and cursor styles.

Each page carries ``cursor``: the position to persist, in the same transaction as the page's records,
and to pass back as ``pages(cursor=...)`` so a crashed run resumes after the last landed page and the
next run fetches only the increment. Cursors are opaque strings; only their paginator reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.errors import ResponseFormatError
from connectors.http.auth import Auth
from connectors.http.classify import HttpResponse
from connectors.http.client import HttpClient
from connectors.redact import safe_url

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of records; persist ``cursor`` once the items are landed."""

    items: list[JsonObject]
    cursor: str | None
    number: int
    """1-based position of this page within the current run."""
    last: bool


class Paginator(Protocol):
    def pages(self, cursor: str | None = None) -> Iterator[Page]:
        """Pages from ``cursor`` (None: from the beginning) to the end of the listing."""
        ...


def field_at(body: Any, path: str) -> Any:
    """The value at dotted ``path`` in a JSON object (``"page.total_pages"``), or None."""
    value = body
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def items_of(response: HttpResponse, key: str) -> list[JsonObject]:
    """The list of objects under ``key``; :class:`ResponseFormatError` if the answer is not shaped so."""
    items = field_at(response.json, key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: expected a list of objects under {key!r}", method="GET", url=url, status=200
        )
    return items


class OffsetPaginator:
    """``?offset=&limit=`` over ``{"data": [...], "total": N}`` (SIASN's bulk registry listing).

    The cursor is the offset of the next row, so an interrupted bulk load resumes where it stopped.
    """

    def __init__(
        self,
        client: HttpClient,
        url: str,
        *,
        auth: Auth | None = None,
        page_size: int = 1000,
        offset_param: str = "offset",
        limit_param: str = "limit",
        items_key: str = "data",
        total_key: str = "total",
        params: Mapping[str, str] | None = None,
    ) -> None:
        self._client, self._url, self._auth, self._size = client, url, auth, page_size
        self._names = (offset_param, limit_param, items_key, total_key)
        self._params = dict(params or {})

    def pages(self, cursor: str | None = None) -> Iterator[Page]:
        """Raises ``ValueError`` for a cursor this paginator did not make, else the client's errors."""
        offset_param, limit_param, items_key, total_key = self._names
        offset = int(cursor) if cursor else 0
        number = 0
        while True:
            params: dict[str, str | int] = {**self._params, offset_param: offset, limit_param: self._size}
            response = self._client.request("GET", self._url, params=params, auth=self._auth)
            items = items_of(response, items_key)
            total = field_at(response.json, total_key)
            offset += len(items)
            number += 1
            # A server may cap the limit below ours, so a short page alone does not mean the end.
            last = not items or (offset >= total if isinstance(total, int) else len(items) < self._size)
            yield Page(items, str(offset), number, last)
            if last:
                return


class CursorPaginator:
    """Opaque cursors (BKN Wasdal): ``?cursor=&limit=`` over ``{"items", "next_cursor", "sync_cursor"}``.

    ``next_cursor`` fetches the next page and is null on the last. The persisted cursor is the
    server's resume token (``resume_key``) when it sends one, else the last ``next_cursor``, else the
    cursor the last page was requested with (re-reading one page is harmless: unchanged records are
    skipped by their hash).
    """

    def __init__(
        self,
        client: HttpClient,
        url: str,
        *,
        auth: Auth | None = None,
        page_size: int = 200,
        cursor_param: str = "cursor",
        limit_param: str = "limit",
        items_key: str = "items",
        next_key: str = "next_cursor",
        resume_key: str | None = "sync_cursor",
    ) -> None:
        self._client, self._url, self._auth, self._size = client, url, auth, page_size
        self._cursor_param, self._limit_param = cursor_param, limit_param
        self._items_key, self._next_key, self._resume_key = items_key, next_key, resume_key

    def pages(self, cursor: str | None = None) -> Iterator[Page]:
        """Raises the client's errors; :class:`ResponseFormatError` if the server repeats a cursor."""
        requested = cursor
        number = 0
        while True:
            params: dict[str, str | int] = {self._limit_param: self._size}
            if requested:
                params[self._cursor_param] = requested
            response = self._client.request("GET", self._url, params=params, auth=self._auth)
            items = items_of(response, self._items_key)
            following = _text(field_at(response.json, self._next_key))
            resume = _text(field_at(response.json, self._resume_key)) if self._resume_key else None
            number += 1
            yield Page(items, resume or following or requested, number, following is None)
            if following is None:
                return
            if following == requested:
                url = safe_url(self._url)
                raise ResponseFormatError(
                    f"GET {url}: {self._next_key} did not advance", method="GET", url=url, status=200
                )
            requested = following


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
