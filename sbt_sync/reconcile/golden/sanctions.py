"""Sanction versions: the first decision on a case's sanction and each revision after an objection
(keberatan), and which one is in force. Pure: records and steward entries in, versions out.

How versions are derived (deterministic: the same records and entries in any order give the same
versions):

- Every linked record with a sanction code is a *statement* (I'DIS: one record per decision; Kemendagri:
  its follow-up report's current content). Statements are grouped by their decision (SK) date; an
  undated statement joins the latest dated group (it can only be read as about the sanction of now).
- In a group, each source's most recent record speaks for it and the group's code is the survivorship
  winner (``sbt.yaml``: idis, then kemendagri; recency breaks ties). Sources that disagree within one
  date are a genuine conflict, not a revision: the ``critical_field`` conflict on ``sanction_code``
  is raised as before (:func:`dispute`), for the group in force only (an older disagreement was
  superseded by the revision).
- Groups in date order form the versions: a group with a *later* date and *another* code is a
  revision; one with the same code as the version before restates it (its sources are added).
- A steward's entry (decision letter number and date, new code, or an annulment of the sanction)
  is always a version of its own.
- **The version in force** is the one with the latest decision date on or before ``as_of`` (None: every
  version counts). Ties on a date: a steward's entry wins over the sources' version (it was entered
  with its letter, to settle what the sources say), steward entries among themselves by the time they
  were entered, then their id.

What the golden case then carries (:func:`apply_in_force`): with a single version and no steward entry
the survivorship values stand untouched (exactly as before versions existed). Otherwise the sanction
fields are those of the version in force (rule ``sanction_in_force``), and ``sanction_since`` says since
when a sanction has been in force without a break when that is before the version in force: the day the
PPK followed up, which enforcement and the compliance report count from (a reduction on objection does
not make the PPK late). An annulment in force leaves no sanction in the golden case and records
``sanction_annulled_on``; what that means for enforcement is :func:`annulment_conflict`'s to say.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sbt_sync.instants import as_utc
from sbt_sync.reconcile.golden.model import Candidate, FieldValue, SanctionVersion, SourceRecord, SurvivalRule
from sbt_sync.reconcile.golden.status import day_of
from sbt_sync.reconcile.golden.survive import _rank, latest_by_source, same_instant_rivals

STEWARD = "steward"
IN_FORCE_RULE: SurvivalRule = "sanction_in_force"
_NEVER = datetime.min.replace(tzinfo=UTC)
RECORD_FIELDS = ("sanction_sk_no", "sanction_date", "sanction_effective")
"""Golden fields besides the code that come from the record of the version in force."""


@dataclass(frozen=True)
class StewardSanction:
    """A version a steward entered with its decision letter, as reconciliation reads it."""

    entry_id: int
    case_key: str | None
    """The key of the case it was entered on, as stored when read."""
    staged_ids: frozenset[int]
    """The records that case held when read: the entry follows them if the case is renamed or merged."""
    code: str | None
    """The new jenisHukuman code; None when the decision annulled the sanction."""
    letter_no: str
    letter_date: date
    entered_at: datetime


@dataclass(frozen=True)
class SanctionHistory:
    """A case's versions, the one in force, since when a sanction has been in force, and the
    sources disagreeing about the version in force (empty when they agree)."""

    versions: tuple[SanctionVersion, ...] = ()
    since: date | None = None
    dispute: tuple[Candidate, ...] = ()
    winners: Mapping[int, SourceRecord] | None = None
    """The record that won each source version (by seq)."""

    @property
    def in_force(self) -> SanctionVersion | None:
        return next((v for v in self.versions if v.in_force), None)

    @property
    def revised(self) -> bool:
        return len(self.versions) > 1


@dataclass
class _Group:
    decided_on: date | None
    statements: list[SourceRecord]


def _statements(records: Sequence[SourceRecord]) -> list[_Group]:
    """Statements grouped by decision date (undated ones with the latest dated group), date order."""
    having = sorted((r for r in records if r.value("sanction_code") is not None), key=SourceRecord.sort_key)
    dated: dict[date, list[SourceRecord]] = {}
    undated: list[SourceRecord] = []
    for r in having:
        day = day_of(r.value("sanction_date"))
        (dated.setdefault(day, []) if day is not None else undated).append(r)
    groups = [_Group(day, dated[day]) for day in sorted(dated)]
    if undated:
        if groups:
            groups[-1].statements.extend(undated)
        else:
            groups.append(_Group(None, undated))
    return groups


def _speakers(group: _Group) -> list[SourceRecord]:
    """Each source's most recent statement in the group (:func:`latest_by_source`)."""
    latest = latest_by_source(group.statements, "sanction_code")
    return [latest[s] for s in sorted(latest)]


def _rivals(group: _Group, speakers: Sequence[SourceRecord]) -> list[SourceRecord]:
    """Statements of one source at one instant naming another code than its speaker's."""
    return same_instant_rivals(group.statements, "sanction_code", {r.source: r for r in speakers})


def _winner(speakers: Sequence[SourceRecord], ranking: Sequence[str]) -> SourceRecord:
    # Recency within one rank (the unranked sources share one); the source's name before the staging
    # order, so rows of two sources dated alike give one answer whichever was staged first.
    return min(speakers, key=lambda r: (_rank(ranking, r.source), -r.recency()[0], r.source, -r.staged_id))


def _steward_version(entry: StewardSanction) -> SanctionVersion:
    return SanctionVersion(
        seq=0,
        version_key=f"steward|{entry.entry_id}",
        code=entry.code,
        letter_no=entry.letter_no,
        decided_on=entry.letter_date,
        source=STEWARD,
        source_ref=None,
        staged_id=None,
        reported_by=(),
        source_updated_at=entry.entered_at,
        entry_id=entry.entry_id,
    )


