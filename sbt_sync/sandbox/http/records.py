"""Versioned source records gated by the sandbox clock (``http/<source>.jsonl`` in DATA_FORMAT.md).

Each line is one version of a record: ``{"available_at", "key", "record"}``. At a clock instant a
source serves, for each key, the latest version whose ``available_at`` is not after that instant. That
``available_at`` is the version's "changed" instant: ``updated_since`` filters and cursors compare
against it, so a late correction (same key, later ``available_at``) reaches incremental clients even
when its own ``updated_at`` field is old.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sbt_sync.errors import SbtError

log = logging.getLogger(__name__)

_SPACED_OFFSET = re.compile(r"([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant that must carry an offset; raises ``ValueError`` otherwise."""
    # An unencoded "+07:00" in a query string arrives as " 07:00"; put the sign back.
    value = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", text.strip()).replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value


@dataclass(frozen=True, slots=True)
class Version:
    """One published version of a source record."""

    key: str
    available_at: datetime
    record: dict[str, Any]

    @property
    def position(self) -> tuple[datetime, str]:
        """The order in which sources list records (and in which cursors advance)."""
        return (self.available_at, self.key)


class VersionedRecords:
    """All versions of one source's records; thread-safe (the control endpoint can add versions)."""

    def __init__(self, name: str, versions: Iterable[Version] = ()) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._by_key: dict[str, list[Version]] = {}
        self._count = 0
        for version in versions:
            self._insert(version)

    @classmethod
    def load(cls, name: str, path: Path) -> VersionedRecords:
        """Read ``path`` (JSON Lines); a missing file is an empty source, a bad line an ``SbtError``."""
        versions: list[Version] = []
        if not path.exists():
            log.warning("sandbox %s: %s does not exist; serving no records", name, path)
            return cls(name)
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    versions.append(
                        Version(str(data["key"]), parse_instant(data["available_at"]), dict(data["record"]))
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    raise SbtError(f"{path}:{number}: not a sandbox record line ({exc})") from exc
        log.info("sandbox %s: loaded %d record versions", name, len(versions))
        return cls(name, versions)

    def add(self, key: str, record: dict[str, Any], available_at: datetime) -> Version:
        """Publish a new version of ``key`` from ``available_at`` on (``available_at`` must be aware)."""
        if available_at.tzinfo is None:
            raise ValueError("available_at must carry a UTC offset")
        version = Version(key, available_at, record)
        with self._lock:
            self._insert(version)
        return version

    def _insert(self, version: Version) -> None:
        # insort_right keeps file order among equal instants, so the later line is the later version.
        bisect.insort_right(self._by_key.setdefault(version.key, []), version, key=lambda v: v.available_at)
        self._count += 1

    def current(
        self, now: datetime, *, since: datetime | None = None, after: tuple[datetime, str] | None = None
    ) -> list[Version]:
        """The latest version of each key available at ``now``, ordered by (available_at, key).

        ``since`` keeps versions available strictly after it; ``after`` keeps those positioned
        strictly after a cursor position.
        """
        with self._lock:
            groups = list(self._by_key.values())
        visible: list[Version] = []
        for versions in groups:
            index = bisect.bisect_right(versions, now, key=lambda v: v.available_at)
            if index == 0:
                continue
            latest = versions[index - 1]
            if since is not None and latest.available_at <= since:
                continue
            if after is not None and latest.position <= after:
                continue
            visible.append(latest)
        visible.sort(key=lambda v: v.position)
        return visible

    def counts(self, now: datetime) -> dict[str, int]:
        """Versions held, distinct keys and keys visible at ``now``."""
        with self._lock:
            keys = len(self._by_key)
            total = self._count
        return {"versions": total, "keys": keys, "visible": len(self.current(now))}
