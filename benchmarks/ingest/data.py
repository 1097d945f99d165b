"""The benchmark's sandbox data: a small generated sandbox whose bkn_wasdal feed is scaled up.

The generator makes only a few hundred bkn_wasdal records even at election scale, too few to time.
This keeps everything the sandbox needs to start (manifest, registry, the other feeds) from the
generator and rewrites ``http/bkn_wasdal.jsonl`` with ``rows`` records cloned from the generated ones:
realistic values and noise (the same share of rows fails validation), each with its own id and
recommendation number, all available before the frozen benchmark clock.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.http.records import Version, VersionedRecords

SOURCE = "bkn_wasdal"
SEED = 7
FIRST_AVAILABLE = datetime.fromisoformat("2024-01-02T00:00:00+07:00")
SPACING = timedelta(seconds=30)
_SEQUENCE = re.compile(r"^([A-Z]+-)\d+")


def _templates(path: Path) -> list[dict[str, Any]]:
    """The latest generated version of each bkn_wasdal record, in file order."""
    latest: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            latest[data["key"]] = data["record"]
    return list(latest.values())


def _clone(template: dict[str, Any], n: int) -> dict[str, Any]:
    record = dict(template)
    record["id"] = hashlib.md5(f"bench-{n}".encode(), usedforsecurity=False).hexdigest().upper()
    number = record.get("nomor_rekomendasi")
    if isinstance(number, str):
        record["nomor_rekomendasi"] = _SEQUENCE.sub(rf"\g<1>{n + 1:06d}", number)
    return record


def write_data_dir(out: Path, *, rows: int) -> datetime:
    """Write the data directory to ``out`` and return an instant after every record's ``available_at``."""
    generate_sandbox(seed=SEED, scale="small", out=out)
    feed = out / "http" / f"{SOURCE}.jsonl"
    templates = _templates(feed)
    with feed.open("w", encoding="utf-8") as lines:
        for n in range(rows):
            record = _clone(templates[n % len(templates)], n)
            available = (FIRST_AVAILABLE + n * SPACING).isoformat()
            lines.write(json.dumps({"available_at": available, "key": record["id"], "record": record}))
            lines.write("\n")
    return FIRST_AVAILABLE + rows * SPACING + timedelta(days=1)


class SnapshotRecords(VersionedRecords):
    """``VersionedRecords`` that computes the visible listing once per clock instant.

    The stock class rebuilds and sorts the whole listing for every page, so a cursor walk over
    ``n`` records costs the server O(n^2 / page size): at 100,000 records that is seconds of sandbox
    CPU per run, added equally to every contender and blurring the comparison. With the clock frozen
    and no versions added the listing cannot change, so a page is a bisect into one cached list.
    """

    def __init__(self, name: str, versions: Iterable[Version] = ()) -> None:
        super().__init__(name, versions)
        self._snapshot: tuple[datetime, list[Version], list[tuple[datetime, str]]] | None = None

    def add(self, key: str, record: dict[str, Any], available_at: datetime) -> Version:
        self._snapshot = None
        return super().add(key, record, available_at)

    def current(
        self, now: datetime, *, since: datetime | None = None, after: tuple[datetime, str] | None = None
    ) -> list[Version]:
        if self._snapshot is None or self._snapshot[0] != now:
            visible = super().current(now)
            self._snapshot = (now, visible, [version.position for version in visible])
        _, visible, positions = self._snapshot
        start = 0
        if after is not None:
            start = bisect.bisect_right(positions, after)
        if since is not None:
            start = max(start, bisect.bisect_right(positions, (since, "\U0010ffff")))
        return visible[start:]
