"""I-MUT findings in the database: stored with what they rest on, re-evaluated when the action, its
approval, the blocks or the cases change, closed (never deleted) when they no longer hold, and a
steward's decision kept across re-evaluation while what it rests on is unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    Case,
    ControlAction,
    ImutFinding,
    ImutFindingDecision,
    OutboxEntry,
    StagedRecord,
)
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.findings_write import FindingStats
from sbt_sync.imut.review import StewardChoice
from sbt_sync.imut.steward import FindingFilter, InvalidFindingDecision, decide_finding, list_findings
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.imut.builders import INSTANSI, NIP_A, NIP_B, action_id, ingest, payload

AS_OF = date(2024, 11, 27)


def _evaluate(database: Database, as_of: date = AS_OF) -> FindingStats:
    with database.session() as session:
        return evaluate_findings(
            session, elections=load_election_calendar(), workdays=load_working_days(), as_of=as_of
        )


def _findings(database: Database) -> dict[tuple[str, str], ImutFinding]:
    with database.session() as session:
        rows = session.scalars(select(ImutFinding)).all()
        session.expunge_all()
    return {(row.action_id, row.rule): row for row in rows}


def _audit_actions(database: Database) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "imut_finding")
                .order_by(AuditEntry.id)
            )
        )


def test_a_replacement_without_approval_is_stored_with_what_it_rests_on(migrated_database: Database) -> None:
    ingest(migrated_database, payload(1))
    stats = _evaluate(migrated_database)
    assert (stats.actions, stats.opened) == (1, 1)
    found = _findings(migrated_database)
    assert set(found) == {(action_id(1), "pasal_71_2")}
    finding = found[(action_id(1), "pasal_71_2")]
    assert (finding.status, finding.review, finding.disposition) == ("open", "pending", "breach")
    assert finding.reason_key == "imut.reason.window_no_approval"
    assert (finding.window_first, finding.window_last) == (date(2024, 3, 22), date(2025, 2, 19))
    assert (finding.nip, finding.instansi_id, finding.official_role) == (NIP_A, INSTANSI, "kepala_daerah")
    assert finding.evidence["decision_date"] == "2024-06-10"
    assert finding.records[0]["kind"] == "imut_action" and finding.records[0]["record_key"] == action_id(1)
    assert _audit_actions(migrated_database) == ["imut_finding.open"]
    with migrated_database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "imut_finding")).one()
        assert audit.after is not None and NIP_A not in str(audit.after)  # masked
        assert not session.scalar(select(StagedRecord.needs_reconcile))
    # Nothing changed: a second evaluation writes nothing.
    again = _evaluate(migrated_database)
    assert (again.full, again.actions) == (False, 0)  # the same day, nothing changed: nothing to read
    assert (again.opened, again.changed, again.closed) == (0, 0, 0)
    next_day = _evaluate(migrated_database, date(2024, 11, 28))
    assert (next_day.full, next_day.actions, next_day.changed) == (True, 1, 0)
    assert _audit_actions(migrated_database) == ["imut_finding.open"]


def test_a_late_approval_keeps_the_finding_and_shows_the_approval(migrated_database: Database) -> None:
    ingest(migrated_database, payload(1))
    _evaluate(migrated_database)
    late = payload(
        1,
        persetujuanMendagriNomor="100.2.2.6/4512/OTDA",
        persetujuanMendagriTanggal="20-06-2024",
        updatedAt="2024-06-25T10:00:00+07:00",
    )
    ingest(migrated_database, late)
    stats = _evaluate(migrated_database)
    assert (stats.opened, stats.changed, stats.closed) == (0, 1, 0)
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert finding.status == "open" and finding.version == 2
    assert finding.reason_key == "imut.reason.window_approval_after"
    assert finding.evidence["approval_letter_no"] == "100.2.2.6/4512/OTDA"
    assert finding.evidence["approval_date"] == "2024-06-20"
    assert _audit_actions(migrated_database) == ["imut_finding.open", "imut_finding.change"]


def test_a_steward_decision_survives_re_evaluation_until_the_basis_changes(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1))
    _evaluate(migrated_database)
    finding_id = _findings(migrated_database)[(action_id(1), "pasal_71_2")].id
    with pytest.raises(InvalidFindingDecision):
        decide_finding(migrated_database, finding_id, choice=StewardChoice.CONFIRM, reason=" ", actor="siti")
    decide_finding(
        migrated_database,
        finding_id,
        choice=StewardChoice.CONFIRM,
        reason="SK tanpa izin Mendagri",
        actor="siti",
    )
    # Re-evaluated on another day with nothing changed: the confirmation stands.
    _evaluate(migrated_database, date(2024, 12, 2))
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert (finding.review, finding.reviewed_by, finding.reopened_reason) == ("confirmed", "siti", None)
    # A late approval changes what it rests on: back to the queue, saying why; the decision row stays.
    ingest(
        migrated_database,
        payload(1, persetujuanMendagriNomor="100/77", persetujuanMendagriTanggal="01-07-2024"),
    )
    _evaluate(migrated_database)
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert finding.review == "pending" and finding.status == "open"
    assert finding.reopened_reason is not None and "approval_date" in finding.reopened_reason
    with migrated_database.session() as session:
        decisions = session.scalars(select(ImutFindingDecision)).all()
        assert [d.decision for d in decisions] == ["confirm"]
    assert "imut_finding.decide" in _audit_actions(migrated_database)


def test_an_action_that_becomes_lawful_closes_its_finding_without_deleting_it(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1), payload(2))
    _evaluate(migrated_database)
    # I-MUT corrects action 1: the approval was dated before the decision after all.
    ingest(
        migrated_database,
        payload(1, persetujuanMendagriNomor="100/11", persetujuanMendagriTanggal="03-06-2024"),
    )
    stats = _evaluate(migrated_database)
    assert (stats.closed, stats.opened) == (1, 0)
    found = _findings(migrated_database)
    closed, other = found[(action_id(1), "pasal_71_2")], found[(action_id(2), "pasal_71_2")]
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.closed_reason is not None and "tidak lagi" in closed.closed_reason
    assert other.status == "open"
    with pytest.raises(InvalidFindingDecision):
        decide_finding(migrated_database, closed.id, choice=StewardChoice.DISMISS, reason="x", actor="siti")
    total, page = list_findings(migrated_database, FindingFilter())
    assert total == 1 and page[0].action_id == action_id(2)
    total_closed, _ = list_findings(migrated_database, FindingFilter(status="closed"))
    assert total_closed == 1
    assert _audit_actions(migrated_database)[-1] == "imut_finding.close"


def test_a_promotion_effective_while_our_acknowledged_block_holds_is_a_block_breach(
    migrated_database: Database,
) -> None:
    promotion = payload(
        3,
        nipBaru=NIP_B,
        jenisTindakan="promosi",
        kelasJabatanLama="lainnya",
        kelasJabatanBaru="lainnya",
        pejabatPenetapPeran="pimpinan_instansi",
        pejabatPenetapWilayah=None,
        tanggalSk="20-11-2024",
        tmt="01-12-2024",
    )
    ingest(migrated_database, promotion)
    assert _evaluate(migrated_database).opened == 0  # not blocked: lawful
    with migrated_database.session() as session:
        case = Case(case_key="C-1", nip=None, golden={}, content_hash="0" * 64)
        session.add(case)
        session.flush()
        # Enforcement decided for 27 Nov 2024 and 29 Nov 2024 on the wall clock (as the sandbox runs at
        # its frozen instant); SIASN acknowledged on the wall clock: the blocks count from those days.
        for run_id, day in (("run-27", AS_OF), ("run-29", date(2024, 11, 29))):
            session.add(
                ControlAction(
                    case_id=case.id,
                    action="pemblokiran" if run_id == "run-27" else "peringatan",
                    due_on=day,
                    reason="test",
                    as_of=day,
                    decided_at=datetime.now(UTC),
                    run_id=run_id,
                )
            )
        session.add(
            OutboxEntry(
                idempotency_key="k1",
                nip=NIP_B,
                action="blokir",
                payload={},
                state="acked",
                block_version=1,
                acked_at=datetime.now(UTC),
                run_id="run-27",
            )
        )
    stats = _evaluate(migrated_database)
    assert (stats.full, stats.actions, stats.opened) == (False, 1, 1)  # the NIP's push brought it in
    finding = _findings(migrated_database)[(action_id(3), "block_breach")]
    assert finding.evidence["block_start"] == "2024-11-27"
    assert [r["kind"] for r in finding.records] == ["imut_action", "push_ledger"]
    # Unblocked before the promotion took effect: the finding no longer holds.
    with migrated_database.session() as session:
        session.add(
            OutboxEntry(
                idempotency_key="k2",
                nip=NIP_B,
                action="buka",
                payload={},
                state="acked",
                block_version=2,
                acked_at=datetime.now(UTC),
                run_id="run-29",
            )
        )
    assert _evaluate(migrated_database, date(2024, 11, 29)).closed == 1


def test_a_demotion_by_the_instansi_head_of_an_asn_in_a_case_is_flagged_for_investigation(
    migrated_database: Database,
) -> None:
    demotion = payload(
        4, jenisTindakan="demosi", kelasJabatanBaru="pengawas", tanggalSk="15-10-2024", tmt="21-10-2024",
        tanggalLaporKemendagri="16-10-2024", persetujuanMendagriNomor="100/9",
        persetujuanMendagriTanggal="01-10-2024",
    )  # fmt: skip
    ingest(migrated_database, demotion)
    assert _evaluate(migrated_database).opened == 0  # approved in time, reported in time, no case
    with migrated_database.session() as session:
        session.add(
            Case(
                case_key="reg|R-1|" + NIP_A,
                nip=NIP_A,
                status="menunggu_verifikasi",
                register_no="R-1",
                golden={"incident_at": "2024-09-30"},
                content_hash="x",
            )
        )
    stats = _evaluate(migrated_database)
    assert stats.open_by_rule == {"possible_retaliation": 1}
    finding = _findings(migrated_database)[(action_id(4), "possible_retaliation")]
    assert finding.disposition == "investigate"
    assert finding.reason_params["case_id"] == "reg|R-1|" + NIP_A
    assert {r["kind"]: r.get("how") for r in finding.records} == {"imut_action": None, "case": "register"}
    # The case is gone (a correction merged it away): the same day's incremental run closes the finding.
    with migrated_database.session() as session:
        session.execute(delete(Case))
    again = _evaluate(migrated_database)
    assert (again.full, again.actions, again.closed) == (False, 1, 1)


def test_one_decision_delivered_under_two_ids_is_one_finding_naming_the_duplicate(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1, nomorSk="821/77/BKPSDM/2024"))
    assert _evaluate(migrated_database).opened == 1
    # I-MUT delivers the same SK again under another id (the SK number spaced differently).
    ingest(migrated_database, payload(2, nomorSk="821/77/bkpsdm/2024 "))
    stats = _evaluate(migrated_database)
    assert (stats.opened, stats.changed, stats.duplicates) == (0, 0, 1)  # the basis is unchanged
    found = _findings(migrated_database)
    assert list(found) == [(action_id(1), "pasal_71_2")]
    assert found[(action_id(1), "pasal_71_2")].evidence["duplicate_action_ids"] == action_id(2)
    total, page = list_findings(migrated_database, FindingFilter())
    assert total == 1 and page[0].evidence["duplicate_action_ids"] == action_id(2)
    # Another SK of the same ASN on the same day is another decision.
    ingest(migrated_database, payload(3, nomorSk="821/78/BKPSDM/2024"))
    assert _evaluate(migrated_database).opened == 1


def test_findings_of_an_id_later_seen_to_duplicate_an_earlier_one_are_closed_saying_so(
    migrated_database: Database,
) -> None:
    # Delivered first with a mistyped SK number, then corrected to the number of an earlier action.
    ingest(
        migrated_database, payload(1, nomorSk="821/77/BKPSDM/2024"), payload(2, nomorSk="821/7/BKPSDM/2024")
    )
    _evaluate(migrated_database)
    assert set(_findings(migrated_database)) == {(action_id(1), "pasal_71_2"), (action_id(2), "pasal_71_2")}
    ingest(migrated_database, payload(2, nomorSk="821/77/BKPSDM/2024", updatedAt="2024-06-13T09:00:00+07:00"))
    assert _evaluate(migrated_database).closed == 1
    closed = _findings(migrated_database)[(action_id(2), "pasal_71_2")]
    assert closed.status == "closed"
    assert closed.closed_reason is not None and action_id(1) in closed.closed_reason


def test_an_approval_dated_but_unnumbered_stays_a_breach_whose_reason_shows_the_date(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1, persetujuanMendagriTanggal="03-06-2024"))
    _evaluate(migrated_database)
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert (finding.status, finding.disposition) == ("open", "breach")
    assert finding.reason_key == "imut.reason.window_approval_unnumbered"
    assert finding.evidence["approval_date"] == "2024-06-03"
    _, page = list_findings(migrated_database, FindingFilter())
    assert "persetujuan Mendagri bertanggal 3 Juni 2024 tanpa nomor surat" in page[0].reason
    _, english = list_findings(migrated_database, FindingFilter(), language="en")
    assert "dated 3 June 2024 but has no letter number" in english[0].reason


def test_an_approval_numbered_but_undated_stays_a_breach_whose_reason_shows_the_number(
    migrated_database: Database,
) -> None:
    # I-MUT cited a Mendagri letter but sent no date: it cannot be shown to predate the decision, so
    # it does not count; the finding must not say there was no approval, and must show the number.
    ingest(migrated_database, payload(1, persetujuanMendagriNomor="100.2.2.6/1234/OTDA"))
    _evaluate(migrated_database)
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert (finding.status, finding.disposition) == ("open", "breach")
    assert finding.reason_key == "imut.reason.window_approval_undated"
    assert finding.evidence["approval_letter_no"] == "100.2.2.6/1234/OTDA"
    assert finding.evidence["approval_date"] == ""
    _, page = list_findings(migrated_database, FindingFilter())
    assert "persetujuan Mendagri 100.2.2.6/1234/OTDA tanpa tanggal" in page[0].reason
    _, english = list_findings(migrated_database, FindingFilter(), language="en")
    assert "approval 100.2.2.6/1234/OTDA has no date" in english[0].reason


WITHDRAWN_AT = datetime(2024, 11, 28, 2, 0, tzinfo=UTC)


def _withdraw(database: Database, n: int) -> None:
    """What an SFTP pull does to the staged row of a record a new delivery of its file no longer has
    (``sbt_sync.ingest.pull``); I-MUT's own feed cannot say a record is gone."""
    with database.session() as session:
        session.execute(
            update(StagedRecord)
            .where(StagedRecord.source == "imut", StagedRecord.record_key == action_id(n))
            .values(withdrawn=True, needs_reconcile=True, staged_at=WITHDRAWN_AT)
        )


