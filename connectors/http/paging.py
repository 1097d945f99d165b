"""Paging through a listing: the :class:`Page` every paginator yields, and the offset and cursor styles.

Each page carries ``cursor``: the position to persist, in the same transaction as the page's records,
and to pass back as ``pages(cursor=...)`` so a crashed run resumes after the last landed page and the
next run fetches only the increment. Cursors are opaque strings; only their paginator reads them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.errors import ResponseFormatError
from connectors.http import jsonbody
from connectors.http.auth import Auth
from connectors.http.classify import HttpResponse
from connectors.http.client import HttpClient
from connectors.redact import safe_url

JsonObject = dict[str, Any]
log = logging.getLogger(__name__)
_SHOWN = 80
"""Characters of a server's cursor or link quoted in an error."""


class PagingLoopError(ResponseFormatError):
    """The listing went round in a circle: a page, cursor or next link came back a second time in one
    run. Following it would fetch the same pages forever; the pages before it are kept."""


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
    """The list of objects under ``key``; :class:`ResponseFormatError` if the answer holds no list
    there, or if its envelope (anything but the records) repeats a name in one object. An element of
    the list that is not an object is replaced by an unreadable marker naming what it was and its
    place on the page (its record is quarantined when validated; the records beside it land).

    A record repeating a name keeps the marker standing for that name's values, told its place on the
    page, and is quarantined when validated; the records beside it land.
    """
    if response.repeated_names:
        _judge_repeated_names(response, key)
    items = field_at(response.json, key)
    if not isinstance(items, list):
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: expected a list of objects under {key!r}", method="GET", url=url, status=200
        )
    if all(isinstance(item, dict) for item in items):
        return items
    # One element that is not a record (a string, null) must not cost the records beside it: it is
    # kept as a marker naming what it was and its place, and quarantined when validated.
    return [
        item
        if isinstance(item, dict)
        else jsonbody.unreadable(
            f"{_JSON_KINDS.get(type(item), 'a value')} where a record (an object) belongs "
            f"(record {position} of the page)"
        )
        for position, item in enumerate(items, 1)
    ]


_JSON_KINDS: dict[type, str] = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    list: "a list",
    type(None): "null",
}


def _judge_repeated_names(response: HttpResponse, key: str) -> None:
    """Refuse a page whose envelope repeats a name: two record lists or two cursors leave nothing to say
    which the agency meant. A record's marker is told the record's place on the page."""
    records = tuple(key.split("."))
    depth = len(records)
    for path, marker in jsonbody.repeated_names(response.json):
        position = path[depth] if len(path) > depth and path[:depth] == records else None
        if isinstance(position, int):
            place = f" (record {position + 1} of the page)"
            if not marker[jsonbody.UNREADABLE_KEY].endswith(place):
                marker[jsonbody.UNREADABLE_KEY] += place
            continue
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: at {_dotted(path)} of the page's envelope, {marker[jsonbody.UNREADABLE_KEY]}, "
            "so which the agency meant is unknown; the page is refused and the pages before it kept",
            method="GET",
            url=url,
            status=response.status,
        )


def _dotted(path: tuple[str | int, ...]) -> str:
    """``("page", "total_pages")`` as ``page.total_pages``, ``("meta", 0, "x")`` as ``meta[0].x``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text[:_SHOWN]


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
        asked: set[str | None] = {requested}
        number = 0
        while True:
            params: dict[str, str | int] = {self._limit_param: self._size}
            if requested:
                params[self._cursor_param] = requested
            response = self._client.request("GET", self._url, params=params, auth=self._auth)
            items = items_of(response, self._items_key)
            following = _cursor(response, self._next_key)
            resume = _cursor(response, self._resume_key) if self._resume_key else None
            number += 1
            unstorable = _unstorable_cursor(
                (self._next_key, following), (self._resume_key or self._next_key, resume)
            )
            if unstorable is not None:
                # The page's records are good: land them with the cursor this page was asked with
                # (the next run reads it again), then stop instead of storing or following the cursor.
                yield Page(items, requested, number, False)
                url = safe_url(self._url)
                raise ResponseFormatError(
                    f"GET {url}: page {number}'s {unstorable} holds a control character (NUL, line break, "
                    f"...), which no cursor may; stopped after page {number}, its records kept",
                    method="GET",
                    url=url,
                    status=response.status,
                )
            yield Page(items, resume or following or requested, number, following is None)
            if following is None:
                return
            if following in asked:
                url = safe_url(self._url)
                raise PagingLoopError(
                    f"GET {url}: page {number}'s {self._next_key} {following[:_SHOWN]!r} was already "
                    f"followed in this run (the cursors go round in a circle); stopped after page {number}",
                    method="GET",
                    url=url,
                    status=200,
                )
            asked.add(following)
            requested = following


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _unstorable_cursor(*cursors: tuple[str, str | None]) -> str | None:
    """The key of the first cursor holding a control character (a NUL no text column stores, a line
    break that would forge a log line), or None."""
    for key, value in cursors:
        if value is not None and _CONTROL.search(value):
            return key
    return None


def _cursor(response: HttpResponse, key: str) -> str | None:
    """The cursor under ``key`` as text: a string, or an integer (a server counting its pages gives
    ``12345``, and reading that as "no next page" would silently end the listing). Null, an empty
    string or an absent key end it; any other JSON type is a contract breach, not an end."""
    value = field_at(response.json, key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    url = safe_url(response.url)
    raise ResponseFormatError(
        f"GET {url}: {key} is {_json_type(value)}, not a string or an integer cursor",
        method="GET",
        url=url,
        status=200,
    )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, float):
        return f"a decimal number ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def page_digest(items: list[JsonObject]) -> str | None:
    """A hash of a page's records, to recognise the same page served again; None if they cannot be
    serialised (they are then judged when landed, not here)."""
    try:
        text = json.dumps(items, sort_keys=True, ensure_ascii=True, default=str, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        return None
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class PageGuard:
    """Bounds one run of a listing, whatever its paginator: at most ``max_pages`` pages (then the
    run stops early, ``ceiling_reached`` says so, and the kept cursor resumes the rest next run), and
    a non-empty page whose records equal an earlier page's of the same run raises
    :class:`PagingLoopError` (a server ignoring its page parameter serves page 1 forever).

    ``digest`` tells pages apart (default ``page_digest``): any function of a page's records that is
    equal for two pages exactly when ``page_digest`` is (a caller may have a faster one).
    """

    def __init__(
        self,
        *,
        max_pages: int,
        where: str,
        digest: Callable[[list[JsonObject]], str | None] = page_digest,
    ) -> None:
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.max_pages = max_pages
        self.where = where
        self.ceiling_reached = False
        self._digest = digest

    def pages(self, pages: Iterable[Page]) -> Iterator[Page]:
        seen: dict[str, int] = {}
        for count, page in enumerate(pages, start=1):
            digest = self._digest(page.items) if page.items else None
            if digest is not None:
                first = seen.setdefault(digest, page.number)
                if first != page.number:
                    raise PagingLoopError(
                        f"{self.where}: page {page.number} has the same records as page {first} "
                        f"(the server repeats its pages); stopped after page {page.number - 1}",
                        method="GET",
                        url=self.where,
                        status=200,
                    )
            yield page
            if page.last:
                return
            if count >= self.max_pages:
                self.ceiling_reached = True
                log.warning(
                    "%s: stopped at the ceiling of %d pages per run; the next run continues from here",
                    self.where,
                    self.max_pages,
                )
                return
