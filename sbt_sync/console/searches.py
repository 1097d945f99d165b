"""Searches that carry personal data (a name, a NIP, a birth date) never travel in a URL.

A URL lands in the browser's history and in the access log of the reverse proxy a production console
sits behind, and DESIGN.md keeps NIPs, names and birth dates out of logs. So the header's search, the
case list's filter and the registry search on an identity conflict are POST forms (CSRF-protected like
the others): the handler keeps what was typed here, in the console process's memory, under a random
search id bound to the browser's session, and sends the browser to a URL that carries only that id
(``?s=...``), never the terms. Paging, "back" and a reload then work as with any GET page.

Staff are civil servants too: the filters naming one by username (the queue's holder, the access log's
reader, the audit log's actor and object id) are kept the same way; the queue's own tab is ``mine=1``.

The memory is bounded (:data:`PER_SESSION` searches a session, :data:`TOTAL` over all sessions, the
least recently used forgotten first) and an id outlives neither its session nor a restart of the
console: a page whose id is no longer known says so and offers the empty form again. The console
runs as one process (``sbt-sync steward serve``), so every request sees the same memory.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping

from fastapi import Request

from sbt_sync.console.web import console, current_session

PER_SESSION = 100
"""Searches one session keeps (a search page's links to the case list count as searches too)."""
TOTAL = 20_000
"""Searches kept over all sessions."""
ID_PATTERN = r"^[A-Za-z0-9_-]{16,32}$"
"""What a search id looks like in a URL (anything else is refused with a 400 before a lookup)."""

Terms = dict[str, str]


class SearchMemory:
    """Typed search terms under opaque ids, per session, least recently used forgotten first; the same
    terms in the same session keep their id (a reloaded results page makes no new ones); thread-safe."""

    def __init__(self, *, per_session: int = PER_SESSION, total: int = TOTAL) -> None:
        self.per_session = per_session
        self.total = total
        self._kept: OrderedDict[tuple[str, str], Terms] = OrderedDict()
        self._ids: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def remember(self, session_key: str, terms: Mapping[str, str]) -> str:
        """The id under which ``terms`` are kept for the session ``session_key`` (a new one unless the
        session kept the same terms already)."""
        same = (session_key, tuple(sorted(terms.items())))
        with self._lock:
            known = self._ids.get(same)
            if known is not None:
                self._kept.move_to_end((session_key, known))
                return known
            search_id = secrets.token_urlsafe(12)
            self._kept[(session_key, search_id)] = dict(terms)
            self._ids[same] = search_id
            self._counts[session_key] = self._counts.get(session_key, 0) + 1
            if self._counts[session_key] > self.per_session:
                oldest = next(k for k in self._kept if k[0] == session_key)
                self._forget(oldest)
            while len(self._kept) > self.total:
                self._forget(next(iter(self._kept)))
        return search_id

    def recall(self, session_key: str, search_id: str) -> Terms | None:
        """The terms kept under ``search_id`` for this session; None when unknown or another's."""
        with self._lock:
            terms = self._kept.get((session_key, search_id))
            if terms is None:
                return None
            self._kept.move_to_end((session_key, search_id))
            return dict(terms)

    def _forget(self, key: tuple[str, str]) -> None:
        terms = self._kept.pop(key)
        self._ids.pop((key[0], tuple(sorted(terms.items()))), None)
        self._counts[key[0]] -= 1
        if not self._counts[key[0]]:
            del self._counts[key[0]]


def _session_key(request: Request) -> str | None:
    """What binds a search to the signed-in browser: a hash of its session's CSRF token, which is
    random per session and dies with it (a search id is useless in another session, or after logout)."""
    live = current_session(request)
    if live is None:
        return None
    return hashlib.sha256(f"search|{live.row_id}|{live.csrf_token}".encode()).hexdigest()


def remember(request: Request, terms: Mapping[str, str]) -> str:
    """Keep ``terms`` for this session; returns the id a URL may carry in their place."""
    key = _session_key(request)
    if key is None:  # routes that remember require a signed-in user; never reached without one
        raise RuntimeError("no session to keep a search for")
    memory: SearchMemory = console(request).searches
    return memory.remember(key, terms)


def recall(request: Request, search_id: str | None) -> Terms | None:
    """The terms this session kept under ``search_id``; None for no id, or one it no longer knows."""
    key = _session_key(request)
    if not search_id or key is None:
        return None
    memory: SearchMemory = console(request).searches
    return memory.recall(key, search_id)
