"""The ground truth at an instant, derived only from what the sources published by then.

Per case: the golden recommendation (bkn_wasdal over kasn) and sanction (idis over kemendagri), the
critical-field and lifecycle conflicts, and the DEFAULT enforcement policy's control actions and block
state. Nothing here reads a case's generation intent (bucket or flags).

Holds (DESIGN.md, "Identity disputes hold"): a case proven by some source and not ended is held while a
critical-field or lifecycle conflict is open on it, or while one of its rows has an identity dispute
(``truth_identity``: a name mismatch, tied namesakes, or a person the registry does not hold).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import BLOKIR_AFTER_DAYS, FOLLOW_UP_DAYS, TEGURAN_AFTER_DAYS, WIB, iso
from sbt_sync.sandbox.generate.sources.common import Evidence

REC_PRIORITY = ("bkn_wasdal", "kasn")
SANKSI_PRIORITY = ("idis", "kemendagri")
ESCALATING = ("terbukti", "dibatalkan")
"""Recommendation results after which the PPK must follow up (an annulment comes after that)."""


@dataclass
class CaseState:
    """A case as a correct system sees it at the instant."""

    case_id: str
    reported: bool = False
    rec: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> values (+ "at")
    sanksi: dict[str, dict[str, Any]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    stage: str = "tidak_dilaporkan"
    actions: list[dict[str, str]] = field(default_factory=list)
    blocked: bool = False
    held: bool = False
    disputes: list[str] = field(default_factory=list)
    """Reasons of the identity conflicts on the case's rows (``truth_identity.disputed_cases``)."""
    end: date | None = None
    """The end event's day (sanction in force since, annulment, leaving service) of a recommended case."""

    def golden(self, table: dict[str, dict[str, Any]], priority: tuple[str, ...]) -> dict[str, Any] | None:
        return next((table[s] for s in priority if s in table), None)


def current_facts(evidence: list[Evidence], instant: datetime) -> dict[str, list[Evidence]]:
    """Per case, the facts of the latest version of each (source, key) available at ``instant``."""
    latest: dict[tuple[str, str], datetime] = {}
    for ev in evidence:
        if ev.at <= instant and ev.at > latest.get((ev.source, ev.key), datetime.min.replace(tzinfo=WIB)):
            latest[(ev.source, ev.key)] = ev.at
    out: dict[str, list[Evidence]] = defaultdict(list)
    for ev in evidence:
        if latest.get((ev.source, ev.key)) == ev.at:
            out[ev.case_id].append(ev)
    return out


def _conflicts(state: CaseState) -> None:
    if len(state.rec) > 1:
        values = {s: v["hasil"] for s, v in sorted(state.rec.items())}
        if len(set(values.values())) > 1:
            state.conflicts.append({"kind": "critical_field", "field": "hasil", "values": values})
        else:
            recommended = {s: v["sanksi"] for s, v in sorted(state.rec.items())}
            if len(set(recommended.values())) > 1:
                state.conflicts.append(
                    {"kind": "critical_field", "field": "rekomendasi_sanksi", "values": recommended}
                )
    if len(state.sanksi) > 1:
        jenis = {s: v["jenis"] for s, v in sorted(state.sanksi.items())}
        if len(set(jenis.values())) > 1:
            state.conflicts.append({"kind": "critical_field", "field": "jenis_hukuman", "values": jenis})
    rec = state.golden(state.rec, REC_PRIORITY)
    sanksi = state.golden(state.sanksi, SANKSI_PRIORITY)
    if rec is not None and sanksi is not None and rec["hasil"] == "tidak_terbukti":
        src_rec = next(s for s in REC_PRIORITY if s in state.rec)
        src_sk = next(s for s in SANKSI_PRIORITY if s in state.sanksi)
        state.conflicts.append(
            {
                "kind": "lifecycle",
                "field": "hasil",
                "reason": "sanction_on_not_proven",
                "values": {src_rec: rec["hasil"], src_sk: sanksi["jenis"]},
            }
        )
    for c in state.conflicts:
        c["sources"] = sorted(c["values"])


