"""The national recap, in the form BKN publishes it (DOMAIN.md: the 26 November 2020 table).

Per election event and in total, at a day ``as_of`` (by default today, WIB): reported (cases with a
Bawaslu register), recommended (golden result ``terbukti`` or ``dibatalkan``), sanctioned by PPK
(proven, ``terbukti``, with a sanction in force on ``as_of``: the latest decision, so a sanction
annulled on objection no longer counts, nor does a sanction on a recommendation since annulled;
dated on or before ``as_of``, or undated, the enforcement policy's rule, so a sanction dated later is
not yet one), revised after
objection (cases whose sanction has more than one version, ``sanction_versions``), not followed up
(proven, no sanction in force, and the ASN still in service: the PPK still owes the follow-up),
left service (proven, no sanction in force, and the ASN left service on or before ``as_of``: the case
ended, nobody is left to sanction), in process (reported, no result yet), not proven, rejected,
annulled, held, blocked (cases a block SIASN acknowledged, and still holds, is for), blocked NIPs,
unblocked (cases whose block SIASN acknowledged lifting), and blocked and unblocked NIPs by Kanreg.
So recommended = sanctioned + not followed up + left service + annulled. Blocks and unblocks are
SIASN's acknowledgements (``outbox`` rows ``acked``) of the changes decided by ``as_of``, not the desired
state: a block waiting for the change guard's approval, or not pushed yet, has not stopped anyone's
promotion, and a report for an earlier day counts what SIASN held then. Two columns say what
the table alone would hide: proven cases with no identified ASN (nobody can be warned or blocked until
a steward identifies the person; also by the Kanreg of the instansi the sources named) and public
complaints no body forwarded (status ``aduan``). Complaints no source tied to an election event get a
row of their own, :data:`NO_EVENT`, which counts only there and in the total. Counted from the golden
dataset and the enforcement state, so it is what the database says now; enforcement deciding for the
same day counts the same sanctions and departures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    BlockState,
    Case,
    CaseLink,
    ControlAction,
    OutboxEntry,
    SanctionVersion,
)
from sbt_sync.enforce.load import WIB, left_service_dates
from sbt_sync.states.control import ControlAction as ControlActionKind
from sbt_sync.states.outbox import OutboxState, PushAction

TOTAL = "TOTAL"
NO_EVENT = "Tanpa pemilihan"
"""The row of cases no source tied to an election event (public complaints, for the most part)."""
UNKNOWN_KANREG = "?"
COLUMNS = (
    "reported",
    "recommended",
    "sanctioned",
    "revised",
    "not_followed_up",
    "left_service",
    "in_process",
    "not_proven",
    "rejected",
    "annulled",
    "held",
    "blocked",
    "blocked_nips",
    "unblocked",
    "unidentified",
    "aduan",
)
HEADERS = {
    "reported": "Dilaporkan",
    "recommended": "Direkomendasikan",
    "sanctioned": "Dijatuhi hukuman PPK",
    "revised": "Direvisi setelah keberatan",
    "not_followed_up": "Belum ditindaklanjuti",
    "left_service": "ASN berhenti dari dinas",
    "in_process": "Dalam proses",
    "not_proven": "Tidak terbukti",
    "rejected": "Ditolak",
    "annulled": "Dibatalkan",
    "held": "Ditahan",
    "blocked": "Diblokir",
    "blocked_nips": "NIP diblokir",
    "unblocked": "Dibuka blokirnya",
    "unidentified": "Terbukti, tanpa ASN teridentifikasi",
    "aduan": "Aduan belum diteruskan",
}
RECOMMENDED = ("terbukti", "dibatalkan")
CHUNK = 1000


@dataclass
class RecapRow:
    counts: Counter[str] = field(default_factory=Counter)
    blocks_by_kanreg: Counter[str] = field(default_factory=Counter)
    unblocks_by_kanreg: Counter[str] = field(default_factory=Counter)
    """NIPs whose block SIASN acknowledged lifting, by Kanreg."""
    unidentified_by_kanreg: Counter[str] = field(default_factory=Counter)
    """Proven cases with no identified ASN, by the Kanreg of the instansi the sources named."""

    def as_dict(self) -> dict[str, Any]:
        return {
            **{c: self.counts[c] for c in COLUMNS},
            "blocks_by_kanreg": dict(sorted(self.blocks_by_kanreg.items())),
            "unblocks_by_kanreg": dict(sorted(self.unblocks_by_kanreg.items())),
            "unidentified_by_kanreg": dict(sorted(self.unidentified_by_kanreg.items())),
        }


@dataclass
class Recap:
    events: dict[str, RecapRow]
    as_of: date | None = None
    """The day the dated facts (sanctions, departures) are counted at."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "events": {name: row.as_dict() for name, row in self.events.items()},
        }

    def table(self) -> list[list[Any]]:
        """Header row, then one row per event and the total."""
        rows: list[list[Any]] = [["Pemilihan", *(HEADERS[c] for c in COLUMNS)]]
        for name, row in self.events.items():
            rows.append([name, *(row.counts[c] for c in COLUMNS)])
        return rows

    def kanreg_table(self) -> list[list[Any]]:
        """Blocked NIPs by Kanreg, one row per event and the total."""
        return self._by_kanreg(lambda row: row.blocks_by_kanreg)

    def unblock_kanreg_table(self) -> list[list[Any]]:
        """Unblocked NIPs by Kanreg, one row per event and the total."""
        return self._by_kanreg(lambda row: row.unblocks_by_kanreg)

    def unidentified_table(self) -> list[list[Any]]:
        """Proven cases with no identified ASN by Kanreg, one row per event and the total."""
        return self._by_kanreg(lambda row: row.unidentified_by_kanreg)

    def _by_kanreg(self, counts: Callable[[RecapRow], Counter[str]]) -> list[list[Any]]:
        kanregs = sorted({k for row in self.events.values() for k in counts(row)}, key=kanreg_order)
        rows: list[list[Any]] = [["Pemilihan", *kanregs]]
        for name, row in self.events.items():
            rows.append([name, *(counts(row)[k] for k in kanregs)])
        return rows


