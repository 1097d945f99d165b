"""Steward link corrections end to end in the database (both backends): previewed with their block
consequence, applied by the next reconciliation, kept by later runs, reopened when a record they relied
on changes, undone with the crosswalk's history kept, and audited; and reopening a resolved decision."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, insert, select, update
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    Case,
    CaseLink,
    Conflict,
    LinkCorrection,
    StagedRecord,
)
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings
from sbt_sync.steward.conflicts import InvalidDecision
from sbt_sync.steward.decisions import resolve_conflict
from sbt_sync.steward.links import (
    CorrectionRequest,
    correct_link,
    list_corrections,
    preview_correction,
    preview_reopen,
    reopen_decision,
    undo_correction,
)
from schemas.nip import mask_nip
from tests.conftest import REPO_ROOT
from tests.reconcile.test_database_property import (
    AS_OF,
    NIP_A,
    NIP_B,
    T0,
    Spec,
    _reset,
    _write,
    project_settings,  # noqa: F401  (a fixture)
)
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration


def _run(database: Database, settings: Settings, minutes: int) -> None:
    reconcile_database(database, settings, as_of=AS_OF, now=T0 + timedelta(minutes=minutes))


def _blocked(database: Database, settings: Settings) -> set[str]:
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), settings.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}


def _cases(database: Database) -> dict[str, list[int]]:
    with database.session() as session:
        rows = session.execute(
            select(Case.case_key, CaseLink.staged_record_id)
            .join(CaseLink, CaseLink.case_id == Case.id)
            .where(CaseLink.unlinked_at.is_(None))
            .order_by(CaseLink.staged_record_id)
        ).all()
    found: dict[str, list[int]] = {}
    for key, staged_id in rows:
        found.setdefault(key, []).append(staged_id)
    return found


def _ids(database: Database) -> list[int]:
    with database.session() as session:
        return list(session.scalars(select(StagedRecord.id).order_by(StagedRecord.id)))


@pytest.fixture
def two_cases(migrated_database: Database, project_settings: Settings) -> Database:  # noqa: F811
    """M (NIP A): a finding and a proven recommendation on register 0; B (NIP B): a finding on
    register 1 only. Both are overdue at AS_OF, so M is blocked and B is not."""
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a", 0, 0), 1)
    _write(migrated_database, 2, Spec("finding", "b", 1, 1), 1)
    _run(migrated_database, project_settings, 0)
    assert _blocked(migrated_database, project_settings) == {NIP_A}
    return migrated_database


def test_moving_a_record_to_another_person_previews_the_flags_then_applies_sticks_reopens_and_undoes(
    two_cases: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    finding_a, recommendation, finding_b = _ids(two_cases)
    request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)
    before = _cases(two_cases)

    preview = preview_correction(two_cases, project_settings, request, as_of=AS_OF)
    flips = {(f.nip, f.blocked_before, f.blocked_after) for f in preview.flag_changes}
    assert flips == {(mask_nip(NIP_A), True, False), (mask_nip(NIP_B), False, True)}
    assert any(recommendation in members for members in preview.cases_after.values())
    assert _cases(two_cases) == before and _blocked(two_cases, project_settings) == {NIP_A}  # nothing stored

    with pytest.raises(InvalidDecision):
        correct_link(two_cases, request, reason=" ", actor="ani")
    correction = correct_link(two_cases, request, reason="SK names Siti, NIP typo", actor="ani")
    for minute in (1, 2):  # applied by the next run, and kept by the one after
        _run(two_cases, project_settings, minute)
        assert _blocked(two_cases, project_settings) == {NIP_B}
    after = _cases(two_cases)
    moved = next(key for key, members in after.items() if recommendation in members)
    assert finding_b in after[moved] and finding_a not in after[moved]
    with two_cases.session() as session:
        row = session.get(LinkCorrection, correction)
        assert row is not None and row.status == "active" and row.applied_at is not None
        staged = session.get(StagedRecord, recommendation)
        assert staged is not None and (staged.resolved_nip, staged.identity_rule) == (NIP_B, "steward")
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "link.assign_person")).one()
        assert (audit.actor_name, audit.reason) == ("ani", "SK names Siti, NIP typo")
        assert NIP_B not in str(audit.after)  # masked

    # The source corrects whom the record names (the correction relied on that): the steward's
    # correction no longer holds and says why; NIP A under Siti's name is disputed, so nobody is blocked.
    _write(two_cases, 1, Spec("recommendation", "a_named_b", 0, 0), 2)
    _run(two_cases, project_settings, 3)
    [listed] = list_corrections(two_cases, staged_record_id=recommendation)
    assert listed["status"] == "reopened" and "changed since" in str(listed["reopened_reason"])
    assert _blocked(two_cases, project_settings) == set()


def test_undoing_a_correction_restores_the_machine_link_and_keeps_the_history(
    two_cases: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    finding_a, recommendation, _ = _ids(two_cases)
    original = _cases(two_cases)
    correction = correct_link(
        two_cases, CorrectionRequest("split", recommendation), reason="another incident", actor="ani"
    )
    _run(two_cases, project_settings, 1)
    split = _cases(two_cases)
    assert [recommendation] in split.values() and [finding_a] in split.values()
    assert _blocked(two_cases, project_settings) == {NIP_A}  # the split-out recommendation still proves it

    undo_correction(two_cases, correction, reason="split by mistake", actor="budi")
    with pytest.raises(InvalidDecision):
        undo_correction(two_cases, correction, reason="again", actor="budi")
    _run(two_cases, project_settings, 2)
    assert _cases(two_cases) == original
    with two_cases.session() as session:
        history = session.scalars(
            select(CaseLink).where(CaseLink.staged_record_id == recommendation).order_by(CaseLink.id)
        ).all()
        # The machine's link was unlinked when the steward split the record out, and a new one made
        # when the split was undone; the correction row says who did both and why.
        assert [(link.rule, link.unlinked_at is None) for link in history] == [
            ("register_no", False),
            ("register_no", True),
        ]
        assert history[0].unlink_reason == "relinked"
        row = session.get(LinkCorrection, correction)
        assert row is not None and (row.status, row.revoked_by, row.revoke_reason) == (
            "revoked",
            "budi",
            "split by mistake",
        )
        assert row.applied_at is not None  # the undoing was applied
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        # The undo folds the split-out case back: reconciliation removes it and keeps its crosswalk in
        # the log first.
        assert actions == ["link.split", "link.undo", "case.remove"]


def test_merging_and_moving_records_between_cases(two_cases: Database, project_settings: Settings) -> None:  # noqa: F811
    finding_a, recommendation, finding_b = _ids(two_cases)
    with pytest.raises(InvalidDecision):  # already together
        correct_link(
            two_cases, CorrectionRequest("move_record", recommendation, finding_a), reason="x", actor="ani"
        )
    merge = CorrectionRequest("merge", finding_b, finding_a)
    consequence = preview_correction(two_cases, project_settings, merge, as_of=AS_OF)
    assert list(consequence.cases_after.values()) == [[finding_a, recommendation, finding_b]]
    assert consequence.held_after == list(consequence.cases_after)  # the merged case, and no other
    correct_link(two_cases, merge, reason="one incident", actor="ani")
    _run(two_cases, project_settings, 1)
    assert sorted(_cases(two_cases).values()) == [[finding_a, recommendation, finding_b]]
    with two_cases.session() as session:
        case = session.scalars(select(Case)).one()
        # finding B names another ASN than the case's: the merged case is held, not blocked
        assert case.held and case.hold_reason is not None and "names another ASN" in case.hold_reason
    assert _blocked(two_cases, project_settings) == set()


def test_reopening_a_resolved_identity_decision_holds_the_case_again(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    _run(migrated_database, project_settings, 0)
    assert _blocked(migrated_database, project_settings) == set()
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
    resolve_conflict(
        migrated_database, conflict.id, value=NIP_A, reason="name misspelt by Wasdal", actor="ani"
    )
    _run(migrated_database, project_settings, 1)
    assert _blocked(migrated_database, project_settings) == {NIP_A}

    with pytest.raises(InvalidDecision):
        reopen_decision(migrated_database, conflict.id, reason="", actor="budi")
    # Before it is recorded, the steward sees what reopening does to the block flags; nothing changes.
    shown = preview_reopen(migrated_database, project_settings, conflict.id, as_of=AS_OF)
    assert [(c.nip, c.blocked_before, c.blocked_after) for c in shown.flag_changes] == [
        (mask_nip(NIP_A), True, False)
    ]
    with migrated_database.session() as session:
        assert session.get(Conflict, conflict.id).status == "resolved"  # type: ignore[union-attr]
    reopen_decision(migrated_database, conflict.id, reason="the SK names someone else", actor="budi")
    _run(migrated_database, project_settings, 2)
    with migrated_database.session() as session:
        row = session.get(Conflict, conflict.id)
        assert row is not None and row.status == "open"
        assert "reopened by budi" in str(row.reopened_reason)
        case = session.scalars(select(Case)).one()
        assert case.held
    assert _blocked(migrated_database, project_settings) == set()


def test_cli_shows_the_consequence_and_records_only_with_yes_and_its_fingerprint(
    two_cases: Database,
    project_settings: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, recommendation, _ = _ids(two_cases)
    monkeypatch.setenv("SBT_DATABASE_URL", two_cases.url)
    runner = CliRunner()
    config = ["--config", str(REPO_ROOT / "sbt.yaml")]
    args = [
        "links",
        "assign",
        str(recommendation),
        "--nip",
        NIP_B,
        "--reason",
        "SK checked",
        "--as-of",
        "2025-01-20",
    ]
    shown = runner.invoke(app, [*config, *args, "--by", "ani"])
    assert shown.exit_code == 0, shown.output
    assert f"block flag: NIP {mask_nip(NIP_A)} would be unblocked" in shown.output
    assert f"block flag: NIP {mask_nip(NIP_B)} would be blocked" in shown.output
    assert "nothing recorded" in shown.output and NIP_A not in shown.output
    assert list_corrections(two_cases) == []

    seen = json.loads(runner.invoke(app, [*config, *args, "--json"]).output)["fingerprint"]
    recorded = runner.invoke(app, [*config, *args, "--by", "ani", "--yes", "--fingerprint", seen, "--json"])
    assert recorded.exit_code == 0, recorded.output
    correction_id = json.loads(recorded.output)["correction_id"]
    listed = runner.invoke(app, [*config, "links", "list"])
    assert f"{correction_id}: assign_person record {recommendation}" in listed.output
    reconcile_database(two_cases, project_settings)  # the correction applies: B blocked, A not
    undo = [*config, "links", "undo", str(correction_id), "--reason", "wrong", "--by", "budi"]
    shown = runner.invoke(app, [*undo, "--as-of", "2025-01-20"])
    assert shown.exit_code == 0, shown.output
    assert f"block flag: NIP {mask_nip(NIP_A)} would be blocked" in shown.output
    assert f"block flag: NIP {mask_nip(NIP_B)} would be unblocked" in shown.output
    assert "nothing recorded" in shown.output
    assert "undone by" not in runner.invoke(app, [*config, "links", "list"]).output
    seen = json.loads(runner.invoke(app, [*undo, "--as-of", "2025-01-20", "--json"]).output)["fingerprint"]
    undone = runner.invoke(app, [*undo, "--yes", "--fingerprint", seen, "--as-of", "2025-01-20", "--json"])
    assert undone.exit_code == 0, undone.output
    assert json.loads(undone.output)["recorded"] is True
    assert "undone by budi: wrong" in runner.invoke(app, [*config, "links", "list"]).output
    refused = runner.invoke(app, [*config, "links", "split", "999999", "--reason", "x"])
    assert refused.exit_code == 1 and "does not exist" in str(refused.exception)


def test_a_decision_naming_a_nip_the_registry_corrected_reopens_and_holds(
    migrated_database: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    _reset(migrated_database)
    _write(migrated_database, 0, Spec("finding", "a", 0, 0), 1)
    _write(migrated_database, 1, Spec("recommendation", "a_named_b", 0, 0), 1)
    _run(migrated_database, project_settings, 0)
    with migrated_database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
    resolve_conflict(migrated_database, conflict.id, value=NIP_A, reason="typo in the name", actor="ani")
    _run(migrated_database, project_settings, 1)
    assert _blocked(migrated_database, project_settings) == {NIP_A}

    # SIASN corrects NIP A (the refresh flags every row that names it): the decision names nobody now.
    corrected = "198001012005011009"
    with migrated_database.session() as session:
        session.execute(delete(AsnRegistryEntry).where(AsnRegistryEntry.nip == NIP_A))
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(corrected, "BUDI SANTOSO"))])
        session.execute(update(StagedRecord).values(needs_reconcile=True))
    _run(migrated_database, project_settings, 2)
    with migrated_database.session() as session:
        row = session.get(Conflict, conflict.id)
        assert row is not None and row.status == "open"
        assert "no longer in the registry" in str(row.reopened_reason)
    assert NIP_A not in _blocked(migrated_database, project_settings)


def test_a_preview_without_a_day_judges_the_flags_on_today_where_the_deployment_is(
    two_cases: Database,
    project_settings: Settings,  # noqa: F811
) -> None:
    """The console previews a correction with no day: it must judge the block flags on today in the
    deployment's timezone, the day the enforcement run decides for, not on today in UTC. The block
    falls due on whichever of the two days is later: only the deployment's day says whether it is due.
    (A zone 14 hours ahead or 12 behind UTC always has another day than UTC.)"""
    now = datetime.now(UTC)
    zone = "Etc/GMT-14" if now.hour >= 12 else "Etc/GMT+12"  # UTC+14 / UTC-12
    local_today, utc_today = now.astimezone(ZoneInfo(zone)).date(), now.date()
    assert local_today != utc_today
    recommended = date(2024, 11, 1)  # the recommendation's day in the two_cases world
    block_day = max(local_today, utc_today)  # pemblokiran: deadline + 0 + 7 + 7 days
    enforcement = project_settings.enforcement.model_copy(
        update={"follow_up_days": (block_day - recommended).days - 14, "peringatan_after_days": 0,
                "teguran_after_days": 7, "pemblokiran_after_days": 7}
    )  # fmt: skip
    settings = project_settings.model_copy(
        update={
            "enforcement": enforcement,
            "schedule": project_settings.schedule.model_copy(update={"timezone": zone}),
        }
    )
    _, recommendation, _ = _ids(two_cases)
    request = CorrectionRequest("assign_person", recommendation, target_nip=NIP_B)

    preview = preview_correction(two_cases, settings, request)

    flips = {(f.nip, f.blocked_before, f.blocked_after) for f in preview.flag_changes}
    due = block_day <= local_today
    assert flips == ({(mask_nip(NIP_A), True, False), (mask_nip(NIP_B), False, True)} if due else set())
