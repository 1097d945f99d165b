"""How close the golden dataset in the database is to a sandbox's ground truth (``sbt-sync quality``).

The truth (``truth/`` of a generated sandbox, see its README) describes what a correct system concludes
at the manifest's ``as_of`` from what the sources published by then. Each staged row is matched to its
truth row by (source, record key or file name, row); the measures are:

- identity precision (correct links over links made) and recall (correct links over rows whose person
  is known), over rows that are staged and not withdrawn;
- case accuracy: the share of true cases with at least one staged row for which exactly one golden case
  holds exactly those rows;
- conflicts: the truth's conflicts raised (open or decided), missed, and raised beyond the truth; per
  identity ``reason`` (name_mismatch, ambiguous_match, unresolved) how many were expected and raised,
  and the identity conflicts raised with another kind than the truth's ``conflict_kind``;
- holds: the truth's held cases (enforcement.json) whose golden case is held, and golden cases held
  that the truth does not hold (an identity dispute or critical conflict holds a case: DESIGN.md);
- I-MUT findings (when the truth has ``imut_findings.jsonl``): precision (open findings the truth
  expects over open findings) and recall (expected findings held open over expected findings), per
  (action, rule); a finding with the truth's pair but another disposition is counted apart.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, CaseLink, Conflict, StagedRecord
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.errors import SbtError
from sbt_sync.imut.quality import ImutQuality, measure_imut

RowId = tuple[str, str, int | None]
TRUTH_FIELD = {"hasil": "verification_result", "rekomendasi_sanksi": "recommended_sanction"}
TRUTH_FIELD["jenis_hukuman"] = "sanction_code"
TRUTH_FIELD["link"] = "link"  # a record naming another ASN than its case's (named_other)
HTTP_ITEM_SOURCES = frozenset({"bawaslu"})
"""HTTP sources whose records hold several rows (truth counts them from 1)."""
KIND_OF_REASON = {"name_mismatch": "name_mismatch", "unresolved": "unresolved"}
"""The conflict kind sbt-sync stores per truth ``reason`` (any other reason: ``identity``), for truths
written before ``conflict_kind`` was."""


@dataclass
class Quality:
    identity_precision: float = 1.0
    identity_recall: float = 1.0
    case_accuracy: float = 1.0
    conflicts_expected: int = 0
    conflicts_raised: int = 0
    conflicts_missed: int = 0
    conflicts_beyond: int = 0
    """Raised conflicts the truth does not list (ambiguous links included)."""
    rows_compared: int = 0
    links_made: int = 0
    links_correct: int = 0
    rows_with_person: int = 0
    true_cases: int = 0
    cases_exact: int = 0
    golden_cases: int = 0
    as_of: str = ""
    missed: list[dict[str, Any]] = field(default_factory=list)
    beyond_by_kind: dict[str, int] = field(default_factory=dict)
    identity_by_reason: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per truth identity ``reason``: ``expected`` and ``raised`` (on the row, whatever its kind)."""
    identity_kind_wrong: list[dict[str, Any]] = field(default_factory=list)
    """Truth identity conflicts raised on their row with another kind (``raised_kind`` added)."""
    held_expected: int = 0
    """True cases the truth holds at ``as_of`` that have a golden case."""
    held_matched: int = 0
    held_missed: list[str] = field(default_factory=list)
    """True case ids the truth holds whose golden case is not held."""
    held_beyond: list[str] = field(default_factory=list)
    """True case ids (or golden case keys, when no true case) held here but not in the truth."""
    imut: ImutQuality | None = None
    """I-MUT findings against the truth; None when the truth has no I-MUT findings file."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def truth_dir(path: Path) -> Path:
    """The ``truth`` folder for a path naming it, a file in it, or the sandbox folder holding it."""
    for candidate in (path, path.parent, path / "truth"):
        if (candidate / "source_nips.jsonl").is_file():
            return candidate
    raise SbtError(f"{path}: not a sandbox ground truth (no source_nips.jsonl next to it or under it)")


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise SbtError(f"{path}: cannot read the ground truth: {exc}") from exc


def row_id(source: str, record_key: str, item_no: int) -> RowId:
    """The truth's name of a staged row."""
    if "#" in record_key and source not in HTTP_ITEM_SOURCES:
        name, _, row = record_key.rpartition("#")
        if row.isdigit():
            return (source, name, int(row))
    return (source, record_key, item_no + 1 if source in HTTP_ITEM_SOURCES else None)


