"""The SIASN identity reference behind the simulator, from ``registry.csv.gz``.

At national scale the file holds 4.3 million rows, so it is loaded once into a SQLite file in the
state directory (named by the CSV's SHA-256, so a restart on the same data reuses it in an instant) and
read from there: per-NIP lookups use an index, offset paging uses the rowid (insertion order), the
changed-since listing an index on ``updatedAt`` (as UTC), and the process keeps almost nothing in
memory. Rows are stored as JSON arrays in the CSV's column order.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sbt_sync.errors import SbtError

log = logging.getLogger(__name__)

NIP_COLUMN = "nipBaru"
UPDATED_COLUMN = "updatedAt"
_BATCH = 50_000
_SCHEMA_VERSION = "2"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Registry:
    """Registry rows keyed by ``nipBaru``; thread-safe (one connection behind a lock).

    The file and its cache are read-only; :meth:`amend` changes a row from then on (SIASN's own data
    changing under a running sync: a retirement, a NIP correction), held in memory for this process.
    """

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self.columns: list[str] = json.loads(meta["columns"])
        self._total = int(meta["rows"])
        self._amended: dict[int, str] = {}
        """rowid -> the row as amended (JSON array, like the cache's)."""
        self._moved: dict[str, int | None] = {}
        """NIP -> rowid for NIPs an amendment gave or took away (None: no row has it any more)."""
        self._updated_index = self.columns.index(UPDATED_COLUMN) if UPDATED_COLUMN in self.columns else None

    @classmethod
    def open(cls, csv_gz: Path, cache_dir: Path) -> Registry:
        """The registry for ``csv_gz``, building its SQLite cache in ``cache_dir`` if needed.

        A missing file gives an empty registry; a file without a ``nipBaru`` column is an ``SbtError``.
        """
        cache_dir.mkdir(parents=True, exist_ok=True)
        digest = _sha256(csv_gz) if csv_gz.exists() else "empty"
        db_path = cache_dir / f"siasn_registry-v{_SCHEMA_VERSION}-{digest[:16]}.sqlite"
        if not db_path.exists():
            _build(csv_gz, db_path)
            # Caches of other registry files would otherwise pile up (about 1.3 GB each nationally).
            for stale in cache_dir.glob("siasn_registry-*.sqlite"):
                if stale != db_path:
                    stale.unlink(missing_ok=True)
        return cls(db_path)

    def __len__(self) -> int:
        return self._total

    def get(self, nip: str) -> dict[str, str | None] | None:
        """The row whose ``nipBaru`` is ``nip`` (empty cells as None), or None."""
        with self._lock:
            found = self._find(nip)
        return None if found is None else self._as_dict(found[1])

    def page(self, offset: int, limit: int) -> list[dict[str, str | None]]:
        """Rows ``offset`` to ``offset + limit - 1`` in file order."""
        with self._lock:
            found = self._db.execute(
                "SELECT rowid, row FROM registry WHERE rowid > ? ORDER BY rowid LIMIT ?", (offset, limit)
            ).fetchall()
            rows = [self._amended.get(rowid, row) for rowid, row in found]
        return [self._as_dict(row) for row in rows]

    def changed_since(
        self, since: datetime, offset: int, limit: int
    ) -> tuple[list[dict[str, str | None]], int]:
        """Rows whose ``updatedAt`` is at or after ``since``, oldest change first (ties in file order),
        from ``offset``; and how many there are. Amended rows count with their new ``updatedAt``."""
        key = updated_key(since.isoformat())
        with self._lock:
            amended = {rowid: (self._updated_of(row), row) for rowid, row in self._amended.items()}
            found = self._db.execute(
                "SELECT rowid, updated, row FROM registry WHERE updated >= ? ORDER BY updated, rowid LIMIT ?",
                (key, offset + limit + len(amended)),
            ).fetchall()
            merged = [(updated, rowid, row) for rowid, updated, row in found if rowid not in amended]
            merged += [(updated, rowid, row) for rowid, (updated, row) in amended.items() if updated >= key]
            merged.sort()
            total = int(
                self._db.execute("SELECT count(*) FROM registry WHERE updated >= ?", (key,)).fetchone()[0]
            )
            if amended:
                marks = ",".join("?" * len(amended))
                total -= int(
                    self._db.execute(
                        f"SELECT count(*) FROM registry WHERE updated >= ? AND rowid IN ({marks})",  # noqa: S608
                        (key, *amended),
                    ).fetchone()[0]
                )
                total += sum(1 for updated, _ in amended.values() if updated >= key)
        return [self._as_dict(row) for _, _, row in merged[offset : offset + limit]], total

    def _updated_of(self, row: str) -> str:
        if self._updated_index is None:
            return ""
        return updated_key(json.loads(row)[self._updated_index])

    def amend(self, nip: str, changes: Mapping[str, str | None]) -> dict[str, str | None]:
        """Change ``nip``'s row from now on and return it; a new ``nipBaru`` is a NIP correction
        (the row keeps its ``id``; the old NIP is then unknown). ``KeyError`` for an unknown NIP,
        ``ValueError`` for an unknown column or a new NIP another row already has."""
        unknown = sorted(set(changes) - set(self.columns))
        if unknown:
            raise ValueError(f"unknown column(s): {', '.join(unknown)}")
        with self._lock:
            found = self._find(nip)
            if found is None:
                raise KeyError(nip)
            rowid, row = found
            values = dict(zip(self.columns, json.loads(row), strict=True))
            values.update({name: "" if value is None else str(value) for name, value in changes.items()})
            new_nip = values[NIP_COLUMN]
            if new_nip != nip:
                if self._find(new_nip) is not None:
                    raise ValueError(f"{NIP_COLUMN} {new_nip} already belongs to another row")
                self._moved[nip] = None
                self._moved[new_nip] = rowid
            self._amended[rowid] = json.dumps([values[c] for c in self.columns], ensure_ascii=False)
            return self._as_dict(self._amended[rowid])

    def _find(self, nip: str) -> tuple[int, str] | None:
        """(rowid, row as JSON) of ``nip``, amendments applied; the caller holds the lock."""
        if nip in self._moved:
            rowid = self._moved[nip]
            return None if rowid is None else (rowid, self._amended[rowid])
        found = self._db.execute("SELECT rowid, row FROM registry WHERE nip = ? LIMIT 1", (nip,)).fetchone()
        if found is None:
            return None
        rowid, row = found
        return int(rowid), self._amended.get(rowid, row)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _as_dict(self, row: str) -> dict[str, str | None]:
        values: list[str] = json.loads(row)
        pairs = zip(self.columns, values, strict=True)
        return {name: (value if value != "" else None) for name, value in pairs}


def updated_key(value: str | None) -> str:
    """An ``updatedAt`` as a sortable UTC text (a time without offset is read as UTC); "" when empty
    or unreadable, which sorts before every instant."""
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return ""
    if parsed is None:
        return ""
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _rows(
    reader: Iterator[list[str]], width: int, nip_index: int, updated_index: int | None
) -> Iterator[tuple[int, str, str, str]]:
    for rowid, row in enumerate(reader, start=1):
        if len(row) != width:
            raise ValueError(f"data row {rowid} has {len(row)} fields, the header {width}")
        updated = "" if updated_index is None else updated_key(row[updated_index])
        yield rowid, row[nip_index], updated, json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _build(csv_gz: Path, db_path: Path) -> None:
    """Write the SQLite cache next to its final name, then rename it into place (crash-safe)."""
    started = time.monotonic()
    partial = db_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    try:
        # A throwaway cache: durability is pointless, speed matters at 4.3 million rows.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE registry (nip TEXT NOT NULL, updated TEXT NOT NULL, row TEXT NOT NULL)")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        columns: list[str] = []
        rows = 0
        if csv_gz.exists():
            with gzip.open(csv_gz, "rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
                reader = csv.reader(text)
                columns = next(reader, [])
                if NIP_COLUMN not in columns:
                    raise SbtError(f"{csv_gz}: no {NIP_COLUMN} column in the header")
                updated = columns.index(UPDATED_COLUMN) if UPDATED_COLUMN in columns else None
                pending = _rows(reader, len(columns), columns.index(NIP_COLUMN), updated)
                while batch := list(islice(pending, _BATCH)):
                    db.executemany(
                        "INSERT INTO registry (rowid, nip, updated, row) VALUES (?, ?, ?, ?)", batch
                    )
                    rows += len(batch)
        db.execute("CREATE INDEX registry_nip ON registry (nip)")
        db.execute("CREATE INDEX registry_updated ON registry (updated)")
        meta: dict[str, Any] = {"columns": json.dumps(columns), "rows": str(rows), "source": str(csv_gz)}
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
        db.commit()
    except (csv.Error, ValueError, OSError) as exc:
        db.close()
        partial.unlink(missing_ok=True)
        raise SbtError(f"cannot load the SIASN registry from {csv_gz}: {exc}") from exc
    except BaseException:
        db.close()
        partial.unlink(missing_ok=True)
        raise
    db.close()
    partial.replace(db_path)
    log.info("sandbox siasn: indexed %d registry rows in %.1f s", rows, time.monotonic() - started)
