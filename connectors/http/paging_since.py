"""Paging by ``updated_since`` with a pinned snapshot: page numbers (Bawaslu) and ``Link`` (I'DIS).

The first page's server time is the snapshot: later pages are asked for ``until`` it so records
published meanwhile do not shift the pages, and it becomes the next run's ``updated_since`` once the
last page is landed. Cursors: a bare ISO instant between runs (the next ``updated_since``), a small
JSON object while a run is between pages (so a crash resumes mid-listing in the same snapshot).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from connectors.errors import ResponseFormatError
from connectors.http.auth import Auth
from connectors.http.classify import HttpResponse
from connectors.http.client import HttpClient
from connectors.http.headers import parse_link_header
from connectors.http.paging import (
    CursorPaginator,
    OffsetPaginator,
    Page,
    PagingLoopError,
    field_at,
    items_of,
)
from connectors.redact import safe_url

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SinceState:
    """Where a listing stands: ``since`` an instant, within snapshot ``until``, at page or link ``at``."""

    since: str | None = None
    until: str | None = None
    at: int | str | None = None

    @classmethod
    def parse(cls, cursor: str | None) -> SinceState:
        """Read a cursor made by :meth:`dump`; raises ``ValueError`` for anything else."""
        if not cursor:
            return cls()
        if not cursor.startswith("{"):
            return cls(since=cursor)
        data = json.loads(cursor)
        if not isinstance(data, dict) or not isinstance(data.get("until"), str):
            raise ValueError("not a paging cursor")
        return cls(data.get("since"), data["until"], data.get("at"))

    def dump(self) -> str | None:
        if self.at is None:
            return self.until or self.since  # between runs: the next updated_since
        return json.dumps({"since": self.since, "until": self.until, "at": self.at}, separators=(",", ":"))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN = 40


def snapshot_of(response: HttpResponse, key: str) -> str:
    """The server's time on the first page; :class:`ResponseFormatError` if it did not send one, or
    sent one holding a control character or that is not an ISO-8601 instant.

    Our own clock is no substitute: the sandbox's (or an agency's) can be far from ours.
    """
    value = field_at(response.json, key)
    if not isinstance(value, str) or not value:
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: no {key!r} in the answer to pin the snapshot", method="GET", url=url, status=200
        )
    if _CONTROL.search(value):
        # It becomes the stored cursor and the next run's parameter: a NUL no text column stores
        # (the last page would fail to land on every run), a line break would forge log lines.
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: {key!r} holds a control character (NUL, line break, ...); it cannot pin the "
            "snapshot",
            method="GET",
            url=url,
            status=200,
        )
    try:
        datetime.fromisoformat(value)
    except ValueError:
        # It becomes the next run's updated_since: a server refusing it would keep the source stuck
        # there for good, even once its clock is fixed. Nothing is stored; the next run starts over.
        url = safe_url(response.url)
        shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
        raise ResponseFormatError(
            f"GET {url}: {key!r} is not an ISO-8601 instant ({shown!r}); it cannot pin the snapshot",
            method="GET",
            url=url,
            status=200,
        ) from None
    return value


class PageNumberPaginator:
    """``?page=&page_size=&updated_since=&until=`` (Bawaslu) over ``{"items", "page", "server_time"}``."""

    def __init__(
        self,
        client: HttpClient,
        url: str,
        *,
        auth: Auth | None = None,
        page_size: int = 200,
        page_param: str = "page",
        size_param: str = "page_size",
        since_param: str = "updated_since",
        until_param: str = "until",
        items_key: str = "items",
        total_pages_key: str | None = "page.total_pages",
        server_time_key: str = "server_time",
    ) -> None:
        self._client, self._url, self._auth, self._size = client, url, auth, page_size
        self._params = (page_param, size_param, since_param, until_param)
        self._keys = (items_key, total_pages_key, server_time_key)

    def pages(self, cursor: str | None = None) -> Iterator[Page]:
        """Pages up to ``total_pages`` when the server sends it, else up to the first empty page.

        Raises ``ValueError`` for a foreign cursor, :class:`ResponseFormatError` for a total that is
        present but not an integer, else the client's or format errors.
        """
        page_param, size_param, since_param, until_param = self._params
        items_key, total_pages_key, server_time_key = self._keys
        state = SinceState.parse(cursor)
        page = int(state.at) if state.at is not None else 1
        until, number = state.until, 0
        while True:
            params: dict[str, str | int] = {page_param: page, size_param: self._size}
            if state.since:
                params[since_param] = state.since
            if until:
                params[until_param] = until
            response = self._client.request("GET", self._url, params=params, auth=self._auth)
            items = items_of(response, items_key)
            until = until or snapshot_of(response, server_time_key)
            total = _total_pages(response, total_pages_key) if total_pages_key else None
            # Without a total, only an empty page ends the listing: a server may serve fewer records
            # a page than asked for, so a short page says nothing (PageGuard bounds the run).
            last = not items or (total is not None and page >= total)
            number += 1
            at = None if last else page + 1
            yield Page(items, SinceState(state.since, until, at).dump(), number, last)
            if last:
                return
            page += 1


def _total_pages(response: HttpResponse, key: str) -> int | None:
    """The page count the server sent under ``key``, None when it sent none; a value that is not an
    integer is a :class:`ResponseFormatError` naming the field (guessing would end the listing early)."""
    total = field_at(response.json, key)
    if total is None:
        return None
    if not isinstance(total, int) or isinstance(total, bool):
        url = safe_url(response.url)
        raise ResponseFormatError(
            f"GET {url}: {key!r} is {str(total)[:40]!r}, not an integer page count",
            method="GET",
            url=url,
            status=200,
        )
    return total


class LinkHeaderPaginator:
    """``?updatedSince=&limit=`` then ``Link: <...>; rel="next"`` (I'DIS) over ``{"data", "serverTime"}``.

    Next links are followed only to the first URL's own origin: our tokens must not go elsewhere. A
    page whose next link leaves that origin is not yielded (its error is raised instead), so no cursor
    ever holds a foreign URL and the run after the agency fixes its server starts where the last
    landed page left off.
    """

    def __init__(
        self,
        client: HttpClient,
        url: str,
        *,
        auth: Auth | None = None,
        page_size: int = 200,
        limit_param: str = "limit",
        since_param: str = "updatedSince",
        items_key: str = "data",
        server_time_key: str = "serverTime",
    ) -> None:
        self._client, self._url, self._auth, self._size = client, url, auth, page_size
        self._limit_param, self._since_param = limit_param, since_param
        self._items_key, self._server_time_key = items_key, server_time_key

    def pages(self, cursor: str | None = None) -> Iterator[Page]:
        """Raises ``ValueError`` for a foreign cursor, :class:`ResponseFormatError` for a foreign link."""
        state = SinceState.parse(cursor)
        if isinstance(state.at, str) and not self._same_origin(state.at):
            # Stored before foreign links were refused ahead of landing: list the snapshot again.
            log.warning("%s: the kept cursor points at another origin; listing again", safe_url(self._url))
            state = SinceState(state.since)
        until, number = state.until, 0
        url = str(state.at) if isinstance(state.at, str) else self._url
        params: dict[str, str | int] | None = None
        if url == self._url:
            params = {self._limit_param: self._size}
            if state.since:
                params[self._since_param] = state.since
        visited: set[str] = set()
        while True:
            self._check_origin(url)
            response = self._client.request("GET", url, params=params, auth=self._auth)
            visited.add(_same_page(response.url or url))
            items = items_of(response, self._items_key)
            until = until or snapshot_of(response, self._server_time_key)
            following = parse_link_header(response.headers.get("Link")).get("next")
            number += 1
            at = urljoin(url, following) if following else None
            if at is not None:
                self._check_origin(at)  # before the page (and its cursor holding ``at``) is landed
            yield Page(items, SinceState(state.since, until, at).dump(), number, at is None)
            if at is None:
                return
            if _same_page(at) in visited:
                raise PagingLoopError(
                    f"GET {safe_url(self._url)}: page {number}'s next link {safe_url(at)[:80]} points at a "
                    f"page already fetched in this run (a link loop); stopped after page {number}",
                    method="GET",
                    url=safe_url(at),
                    status=200,
                )
            url, params = at, None

    def _same_origin(self, url: str) -> bool:
        here, there = urlsplit(self._url), urlsplit(url)
        return (here.scheme, here.netloc) == (there.scheme, there.netloc)

    def _check_origin(self, url: str) -> None:
        if not self._same_origin(url):
            raise ResponseFormatError(
                f"GET {safe_url(self._url)}: refusing to follow a next link to {safe_url(url)}, "
                "another origin; the page that sent it is not landed and the cursor stays where it was",
                method="GET",
                url=safe_url(url),
            )


def _same_page(url: str) -> str:
    """``url`` with its query parameters in a fixed order and no fragment: two spellings of one page
    compare equal."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", query, ""))


def make_paginator(
    style: str, client: HttpClient, url: str, *, auth: Auth | None = None, page_size: int = 200
) -> PageNumberPaginator | LinkHeaderPaginator | OffsetPaginator | CursorPaginator:
    """The paginator for ``sbt.yaml``'s ``paging.style``, with the sandbox's parameter names.

    Raises ``ValueError`` for an unknown style. Sources with other names build a paginator directly.
    """
    if style == "page_number":
        return PageNumberPaginator(client, url, auth=auth, page_size=page_size)
    if style == "link_header":
        return LinkHeaderPaginator(client, url, auth=auth, page_size=page_size)
    if style == "cursor":
        return CursorPaginator(client, url, auth=auth, page_size=page_size)
    if style == "offset":
        return OffsetPaginator(client, url, auth=auth, page_size=page_size)
    raise ValueError(f"unknown paging style {style!r}")