def sanction_history(
    records: Sequence[SourceRecord],
    entries: Sequence[StewardSanction],
    ranking: Sequence[str],
    as_of: date | None = None,
) -> SanctionHistory:
    """The versions of one case's sanction (see the module's docstring for the rules)."""
    ordered: list[tuple[tuple[date, int, datetime, int], SanctionVersion, list[SourceRecord]]] = []
    disputes: dict[int, tuple[Candidate, ...]] = {}
    for index, group in enumerate(_statements(records)):
        speakers = _speakers(group)
        win = _winner(speakers, ranking)
        stated = [*speakers, *_rivals(group, speakers)]
        if len({r.value("sanction_code") for r in stated}) > 1:
            disputes[index] = tuple(
                Candidate(r.source, r.value("sanction_code"), r.staged_id) for r in stated
            )
        code = str(win.value("sanction_code"))
        version = SanctionVersion(
            seq=0,
            version_key=f"{group.decided_on.isoformat() if group.decided_on else '-'}|{code}",
            code=code,
            letter_no=_text(win.value("sanction_sk_no")),
            decided_on=group.decided_on,
            source=win.source,
            source_ref=win.record_key,
            staged_id=win.staged_id,
            reported_by=tuple(sorted({f"{r.source}:{r.record_key}" for r in group.statements})),
            source_updated_at=win.source_updated_at,
        )
        ordered.append(((group.decided_on or date.min, 0, _NEVER, index), version, [win]))
    for entry in entries:
        key = (entry.letter_date, 1, as_utc(entry.entered_at), entry.entry_id)
        ordered.append((key, _steward_version(entry), []))
    ordered.sort(key=lambda item: item[0])
    versions: list[SanctionVersion] = []
    winners: dict[int, SourceRecord] = {}
    group_of: dict[int, int] = {}  # seq -> the index of the source group that started it
    for sort_key, version, won in ordered:
        previous = versions[-1] if versions else None
        if (
            previous is not None
            and version.entry_id is None
            and previous.entry_id is None
            and previous.code == version.code
        ):  # a later group restating the same sanction
            merged = tuple(sorted(set(previous.reported_by) | set(version.reported_by)))
            versions[-1] = replace(previous, reported_by=merged)
            group_of[previous.seq] = sort_key[3]  # the latest group of the version is the one in force
            continue
        seq = len(versions) + 1
        versions.append(replace(version, seq=seq))
        if won:
            winners[seq] = won[0]
            group_of[seq] = sort_key[3]
    current = _in_force(versions, as_of)
    if current is None:
        return SanctionHistory(tuple(versions), None, (), winners)
    versions = [replace(v, in_force=v.seq == current.seq) for v in versions]
    since = None
    if not current.annulment:
        start = current
        for v in reversed(versions[: current.seq - 1]):
            if v.annulment:
                break
            start = v
        since = start.decided_on
    dispute = disputes.get(group_of.get(current.seq, -1), ()) if current.entry_id is None else ()
    return SanctionHistory(tuple(versions), since, dispute, winners)


def _in_force(versions: Sequence[SanctionVersion], as_of: date | None) -> SanctionVersion | None:
    """The last version (they are in decision order) decided on or before ``as_of``."""
    known = [v for v in versions if as_of is None or v.decided_on is None or v.decided_on <= as_of]
    return known[-1] if known else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def apply_in_force(golden: MutableMapping[str, FieldValue], history: SanctionHistory) -> None:
    """Make ``golden``'s sanction fields say the version in force (module docstring); a single
    version the sources state leaves the survivorship values as they are."""
    current = history.in_force
    if current is None or (not history.revised and current.entry_id is None):
        return
    for name in ("sanction_code", *RECORD_FIELDS):
        golden.pop(name, None)
    if current.annulment:
        day = current.decided_on.isoformat() if current.decided_on else None
        golden["sanction_annulled_on"] = FieldValue(day, current.source, current.staged_id, IN_FORCE_RULE)
        return
    golden["sanction_code"] = FieldValue(current.code, current.source, current.staged_id, IN_FORCE_RULE)
    winner = (history.winners or {}).get(current.seq)
    if winner is not None:
        for name in RECORD_FIELDS:
            value = winner.value(name)
            if value is not None:
                golden[name] = FieldValue(value, winner.source, winner.staged_id, IN_FORCE_RULE)
    else:
        golden["sanction_sk_no"] = FieldValue(current.letter_no, STEWARD, None, IN_FORCE_RULE)
        day = current.decided_on.isoformat() if current.decided_on else None
        golden["sanction_date"] = FieldValue(day, STEWARD, None, IN_FORCE_RULE)
    if history.since is not None and history.since != current.decided_on:
        first = next(v for v in history.versions if v.decided_on == history.since)
        golden["sanction_since"] = FieldValue(
            history.since.isoformat(), first.source, first.staged_id, IN_FORCE_RULE
        )


def attach_entries(
    entries: Sequence[StewardSanction], drafts: Mapping[str, frozenset[int]]
) -> dict[str, list[StewardSanction]]:
    """Each steward entry's case among ``drafts`` (case key -> its records): the case of its stored
    key, else the case holding most of the records its case held (ties: the smallest key), else none
    (the entry's case is gone with all its records)."""
    attached: dict[str, list[StewardSanction]] = {}
    for entry in sorted(entries, key=lambda e: e.entry_id):
        key = entry.case_key if entry.case_key in drafts else None
        if key is None:
            votes = [(-len(entry.staged_ids & ids), k) for k, ids in drafts.items() if entry.staged_ids & ids]
            key = min(votes)[1] if votes else None
        if key is not None:
            attached.setdefault(key, []).append(entry)
    return attached
