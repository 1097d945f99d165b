"""Schema drift: a column the source has been sending stops arriving.

DESIGN.md: a source whose schema drift passes a threshold fails its blocking asset check, so nothing
downstream acts on it. A column absent from a run's rows is not drift by itself: JSON APIs leave out
keys whose value is null, so a sparse optional column is often missing from a small batch, and one feed
can mix kinds of record that carry different keys. What is drift is a column the source's earlier rows
usually carried (at least half of them) whose absence from every row of this run cannot be chance: with
``share`` of the earlier rows carrying it, ``rows`` rows all without it happen by chance with
probability ``(1 - share) ** rows``. Below ``chance`` (default one in a million) the check fails. When
the same rows carry a column the source never sent before (a likely rename: the value now arrives under
a name nobody reads), a column a tenth of the earlier rows carried counts, and a thousand times that
chance is enough. A column the source always sent (a CSV header, a JSON key sent even when null) fails
it on any run of ``min_rows`` rows.

New columns alone never fail the check (a source adding a field loses nothing we read); they are named
in its metadata. A steward who has checked a drift (the source really stopped sending a field) releases
the source (``sbt-sync reconcile release``): the columns it was held for are then accepted until the
source sends them again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sbt_sync.db.models import IngestBatch, RawRecord, SourceHold
from sbt_sync.ingest.staging import StagingResult
from schemas.feeds.base import FeedSpec

HISTORY_RECORDS = 1000
"""How many of the source's most recently landed earlier records say which columns it sends."""
MIN_HISTORY_ROWS = 100
"""Fewer earlier rows than this say too little about what the source sends: absences only warn."""
USUAL_SHARE = 0.5
"""A column fewer earlier rows carried than this is one some kinds of record lack: never drift alone."""
RENAME_SHARE = 0.1
RENAME_FACTOR = 1000.0
"""Beside a column the source never sent before: how much likelier a column's absence may be, and how
few of the earlier rows need to have carried it, to read as a rename."""


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """A declared column absent from every row of the run, against the source's earlier rows."""

    column: str
    earlier_share: float
    """Share of the source's earlier rows that carried the column (its key present, even if empty)."""
    earlier_rows: int
    rows: int
    """This run's rows, none of which carried it."""

    @property
    def chance(self) -> float:
        """How likely ``rows`` rows all lack the column if the source still sends it as before."""
        return float((1.0 - self.earlier_share) ** self.rows)

    def as_json(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "earlier_share": round(self.earlier_share, 4),
            "earlier_rows": self.earlier_rows,
            "rows": self.rows,
            "chance": float(f"{self.chance:.3g}"),
        }


@dataclass(frozen=True, slots=True)
class DriftVerdict:
    passed: bool
    blocking: tuple[ColumnDrift, ...]
    """The absences chance does not explain and no steward accepted: why the check failed."""
    absent: tuple[str, ...]
    """Every declared column absent from all of this run's rows."""
    unknown: tuple[str, ...]
    new: tuple[str, ...]
    """Undeclared columns no earlier row carried: what makes an absence read as a rename."""
    accepted: tuple[str, ...]
    """Columns a steward accepted as no longer sent (carried forward until the source sends them)."""
    rows: int

    def metadata(self) -> dict[str, Any]:
        return {
            "blocking_columns": [d.column for d in self.blocking],
            "blocking": [d.as_json() for d in self.blocking],
            "absent_columns": list(self.absent),
            "unknown_columns": list(self.unknown),
            "new_columns": list(self.new),
            "accepted": list(self.accepted),
            "rows": self.rows,
        }