def measure(database: Database, truth_path: Path) -> Quality:
    """Compare the database's staged identities, cases and conflicts with the truth at ``path``."""
    folder = truth_dir(truth_path)
    manifest_path = folder.parent / "manifest.json"
    as_of = datetime.fromisoformat(json.loads(manifest_path.read_text(encoding="utf-8"))["clock"]["as_of"])
    truth: dict[RowId, dict[str, Any]] = {}
    for line in _read(folder / "source_nips.jsonl"):
        entry: dict[str, Any] = line
        at = datetime.fromisoformat(entry["available_at"])
        key = (entry["source"], entry["key"], entry["row"])
        if at <= as_of and (key not in truth or datetime.fromisoformat(truth[key]["available_at"]) <= at):
            truth[key] = entry
    quality = Quality(as_of=as_of.isoformat())
    with database.session() as session:
        staged = session.execute(
            select(
                StagedRecord.id,
                StagedRecord.source,
                StagedRecord.record_key,
                StagedRecord.item_no,
                StagedRecord.resolved_nip,
            ).where(StagedRecord.withdrawn.is_(False))
        ).all()
        links: list[Any] = list(
            session.execute(
                select(CaseLink.case_id, CaseLink.staged_record_id).where(CaseLink.unlinked_at.is_(None))
            )
        )
        held_cases: dict[int, str] = dict(
            session.execute(select(Case.id, Case.case_key).where(Case.held.is_(True))).tuples().all()
        )
        conflicts: list[Any] = list(
            session.execute(
                select(
                    Conflict.kind,
                    Conflict.field,
                    Conflict.case_id,
                    Conflict.staged_record_id,
                    Conflict.conflict_key,
                ).where(Conflict.status != "auto_closed")
            )
        )
    row_of = {s.id: row_id(s.source, s.record_key, s.item_no) for s in staged}
    for s in staged:
        found = truth.get(row_of[s.id])
        if found is None or found["quarantined"]:
            continue
        entry = found
        quality.rows_compared += 1
        quality.rows_with_person += entry["true_nip"] is not None
        if s.resolved_nip is not None:
            quality.links_made += 1
            quality.links_correct += s.resolved_nip == entry["true_nip"]
    if quality.links_made:
        quality.identity_precision = quality.links_correct / quality.links_made
    if quality.rows_with_person:
        quality.identity_recall = quality.links_correct / quality.rows_with_person
    _score_cases(quality, folder, truth, row_of, links)
    truth_case = _truth_cases(truth, row_of, links)
    _score_conflicts(quality, folder, truth_case, row_of, conflicts)
    _score_holds(quality, folder, truth_case, held_cases)
    quality.imut = measure_imut(database, folder, as_of)
    return quality


def _case_rows(row_of: dict[int, RowId], links: list[Any]) -> dict[int, frozenset[RowId]]:
    rows: dict[int, set[RowId]] = defaultdict(set)
    for case_id, staged_id in links:
        if staged_id in row_of:
            rows[case_id].add(row_of[staged_id])
    return {case_id: frozenset(found) for case_id, found in rows.items()}


def _score_cases(
    quality: Quality,
    folder: Path,
    truth: dict[RowId, dict[str, Any]],
    row_of: dict[int, RowId],
    links: list[Any],
) -> None:
    visible = set(row_of.values())
    ours = set(_case_rows(row_of, links).values())
    quality.golden_cases = len(ours)
    for case in _read(folder / "cases.jsonl"):
        rows = frozenset((s["source"], s["key"], s["row"]) for s in case["source_records"]) & visible
        rows = frozenset(r for r in rows if r in truth)
        if rows:
            quality.true_cases += 1
            quality.cases_exact += rows in ours
    if quality.true_cases:
        quality.case_accuracy = quality.cases_exact / quality.true_cases


