"""I-MUT findings against a sandbox's ground truth (``sbt-sync quality``): precision and recall per
(action, rule), from the truth the generator planted (:mod:`sbt_sync.sandbox.generate.truth_imut`),
never from the rules themselves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import ImutFinding
from sbt_sync.imut.review import FindingStatus
from sbt_sync.sandbox.generate.truth_imut import FINDINGS_FILE, imut_findings
from schemas.nip import mask_nip

SAMPLE = 20


@dataclass
class ImutQuality:
    precision: float = 1.0
    recall: float = 1.0
    expected: int = 0
    found: int = 0
    correct: int = 0
    disposition_wrong: int = 0
    """Findings on the truth's (action, rule) with another disposition (counted correct above)."""
    missed_by_category: dict[str, int] = field(default_factory=dict)
    beyond_by_rule: dict[str, int] = field(default_factory=dict)
    missed: list[dict[str, Any]] = field(default_factory=list)
    """A sample of the truth's findings not held open (NIP masked)."""
    beyond: list[dict[str, Any]] = field(default_factory=list)
    """A sample of open findings the truth does not expect."""


def measure_imut(database: Database, truth_folder: Path, as_of: datetime) -> ImutQuality | None:
    """Open findings compared with the truth's at ``as_of``; None when the truth has no I-MUT file."""
    if not (truth_folder / FINDINGS_FILE).is_file():
        return None
    truth = {(str(row["action_id"]), str(row["rule"])): row for row in imut_findings(truth_folder, as_of)}
    with database.session() as session:
        query = select(ImutFinding.action_id, ImutFinding.rule, ImutFinding.disposition).where(
            ImutFinding.status == FindingStatus.OPEN
        )
        ours = {(action, rule): disposition for action, rule, disposition in session.execute(query)}
    result = ImutQuality(expected=len(truth), found=len(ours))
    hits = set(truth) & set(ours)
    result.correct = len(hits)
    result.disposition_wrong = sum(ours[key] != truth[key].get("disposition") for key in hits)
    if ours:
        result.precision = result.correct / len(ours)
    if truth:
        result.recall = result.correct / len(truth)
    missed = [truth[key] for key in sorted(set(truth) - hits)]
    result.missed_by_category = dict(sorted(Counter(str(row.get("category")) for row in missed).items()))
    result.missed = [row | {"nip": mask_nip(row.get("nip"))} for row in missed[:SAMPLE]]
    beyond = sorted(set(ours) - hits)
    result.beyond_by_rule = dict(sorted(Counter(rule for _, rule in beyond).items()))
    result.beyond = [{"action_id": a, "rule": r, "disposition": ours[(a, r)]} for a, r in beyond[:SAMPLE]]
    return result
