"""``sbt-sync quality`` against a generated sandbox's truth: a database that concludes exactly what the
truth says scores perfectly, and each kind of departure (a conflict missed or of the wrong kind, a hold
missing or extra) is reported by name."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, Conflict, RawRecord, StagedRecord
from sbt_sync.reconcile.quality import HTTP_ITEM_SOURCES, TRUTH_FIELD, measure
from tests.support.sandbox import GeneratedSandboxes

RowId = tuple[str, str, int | None]
SFTP_SOURCES = frozenset({"kasn", "kemendagri", "kemenpanrb"})


@pytest.fixture(scope="module")
def sandbox(generated_sandboxes: GeneratedSandboxes) -> Path:
    return generated_sandboxes.small(7)


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _staged_key(row: RowId) -> tuple[str, int]:
    """(record_key, item_no) as ingestion stages the truth's row."""
    source, key, number = row
    if source in SFTP_SOURCES:
        return f"{key}#{number}", 0
    return key, (number - 1 if source in HTTP_ITEM_SOURCES and number else 0)


def load_truth_as_product(database: Database, out: Path) -> dict[str, int]:
    """Stage every row the truth publishes by as-of, link the true cases, raise the truth's conflicts
    with the kind it names and hold what it holds; a disputed row resolves to nobody. Returns case ids."""
    as_of = datetime.fromisoformat(json.loads((out / "manifest.json").read_text())["clock"]["as_of"])
    latest: dict[RowId, dict[str, Any]] = {}
    for entry in _read(out / "truth" / "source_nips.jsonl"):
        if datetime.fromisoformat(entry["available_at"]) <= as_of:
            latest[(entry["source"], entry["key"], entry["row"])] = entry
    conflicts = _read(out / "truth" / "conflicts.jsonl")
    disputed = {(c["source"], c["key"], c["row"]) for c in conflicts if c["kind"] == "identity"}
    enforcement = json.loads((out / "truth" / "enforcement.json").read_text())
    staged: dict[RowId, int] = {}
    case_ids: dict[str, int] = {}
    with database.session() as session:
        raws: dict[tuple[str, str], RawRecord] = {}
        for row, entry in sorted(latest.items(), key=str):
            if entry["quarantined"]:
                continue
            record_key, item_no = _staged_key(row)
            raw = raws.get((row[0], record_key))
            if raw is None:
                raw = raws[(row[0], record_key)] = RawRecord(
                    source=row[0], record_key=record_key, content_hash="0" * 64, payload="{}"
                )
                session.add(raw)
                session.flush()
            record = StagedRecord(
                source=row[0],
                record_key=record_key,
                item_no=item_no,
                raw_record_id=raw.id,
                raw_version=1,
                content_hash="0" * 64,
                resolved_nip=None if row in disputed else entry["true_nip"],
            )
            session.add(record)
            session.flush()
            staged[row] = record.id
        for true_case in _read(out / "truth" / "cases.jsonl"):
            rows = [(r["source"], r["key"], r["row"]) for r in true_case["source_records"]]
            rows = [r for r in rows if r in staged]
            if not rows:
                continue
            case = Case(
                case_key=true_case["case_id"],
                content_hash="0" * 64,
                held=true_case["case_id"] in enforcement["held"],
            )
            session.add(case)
            session.flush()
            case_ids[true_case["case_id"]] = case.id
            for row in rows:
                session.add(
                    CaseLink(
                        case_id=case.id,
                        staged_record_id=staged[row],
                        source=row[0],
                        record_key=row[1],
                        rule="t",
                    )
                )
        for n, conflict in enumerate(conflicts):
            if conflict["kind"] == "identity":
                row = (conflict["source"], conflict["key"], conflict["row"])
                if row not in staged:
                    continue
                values: dict[str, Any] = {"kind": conflict["conflict_kind"], "staged_record_id": staged[row]}
                values["field"] = "nip"
            else:
                field = TRUTH_FIELD[conflict["field"]]
                values = {"kind": conflict["kind"], "case_id": case_ids[conflict["case_id"]], "field": field}
            session.add(Conflict(conflict_key=f"truth|{n}", basis_hash="0" * 64, **values))
    return case_ids


def test_a_product_concluding_the_truth_scores_every_planted_conflict_and_hold(
    migrated_database: Database, sandbox: Path
) -> None:
    load_truth_as_product(migrated_database, sandbox)
    quality = measure(migrated_database, sandbox / "truth")
    assert quality.conflicts_missed == 0 and quality.conflicts_beyond == 0, quality.missed
    assert quality.identity_kind_wrong == []
    assert quality.identity_precision == 1.0 and quality.case_accuracy == 1.0
    by_reason = quality.identity_by_reason
    assert {"name_mismatch", "ambiguous_match", "unresolved"} <= set(by_reason)
    assert all(counts["expected"] == counts["raised"] > 0 for counts in by_reason.values())
    enforcement = json.loads((sandbox / "truth" / "enforcement.json").read_text())
    assert quality.held_expected == len(enforcement["held"]) > 0
    assert quality.held_matched == quality.held_expected
    assert quality.held_missed == [] and quality.held_beyond == []


def test_quality_names_a_wrong_kind_a_missed_conflict_and_holds_missing_or_extra(
    migrated_database: Database, sandbox: Path
) -> None:
    case_ids = load_truth_as_product(migrated_database, sandbox)
    conflicts = _read(sandbox / "truth" / "conflicts.jsonl")
    enforcement = json.loads((sandbox / "truth" / "enforcement.json").read_text())
    unresolved = [c for c in conflicts if c.get("reason") == "unresolved"]
    mismatch = next(c for c in conflicts if c.get("reason") == "name_mismatch")
    held = enforcement["held"][0]
    free = next(c["case_id"] for c in enforcement["cases"] if not c["held"] and c["case_id"] in case_ids)
    with migrated_database.session() as session:
        keys = {(s.source, s.record_key, s.item_no): s.id for s in session.scalars(select(StagedRecord))}

        def staged_id(conflict: dict[str, Any]) -> int:
            record_key, item_no = _staged_key((conflict["source"], conflict["key"], conflict["row"]))
            return keys[(conflict["source"], record_key, item_no)]

        # a product that opens no-candidate rows as plain identity conflicts, forgets a name mismatch,
        # releases a held case and holds one the truth does not
        session.execute(
            update(Conflict)
            .where(Conflict.staged_record_id == staged_id(unresolved[0]))
            .values(kind="identity")
        )
        session.execute(delete(Conflict).where(Conflict.staged_record_id == staged_id(mismatch)))
        session.execute(update(Case).where(Case.id == case_ids[held]).values(held=False))
        session.execute(update(Case).where(Case.id == case_ids[free]).values(held=True))
    quality = measure(migrated_database, sandbox / "truth")
    assert [(c["key"], c["reason"], c["raised_kind"]) for c in quality.identity_kind_wrong] == [
        (unresolved[0]["key"], "unresolved", "identity")
    ]
    assert quality.missed == [mismatch] and quality.conflicts_missed == 1
    assert quality.identity_by_reason["name_mismatch"]["raised"] == (
        quality.identity_by_reason["name_mismatch"]["expected"] - 1
    )
    assert quality.held_missed == [held] and quality.held_beyond == [free]
    assert quality.held_matched == quality.held_expected - 1
