"""The SIASN identity reference behind the simulator, from ``registry.csv.gz``.

At national scale the file holds 4.3 million rows, so it is loaded once into a SQLite file in the
state directory (named by the CSV's SHA-256, so a restart on the same data reuses it in an instant) and
read from there: per-NIP lookups use an index, offset paging uses the rowid (insertion order), and the
process keeps almost nothing in memory. Rows are stored as JSON arrays in the CSV's column order.
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
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from sbt_sync.errors import SbtError

log = logging.getLogger(__name__)

NIP_COLUMN = "nipBaru"
_BATCH = 50_000
_SCHEMA_VERSION = "1"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Registry:
    """Read-only registry rows keyed by ``nipBaru``; thread-safe (one connection behind a lock)."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        self.columns: list[str] = json.loads(meta["columns"])
        self._total = int(meta["rows"])

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
            found = self._db.execute("SELECT row FROM registry WHERE nip = ? LIMIT 1", (nip,)).fetchone()
        return None if found is None else self._as_dict(found[0])

    def page(self, offset: int, limit: int) -> list[dict[str, str | None]]:
        """Rows ``offset`` to ``offset + limit - 1`` in file order."""
        with self._lock:
            found = self._db.execute(
                "SELECT row FROM registry WHERE rowid > ? ORDER BY rowid LIMIT ?", (offset, limit)
            ).fetchall()
        return [self._as_dict(row) for (row,) in found]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _as_dict(self, row: str) -> dict[str, str | None]:
        values: list[str] = json.loads(row)
        pairs = zip(self.columns, values, strict=True)
        return {name: (value if value != "" else None) for name, value in pairs}


def _rows(reader: Iterator[list[str]], width: int, nip_index: int) -> Iterator[tuple[int, str, str]]:
    for rowid, row in enumerate(reader, start=1):
        if len(row) != width:
            raise ValueError(f"data row {rowid} has {len(row)} fields, the header {width}")
        yield rowid, row[nip_index], json.dumps(row, ensure_ascii=False, separators=(",", ":"))


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
        db.execute("CREATE TABLE registry (nip TEXT NOT NULL, row TEXT NOT NULL)")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        columns: list[str] = []
        rows = 0
        if csv_gz.exists():
            with gzip.open(csv_gz, "rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
                reader = csv.reader(text)
                columns = next(reader, [])
                if NIP_COLUMN not in columns:
                    raise SbtError(f"{csv_gz}: no {NIP_COLUMN} column in the header")
                pending = _rows(reader, len(columns), columns.index(NIP_COLUMN))
                while batch := list(islice(pending, _BATCH)):
                    db.executemany("INSERT INTO registry (rowid, nip, row) VALUES (?, ?, ?)", batch)
                    rows += len(batch)
        db.execute("CREATE INDEX registry_nip ON registry (nip)")
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