def test_an_action_withdrawn_at_the_source_keeps_its_finding_open_and_back_in_the_queue(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1))
    _evaluate(migrated_database)
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    decide_finding(migrated_database, finding.id, choice=StewardChoice.CONFIRM, reason="SK ada", actor="s1")

    _withdraw(migrated_database, 1)
    stats = _evaluate(migrated_database)  # the same day: only the withdrawn action is looked at
    assert (stats.full, stats.actions, stats.withdrawn, stats.closed, stats.changed) == (False, 0, 1, 0, 1)
    withdrawn = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert (withdrawn.status, withdrawn.review) == ("open", "pending")  # revoking does not cure it
    assert withdrawn.evidence["withdrawn_at_source"] == "2024-11-28"
    assert withdrawn.reopened_reason is not None
    assert "ditarik di sumber" in withdrawn.reopened_reason.lower()
    assert "pencabutan keputusan tidak menghapus pelanggaran" in withdrawn.reopened_reason
    _, page = list_findings(migrated_database, FindingFilter(review="pending"))
    assert [f.id for f in page] == [finding.id]
    assert "Ditarik di sumber (I-MUT) pada 28 November 2024" in page[0].reason
    _, english = list_findings(migrated_database, FindingFilter(), language="en")
    assert "revoking a decision does not cure a breach" in english[0].reason

    # The steward learns it was a record entered by mistake: a dismissal, which later runs keep.
    decide_finding(
        migrated_database, finding.id, choice=StewardChoice.DISMISS, reason="salah input", actor="s1"
    )
    later = _evaluate(migrated_database, date(2024, 11, 29))
    assert (later.full, later.withdrawn, later.changed, later.closed) == (True, 1, 0, 0)
    kept = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert (kept.status, kept.review, kept.reopened_reason) == ("open", "dismissed", None)


