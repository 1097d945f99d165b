"""The registry, prepared once per sandbox and bulk-loaded into each run's PostgreSQL database.

One pass over ``registry.csv.gz`` writes, into a cache folder next to the sandbox:

- ``asn_registry.csv``: every row as ``sbt_sync.ingest.registry.registry_row`` makes it, ready for
  ``COPY asn_registry FROM STDIN`` (the same rows the product's registry refresh would upsert);
- ``splink_registry.csv``: what Splink links against (NIP, canonical name, birth date, gender,
  instansi id), the same standardisation our scoring applies (``canonical_name``);
- ``people.jsonl``: a seeded random sample of registry rows, the people the degraded queries describe;
- ``nips.npy`` and ``names.npy``: sorted NIPs and name hashes, so a made-up NIP or an outsider's name
  can be checked to be absent from the registry.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.identity.resolve import canonical_name

log = logging.getLogger(__name__)

PREPARED_VERSION = "1"
SAMPLE_PEOPLE = 25_000
"""Registry people drawn for degradation: the measured rows and Splink's disjoint training rows."""
COPY_COLUMNS = (
    "nip", "siasn_id", "name", "name_normalised", "front_title", "back_title", "birth_date", "gender",
    "kind", "instansi_id", "instansi_name", "kanreg_id", "status_id", "status_name", "position",
    "content_hash", "source_updated_at", "refreshed_at",
)  # fmt: skip
SPLINK_COLUMNS = ("unique_id", "name", "first_token", "last_token", "birth_date", "gender", "instansi_id")
# Fixed, so the prepared file is a pure function of the sandbox.
REFRESHED_AT = datetime(2025, 1, 20, tzinfo=UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Prepared:
    folder: Path

    @property
    def copy_csv(self) -> Path:
        return self.folder / "asn_registry.csv"

    @property
    def splink_csv(self) -> Path:
        return self.folder / "splink_registry.csv"

    @property
    def people(self) -> Path:
        return self.folder / "people.jsonl"

    def nips(self) -> np.ndarray:
        loaded: np.ndarray = np.load(self.folder / "nips.npy")
        return loaded

    def name_hashes(self) -> np.ndarray:
        loaded: np.ndarray = np.load(self.folder / "names.npy")
        return loaded


def name_hash(name: str) -> int:
    """A 63-bit hash of a canonical name (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") >> 1


def _items(sandbox: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(sandbox / "registry.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def prepare_registry(sandbox: Path, cache: Path, *, seed: int, size: int) -> Prepared:
    """The prepared registry files for ``sandbox`` (made once; a few minutes at national scale)."""
    prepared = Prepared(cache / f"prepared-{sandbox.name}")
    marker = prepared.folder / "done.json"
    generator = json.loads((sandbox / "manifest.json").read_text(encoding="utf-8"))["generator_version"]
    stamp = {
        "version": PREPARED_VERSION,
        "seed": seed,
        "size": size,
        "sample": SAMPLE_PEOPLE,
        "generator_version": generator,  # a new generator may plant other names in the same registry
    }
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == stamp:
        log.info("reusing the prepared registry in %s", prepared.folder)
        return prepared
    prepared.folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    started = time.monotonic()
    rng = np.random.default_rng([seed, 0x1D])
    wanted = set(rng.choice(size, min(SAMPLE_PEOPLE, size), replace=False).tolist())
    nips = np.empty(size, dtype=np.int64)
    names = np.empty(size, dtype=np.int64)
    count = 0
    with (
        prepared.copy_csv.open("w", encoding="utf-8", newline="") as copy_file,
        prepared.splink_csv.open("w", encoding="utf-8", newline="") as splink_file,
        prepared.people.open("w", encoding="utf-8") as people_file,
    ):
        copy_out, splink_out = csv.writer(copy_file), csv.writer(splink_file)
        splink_out.writerow(SPLINK_COLUMNS)
        for index, item in enumerate(_items(sandbox)):
            row = registry_row(item)
            row["refreshed_at"] = REFRESHED_AT
            copy_out.writerow([_cell(row[column]) for column in COPY_COLUMNS])
            canonical = canonical_name(row["name_normalised"])
            tokens = canonical.split()
            splink_out.writerow(
                [row["nip"], canonical, tokens[0], tokens[-1], row["birth_date"].isoformat(), row["gender"],
                 row["instansi_id"]]
            )  # fmt: skip
            nips[index] = int(row["nip"])
            names[index] = name_hash(canonical)
            if index in wanted:
                people_file.write(json.dumps(item, sort_keys=True) + "\n")
            count = index + 1
    if count != size:
        raise RuntimeError(f"registry.csv.gz has {count} rows, the manifest says {size}")
    np.save(prepared.folder / "nips.npy", np.sort(nips))
    np.save(prepared.folder / "names.npy", np.sort(names))
    marker.write_text(json.dumps(stamp), encoding="utf-8")
    log.info("prepared %d registry rows in %.0f s", count, time.monotonic() - started)
    return prepared


def _cell(value: Any) -> Any:
    if value is None:
        return None  # csv writes an empty, unquoted field: NULL to COPY ... CSV
    if isinstance(value, datetime):
        return value.isoformat()
    return value.isoformat() if hasattr(value, "isoformat") else value


def load_registry(database: Database, prepared: Prepared) -> dict[str, float]:
    """Migrate ``database`` and COPY the prepared registry into ``asn_registry``; seconds per phase.

    The table's secondary indexes (the trigram index included) are dropped before the COPY and built
    again after it, from their own definitions: building an index once is far cheaper than growing it
    4.3 million times.
    """
    phases: dict[str, float] = {}
    started = time.monotonic()
    migrate.upgrade(database)
    phases["migrate"] = time.monotonic() - started
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asn_registry' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')  # names read from the catalogue, not input
        mark = time.monotonic()
        with prepared.copy_csv.open("r", encoding="utf-8") as handle:
            cursor.copy_expert(
                f"COPY asn_registry ({', '.join(COPY_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", handle
            )
        raw.commit()
        phases["copy"] = time.monotonic() - mark
        mark = time.monotonic()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE asn_registry")
        raw.commit()
        phases["indexes"] = time.monotonic() - mark
    finally:
        raw.close()
    return phases


_NAMESAKES = (
    "SELECT t.nip, count(*) FROM asn_registry t JOIN asn_registry b "
    "ON b.name_normalised = t.name_normalised {} WHERE t.nip = ANY(:nips) GROUP BY t.nip"
)
_NAMESAKES_NATIONALLY = text(_NAMESAKES.format(""))
_NAMESAKES_IN_INSTANSI = text(_NAMESAKES.format("AND b.instansi_id = t.instansi_id"))


def namesakes(database: Database, nips: list[str], *, in_instansi: bool) -> dict[str, int]:
    """Per NIP, how many registry rows carry its normalised name (itself included): in its own
    instansi, or anywhere in the country."""
    statement = _NAMESAKES_IN_INSTANSI if in_instansi else _NAMESAKES_NATIONALLY
    with database.session() as session:
        found = session.execute(statement, {"nips": nips}).tuples()
        return {nip: int(count) for nip, count in found}


def registry_count(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(text("SELECT count(*) FROM asn_registry")).scalar_one())