def judge(
    result: StagingResult,
    earlier: Mapping[str, tuple[float, int]],
    *,
    min_rows: int,
    chance: float,
    accepted: Iterable[str] = (),
) -> DriftVerdict:
    """The drift verdict on one run's validation (pure).

    ``earlier`` maps a declared column to (share of the earlier rows carrying it, number of earlier
    rows); ``accepted`` are columns a steward accepted as no longer sent."""
    rows = result.rows_checked
    absent = tuple(sorted(c for c, n in result.absent_rows.items() if rows and n >= rows))
    unknown = tuple(sorted(result.unknown_columns))
    new = tuple(c for c in unknown if _never_sent(earlier.get(c)))
    kept = {c for c in accepted if c in absent or not rows}  # a column sent again is no longer excused
    bound, floor = (chance * RENAME_FACTOR, RENAME_SHARE) if new else (chance, USUAL_SHARE)
    blocking: list[ColumnDrift] = []
    if rows >= min_rows:
        for column in absent:
            share, seen = earlier.get(column, (0.0, 0))
            drift = ColumnDrift(column, share, seen, rows)
            if seen >= MIN_HISTORY_ROWS and share >= floor and drift.chance < bound and column not in kept:
                blocking.append(drift)
    return DriftVerdict(not blocking, tuple(blocking), absent, unknown, new, tuple(sorted(kept)), rows)


def _never_sent(earlier: tuple[float, int] | None) -> bool:
    return earlier is not None and earlier[1] >= MIN_HISTORY_ROWS and earlier[0] == 0.0


def earlier_shares(
    session: Session, feed: FeedSpec, source: str, run_id: str | None, columns: Iterable[str]
) -> dict[str, tuple[float, int]]:
    """For each of ``columns``, the share of the source's latest earlier rows (landed by another run)
    that carried it, and how many rows that share is over. Read only when a run lacks a column."""
    wanted = sorted(set(columns))
    if not wanted:
        return {}
    # The latest rows by their ids first, then those rows' payloads: choosing them sorts every raw
    # record of the source, and a sort of (batch, id) pairs costs a fraction of one of whole payloads.
    latest = (
        select(RawRecord.id)
        .join(IngestBatch, IngestBatch.id == RawRecord.last_batch_id)
        .where(RawRecord.source == source)
        .order_by(RawRecord.last_batch_id.desc(), RawRecord.id.desc())
        .limit(HISTORY_RECORDS)
    )
    if run_id is not None:
        latest = latest.where(or_(IngestBatch.run_id.is_(None), IngestBatch.run_id != run_id))
    query = select(RawRecord.payload).where(RawRecord.id.in_(latest))
    carried = dict.fromkeys(wanted, 0)
    total = 0
    for payload in session.scalars(query):
        try:
            data = json.loads(payload)
            rows = feed.rows(data) if isinstance(data, dict) else []
        except (ValueError, TypeError, KeyError):
            continue  # a payload the feed cannot read says nothing about its columns
        for row in rows:
            total += 1
            for column in wanted:
                if column in row:
                    carried[column] += 1
    return {c: (carried[c] / total if total else 0.0, total) for c in wanted}


def judge_run(
    session: Session,
    feed: FeedSpec,
    source: str,
    run_id: str | None,
    result: StagingResult,
    *,
    min_rows: int,
    chance: float,
) -> DriftVerdict:
    """The drift verdict on what run ``run_id`` validated of ``source``: the earlier rows read only
    when this run lacked a column, the columns a steward accepted from ``source_holds``."""
    rows = result.rows_checked
    absent = [c for c, n in result.absent_rows.items() if rows and n >= rows]
    wanted = [*absent, *result.unknown_columns] if absent else []
    return judge(
        result,
        earlier_shares(session, feed, source, run_id, wanted),
        min_rows=min_rows,
        chance=chance,
        accepted=accepted_columns(session.get(SourceHold, source)),
    )


def accepted_columns(hold: SourceHold | None) -> set[str]:
    """The columns a steward accepted as no longer sent: those accepted before, and those the source was
    held for when a steward released it after its last check."""
    if hold is None or not hold.verdict:
        return set()
    drift = hold.verdict.get("schema_drift") or {}
    accepted = set(drift.get("accepted") or [])
    released_after_check = (
        hold.released_at is not None and hold.checked_at is not None and hold.released_at >= hold.checked_at
    )
    if released_after_check and not hold.held:
        accepted |= set(drift.get("blocking_columns") or [])
    return accepted