def test_a_finding_an_earlier_version_closed_for_a_withdrawal_opens_again(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1))
    _evaluate(migrated_database)
    _withdraw(migrated_database, 1)
    with migrated_database.session() as session:  # as the version that closed withdrawn actions left it
        session.execute(
            update(ImutFinding)
            .where(ImutFinding.action_id == action_id(1))
            .values(status="closed", closed_at=WITHDRAWN_AT, closed_reason="Ditutup: tidak lagi dikirim.")
        )
        session.execute(update(StagedRecord).values(needs_reconcile=False))
    stats = _evaluate(migrated_database, date(2024, 11, 28))
    assert (stats.reopened, stats.closed) == (1, 0)
    finding = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert (finding.status, finding.review, finding.closed_reason) == ("open", "pending", None)
    assert finding.reopened_reason is not None and "ditarik di sumber" in finding.reopened_reason.lower()
    assert _audit_actions(migrated_database)[-1] == "imut_finding.reopen"


def test_a_withdrawn_id_of_a_decision_still_delivered_under_another_id_gives_way_to_it(
    migrated_database: Database,
) -> None:
    ingest(
        migrated_database, payload(1, nomorSk="821/77/BKPSDM/2024"), payload(2, nomorSk="821/77/BKPSDM/2024")
    )
    _evaluate(migrated_database)
    assert set(_findings(migrated_database)) == {(action_id(1), "pasal_71_2")}
    _withdraw(migrated_database, 1)  # I-MUT keeps the decision under id 2 only
    stats = _evaluate(migrated_database)
    assert (stats.opened, stats.closed, stats.duplicates) == (1, 1, 1)
    found = _findings(migrated_database)
    assert found[(action_id(2), "pasal_71_2")].status == "open"
    assert "withdrawn_at_source" not in found[(action_id(2), "pasal_71_2")].evidence
    closed = found[(action_id(1), "pasal_71_2")]
    assert (
        closed.status == "closed"
        and closed.closed_reason is not None
        and action_id(2) in closed.closed_reason
    )