def _escalate(state: CaseState, rec: dict[str, Any], end: date | None, as_of: date) -> None:
    rec_date = date.fromisoformat(rec["rec_date"])
    deadline = rec_date + timedelta(days=FOLLOW_UP_DAYS)
    steps = (
        ("peringatan", deadline),
        ("teguran", deadline + timedelta(days=TEGURAN_AFTER_DAYS)),
        ("pemblokiran", deadline + timedelta(days=TEGURAN_AFTER_DAYS + BLOKIR_AFTER_DAYS)),
    )
    for action, day in steps:
        if day <= as_of and (end is None or end > day):
            state.actions.append({"action": action, "date": day.isoformat()})
    fired = {a["action"] for a in state.actions}
    if "pemblokiran" in fired:
        if end is None:
            state.blocked = True
        else:
            state.actions.append({"action": "buka_blokir", "date": end.isoformat()})
    if state.blocked:
        state.stage = "diblokir"
    elif end is None:
        state.stage = {"teguran": "teguran", "peringatan": "peringatan"}.get(
            next((a for a in ("teguran", "peringatan") if a in fired), ""), "menunggu_tindak_lanjut"
        )


def case_state(
    case: Case,
    facts: list[Evidence],
    left_on: date | None,
    instant: datetime,
    disputes: list[str] | None = None,
) -> CaseState:
    """The case at ``instant``: golden values, conflicts, stage, control actions and block flag.

    ``disputes``: the identity conflicts open on the case's rows at ``instant`` (they hold it as a
    critical conflict does).
    """
    state = CaseState(case.case_id, disputes=sorted(disputes or []))
    for ev in sorted(facts, key=lambda e: (e.source, e.key, e.at)):
        values = dict(ev.values) | {"at": ev.at}
        if ev.kind == "reported":
            state.reported = True
        elif ev.kind == "rekomendasi":
            state.rec[ev.source] = values
        elif ev.kind == "sanksi":
            # A source's decisions are versions: the latest decision is in force, and a sanction has
            # been in force since its first decision (a revision on objection does not move it).
            seen = state.sanksi.get(ev.source)
            since = min(values["sk_date"], seen["since"]) if seen else values["sk_date"]
            if seen is None or (values["sk_date"], values["at"]) > (seen["sk_date"], seen["at"]):
                seen = values
            state.sanksi[ev.source] = seen | {"since": since}
    _conflicts(state)
    as_of = instant.astimezone(WIB).date()
    rec = state.golden(state.rec, REC_PRIORITY)
    sanksi = state.golden(state.sanksi, SANKSI_PRIORITY)
    if rec is None:
        state.stage = "menunggu_verifikasi" if state.reported else "tidak_dilaporkan"
        return state
    if rec["hasil"] in ("tidak_terbukti", "ditolak"):
        state.stage = rec["hasil"]
        return state
    left = left_on if left_on is not None and left_on <= as_of else None
    ends = [
        d
        for d in (
            date.fromisoformat(sanksi["since"]) if sanksi else None,
            rec["at"].astimezone(WIB).date() if rec["hasil"] == "dibatalkan" else None,
            left,
        )
        if d is not None
    ]
    end = state.end = min(ends) if ends else None
    any_proven = any(v["hasil"] == "terbukti" for v in state.rec.values())
    if (state.conflicts or state.disputes) and any_proven and end is None:
        state.held, state.stage = True, "ditahan"
        return state
    _escalate(state, rec, end, as_of)
    if end is not None:
        state.stage = (
            "dijatuhi_hukuman"
            if sanksi
            else "dibatalkan"
            if rec["hasil"] == "dibatalkan"
            else "meninggalkan_dinas"
        )
    return state


def _proven(state: CaseState) -> bool:
    return (state.golden(state.rec, REC_PRIORITY) or {}).get("hasil") == "terbukti"


def unblocked_over(timeline: list[dict[str, CaseState]], nip_of: Mapping[str, str] | None = None) -> set[str]:
    """The cases whose block SIASN lifted by the last instant of ``timeline``, for a system deciding
    and pushing at each instant in turn (each its states, in order): the cases an instant's decision
    blocks a NIP for, when a later instant's leaves that NIP unblocked (an end event, a correction to
    not proven, a hold). A block and its unblock that both fall between two instants never reach
    SIASN and count as neither; a case the NIP stays blocked for by another case is not unblocked.
    ``nip_of``: case id -> NIP (by default each case its own NIP).

    Which NIPs are blocked at the last instant does not depend on the earlier ones.
    """
    unblocked: set[str] = set()
    before: dict[str, set[str]] = {}
    for states in timeline:
        now: dict[str, set[str]] = defaultdict(set)
        for case_id, state in states.items():
            if state.blocked:
                now[nip_of[case_id] if nip_of is not None else case_id].add(case_id)
        for nip, cases in before.items():
            if nip not in now:
                unblocked |= cases
        before = now
    return unblocked


