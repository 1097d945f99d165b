"""The national recap, in the form BKN publishes it (DOMAIN.md: the 26 November 2020 table).

Per election event and in total: reported (cases with a Bawaslu register), recommended (golden result
``terbukti`` or ``dibatalkan``), sanctioned by PPK (recommended with a recorded sanction), not followed
up (recommended minus sanctioned), in process (reported, no result yet), not proven, rejected,
annulled, held, blocked (cases a standing SIASN block is for), blocked NIPs, unblocked (cases with a
buka blokir), and blocked NIPs by Kanreg. Complaints no source tied to an election event are left
out. Counted from the golden dataset and the enforcement state, so it is what the database says now.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import BlockState, Case, CaseLink, ControlAction

TOTAL = "TOTAL"
COLUMNS = (
    "reported",
    "recommended",
    "sanctioned",
    "not_followed_up",
    "in_process",
    "not_proven",
    "rejected",
    "annulled",
    "held",
    "blocked",
    "blocked_nips",
    "unblocked",
)
HEADERS = {
    "reported": "Dilaporkan",
    "recommended": "Direkomendasikan",
    "sanctioned": "Dijatuhi hukuman PPK",
    "not_followed_up": "Belum ditindaklanjuti",
    "in_process": "Dalam proses",
    "not_proven": "Tidak terbukti",
    "rejected": "Ditolak",
    "annulled": "Dibatalkan",
    "held": "Ditahan",
    "blocked": "Diblokir",
    "blocked_nips": "NIP diblokir",
    "unblocked": "Dibuka blokirnya",
}
RECOMMENDED = ("terbukti", "dibatalkan")


@dataclass
class RecapRow:
    counts: Counter[str] = field(default_factory=Counter)
    blocks_by_kanreg: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            **{c: self.counts[c] for c in COLUMNS},
            "blocks_by_kanreg": dict(sorted(self.blocks_by_kanreg.items())),
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
        kanregs = sorted({k for row in self.events.values() for k in row.blocks_by_kanreg}, key=_kanreg_order)
        rows: list[list[Any]] = [["Pemilihan", *kanregs]]
        for name, row in self.events.items():
            rows.append([name, *(row.blocks_by_kanreg[k] for k in kanregs)])
        return rows


KANREG_ORDER = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV")
_ROMAN = {r: i for i, r in enumerate(KANREG_ORDER, 1)}


def _kanreg_order(kanreg: str) -> tuple[int, str]:
    return (_ROMAN.get(kanreg, 99), kanreg)


def build_recap(database: Database) -> Recap:
    """The recap from the database as it is now."""
    with database.session() as session:
        cases = session.execute(
            select(Case.id, Case.nip, Case.event_code, Case.status, Case.held, Case.kanreg_id, Case.golden)
        ).all()
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
    ever_unblocked: set[int] = set()
    with database.session() as session:
        ever_unblocked = set(
            session.scalars(select(ControlAction.case_id).where(ControlAction.action == "buka_blokir"))
        )
    events: dict[str, RecapRow] = defaultdict(RecapRow)
    nip_kanreg: dict[str, str] = {}
    nips_by_event: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        if case.event_code is None:
            continue  # a complaint no source tied to an election: not in the recap
        event = case.event_code
        result = (case.golden or {}).get("verification_result")
        has_sanction = (case.golden or {}).get("sanction_code") is not None
        counts = Counter[str]()
        # A register known from any source counts: a quarantined Bawaslu row still named one.
        is_reported = case.id in reported or bool((case.golden or {}).get("register_no"))
        counts["reported"] = is_reported
        counts["recommended"] = result in RECOMMENDED
        counts["sanctioned"] = result in RECOMMENDED and has_sanction
        counts["not_followed_up"] = result in RECOMMENDED and not has_sanction
        counts["in_process"] = is_reported and result is None
        counts["not_proven"] = result == "tidak_terbukti"
        counts["rejected"] = result == "ditolak"
        counts["annulled"] = result == "dibatalkan"
        counts["held"] = bool(case.held)
        counts["blocked"] = case.id in blocking  # a case the NIP's standing block is for
        counts["unblocked"] = case.id in ever_unblocked
        for name in (event, TOTAL):
            events[name].counts.update(counts)
        if counts["blocked"] and case.nip in blocked_nips:
            nip_kanreg[case.nip] = case.kanreg_id or "?"
            nips_by_event[event].add(case.nip)
            nips_by_event[TOTAL].add(case.nip)
    for name, nips in nips_by_event.items():
        events[name].counts["blocked_nips"] = len(nips)
        events[name].blocks_by_kanreg.update(nip_kanreg[n] for n in nips)
    ordered = {name: events[name] for name in sorted(events) if name != TOTAL}
    ordered[TOTAL] = events[TOTAL]
    return Recap(ordered)
