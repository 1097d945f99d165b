"""The personal-data access log's core (issue 20, items 1 and 6) on both backends: append-only tables
whose one sanctioned deletion is the retention purge, keyed NIP hashes (never the NIP), the unusual-access
rule at its threshold, and the CLI's reads recorded (``sbt-sync pdp access``, ``conflicts show``)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    Case,
    Conflict,
    PersonalDataAccess,
    PersonalDataAccessNip,
    RawRecord,
    SanctionVersion,
    StagedRecord,
)
from sbt_sync.errors import ConfigError
from sbt_sync.pdp.access import (
    AccessFilter,
    access_key,
    list_reads,
    nip_hash,
    nips_in,
    purge_access_log,
    reads_of,
    record_read,
    unusual_readers,
)
from sbt_sync.settings import load_settings

KEY = b"a deployment key for the tests"
NIP = "198001012005011001"
OTHER = "199002022015022002"
NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # 12:00 in Jakarta


def _count(
    database: Database, model: type[PersonalDataAccess] | type[PersonalDataAccessNip] | type[AuditEntry]
) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_read_is_one_record_with_one_keyed_hash_per_asn_and_no_clear_nip(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        access_id = record_read(
            session, "budi", "console", "export", [NIP, OTHER, f" {NIP} ", None, ""], purpose="laporan",
            rows=2, filter={"nip": NIP, "kanreg": "I", "empty": None}, key=KEY, target=f"/asn/{NIP}", at=NOW,
        )  # fmt: skip
    with migrated_database.session() as session:
        read = session.get(PersonalDataAccess, access_id)
        assert read is not None
        hashes = set(session.scalars(select(PersonalDataAccessNip.nip_hash)))
        stored = json.dumps({c.name: getattr(read, c.name) for c in read.__table__.columns}, default=str)
    assert hashes == {nip_hash(KEY, NIP), nip_hash(KEY, OTHER)}  # duplicates and blanks dropped
    assert (read.nip_count, read.rows, read.purpose, read.who_kind) == (2, 2, "laporan", "user")
    assert read.filter == {"nip": "nip:" + nip_hash(KEY, NIP), "kanreg": "I"}  # a NIP in it hashed
    assert read.target == "/asn/nip:" + nip_hash(KEY, NIP)
    assert NIP not in stored and OTHER not in stored
    assert read.accessed_at == NOW


def test_unknown_channels_and_kinds_are_refused(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        with pytest.raises(ValueError, match="unknown channel"):
            record_read(session, "budi", "email", "case", [NIP], key=KEY)
        with pytest.raises(ValueError, match="unknown kind"):
            record_read(session, "budi", "console", "gossip", [NIP], key=KEY)


def test_the_log_refuses_updates_and_deletes_on_both_backends(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        record_read(session, "budi", "cli", "case", [NIP], key=KEY)
    for statement in (
        update(PersonalDataAccess).values(who="someone else"),
        delete(PersonalDataAccess),
        update(PersonalDataAccessNip).values(nip_hash="0" * 64),
        delete(PersonalDataAccessNip),
        text("DELETE FROM personal_data_access_nips"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), migrated_database.session() as session:
            session.execute(statement)
    with migrated_database.session() as session:
        assert session.scalars(select(PersonalDataAccess.who)).all() == ["budi"]
        assert session.scalars(select(PersonalDataAccessNip.nip_hash)).all() == [nip_hash(KEY, NIP)]


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_log",
        "TRUNCATE personal_data_access CASCADE",  # would take the NIP hashes with it
        "TRUNCATE personal_data_access_nips",
        "TRUNCATE audit_log, personal_data_access, personal_data_access_nips",
    ],
)
def test_truncate_is_refused_on_the_append_only_logs_and_their_rows_stay(
    migrated_database: Database, statement: str
) -> None:
    if migrated_database.dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE FROM fires the DELETE triggers)")
    with migrated_database.session() as session:
        record_read(session, "budi", "cli", "case", [NIP], key=KEY)
        session.add(AuditEntry(actor_name="admin", action="user.add", object_type="user", object_id="1"))
    with (
        pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"),
        migrated_database.session() as session,
    ):
        session.execute(text(statement))
    assert _count(migrated_database, AuditEntry) == 1
    assert _count(migrated_database, PersonalDataAccess) == 1
    assert _count(migrated_database, PersonalDataAccessNip) == 1


def test_the_purge_is_the_one_way_records_go_and_the_guard_stands_after_it(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        record_read(session, "old", "console", "case", [NIP, OTHER], key=KEY, at=NOW - timedelta(days=800))
        record_read(session, "new", "console", "case", [NIP], key=KEY, at=NOW - timedelta(days=10))
    cutoff = NOW - timedelta(days=730)
    with migrated_database.session() as session:
        assert purge_access_log(session, cutoff, True) == 1  # a dry run counts ...
    assert _count(migrated_database, PersonalDataAccess) == 2  # ... and removes nothing
    with migrated_database.session() as session:
        assert purge_access_log(session, cutoff) == 1
    with migrated_database.session() as session:
        assert session.scalars(select(PersonalDataAccess.who)).all() == ["new"]
    assert _count(migrated_database, PersonalDataAccessNip) == 1
    # the purge left the append-only guard as it found it, for every other connection too
    with pytest.raises(DBAPIError, match="append-only"), migrated_database.session() as session:
        session.execute(delete(PersonalDataAccess))
    with pytest.raises(DBAPIError, match="append-only"), migrated_database.session() as session:
        session.execute(delete(PersonalDataAccessNip))
    # a purge that fails half-way leaves the guard too (its transaction rolls back as a whole)
    with pytest.raises(RuntimeError), migrated_database.session() as session:
        purge_access_log(session, NOW)
        raise RuntimeError("the caller's audit failed")
    assert _count(migrated_database, PersonalDataAccess) == 1
    with pytest.raises(DBAPIError, match="append-only"), migrated_database.session() as session:
        session.execute(delete(PersonalDataAccess))


def test_a_subjects_reads_are_found_by_hashing_their_nip(migrated_database: Database) -> None:
    with migrated_database.session() as session:
        record_read(session, "budi", "console", "case", [NIP], key=KEY, at=NOW - timedelta(hours=2))
        record_read(session, "siti", "api", "search", [NIP, OTHER], key=KEY, at=NOW - timedelta(hours=1))
        record_read(session, "budi", "cli", "conflict", [OTHER], key=KEY, at=NOW)
    with migrated_database.session() as session:
        rows = reads_of(session, NIP, key=KEY)
        assert [(r["who"], r["kind"]) for r in rows] == [("budi", "case"), ("siti", "search")]  # oldest first
        assert reads_of(session, NIP, key=b"another key") == []
        by_budi = list_reads(session, AccessFilter(who="budi"))
        assert [r.kind for r in by_budi] == ["conflict", "case"]  # newest first
        on_cli = list_reads(session, AccessFilter(channel="cli", since=NOW - timedelta(minutes=1)))
        assert [r.who for r in on_cli] == ["budi"]


def _reads(database: Database, who: str, count: int, at: datetime, kind: str = "search") -> None:
    nips = [f"19800101200501{n:04d}" for n in range(count)]
    with database.session() as session:
        # split over two records with an overlap: the rule counts distinct ASN, not rows
        record_read(session, who, "console", kind, nips[: count // 2 + 1], key=KEY, at=at)
        record_read(session, who, "api", kind, nips[count // 2 :], key=KEY, at=at + timedelta(minutes=5))


def test_unusual_access_is_more_distinct_asn_in_a_day_than_the_threshold(migrated_database: Database) -> None:
    day = date(2026, 12, 3)
    _reads(migrated_database, "at_threshold", 20, NOW)
    _reads(migrated_database, "above", 21, NOW)
    _reads(migrated_database, "feed_only", 50, NOW, kind="feed")  # SIASN's pull is not counted
    # 21 distinct ASN, but 10 of them on the day before in Jakarta (23:30 WIB = 16:30 UTC)
    _reads(migrated_database, "split_days", 11, datetime(2026, 12, 2, 16, 30, tzinfo=UTC))
    _reads(migrated_database, "split_days", 10, NOW)
    with migrated_database.session() as session:
        found = unusual_readers(session, [day], threshold=20, timezone="Asia/Jakarta")
        assert [(u.who, u.day, u.distinct_asn, u.reads, u.threshold) for u in found] == [
            ("above", day, 21, 2, 20)
        ]
        found = unusual_readers(session, [day], threshold=10, timezone="Asia/Jakarta")
        assert [u.who for u in found] == ["above", "at_threshold"]  # split_days has exactly 10 that day
        before = unusual_readers(session, [day - timedelta(days=1)], threshold=10, timezone="Asia/Jakarta")
        assert [(u.who, u.distinct_asn) for u in before] == [("split_days", 11)]


def test_nips_are_found_in_what_a_page_shows() -> None:
    shown = {"rows": [{"nip": NIP, "name": "ASN"}, ("1990 0202 201502 2 002", 18)], "n": 198001012005011001}
    assert nips_in(shown, None, f"kasus {NIP}x") == {NIP, OTHER}
    assert nip_hash(KEY, "1980.0101.200501.1.001") == nip_hash(KEY, NIP)
    # as Excel and spreadsheets write it: found, and hashed as the NIP is
    written = ["'198001012005011001", "19800101_200501_1_001", "19800101/200501/1/001", "1980\u00a00101"]
    assert nips_in({"nip_as_written": written[0]}, written[1:3], written[3]) == {NIP}
    assert {nip_hash(KEY, w) for w in written[:3]} == {nip_hash(KEY, NIP)}


def _seed_conflict(database: Database) -> int:
    with database.session() as session:
        raw = RawRecord(source="bawaslu", record_key="REG-1", content_hash="h", payload="{}")
        session.add(raw)
        session.flush()
        staged = StagedRecord(
            source="bawaslu", record_key="REG-1", raw_record_id=raw.id, raw_version=1, content_hash="s",
            nip=NIP, nip_raw=NIP, name="ASN Satu",
        )  # fmt: skip
        case = Case(case_key="CASE-1", nip=NIP, event_code="PILKADA2024", content_hash="c")
        session.add_all([staged, case])
        session.flush()
        conflict = Conflict(
            conflict_key="identity|bawaslu|REG-1|0", kind="identity", case_id=case.id,
            staged_record_id=staged.id, basis_hash="b", agency="bawaslu", opened_at=NOW,
            candidates=[{"nip": NIP, "score": 0.9}],
        )  # fmt: skip
        session.add(conflict)
        session.flush()
        return conflict.id


def _seed_sanctions(database: Database) -> None:
    """CASE-1 (person NIP) with a sanction version, and a steward's version whose case was removed,
    waiting for person OTHER's staged record."""
    _seed_conflict(database)
    with database.session() as session:
        case = session.scalars(select(Case).where(Case.case_key == "CASE-1")).one()
        staged = StagedRecord(
            source="idis", record_key="IDIS-9", raw_record_id=_raw(session, "IDIS-9"), raw_version=1,
            content_hash="s9", nip=OTHER, nip_raw=OTHER, name="ASN Dua",
        )  # fmt: skip
        session.add(staged)
        session.flush()
        session.add_all([
            SanctionVersion(case_id=case.id, version_key="2026-10-01|21", seq=1, code="21", letter_no="SK-1",
                            decided_on=date(2026, 10, 1), source="idis", source_ref="IDIS-1", in_force=True),
            SanctionVersion(case_id=None, version_key="steward|w", code="21", letter_no="SK-9",
                            decided_on=date(2026, 11, 1), source="steward", entered_by="steward",
                            reason="keberatan dikabulkan", released_records=[staged.id]),
        ])  # fmt: skip