def _truth_cases(
    truth: dict[RowId, dict[str, Any]], row_of: dict[int, RowId], links: list[Any]
) -> dict[int, str | None]:
    """Golden case id -> the true case most of its rows belong to (None when none does)."""
    truth_case: dict[int, str | None] = {}
    for case_id, rows in _case_rows(row_of, links).items():
        votes = Counter(truth[r]["case_id"] for r in rows if r in truth and truth[r]["case_id"] is not None)
        truth_case[case_id] = votes.most_common(1)[0][0] if votes else None
    return truth_case


def _score_conflicts(
    quality: Quality,
    folder: Path,
    truth_case: dict[int, str | None],
    row_of: dict[int, RowId],
    conflicts: list[Any],
) -> None:
    raised: set[tuple[Any, ...]] = set()
    identity_kind: dict[RowId | None, str] = {}
    for kind, field_name, case_id, staged_id, _ in conflicts:
        if kind in IDENTITY_CONFLICT_KINDS:
            raised.add(("identity", row_of.get(staged_id)))
            identity_kind[row_of.get(staged_id)] = kind
        elif kind == "ambiguous_link":
            raised.add(("ambiguous_link", case_id))
        else:
            raised.add((kind, truth_case.get(case_id), field_name))
    quality.conflicts_raised = len(conflicts)
    wanted: set[tuple[Any, ...]] = set()
    staged_rows = set(row_of.values())
    by_reason: dict[str, dict[str, int]] = {}
    for conflict in _read(folder / "conflicts.jsonl"):
        if conflict["kind"] == "identity":
            row = (conflict["source"], conflict["key"], conflict["row"])
            if row not in staged_rows:
                continue  # the row is not staged (not delivered yet, or quarantined)
            want: tuple[Any, ...] = ("identity", row)
            reason = str(conflict.get("reason") or "identity")
            counts = by_reason.setdefault(reason, {"expected": 0, "raised": 0})
            counts["expected"] += 1
            counts["raised"] += want in raised
            expected_kind = conflict.get("conflict_kind") or KIND_OF_REASON.get(reason, "identity")
            if want in raised and identity_kind[row] != expected_kind:
                quality.identity_kind_wrong.append(conflict | {"raised_kind": identity_kind[row]})
        else:
            want = (conflict["kind"], conflict["case_id"], TRUTH_FIELD[conflict["field"]])
        wanted.add(want)
        if want not in raised:
            quality.missed.append(conflict)
    quality.identity_by_reason = dict(sorted(by_reason.items()))
    quality.conflicts_expected = len(wanted)
    quality.conflicts_missed = len(quality.missed)
    beyond = Counter(key[0] for key in raised - wanted)
    quality.beyond_by_kind = dict(sorted(beyond.items()))
    quality.conflicts_beyond = sum(beyond.values())


def _score_holds(
    quality: Quality, folder: Path, truth_case: dict[int, str | None], held_cases: dict[int, str]
) -> None:
    """Compare held cases: a true case counts as held here when one of its golden cases is (a split
    case's recommendation part is the one that could be blocked)."""
    enforcement = json.loads((folder / "enforcement.json").read_text(encoding="utf-8"))
    truth_held = set(enforcement["held"])
    mapped = {true_id for true_id in truth_case.values() if true_id is not None}
    held_here = {truth_case.get(case_id) for case_id in held_cases}
    expected = sorted(truth_held & mapped)
    quality.held_expected = len(expected)
    quality.held_missed = [case_id for case_id in expected if case_id not in held_here]
    quality.held_matched = quality.held_expected - len(quality.held_missed)
    quality.held_beyond = sorted(
        truth_case.get(case_id) or key
        for case_id, key in held_cases.items()
        if truth_case.get(case_id) not in truth_held
    )