def test_a_replacement_signed_before_the_ban_and_effective_within_it_reaches_the_queue(
    migrated_database: Database,
) -> None:
    # SK of 15 Mar 2024, a week before the Pilkada 2024 ban (22 Mar), taking effect on 1 Apr 2024.
    before = payload(1, tanggalSk="15-03-2024", tmt="01-04-2024", tanggalLaporKemendagri="18-03-2024")
    outside = payload(2, nipBaru=NIP_B, tanggalSk="15-03-2024", tmt="21-03-2024")
    ingest(migrated_database, before, outside)
    _evaluate(migrated_database)
    total, queue = list_findings(migrated_database, FindingFilter(status="open"))
    assert total == 1 and (queue[0].action_id, queue[0].rule) == (action_id(1), "pasal_71_2")
    assert "berlaku 1 April 2024, di dalam masa itu" in queue[0].reason
    assert "diputuskan 15 Maret 2024" in queue[0].reason and queue[0].disposition == "breach"
    assert queue[0].evidence["in_window"] == "effective"
    again = _evaluate(migrated_database, date(2024, 11, 28))
    assert (again.opened, again.changed, again.closed) == (0, 0, 0)


def _acked(database: Database, nip: str, *pushes: tuple[str, datetime]) -> None:
    """Our pushes of ``nip`` that SIASN acknowledged, each (action, when)."""
    with database.session() as session:
        for n, (action, at) in enumerate(pushes, start=1):
            session.add(
                OutboxEntry(idempotency_key=f"{nip}-{n}", nip=nip, action=action, payload={}, state="acked",
                            block_version=n, acked_at=at)
            )  # fmt: skip