KANREG_ORDER = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV")
_ROMAN = {r: i for i, r in enumerate(KANREG_ORDER, 1)}


def kanreg_order(kanreg: str) -> tuple[int, str]:
    """Sort key: Kanreg I to XIV in their official order, then anything else (PUSAT) by name."""
    return (_ROMAN.get(kanreg, 99), kanreg)


def _instansi_kanreg(session: Session, instansi_ids: Iterable[str]) -> dict[str, str]:
    """Instansi id -> the Kanreg most of its registry ASN belong to (the one serving it)."""
    wanted = sorted(set(instansi_ids))
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(AsnRegistryEntry.instansi_id, AsnRegistryEntry.kanreg_id, func.count())
            .where(AsnRegistryEntry.instansi_id.in_(wanted[start : start + CHUNK]))
            .group_by(AsnRegistryEntry.instansi_id, AsnRegistryEntry.kanreg_id)
        )
        for instansi, kanreg, count in session.execute(query).tuples():
            votes[instansi][kanreg] += count
    # Ties go to the first Kanreg in the published order, so the recap is the same on every run.
    return {i: min(v, key=lambda k: (-v[k], kanreg_order(k))) for i, v in votes.items()}


class _Block(NamedTuple):
    row_id: int
    """The acknowledged ``blokir`` row the block stands on."""
    refs: list[str]
    """The case keys SIASN was told of."""


def _siasn_flags(session: Session, day: date | None) -> tuple[dict[str, _Block], dict[str, list[str]]]:
    """What SIASN acknowledged of the changes decided on or before ``day`` (None: every change): NIP
    -> its standing block (the latest such acknowledged row of the NIP is a block), and NIP -> the
    case keys of the blocks it acknowledged lifting. The day a change was decided for
    (``outbox.decided_on``, enforcement's ``as_of``) places it, not when SIASN answered: a run
    deciding for another day than today (``--as-of``, the sandbox's clock) is counted on its day. A
    row without one (written before migration 0035) counts as known."""
    query = (
        select(OutboxEntry.id, OutboxEntry.nip, OutboxEntry.action, OutboxEntry.case_refs)
        .where(OutboxEntry.state == OutboxState.ACKED)
        .order_by(OutboxEntry.id)  # a NIP's rows reach SIASN in id order
    )
    if day is not None:
        query = query.where(OutboxEntry.decided_on.is_(None) | (OutboxEntry.decided_on <= day))
    blocked: dict[str, _Block] = {}
    unblocked: dict[str, list[str]] = defaultdict(list)
    for row_id, nip, action, refs in session.execute(query).tuples():
        if action == PushAction.BLOKIR:
            blocked[nip] = _Block(row_id, list(refs or []))
        else:
            blocked.pop(nip, None)
            unblocked[nip].extend(refs or [])
    return blocked, dict(unblocked)