def _raw(session: Session, key: str) -> int:
    raw = RawRecord(source="idis", record_key=key, content_hash="h" + key, payload="{}")
    session.add(raw)
    session.flush()
    return raw.id


@pytest.mark.parametrize(
    ("command", "person"),
    [
        (["sanctions", "list", "CASE-1"], NIP),  # the case's discipline record
        (["sanctions", "list", "CASE-1", "--json"], NIP),
        (["sanctions", "waiting"], OTHER),  # a removed case's version: the records it follows
        (["sanctions", "waiting", "--json"], OTHER),
    ],
)
def test_listing_sanction_versions_is_a_recorded_read_of_the_persons_record(
    migrated_database: Database, project_dir: Path, command: list[str], person: str
) -> None:
    _seed_sanctions(migrated_database)
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url})
    shown = runner.invoke(app, ["--config", str(project_dir / "sbt.yaml"), *command])
    assert shown.exit_code == 0, shown.output
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    with migrated_database.session() as session:
        (read,) = session.scalars(select(PersonalDataAccess)).all()
        hashes = set(session.scalars(select(PersonalDataAccessNip.nip_hash)))
    assert (read.channel, read.kind, read.target) == ("cli", "case", "sbt-sync sanctions " + command[1])
    assert hashes == {nip_hash(access_key(settings), person)}