def test_any_move_of_a_blocked_nip_reaches_the_queue_a_demotion_for_investigation(
    migrated_database: Database,
) -> None:
    central = {"pejabatPenetapPeran": "pimpinan_instansi", "pejabatPenetapWilayah": None}
    demotion = payload(1, jenisTindakan="demosi", tanggalSk="11-11-2024", tmt="18-11-2024", **central)
    removal = payload(2, jenisTindakan="pemberhentian_dari_jabatan", tanggalSk="12-11-2024",
                      tmt="19-11-2024", **central)  # fmt: skip
    ingest(migrated_database, demotion, removal)
    _acked(migrated_database, NIP_A, ("blokir", datetime(2024, 11, 1, 3, 0, tzinfo=UTC)))
    _evaluate(migrated_database)
    total, queue = list_findings(migrated_database, FindingFilter(status="open", rule="block_breach"))
    assert total == 2 and {f.action_id for f in queue} == {action_id(1), action_id(2)}
    assert {f.disposition for f in queue} == {"investigate"}
    assert all("diblokir" in f.reason and "I'DIS" in f.reason for f in queue)
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 1  # ours, nothing new


def test_a_block_lifted_and_placed_again_cites_the_block_the_move_took_effect_in(
    migrated_database: Database,
) -> None:
    promotion = payload(
        1, jenisTindakan="promosi", pejabatPenetapPeran="pimpinan_instansi", pejabatPenetapWilayah=None,
        tanggalSk="15-10-2024", tmt="20-11-2024",
    )  # fmt: skip
    ingest(migrated_database, promotion)
    _acked(
        migrated_database,
        NIP_A,
        ("blokir", datetime(2024, 10, 1, 3, 0, tzinfo=UTC)),
        ("buka", datetime(2024, 11, 1, 3, 0, tzinfo=UTC)),
        ("blokir", datetime(2024, 11, 10, 3, 0, tzinfo=UTC)),
    )
    _evaluate(migrated_database)
    _total, [finding] = list_findings(migrated_database, FindingFilter(status="open", rule="block_breach"))
    assert finding.evidence["blocked_on"] == "decision,effective"
    # Effective on 20 Nov, in the block placed again on 10 Nov (the first was lifted on 1 Nov).
    assert finding.evidence["block_start"] == "2024-11-10" and finding.evidence["block_end"] == ""
    assert "berlaku 20 November 2024" in finding.reason and "sejak 10 November 2024" in finding.reason


