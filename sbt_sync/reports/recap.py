"""The national recap, in the form BKN publishes it (DOMAIN.md: the 26 November 2020 table).

Per election event and in total: reported (cases with a Bawaslu register), recommended (golden result
``terbukti`` or ``dibatalkan``), sanctioned by PPK (proven, ``terbukti``, with a sanction in force:
the latest decision, so a sanction annulled on objection no longer counts, nor does a sanction on a
recommendation since annulled), revised after objection (cases whose
sanction has more than one version, ``sanction_versions``), not followed up (proven, ``terbukti``,
with no sanction in force: an annulled recommendation is counted as annulled, not as one the PPK left
undone, as the compliance report does), in process (reported, no result yet), not proven, rejected,
annulled, held, blocked (cases a standing SIASN block is for), blocked NIPs, unblocked (cases with a
buka blokir), and blocked NIPs by Kanreg. Two columns say what the table alone would hide: proven
cases with no identified ASN (nobody can be warned or blocked until a steward identifies the person;
also by the Kanreg of the instansi the sources named) and public complaints no body forwarded
(status ``aduan``). Complaints no source tied to an election event get a row of their own,
:data:`NO_EVENT`, which counts only there and in the total. Counted from the golden dataset and the
enforcement state, so it is what the database says now.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, BlockState, Case, CaseLink, ControlAction, SanctionVersion

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
    unidentified_by_kanreg: Counter[str] = field(default_factory=Counter)
    """Proven cases with no identified ASN, by the Kanreg of the instansi the sources named."""

    def as_dict(self) -> dict[str, Any]:
        return {
            **{c: self.counts[c] for c in COLUMNS},
            "blocks_by_kanreg": dict(sorted(self.blocks_by_kanreg.items())),
            "unidentified_by_kanreg": dict(sorted(self.unidentified_by_kanreg.items())),
        }


@dataclass
class Recap:
    events: dict[str, RecapRow]

    def as_dict(self) -> dict[str, Any]:
        return {"events": {name: row.as_dict() for name, row in self.events.items()}}

    def table(self) -> list[list[Any]]:
        """Header row, then one row per event and the total."""
        rows: list[list[Any]] = [["Pemilihan", *(HEADERS[c] for c in COLUMNS)]]
        for name, row in self.events.items():
            rows.append([name, *(row.counts[c] for c in COLUMNS)])
        return rows

    def kanreg_table(self) -> list[list[Any]]:
        """Blocked NIPs by Kanreg, one row per event and the total."""
        return self._by_kanreg(lambda row: row.blocks_by_kanreg)

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


def build_recap(database: Database, *, only: ColumnElement[bool] | None = None) -> Recap:
    """The recap from the database as it is now; ``only`` counts just the cases it selects (an agency
    viewer's, :func:`sbt_sync.steward.scope.case_visible`)."""
    with database.session() as session:
        query = select(
            Case.id,
            Case.nip,
            Case.event_code,
            Case.status,
            Case.held,
            Case.kanreg_id,
            Case.instansi_id,
            Case.golden,
        )
        cases = session.execute(query if only is None else query.where(only)).all()
        reported = set(
            session.scalars(
                select(CaseLink.case_id).where(CaseLink.unlinked_at.is_(None), CaseLink.source == "bawaslu")
            )
        )
        blocking: set[int] = set()
        blocked_nips: set[str] = set()
        for nip, case_ids in session.execute(
            select(BlockState.nip, BlockState.case_ids).where(BlockState.blocked.is_(True))
        ):
            blocked_nips.add(nip)
            blocking.update(int(i) for i in case_ids or [])
        revised = set(
            session.scalars(
                select(SanctionVersion.case_id)
                .where(SanctionVersion.case_id.is_not(None))
                .group_by(SanctionVersion.case_id)
                .having(func.count() > 1)
            )
        )
        ever_unblocked = set(
            session.scalars(select(ControlAction.case_id).where(ControlAction.action == "buka_blokir"))
        )
        unidentified_instansi = {
            c.instansi_id
            for c in cases
            if c.nip is None and c.instansi_id and (c.golden or {}).get("verification_result") == "terbukti"
        }
        kanreg_of_instansi = _instansi_kanreg(session, unidentified_instansi)
    events: dict[str, RecapRow] = defaultdict(RecapRow)
    nip_kanreg: dict[str, str] = {}
    nips_by_event: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        event = case.event_code or NO_EVENT
        golden = case.golden or {}
        result = golden.get("verification_result")
        has_sanction = golden.get("sanction_code") is not None
        # A register known from any source counts: a quarantined Bawaslu row still named one.
        is_reported = case.id in reported or bool(golden.get("register_no"))
        is_blocked = case.id in blocking  # a case the NIP's standing block is for
        # Proven, yet nobody to warn or block until a steward identifies the person.
        unidentified = result == "terbukti" and case.nip is None
        flags = {
            "reported": is_reported,
            "recommended": result in RECOMMENDED,
            # An annulled recommendation counts as annulled only, with or without a sanction, so
            # recommended = sanctioned + not followed up + annulled, as BKN's table adds up.
            "sanctioned": result == "terbukti" and has_sanction,
            "revised": case.id in revised,
            "not_followed_up": result == "terbukti" and not has_sanction,
            "in_process": is_reported and result is None,
            "not_proven": result == "tidak_terbukti",
            "rejected": result == "ditolak",
            "annulled": result == "dibatalkan",
            "held": bool(case.held),
            "blocked": is_blocked,
            "unblocked": case.id in ever_unblocked,
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
        if is_blocked and case.nip in blocked_nips:
            nip_kanreg[case.nip] = case.kanreg_id or UNKNOWN_KANREG
            nips_by_event[event].add(case.nip)
            nips_by_event[TOTAL].add(case.nip)
    for name, nips in nips_by_event.items():
        events[name].counts["blocked_nips"] = len(nips)
        events[name].blocks_by_kanreg.update(nip_kanreg[n] for n in nips)
    ordered = {name: events[name] for name in sorted(events) if name not in (TOTAL, NO_EVENT)}
    if NO_EVENT in events:
        ordered[NO_EVENT] = events[NO_EVENT]
    ordered[TOTAL] = events[TOTAL]  # present even for an empty database (a defaultdict)
    return Recap(ordered)