def _standing_blocks(
    session: Session, blocks: dict[str, _Block], id_of: dict[str, int], day: date | None
) -> dict[str, set[int]]:
    """NIP -> the case ids of each of ``blocks`` (standing at ``day``). A block that still stands (no
    acknowledged change of the NIP since) is for its cases now (block_state, kept current while it
    stands: a case re-keyed or merged since the block was sent); a block lifted or replaced since, for
    the cases SIASN was told of (``id_of`` maps their keys)."""
    latest = blocks if day is None else _siasn_flags(session, None)[0]
    desired = dict(
        session.execute(select(BlockState.nip, BlockState.case_ids).where(BlockState.blocked.is_(True)))
        .tuples()
        .all()
    )
    found: dict[str, set[int]] = {}
    for nip, block in blocks.items():
        now = latest.get(nip)
        ids = desired.get(nip) if now is not None and now.row_id == block.row_id else None
        found[nip] = {int(i) for i in ids} if ids else {id_of[k] for k in block.refs if k in id_of}
    return found


def acknowledged_blocks(
    session: Session, id_of: dict[str, int], as_of: date | None = None
) -> dict[str, set[int]]:
    """NIP -> the case ids of its block, for each NIP whose latest row SIASN acknowledged of those
    decided by ``as_of`` (None: every one) is a block: the recap's "Diblokir" rule, shared by the
    compliance report. ``id_of`` maps case keys to ids for a block whose block_state no longer names
    its cases."""
    blocked, _ = _siasn_flags(session, as_of)
    return _standing_blocks(session, blocked, id_of, as_of)


def held_since_days(session: Session) -> dict[int, date]:
    """Case id -> the day enforcement first held it (its earliest ``hold`` step): a report for an
    earlier day does not count a case held only since after it. When a hold ended is not kept, so
    a hold in force before that day and lifted since is not counted either."""
    query = (
        select(ControlAction.case_id, func.min(ControlAction.due_on))
        .where(ControlAction.action == ControlActionKind.HOLD)
        .group_by(ControlAction.case_id)
    )
    return dict(session.execute(query).tuples().all())