def test_a_demotion_by_a_regional_head_whose_instansi_i_mut_left_blank_is_still_for_investigation(
    migrated_database: Database,
) -> None:
    # A region's operator left pejabatPenetapInstansiId empty: the regional head deciding is still the
    # PPK of the ASN moved (a head decides moves in their own government only).
    demotion = payload(
        4, jenisTindakan="demosi", kelasJabatanBaru="lainnya", kelasJabatanLama="lainnya",
        tanggalSk="15-10-2024", tmt="21-10-2024", tanggalLaporKemendagri="16-10-2024",
        pejabatPenetapInstansiId=None,
    )  # fmt: skip
    ingest(migrated_database, demotion)
    with migrated_database.session() as session:
        session.add(
            Case(
                case_key="reg|R-1|" + NIP_A,
                nip=NIP_A,
                status="menunggu_verifikasi",
                register_no="R-1",
                golden={"incident_at": "2024-09-30"},
                content_hash="x",
            )
        )
    _evaluate(migrated_database)
    total, queue = list_findings(migrated_database, FindingFilter(status="open"))
    assert total == 1 and (queue[0].rule, queue[0].disposition) == ("possible_retaliation", "investigate")
    with migrated_database.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0


def test_one_decision_whose_sk_number_another_delivery_spaces_around_its_slashes_is_one_finding(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, payload(1, nomorSk="821/77/BKPSDM/2024"))
    _evaluate(migrated_database)
    # Delivered again under another id, typed the way another region's operator writes SK numbers.
    ingest(migrated_database, payload(2, nomorSk="821 / 77 / BKPSDM / 2024"))
    stats = _evaluate(migrated_database)
    assert (stats.opened, stats.duplicates) == (0, 1)
    total, _page = list_findings(migrated_database, FindingFilter(status="open"))
    assert total == 1


