"""Identity resolution against a generated sandbox: every source row resolved against its registry and
compared with the ground truth (precision, recall, and every truth identity conflict raised).

``measure`` also serves the manual election-scale run:
``python -c "from tests.reconcile.test_identity_sandbox import main; main('/tmp/id-el')"``.
"""

from __future__ import annotations

import csv
import gzip
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import insert

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.files import read_csv, read_jsonl_gz
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.identity.candidates import CandidateSearch, trigram_available
from sbt_sync.reconcile.identity.resolve import (
    IdentityDecision,
    IdentityQuery,
    IdentityThresholds,
    make_query,
    resolve,
)
from sbt_sync.sandbox.generate import generate_sandbox
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT
from tests.support.registry import registry_item

RowKey = tuple[str, str, int | None, str | None]
"""``(source, key, row, content)`` as in truth/source_nips.jsonl."""


@dataclass
class Measurement:
    linked: int = 0
    correct: int = 0
    expected: int = 0
    """Rows with a true NIP that are not quarantined."""
    seconds: float = 0.0
    missed_conflicts: list[dict[str, Any]] = field(default_factory=list)
    wrong_links: list[RowKey] = field(default_factory=list)
    false_mismatches: list[RowKey] = field(default_factory=list)
    """Rows carrying their person's own NIP that still raised a name_mismatch conflict."""

    @property
    def precision(self) -> float:
        return self.correct / self.linked if self.linked else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def load_registry(database: Database, data_dir: Path) -> int:
    """Insert every registry row of the sandbox; the number inserted."""
    with gzip.open(data_dir / "registry.csv.gz", "rt", encoding="utf-8") as handle:
        rows = [registry_row(item) for item in csv.DictReader(handle)]
    with database.session() as session:
        for start in range(0, len(rows), 5_000):
            session.execute(insert(AsnRegistryEntry), rows[start : start + 5_000])
    return len(rows)


def _query(source: str, row: dict[str, Any]) -> IdentityQuery:
    staged = FEEDS[source].to_staged({k: (None if v == "" else v) for k, v in row.items()})
    return make_query(nip_raw=staged.nip_raw, name=staged.name, instansi=staged.instansi)


def source_queries(data_dir: Path, skip: set[RowKey]) -> dict[RowKey, IdentityQuery]:
    """A query for every source row the truth does not quarantine (HTTP: each key's latest version)."""
    queries: dict[RowKey, IdentityQuery] = {}
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        latest = {}
        for line in (data_dir / "http" / f"{source}.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            latest[entry["key"]] = entry["record"]
        for key, record in latest.items():
            for item in FEEDS[source].rows(record):
                row = int(item["item_no"]) + 1 if source == "bawaslu" else None
                if (source, key, row, None) not in skip:
                    queries[(source, key, row, None)] = _query(source, item)
    config = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))["sources"]
    for line in (data_dir / "sftp" / "deliveries.jsonl").read_text(encoding="utf-8").splitlines():
        delivery = json.loads(line)
        source, name, content = delivery["source"], delivery["name"], delivery["content"]
        data = (data_dir / content).read_bytes()
        if config[source]["format"] == "csv":
            options = config[source]["csv"]
            parsed = read_csv(name, data, delimiter=options["delimiter"], encodings=options["encodings"])
        else:
            parsed = read_jsonl_gz(name, data)
        for file_row in parsed.rows:
            key = (source, name, file_row.row, content)
            if key not in skip:
                queries[key] = _query(source, FEEDS[source].rows(file_row.payload)[0])
    return queries


