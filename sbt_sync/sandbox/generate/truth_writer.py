"""Writes ``truth/``: cases, the true NIP of every source row, conflicts, quarantine, enforcement, recap."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sbt_sync.sandbox.generate.cases import Case
from sbt_sync.sandbox.generate.config import AS_OF, DEMO_CYCLES, iso
from sbt_sync.sandbox.generate.instansi import Instansi
from sbt_sync.sandbox.generate.registry import Registry, rows_by_instansi
from sbt_sync.sandbox.generate.sources.common import Book
from sbt_sync.sandbox.generate.truth import (
    CaseState,
    case_state,
    current_facts,
    enforcement,
    recap,
    unblocked_over,
)
from sbt_sync.sandbox.generate.truth_identity import IdentityTruth
from sbt_sync.sandbox.generate.truth_readme import README
from sbt_sync.sandbox.generate.writer import OutputDir, dumps, jsonl


def _case_record(case: Case, reg: Registry, table: list[Instansi], book: Book) -> dict[str, Any]:
    inst = table[int(reg.instansi[case.row])]
    return {
        "case_id": case.case_id,
        "event": case.event,
        "nip": case.nip(reg),
        "registered": case.unregistered is None,
        "instansi_id": inst.id,
        "kanreg_id": inst.kanreg_id,
        "nomor_register": case.register.nomor,
        "bentuk_pelanggaran": case.register.bentuk,
        "kategori_jabatan": case.kategori,
        "tanggal_register": iso(case.register.tanggal),
        "tanggal_diteruskan": iso(case.register.diteruskan),
        "hasil": case.final_outcome,
        "nomor_rekomendasi": case.nomor_rekomendasi,
        "tanggal_rekomendasi": case.rec_date.isoformat() if case.rec_date else None,
        "rekomendasi_tersedia": iso(case.rec_at) if case.rec_at else None,
        "rekomendasi_sanksi": case.rekomendasi_sanksi,
        "dibatalkan": iso(case.annulled_at) if case.annulled_at else None,
        "jenis_hukuman": case.sanksi,
        "nomor_sk": case.nomor_sk,
        "tanggal_sk": case.sk_date.isoformat() if case.sk_date else None,
        "meninggalkan_dinas": case.left_on.isoformat() if case.left_on else None,
        **_sanction_versions(case),
        "source_records": sorted(
            book.case_records.get(case.case_id, []), key=lambda r: (r["source"], r["key"], r["row"] or 0)
        ),
    }


def _sanction_versions(case: Case) -> dict[str, Any]:
    """``versi_hukuman`` (every decision, in date order) and ``hukuman_berlaku`` (the one in force)."""
    if case.sanksi is None or case.sk_date is None:
        return {"versi_hukuman": [], "hukuman_berlaku": None}
    versions = [
        {"jenis_hukuman": case.sanksi, "nomor_sk": case.nomor_sk, "tanggal_sk": case.sk_date.isoformat()}
    ]
    if case.revision is not None:
        versions.append(
            {
                "jenis_hukuman": case.revision.sanksi,
                "nomor_sk": case.revision.nomor,
                "tanggal_sk": case.revision.sk_date.isoformat(),
            }
        )
    return {"versi_hukuman": versions, "hukuman_berlaku": versions[-1]}


def states_at(
    cases: list[Case], reg: Registry, book: Book, instant: datetime, identity: IdentityTruth | None = None
) -> dict[str, CaseState]:
    """Every case's state at ``instant`` (used for AS_OF and by tests for other instants).

    ``identity`` finds the identity disputes that hold cases; built from ``reg`` when not given.
    """
    if identity is None:
        identity = IdentityTruth(reg, rows_by_instansi(reg, int(reg.instansi.max()) + 1))
    facts = current_facts(book.evidence, instant)
    disputed = identity.disputed_cases(book.source_rows, instant)
    return {
        c.case_id: case_state(c, facts.get(c.case_id, []), c.left_on, instant, disputed.get(c.case_id))
        for c in cases
    }


def write_truth(
    out: OutputDir,
    cases: list[Case],
    reg: Registry,
    table: list[Instansi],
    book: Book,
    identity: IdentityTruth,
) -> dict[str, Any]:
    """Write every truth file and return the recap (also written to ``truth/recap.json``).

    The recap is at ``AS_OF``; its ``unblocked`` counts the blocks the demo's cycles (``DEMO_CYCLES``,
    the last at ``AS_OF``) push and later lift, each deciding on what the sources had published by its
    instant.
    """
    assert DEMO_CYCLES[-1] == AS_OF
    timeline = [states_at(cases, reg, book, instant, identity) for instant in DEMO_CYCLES]
    states = timeline[-1]
    nip_of = {c.case_id: c.nip(reg) for c in cases}
    kanreg_of = {c.nip(reg): table[int(reg.instansi[c.row])].kanreg_id for c in cases}
    conflicts: list[dict[str, Any]] = []
    for case in cases:
        for conflict in states[case.case_id].conflicts:
            conflicts.append({"case_id": case.case_id} | conflict)
    conflicts += identity.conflicts(book.source_rows, AS_OF)
    conflicts += identity.named_other(book.source_rows, AS_OF)
    summary = recap(states, cases, kanreg_of, nip_of, unblocked_over(timeline, nip_of))
    out.write("truth/README.md", README.encode("utf-8"))
    out.write("truth/cases.jsonl", jsonl((_case_record(c, reg, table, book) for c in cases), sort_keys=True))
    out.write("truth/source_nips.jsonl", jsonl(book.source_rows, sort_keys=True))
    out.write("truth/conflicts.jsonl", jsonl(conflicts, sort_keys=True))
    out.write("truth/quarantine.jsonl", jsonl(book.quarantine, sort_keys=True))
    out.write(
        "truth/enforcement.json",
        (dumps(enforcement(states, cases, nip_of, AS_OF), sort_keys=True) + "\n").encode(),
    )
    out.write(
        "truth/recap.json",
        (
            dumps(
                {"as_of": iso(AS_OF), "cycles": [iso(t) for t in DEMO_CYCLES], "events": summary},
                sort_keys=True,
            )
            + "\n"
        ).encode(),
    )
    return summary