def test_a_record_withdrawn_and_entered_again_with_its_sk_date_corrected_is_one_finding(
    migrated_database: Database,
) -> None:
    # Entered with the SK dated 10 Jun 2024 by mistake; I-MUT withdraws it and the operator enters the
    # same SK (same NIP and number) again, dated 12 Jun 2024.
    ingest(migrated_database, payload(1, nomorSk="821/77/BKPSDM/2024"))
    _evaluate(migrated_database)
    _withdraw(migrated_database, 1)
    ingest(migrated_database, payload(2, nomorSk="821/77/BKPSDM/2024", tanggalSk="12-06-2024"))
    _evaluate(migrated_database)
    total, queue = list_findings(migrated_database, FindingFilter(status="open"))
    assert total == 1 and queue[0].action_id == action_id(2)
    assert queue[0].evidence["decision_date"] == "2024-06-12"
    closed = _findings(migrated_database)[(action_id(1), "pasal_71_2")]
    assert closed.status == "closed" and closed.closed_reason is not None
    assert action_id(2) in closed.closed_reason and "dikoreksi" in closed.closed_reason
    # A second run adds nothing.
    again = _evaluate(migrated_database, date(2024, 11, 29))
    assert (again.opened, again.changed, again.closed, again.reopened) == (0, 0, 0, 0)


def test_an_approval_a_second_delivery_of_the_same_decision_carries_is_read(
    migrated_database: Database,
) -> None:
    # First delivered without the approval; I-MUT delivers the same SK again under another id with the
    # approval filled in, dated before the decision: the replacement was approved.
    ingest(migrated_database, payload(1, nomorSk="821/77/BKPSDM/2024"))
    _evaluate(migrated_database)
    approved = {"persetujuanMendagriNomor": "100.2.2.6/55/OTDA", "persetujuanMendagriTanggal": "03-06-2024"}
    ingest(migrated_database, payload(2, nomorSk="821/77/BKPSDM/2024", **approved))
    stats = _evaluate(migrated_database)
    assert (stats.closed, stats.opened) == (1, 0)
    total, _page = list_findings(migrated_database, FindingFilter(status="open"))
    assert total == 0
    # One dated after the decision still does not count: the finding stays and shows it.
    ingest(migrated_database, payload(3, nomorSk="821/88/BKPSDM/2024"))
    late = {"persetujuanMendagriNomor": "100.2.2.6/56/OTDA", "persetujuanMendagriTanggal": "20-06-2024"}
    ingest(migrated_database, payload(4, nomorSk="821/88/BKPSDM/2024", **late))
    _evaluate(migrated_database)
    total, [finding] = list_findings(migrated_database, FindingFilter(status="open"))
    assert finding.action_id == action_id(3) and finding.evidence["approval_letter_no"] == "100.2.2.6/56/OTDA"


def test_a_regional_heads_replacement_whose_region_i_mut_left_blank_is_judged_by_the_default_row(
    migrated_database: Database,
) -> None:
    # pejabatPenetapWilayah is nullable in the feed; a region's operator left it blank for a mayor.
    ingest(migrated_database, payload(1, pejabatPenetapWilayah=None))
    _evaluate(migrated_database)
    total, queue = list_findings(migrated_database, FindingFilter(status="open"))
    assert total == 1 and (queue[0].rule, queue[0].event_id) == ("pasal_71_2", "pilkada-2024")
    assert queue[0].evidence["region_assumed"] == "*"
    assert "Wilayah pejabat penetap tidak diisi di I-MUT" in queue[0].reason
