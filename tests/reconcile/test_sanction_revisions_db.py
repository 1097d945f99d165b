"""A sanction revised on objection, through the database on both backends: the case keeps both versions,
enforcement (block state and control actions) and the recap follow the version in force, reconciling
again changes nothing, and a steward's version (here an annulment, entered through the CLI) survives."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    BlockState,
    Case,
    Conflict,
    ControlAction,
    RawRecord,
    SanctionVersion,
    StagedRecord,
)
from sbt_sync.enforce.run import run_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.reports.recap import TOTAL, build_recap
from sbt_sync.settings import Settings, load_settings
from sbt_sync.steward.sanctions import SanctionRefused, revise_sanction
from tests.conftest import REPO_ROOT
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP = "198001012005011001"
REG = "0001/Reg/LP/PILKADA/2024"
REC = "B-0001/D.IV/WAS/11/2024"
AS_OF = date(2025, 1, 20)
"""Recommended 2024-11-01: pemblokiran fell due 2024-11-25, the PPK sanctioned on 2024-12-10."""
LETTER = "6678/B-AK.02.02/SD/F/2025"


def _stage(database: Database, source: str, key: str, **row: Any) -> None:
    with database.session() as session:
        raw = RawRecord(source=source, record_key=key, content_hash=key, payload="{}")
        session.add(raw)
        session.flush()
        session.add(
            StagedRecord(
                raw_record_id=raw.id, item_no=0, source=source, record_key=key, raw_version=1,
                content_hash=hashlib.sha256(key.encode()).hexdigest(), nip_raw=NIP, name="Budi Santoso",
                instansi="Pemerintah Kabupaten Sampang", needs_reconcile=True, withdrawn=False, **row,
            )
        )  # fmt: skip


def _world(database: Database) -> None:
    with database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(NIP, "BUDI SANTOSO"))])
    _stage(database, "bawaslu", REG, event_code="PILKADA-2024", register_no=REG,
           fields={"record_type": "finding", "register_status": "diteruskan"},
           source_updated_at=datetime(2024, 10, 2, tzinfo=UTC))  # fmt: skip
    _stage(database, "bkn_wasdal", REC, event_code="PILKADA-2024", register_no=REG, recommendation_no=REC,
           fields={"record_type": "recommendation", "verification_result": "terbukti",
                   "recommendation_date": "2024-11-01", "recommended_sanction": "25"},
           source_updated_at=datetime(2024, 11, 1, tzinfo=UTC))  # fmt: skip


def _sanction(database: Database, key: str, code: str, day: str, sk: str) -> None:
    _stage(database, "idis", key, recommendation_no=REC,
           fields={"record_type": "sanction", "sanction_code": code, "sanction_date": day,
                   "sanction_sk_no": sk},
           source_updated_at=datetime.fromisoformat(day + "T03:00:00+00:00"))  # fmt: skip


def _settings() -> Settings:
    return load_settings(REPO_ROOT / "sbt.yaml")


def _cycle(database: Database, settings: Settings, *, full: bool = False) -> None:
    reconcile_database(database, settings, full=full)
    with database.session() as session:
        run_enforcement(session, settings.enforcement, AS_OF)


def _versions(database: Database) -> list[tuple[Any, ...]]:
    with database.session() as session:
        rows = session.scalars(select(SanctionVersion).order_by(SanctionVersion.seq, SanctionVersion.id))
        return [
            (r.id, r.seq, r.code, r.source, r.source_ref, r.letter_no, r.decided_on, r.in_force) for r in rows
        ]


def _state(database: Database) -> tuple[Case, bool, list[tuple[str, date]]]:
    with database.session() as session:
        case = session.scalars(select(Case)).one()
        session.expunge(case)
        blocked = bool(session.scalar(select(BlockState.blocked).where(BlockState.nip == NIP)))
        actions = session.execute(
            select(ControlAction.action, ControlAction.due_on).order_by(ControlAction.due_on)
        )
        return case, blocked, [(a, d) for a, d in actions.tuples()]


def test_a_sanction_revised_on_objection_keeps_both_versions_and_enforcement_and_recap_follow(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    database, settings = migrated_database, _settings()
    _world(database)
    _cycle(database, settings)
    assert _state(database)[1], "no sanction by AS_OF: the NIP is blocked"

    _sanction(database, "idis-0001", "25", "2024-12-10", "800/101/BKPSDM/2024")
    _sanction(database, "idis-0002", "22", "2025-01-05", "800/7/BKPSDM/2025")
    _cycle(database, settings)
    versions = _versions(database)
    assert [v[1:] for v in versions] == [
        (1, "25", "idis", "idis-0001", "800/101/BKPSDM/2024", date(2024, 12, 10), False),
        (2, "22", "idis", "idis-0002", "800/7/BKPSDM/2025", date(2025, 1, 5), True),
    ]
    case, blocked, actions = _state(database)
    assert (case.sanction_imposed, case.sanction_date, case.held, case.status) == (
        "22", date(2024, 12, 10), False, "dijatuhi_hukuman",
    )  # fmt: skip
    assert not blocked and ("buka_blokir", date(2024, 12, 10)) in actions
    with database.session() as session:  # a revision is no conflict
        assert session.scalars(select(Conflict).where(Conflict.status == "open")).all() == []
    total = build_recap(database).events[TOTAL].counts
    assert (total["sanctioned"], total["revised"], total["not_followed_up"], total["held"]) == (1, 1, 0, 0)

    for full in (False, True):  # reconciling again derives the same rows: nothing added, nothing rewritten
        _cycle(database, settings, full=full)
        assert _versions(database) == versions

    # A steward records that the sanction was annulled on objection, through the CLI.
    monkeypatch.setenv("SBT_DATABASE_URL", database.url)
    config = tmp_path / "sbt.yaml"
    config.write_text((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    runner = CliRunner()
    base = ["--config", str(config), "sanctions"]
    refused = runner.invoke(app, [*base, "revise", str(case.id), "--code", "99", "--letter-no", LETTER,
                                  "--letter-date", "2025-01-12", "--reason", "x", "--by", "ani"])  # fmt: skip
    assert refused.exit_code != 0 and "no jenisHukuman code" in str(refused.exception)
    entered = runner.invoke(app, [*base, "revise", case.case_key, "--code", "annul", "--letter-no", LETTER,
                                  "--letter-date", "2025-01-12", "--reason", "keberatan dikabulkan",
                                  "--by", "ani", "--json"])  # fmt: skip
    assert entered.exit_code == 0, entered.output
    entry_id = json.loads(entered.output)["version_id"]
    _cycle(database, settings)
    listed = runner.invoke(app, [*base, "list", str(case.id), "--json"])
    assert listed.exit_code == 0, listed.output
    shown = json.loads(listed.output)["versions"]
    assert [(v["seq"], v["code"], v["source"], v["in_force"]) for v in shown] == [
        (1, "25", "idis", False), (2, "22", "idis", False), (3, None, "steward", True),
    ]  # fmt: skip
    assert shown[2]["letter_no"] == LETTER and shown[2]["entered_by"] == "ani" and not shown[2]["pending"]
    case, blocked, actions = _state(database)
    assert case.held and case.sanction_imposed is None and not blocked
    assert case.golden["sanction_annulled_on"] == "2025-01-12"
    total = build_recap(database).events[TOTAL].counts
    assert (total["sanctioned"], total["revised"], total["not_followed_up"], total["held"]) == (0, 1, 1, 1)
    with database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "sanction.revise")).one()
        assert (audit.actor_name, audit.object_id, audit.reason) == (
            "ani",
            str(case.id),
            "keberatan dikabulkan",
        )
        conflict = session.scalars(select(Conflict).where(Conflict.status == "open")).one()
        assert (conflict.kind, conflict.field) == ("lifecycle", "verification_result")

    # The steward's version survives reconciliation, incremental and full, and keeps its row.
    for full in (False, True):
        _cycle(database, settings, full=full)
        after = _versions(database)
        assert [v[0] for v in after][-1] == entry_id and [v[-1] for v in after] == [False, False, True]


def _withdraw(database: Database, withdrawn: bool) -> None:
    with database.session() as session:
        for row in session.scalars(select(StagedRecord)):
            row.withdrawn, row.needs_reconcile = withdrawn, True


def test_a_stewards_version_whose_case_is_removed_waits_and_returns_with_its_records(
    migrated_database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Every record of the case is withdrawn (the case goes), then published again: the steward's
    annulment waits with no case, then returns to the new case and keeps the NIP unblocked."""
    database, settings = migrated_database, _settings()
    _world(database)
    _sanction(database, "idis-0001", "25", "2024-12-10", "800/101/BKPSDM/2024")
    _cycle(database, settings)
    case = _state(database)[0]
    monkeypatch.setenv("SBT_DATABASE_URL", database.url)
    config = tmp_path / "sbt.yaml"
    config.write_text((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    runner, base = CliRunner(), ["--config", str(config), "sanctions"]
    entered = runner.invoke(app, [*base, "revise", str(case.id), "--code", "annul", "--letter-no", LETTER,
                                  "--letter-date", "2025-01-12", "--reason", "keberatan dikabulkan",
                                  "--by", "ani", "--json"])  # fmt: skip
    assert entered.exit_code == 0, entered.output
    entry_id = json.loads(entered.output)["version_id"]
    _cycle(database, settings)
    case, blocked, _ = _state(database)
    assert case.sanction_imposed is None and not blocked
    with database.session() as session:
        staged = sorted(session.scalars(select(StagedRecord.id)))

    _withdraw(database, True)
    stats = reconcile_database(database, settings)
    assert stats.golden.cases_removed == 1 and stats.steward_sanctions_waiting == 1
    with database.session() as session:
        assert session.scalars(select(Case)).all() == []
        entry = session.get(SanctionVersion, entry_id)
        assert entry is not None and entry.case_id is None and entry.released_records == staged
        # The derived versions went with the case; only the steward's entry waits.
        assert [r.id for r in session.scalars(select(SanctionVersion))] == [entry_id]
    waiting = runner.invoke(app, [*base, "waiting", "--json"])
    assert waiting.exit_code == 0, waiting.output
    assert [
        (w["id"], w["code"], w["letter_no"], w["records"]) for w in json.loads(waiting.output)["waiting"]
    ] == [(entry_id, None, LETTER, staged)]

    _withdraw(database, False)  # the sources publish the records again
    stats = reconcile_database(database, settings)
    assert stats.steward_sanctions_waiting == 0
    with database.session() as session:
        run_enforcement(session, settings.enforcement, AS_OF)
    case, blocked, _ = _state(database)
    with database.session() as session:
        entry = session.get(SanctionVersion, entry_id)
        assert entry is not None and (entry.case_id, entry.in_force, entry.released_records) == (
            case.id,
            True,
            None,
        )
    assert case.sanction_imposed is None and case.golden["sanction_annulled_on"] == "2025-01-12"
    assert not blocked, (
        "the annulment returned with its records: no block for a sanction annulled on objection"
    )
    shown = runner.invoke(app, [*base, "waiting"])
    assert shown.exit_code == 0 and "no sanction version is waiting" in shown.output
    for full in (False, True):  # and it stays
        _cycle(database, settings, full=full)
        with database.session() as session:
            assert session.get(SanctionVersion, entry_id).case_id == case.id  # type: ignore[union-attr]


def test_a_letter_dated_today_in_jakarta_is_accepted_before_seven_in_the_morning(
    migrated_database: Database,
) -> None:
    """At 01:00 WIB on 21 January it is still 20 January in UTC: a decision letter dated that morning
    is dated today where it was signed, not in the future; one dated 22 January still is."""
    database = migrated_database
    _world(database)
    _sanction(database, "idis-0001", "25", "2024-12-10", "800/101/BKPSDM/2024")
    _cycle(database, _settings())
    with database.session() as session:
        case_key = session.scalars(select(Case.case_key)).one()
    early_morning = datetime(2025, 1, 20, 18, 0, tzinfo=UTC)  # 2025-01-21 01:00 WIB

    entry_id = revise_sanction(
        database, case_key, code="22", letter_no=LETTER, letter_date=date(2025, 1, 21),
        reason="keberatan dikabulkan sebagian", actor="ani", now=early_morning,
    )  # fmt: skip
    with pytest.raises(SanctionRefused, match="in the future"):
        revise_sanction(
            database, case_key, code="21", letter_no="6679/B-AK.02.02/SD/F/2025",
            letter_date=date(2025, 1, 22), reason="x", actor="ani", now=early_morning,
        )  # fmt: skip
    with database.session() as session:
        entry = session.get(SanctionVersion, entry_id)
        assert entry is not None and (entry.code, entry.decided_on) == ("22", date(2025, 1, 21))