def test_cli_reads_are_recorded_and_listing_the_log_is_a_read_too(
    migrated_database: Database, project_dir: Path
) -> None:
    conflict_id = _seed_conflict(migrated_database)
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url})
    config = ["--config", str(project_dir / "sbt.yaml")]
    shown = runner.invoke(app, [*config, "conflicts", "show", str(conflict_id), "--json"])
    assert shown.exit_code == 0, shown.output
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    key = access_key(settings)
    assert (project_dir / "var" / "pdp-access-key").stat().st_mode & 0o777 == 0o600

    listed = runner.invoke(app, [*config, "pdp", "access", "--nip", NIP, "--json"])
    assert listed.exit_code == 0, listed.output
    reads = json.loads(listed.output)["reads"]
    assert [(r["channel"], r["kind"], r["target"]) for r in reads] == [
        ("cli", "conflict", "sbt-sync conflicts show")
    ]
    assert NIP not in listed.output
    with migrated_database.session() as session:
        last = session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc())).first()
        assert last is not None
        assert (last.kind, last.channel, last.rows, last.target) == (
            "access_log",
            "cli",
            1,
            "sbt-sync pdp access",
        )
        assert last.filter == {"nip_hash": nip_hash(key, NIP)}
        hashes = session.scalars(
            select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == last.id)
        ).all()
        assert hashes == [nip_hash(key, NIP)]

    text_out = runner.invoke(
        app, [*config, "pdp", "access", "--user", "nobody-here", "--since", "2026-01-01"]
    )
    assert text_out.exit_code == 0, text_out.output
    assert text_out.output.startswith("0 reads")


