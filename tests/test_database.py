"""The product database: migrations up and down on both backends, model/migration parity, the
SQLite settings of the embedded default, and the constraints that enforce the invariants."""

from __future__ import annotations

import re
import stat
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url
from sbt_sync.db.models import (
    AuditEntry,
    Base,
    Case,
    CaseLink,
    OutboxEntry,
    RawRecord,
    SourceCursor,
    StagedRecord,
    User,
)
from sbt_sync.states.conflicts import ConflictKind, ConflictStatus
from sbt_sync.states.control import ControlAction
from sbt_sync.states.mail import MailState
from sbt_sync.states.outbox import ApprovalStatus, OutboxState, PushAction
from sbt_sync.states.runs import RunStatus

NOW = datetime(2024, 11, 27, 3, 0, tzinfo=UTC)


def test_migrates_empty_database_to_head_and_back_to_base(empty_database: Database) -> None:
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision(empty_database)
    assert set(Base.metadata.tables) <= set(inspect(empty_database.engine).get_table_names())

    migrate.upgrade(empty_database)  # at head: nothing to do, no error
    migrate.downgrade(empty_database, "base")
    assert migrate.current_revision(empty_database) is None
    assert set(inspect(empty_database.engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(empty_database)  # and up again from base
    assert migrate.current_revision(empty_database) == migrate.head_revision(empty_database)


def test_migrations_create_exactly_what_the_models_declare(migrated_database: Database) -> None:
    with migrated_database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


STORED_STATES: list[tuple[str, str, type[StrEnum]]] = [
    ("outbox", "state", OutboxState),
    ("outbox", "action", PushAction),
    ("push_approvals", "status", ApprovalStatus),
    ("notification_outbox", "state", MailState),
    ("conflicts", "kind", ConflictKind),
    ("conflicts", "status", ConflictStatus),
    ("control_actions", "action", ControlAction),
    ("sync_runs", "status", RunStatus),
]
"""Each state column and the enum whose members are exactly what its CHECK constraint admits."""


def test_every_state_column_admits_exactly_its_enum(migrated_database: Database) -> None:
    # Schema comparison does not compare CHECK constraints: read the migrated ones and the models'.
    inspector = inspect(migrated_database.engine)
    for table, column, enum in STORED_STATES:
        name = f"ck_{table}_{column}"
        reflected = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
        declared = {
            c.name: str(c.sqltext)
            for c in Base.metadata.tables[table].constraints
            if isinstance(c, CheckConstraint)
        }
        assert set(re.findall(r"'([^']+)'", reflected[name])) == {m.value for m in enum}, name
        assert set(re.findall(r"'([^']+)'", declared[name])) == {m.value for m in enum}, name


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: pytest.TempPathFactory) -> None:
    database = Database(f"sqlite:///{tmp_path}/nested/folder/sbt.db")  # folders are created
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def _raw(source: str = "bawaslu", key: str = "REG-1") -> RawRecord:
    return RawRecord(source=source, record_key=key, content_hash="h", payload="{}")


def _staged(raw: RawRecord, item_no: int = 0) -> StagedRecord:
    return StagedRecord(
        source=raw.source,
        record_key=raw.record_key,
        item_no=item_no,
        raw_record=raw,
        raw_version=1,
        content_hash="h",
    )


def _outbox(key: str, nip: str = "198001012005011001") -> OutboxEntry:
    return OutboxEntry(idempotency_key=key, nip=nip, action="blokir", payload={"nip": nip}, block_version=1)


def _case(key: str) -> Case:
    return Case(case_key=key, event_code="PILKADA-2024", content_hash="h")


# Each case adds rows that break one invariant; the second commit must fail.
INVARIANTS: list[tuple[str, Callable[[Session], None]]] = [
    (
        "one cursor per source",
        lambda s: s.add_all([SourceCursor(source="bawaslu"), SourceCursor(source="bawaslu")]),
    ),
    ("one raw record per source and key", lambda s: s.add_all([_raw(), _raw()])),
    (
        "one outbox row per idempotency key",
        lambda s: s.add_all([_outbox("k-1"), _outbox("k-1", nip="199001012015012002")]),
    ),
    ("one case per case key", lambda s: s.add_all([_case("c-1"), _case("c-1")])),
    (
        "a known outbox action only",
        lambda s: s.add(
            OutboxEntry(idempotency_key="k-2", nip="1", action="delete", payload={}, block_version=1)
        ),
    ),
    (
        "a known outbox state only",  # 'sent' is the mail outbox's word, not the push outbox's
        lambda s: s.add(
            OutboxEntry(
                idempotency_key="k-3", nip="1", action="buka", payload={}, block_version=1, state="sent"
            )
        ),
    ),
    (
        "an agency viewer needs an agency",
        lambda s: s.add(User(username="v", display_name="V", role="agency_viewer", agency=None)),
    ),
    ("a known role only", lambda s: s.add(User(username="x", display_name="X", role="root"))),
]


@pytest.mark.parametrize(("invariant", "violate"), INVARIANTS, ids=[name for name, _ in INVARIANTS])
def test_constraints_refuse_rows_that_break_an_invariant(
    migrated_database: Database, invariant: str, violate: Callable[[Session], None]
) -> None:
    with pytest.raises(IntegrityError), migrated_database.session() as session:
        violate(session)
        session.flush()


def test_one_active_link_per_staged_record_but_unlinked_history_is_kept(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        raw = _raw()
        staged = _staged(raw)
        first, second = _case("c-1"), _case("c-2")
        session.add_all([raw, staged, first, second])
        session.flush()
        link = CaseLink(
            case=first, staged_record_id=staged.id, source="bawaslu", record_key="REG-1", rule="register_no"
        )
        session.add(link)
        session.flush()
        # undo the wrong link, then link to the right case: both rows stay
        link.unlinked_at = NOW
        session.add(
            CaseLink(
                case=second, staged_record_id=staged.id, source="bawaslu", record_key="REG-1", rule="steward"
            )
        )
        session.flush()
        staged_id = staged.id

    with pytest.raises(IntegrityError), migrated_database.session() as session:
        case = session.query(Case).filter_by(case_key="c-1").one()
        session.add(
            CaseLink(case=case, staged_record_id=staged_id, source="bawaslu", record_key="REG-1", rule="x")
        )
        session.flush()

    with migrated_database.session() as session:
        assert session.query(CaseLink).filter_by(staged_record_id=staged_id).count() == 2


def test_timestamps_come_back_timezone_aware_in_utc(migrated_database: Database) -> None:
    wib = datetime(2024, 11, 27, 10, 0).astimezone()  # any aware value
    with migrated_database.session() as session:
        session.add(SourceCursor(source="idis", watermark=wib))
    with migrated_database.session() as session:
        cursor = session.get(SourceCursor, "idis")
        assert cursor is not None and cursor.watermark is not None
        assert cursor.watermark.tzinfo is not None
        assert cursor.watermark == wib


def test_naive_timestamps_are_refused(migrated_database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), migrated_database.session() as session:
        session.add(SourceCursor(source="idis", watermark=datetime(2024, 1, 1)))  # noqa: DTZ001
        session.flush()


def test_audit_log_refuses_updates_and_deletes_on_both_backends(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        session.add(AuditEntry(actor_name="admin", action="user.add", object_type="user", object_id="1"))
    with pytest.raises(DBAPIError, match="append-only"), migrated_database.session() as session:
        session.execute(update(AuditEntry).values(actor_name="someone else"))
    with pytest.raises(DBAPIError, match="append-only"), migrated_database.session() as session:
        session.execute(text("DELETE FROM audit_log"))
    with migrated_database.session() as session:
        assert session.query(AuditEntry).one().actor_name == "admin"


def test_json_columns_round_trip_on_both_backends(migrated_database: Database) -> None:
    payload = {"nip": "198001012005011001", "cases": ["c-1", "c-2"], "alasan": "tidak ditindaklanjuti PPK"}
    with migrated_database.session() as session:
        session.add(
            OutboxEntry(
                idempotency_key="k",
                nip="198001012005011001",
                action="blokir",
                payload=payload,
                case_refs=["c-1"],
                block_version=1,
            )
        )
        session.add(_case("c-9"))
    with migrated_database.session() as session:
        entry = session.query(OutboxEntry).one()
        assert entry.payload == payload and entry.case_refs == ["c-1"]
        assert session.query(Case).one().recommendation_date is None
        session.query(Case).update({Case.recommendation_date: date(2024, 11, 1)})


def test_the_embedded_database_and_its_folder_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "state"
    database = Database(f"sqlite:///{folder / 'sbt.db'}")
    migrate.upgrade(database)
    with database.session() as session:
        session.add(AuditEntry(actor_name="admin", action="user.add", object_type="user", object_id="1"))
    for path in (folder / "sbt.db", folder / "sbt.db-wal", folder / "sbt.db-shm"):
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    database.dispose()
    (folder / "sbt.db").chmod(0o644)  # an existing, too open file is narrowed when opened again
    Database(f"sqlite:///{folder / 'sbt.db'}").dispose()
    assert stat.S_IMODE((folder / "sbt.db").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://sbt:hunter2xyz@db/sbt",
        "postgresql+psycopg2://sbt@db/sbt?password=hunter2xyz",
        "postgresql+psycopg2://sbt@db/sbt?sslmode=verify-full&sslpassword=hunter2xyz",
        "postgresql+psycopg2://sbt@db/sbt?passfile=/run/hunter2xyz&api_token=hunter2xyz",
        "postgresql://sbt:hunter2xyz@db:notaport/sbt",
    ],
)
def test_redact_url_hides_every_password_in_the_url(url: str) -> None:
    shown = redact_url(url)
    assert "hunter2xyz" not in shown
    assert "sslmode=verify-full" in shown or "sslmode" not in url
