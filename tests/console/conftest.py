"""A console on a real database (both backends) with one account per role and records of two agencies.

``bawaslu`` (viewer ``viewer``) owns case A, conflict A and quarantined row A; ``kemendagri`` owns case
B, conflict B and quarantined row B. The steward, admin and auditor see both.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user, create_token
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    Case,
    CaseLink,
    Conflict,
    OutboxEntry,
    PushApproval,
    QuarantinedRow,
    RawRecord,
    StagedRecord,
)
from sbt_sync.settings import Settings, load_settings
from tests.conftest import BACKENDS, REPO_ROOT
from tests.support.databases import MIGRATED, MigratedTemplates, database_for_test

PASSWORD = "correct horse battery staple"
ROLES = {"admin": "admin", "steward": "steward", "auditor": "auditor", "viewer": "agency_viewer"}
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NIP_A = "198001012005011001"
NIP_B = "199002022015022002"


@dataclass
class World:
    settings: Settings
    database: Database
    tokens: dict[str, str]
    ids: dict[str, int]

    def client(self) -> TestClient:
        return TestClient(create_app(self.settings, self.database), follow_redirects=False)

    def login(self, who: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        response = client.post(
            "/login", data={"username": who, "password": password, "csrf_token": csrf_of(client), "next": "/"}
        )
        assert response.status_code == 303, response.text
        return client


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page's forms carry (the login page works before logging in)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _case(
    session: Session, key: str, source: str, record_key: str, nip: str, kanreg: str
) -> tuple[Case, StagedRecord]:
    raw = RawRecord(source=source, record_key=record_key, content_hash="h" + key, payload="{}")
    session.add(raw)
    session.flush()
    staged = StagedRecord(
        source=source,
        record_key=record_key,
        raw_record_id=raw.id,
        raw_version=1,
        content_hash="s" + key,
        nip=nip,
        nip_raw=nip,
        name=f"ASN {key}",
        instansi="Pemkab Contoh",
    )
    case = Case(
        case_key=key,
        nip=nip,
        event_code="PILKADA2024",
        status="menunggu_tindak_lanjut_ppk",
        kanreg_id=kanreg,
        content_hash="c" + key,
        golden={"verification_result": "terbukti"},
        recommendation_date=date(2026, 10, 1),
        held=True,
    )
    session.add_all([staged, case])
    session.flush()
    session.add(
        CaseLink(
            case_id=case.id,
            staged_record_id=staged.id,
            source=source,
            record_key=record_key,
            rule="nip_event",
        )
    )
    return case, staged


def seed(database: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    with database.session() as session:
        case_a, staged_a = _case(session, "CASE-A", "bawaslu", "REG-A", NIP_A, "I")
        case_b, staged_b = _case(session, "CASE-B", "kemendagri", "kmd-1.csv:2", NIP_B, "II")
        conflict_a = Conflict(
            conflict_key="critical|CASE-A|sanction_code",
            kind="critical_field",
            case_id=case_a.id,
            field="sanction_code",
            basis_hash="b-a",
            agency=None,
            opened_at=T0,
            candidates=[
                {"value": "H1", "source": "idis", "record": 1},
                {"value": "H2", "source": "kemendagri", "record": 2},
            ],
        )
        conflict_b = Conflict(
            conflict_key="identity|kemendagri|kmd-1.csv:2|0",
            kind="identity",
            case_id=case_b.id,
            staged_record_id=staged_b.id,
            basis_hash="b-b",
            agency="kemendagri",
            opened_at=T0,
            candidates=[{"nip": NIP_B, "score": 0.9}],
        )
        q_a = QuarantinedRow(
            source="bawaslu",
            record_key="REG-Z",
            column="nip",
            check="nip_valid",
            value="19x",
            reason="bad NIP",
        )
        q_b = QuarantinedRow(
            source="kemendagri",
            file_name="kmd-1.csv",
            row_number=7,
            column="tanggal",
            check="date",
            value="31-02-2024",
            reason="impossible date",
        )
        approval = PushApproval(
            run_id="r1", change_count=60, blocked_before=0, percent=100.0, summary={"blokir": 60}
        )
        session.add_all([conflict_a, conflict_b, q_a, q_b, approval])
        session.flush()
        parked = OutboxEntry(
            idempotency_key="sbt-blokir-v1-a",
            nip=NIP_A,
            action="blokir",
            case_refs=["CASE-A"],
            payload={},
            state="parked",
            last_error="400 NIP tidak aktif",
            block_version=1,
        )
        session.add(parked)
        session.flush()
        ids.update(
            case_a=case_a.id,
            case_b=case_b.id,
            staged_a=staged_a.id,
            staged_b=staged_b.id,
            conflict_a=conflict_a.id,
            conflict_b=conflict_b.id,
            quarantine_a=q_a.id,
            quarantine_b=q_b.id,
            approval=approval.id,
            outbox=parked.id,
        )
    return ids


WORLD_TEMPLATE = "console_world"
_WORLD_COPY = pytest.StashKey[bool]()


@dataclass(frozen=True)
class _Seeded:
    tokens: dict[str, str]
    ids: dict[str, int]


def _populate(database: Database, settings: Settings) -> _Seeded:
    """The accounts of :data:`ROLES` with an API token each, and the records of :func:`seed`."""
    tokens: dict[str, str] = {}
    for name, role in ROLES.items():
        add_user(
            database,
            settings,
            username=name,
            password=PASSWORD,
            role=role,
            agency="bawaslu" if role == "agency_viewer" else None,
            actor="test",
        )
        tokens[name], _ = create_token(database, name, name="test", days=1, actor="test")
    return _Seeded(tokens, seed(database))


@pytest.fixture(scope="session")
def _world_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sbt.yaml the world's template is populated with."""
    project = tmp_path_factory.mktemp("console-world")
    shutil.copy(REPO_ROOT / "sbt.yaml", project / "sbt.yaml")
    return project


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    migrated_templates: MigratedTemplates,
    _world_project: Path,
) -> Iterator[str]:
    """As tests/conftest.py's, and for a test of the ``world`` a copy of the world, populated once per
    backend for the session: hashing the four accounts' passwords (argon2id) is most of a world's cost,
    and every test that starts from it changes only its own copy."""
    template: str | None = None
    if "world" in request.fixturenames:

        def populate(database: Database) -> _Seeded:
            settings = load_settings(_world_project / "sbt.yaml", env={"SBT_DATABASE_URL": database.url})
            return _populate(database, settings)

        migrated_templates.build(WORLD_TEMPLATE, request.param, populate)
        template = WORLD_TEMPLATE
        request.node.stash[_WORLD_COPY] = True
    elif "migrated_database" in request.fixturenames:
        template = MIGRATED
    with database_for_test(request.param, tmp_path, migrated_templates, template) as url:
        yield url


@pytest.fixture
def console_settings(project_dir: Path, migrated_database: Database) -> Settings:
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    return settings


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    console_settings: Settings,
    migrated_database: Database,
    migrated_templates: MigratedTemplates,
) -> World:
    """The world of the module docstring on the test's own database: a copy of the populated template
    when this directory's ``database_url`` gave one, else populated here (a module elsewhere that
    imports this fixture gets the root ``database_url``)."""
    if not request.node.stash.get(_WORLD_COPY, False):
        made = _populate(migrated_database, console_settings)
        return World(console_settings, migrated_database, made.tokens, made.ids)
    seeded: _Seeded = migrated_templates.build(WORLD_TEMPLATE, migrated_database.dialect, _not_built)
    return World(console_settings, migrated_database, dict(seeded.tokens), dict(seeded.ids))


def _not_built(database: Database) -> _Seeded:
    raise AssertionError("database_url populates the world's template before the world is asked for")