def measure(database: Database, data_dir: Path, thresholds: IdentityThresholds) -> Measurement:
    """Resolve every source row against the loaded registry and score it against the ground truth."""
    truth = [json.loads(line) for line in (data_dir / "truth" / "source_nips.jsonl").open(encoding="utf-8")]
    key_of = {(t["source"], t["key"], t["row"], t["content"]): t for t in truth}
    quarantined = {k for k, t in key_of.items() if t["quarantined"]}
    queries = source_queries(data_dir, quarantined)
    started = time.monotonic()
    keys = sorted(queries, key=str)
    found = CandidateSearch(database, thresholds).search([queries[k] for k in keys])
    decisions = {k: resolve(queries[k], c, thresholds) for k, c in zip(keys, found, strict=True)}
    result = Measurement(seconds=time.monotonic() - started)
    for key, entry in key_of.items():
        if key in quarantined:
            continue
        decision = decisions[key]
        result.expected += entry["true_nip"] is not None
        if decision.outcome == "linked":
            result.linked += 1
            if decision.nip == entry["true_nip"]:
                result.correct += 1
            else:
                result.wrong_links.append(key)
        elif (
            decision.conflict == "name_mismatch"
            and queries[key].nip == entry["true_nip"]
            and entry.get("name_nip") is None  # its own NIP under another ASN's name is a true mismatch
        ):
            result.false_mismatches.append(key)
    by_row: dict[tuple[str, str, int | None], list[IdentityDecision]] = {}
    for (source, name, row, _), decision in decisions.items():
        by_row.setdefault((source, name, row), []).append(decision)
    for line in (data_dir / "truth" / "conflicts.jsonl").open(encoding="utf-8"):
        conflict = json.loads(line)
        if conflict["kind"] != "identity":
            continue
        raised = by_row.get((conflict["source"], conflict["key"], conflict["row"]), [])
        if not any(_raises(d, conflict["conflict_kind"], conflict["candidates"]) for d in raised):
            result.missed_conflicts.append(conflict)
    return result


def _raises(decision: IdentityDecision, kind: str, candidates: list[str]) -> bool:
    """Whether ``decision`` raises the truth's conflict: ``unresolved`` (the row names somebody the
    registry offers nobody for) or a conflict of ``kind`` that offers the truth's first candidate."""
    if kind == "unresolved":
        return decision.outcome == "unresolved"
    offered = {c.nip for c in decision.candidates}
    return decision.conflict == kind and candidates[0] in offered


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("identity-small")
    generate_sandbox(seed=7, scale="small", out=out)
    return out


@pytest.mark.integration
def test_identity_resolution_meets_precision_and_recall_on_small_sandbox(
    migrated_database: Database, small_data: Path
) -> None:
    load_registry(migrated_database, small_data)
    result = measure(migrated_database, small_data, IdentityThresholds())
    assert result.precision >= 0.99, result.wrong_links[:5]
    assert result.recall >= 0.95
    assert not result.missed_conflicts
    assert not result.false_mismatches


def main(data_dir: str, url: str | None = None) -> None:
    """Manual run: load ``data_dir``'s registry into a fresh database at ``url`` and print the numbers."""
    database = Database(url or f"sqlite:///{Path(data_dir) / 'identity.db'}")
    migrate.upgrade(database)
    started = time.monotonic()
    count = load_registry(database, Path(data_dir))
    loaded = time.monotonic() - started
    with database.session() as session:
        trigram = trigram_available(session)  # migration 0002 installs pg_trgm on PostgreSQL
    result = measure(database, Path(data_dir), IdentityThresholds())
    print(
        f"registry {count} rows loaded in {loaded:.1f}s; trigram={trigram}; "
        f"precision {result.precision:.4f} recall {result.recall:.4f} "
        f"({result.correct}/{result.linked} linked, {result.expected} expected); "
        f"resolved in {result.seconds:.1f}s; missed conflicts {len(result.missed_conflicts)}, "
        f"false name mismatches {len(result.false_mismatches)}"
    )


@pytest.mark.integration
def test_candidate_search_falls_back_to_fuzzy_neighbours_for_a_misspelt_name(
    migrated_database: Database,
) -> None:
    items = [
        ("197307051994022219", "Sumiati Lestari Wibisono", "Sampang"),
        ("198001012005012001", "Sumiati Lestari Wibisono", "Agam"),
        ("199001012015031004", "Muhammad Rizki Pratama", "Sampang"),
    ]
    with migrated_database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(*item)) for item in items])
    thresholds = IdentityThresholds()
    queries = [
        make_query(nip_raw=None, name="Sumiati Lestari Wibisoon", instansi="Pemkab Sampang"),
        make_query(nip_raw="199001012015031004", name="M. Rizki Pratama", instansi=None),
        make_query(nip_raw=None, name="Yohanes Kambuaya", instansi="Pemerintah Kabupaten Sampang"),
    ]
    found = CandidateSearch(migrated_database, thresholds).search(queries)
    decisions = [resolve(q, c, thresholds) for q, c in zip(queries, found, strict=True)]
    assert [(d.outcome, d.nip) for d in decisions] == [
        ("linked", "197307051994022219"),
        ("linked", "199001012015031004"),
        ("unresolved", None),
    ]