def recap(
    states: dict[str, CaseState],
    cases: list[Case],
    kanreg_of: dict[str, str],
    nip_of: dict[str, str],
    unblocked: set[str] | None = None,
) -> dict[str, Any]:
    """The national recap (BKN's table) per event and in total, at the instant of ``states``.

    ``unblocked``: the cases unblocked by then (:func:`unblocked_over` the cycles that led there);
    by default none (one instant alone has lifted no block it pushed).
    """
    if unblocked is None:
        unblocked = unblocked_over([states])
    by_event: dict[str, dict[str, Any]] = {}
    for scope in [*sorted({c.event for c in cases}), "TOTAL"]:
        chosen = [c for c in cases if scope in ("TOTAL", c.event)]
        st = [states[c.case_id] for c in chosen]
        rec = [s for s in st if (g := s.golden(s.rec, REC_PRIORITY)) and g["hasil"] in ESCALATING]
        blocked_nips = sorted({nip_of[s.case_id] for s in st if s.blocked})
        by_kanreg: dict[str, int] = defaultdict(int)
        for nip in blocked_nips:
            by_kanreg[kanreg_of[nip]] += 1
        unblocks_by_kanreg: dict[str, int] = defaultdict(int)
        for nip in {nip_of[c.case_id] for c in chosen if c.case_id in unblocked}:
            unblocks_by_kanreg[kanreg_of[nip]] += 1
        by_event[scope] = {
            "reported": sum(s.reported for s in st),
            "recommended": len(rec),
            "sanctioned": sum(1 for s in rec if s.sanksi and _proven(s)),
            # An annulled recommendation is counted as annulled only, sanctioned or not; a case whose
            # ASN left service ended: nobody is left for the PPK to sanction.
            "not_followed_up": sum(
                1 for s in rec if not s.sanksi and _proven(s) and s.stage != "meninggalkan_dinas"
            ),
            "left_service": sum(
                1 for s in rec if not s.sanksi and _proven(s) and s.stage == "meninggalkan_dinas"
            ),
            "in_process": sum(1 for s in st if s.stage == "menunggu_verifikasi"),
            "not_proven": sum(1 for s in st if s.stage == "tidak_terbukti"),
            "rejected": sum(1 for s in st if s.stage == "ditolak"),
            "annulled": sum(1 for s in st if s.stage == "dibatalkan"),
            "held": sum(s.held for s in st),
            "blocked": sum(s.blocked for s in st),
            "blocked_nips": len(blocked_nips),
            "unblocked": sum(1 for c in chosen if c.case_id in unblocked),
            "blocks_by_kanreg": dict(sorted(by_kanreg.items())),
            "unblocks_by_kanreg": dict(sorted(unblocks_by_kanreg.items())),
        }
    return by_event


def enforcement(
    states: dict[str, CaseState], cases: list[Case], nip_of: dict[str, str], instant: datetime
) -> dict[str, Any]:
    """``enforcement.json``: block state per NIP, control actions per case, held cases."""
    per_nip: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        per_nip[nip_of[case.case_id]].append(case.case_id)
    return {
        "as_of": iso(instant),
        "policy": {
            "follow_up_days": FOLLOW_UP_DAYS,
            "teguran_after_days": TEGURAN_AFTER_DAYS,
            "blokir_after_days": BLOKIR_AFTER_DAYS,
        },
        "nips": [
            {
                "nip": nip,
                "blocked": any(states[c].blocked for c in ids),
                "cases": sorted(ids),
                "blocking_cases": sorted(c for c in ids if states[c].blocked),
            }
            for nip, ids in sorted(per_nip.items())
        ],
        "cases": [
            {
                "case_id": c.case_id,
                "stage": states[c.case_id].stage,
                "held": states[c.case_id].held,
                "identity_disputes": states[c.case_id].disputes,
                "blocked": states[c.case_id].blocked,
                "actions": states[c.case_id].actions,
            }
            for c in cases
        ],
        "held": sorted(c.case_id for c in cases if states[c.case_id].held),
    }