def test_the_threshold_is_validated_and_production_needs_its_own_key(project_dir: Path) -> None:
    config = project_dir / "sbt.yaml"
    base = config.read_text()
    config.write_text(base.replace("unusual_distinct_asn_per_day: 200", "unusual_distinct_asn_per_day: 0"))
    with pytest.raises(ConfigError, match="unusual_distinct_asn_per_day"):
        load_settings(config)
    config.write_text(base.replace("unusual_distinct_asn_per_day: 200", "unusual_distinct_asn_per_day: 35"))
    assert load_settings(config).pdp.unusual_distinct_asn_per_day == 35
    production = load_settings(config).model_copy(update={"environment": "production"})
    with pytest.raises(ConfigError, match=r"pdp\.access_key_env is required in production"):
        access_key(production)
    keyed = production.model_copy(
        update={"pdp": production.pdp.model_copy(update={"access_key_env": "SBT_TEST_PDP_KEY"})}
    )
    with pytest.raises(ConfigError, match="SBT_TEST_PDP_KEY is not set"):
        access_key(keyed)
    os.environ["SBT_TEST_PDP_KEY"] = "k" * 40
    try:
        assert access_key(keyed) == b"k" * 40
    finally:
        del os.environ["SBT_TEST_PDP_KEY"]