def build_recap(
    database: Database, *, only: ColumnElement[bool] | None = None, as_of: date | None = None
) -> Recap:
    """The recap from the database as it is now, its dated facts counted at ``as_of`` (default: today,
    WIB); ``only`` counts just the cases it selects (an agency viewer's,
    :func:`sbt_sync.steward.scope.case_visible`)."""
    with database.session() as session:
        day = as_of if as_of is not None else datetime.now(WIB).date()
        query = select(
            Case.id,
            Case.case_key,
            Case.nip,
            Case.event_code,
            Case.status,
            Case.held,
            Case.kanreg_id,
            Case.instansi_id,
            Case.sanction_imposed,
            Case.sanction_date,
            Case.golden,
        )
        cases = session.execute(query if only is None else query.where(only)).all()
        reported = set(
            session.scalars(
                select(CaseLink.case_id).where(CaseLink.unlinked_at.is_(None), CaseLink.source == "bawaslu")
            )
        )
        siasn_blocked, siasn_unblocked = _siasn_flags(session, day)
        id_of = {case.case_key: case.id for case in cases}
        standing = _standing_blocks(session, siasn_blocked, id_of, day)
        blocking = {i for ids in standing.values() for i in ids}
        unblocked_ids = {id_of[k] for refs in siasn_unblocked.values() for k in refs if k in id_of}
        revised = set(
            session.scalars(
                select(SanctionVersion.case_id)
                .where(SanctionVersion.case_id.is_not(None))
                .group_by(SanctionVersion.case_id)
                .having(func.count() > 1)
            )
        )
        departures = left_service_dates(session, {c.nip for c in cases if c.nip})
        held_since = held_since_days(session)
        unidentified_instansi = {
            c.instansi_id
            for c in cases
            if c.nip is None and c.instansi_id and (c.golden or {}).get("verification_result") == "terbukti"
        }
        kanreg_of_instansi = _instansi_kanreg(session, unidentified_instansi)
    events: dict[str, RecapRow] = defaultdict(RecapRow)
    nip_kanreg: dict[str, str] = {}
    nips_by_event: dict[str, set[str]] = defaultdict(set)
    unblocked_nips_by_event: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        event = case.event_code or NO_EVENT
        golden = case.golden or {}
        result = golden.get("verification_result")
        # The enforcement policy's rule (sbt_sync.enforce.load, .policy): a sanction recorded counts
        # from its day, an undated one as known; a departure likewise.
        recorded = (
            golden.get("sanction_code") is not None
            or case.sanction_imposed is not None
            or case.status == "dijatuhi_hukuman"
        )
        has_sanction = recorded and (case.sanction_date is None or case.sanction_date <= day)
        left_on = departures.get(case.nip) if case.nip else None
        left = (case.nip in departures or case.status == "asn_berhenti") and (
            left_on is None or left_on <= day
        )
        # A register known from any source counts: a quarantined Bawaslu row still named one.
        is_reported = case.id in reported or bool(golden.get("register_no"))
        is_blocked = case.id in blocking  # a case SIASN's standing block of the NIP is for
        # Proven, yet nobody to warn or block until a steward identifies the person.
        unidentified = result == "terbukti" and case.nip is None
        flags = {
            "reported": is_reported,
            "recommended": result in RECOMMENDED,
            # An annulled recommendation counts as annulled only, with or without a sanction, so
            # recommended = sanctioned + not followed up + left service + annulled, as BKN's table adds up.
            "sanctioned": result == "terbukti" and has_sanction,
            "revised": case.id in revised,
            "not_followed_up": result == "terbukti" and not has_sanction and not left,
            "left_service": result == "terbukti" and not has_sanction and left,
            "in_process": is_reported and result is None,
            "not_proven": result == "tidak_terbukti",
            "rejected": result == "ditolak",
            "annulled": result == "dibatalkan",
            "held": bool(case.held) and held_since.get(case.id, day) <= day,
            "blocked": is_blocked,
            "unblocked": case.id in unblocked_ids,
            "unidentified": unidentified,
            "aduan": case.status == "aduan",
        }
        # Counts, not flags: Counter.update with booleans would leave an event with one case
        # showing True/False (it adds to existing counts, but copies into an empty Counter).
        counts = Counter({name: 1 for name, flag in flags.items() if flag})
        for name in (event, TOTAL):
            events[name].counts.update(counts)
        if unidentified:
            kanreg = kanreg_of_instansi.get(case.instansi_id or "", UNKNOWN_KANREG)
            for name in (event, TOTAL):
                events[name].unidentified_by_kanreg[kanreg] += 1
        if case.nip is not None and (is_blocked or case.id in unblocked_ids):
            nip_kanreg[case.nip] = case.kanreg_id or UNKNOWN_KANREG
            for name in (event, TOTAL):
                if is_blocked:
                    nips_by_event[name].add(case.nip)
                if case.id in unblocked_ids:
                    unblocked_nips_by_event[name].add(case.nip)
    for name, nips in nips_by_event.items():
        events[name].counts["blocked_nips"] = len(nips)
        events[name].blocks_by_kanreg.update(nip_kanreg[n] for n in nips)
    for name, nips in unblocked_nips_by_event.items():
        events[name].unblocks_by_kanreg.update(nip_kanreg[n] for n in nips)
    ordered = {name: events[name] for name in sorted(events) if name not in (TOTAL, NO_EVENT)}
    if NO_EVENT in events:
        ordered[NO_EVENT] = events[NO_EVENT]
    ordered[TOTAL] = events[TOTAL]  # present even for an empty database (a defaultdict)
    return Recap(ordered, as_of=day)
