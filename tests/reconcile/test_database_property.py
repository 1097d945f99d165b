"""The database path of the reconciliation, as properties over any mix of records and changes:

- an incremental run after any sequence of source changes leaves exactly what a full rerun builds;
- a NIP is blocked only by a case whose every linked record's identity is undisputed (no open identity
  conflict on it, and whoever it names is the case's ASN), through identity resolution against a real
  registry mirror, the golden dataset and the enforcement policy as production runs them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select

from sbt_sync.db.base import Base
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    Case,
    CaseLink,
    Conflict,
    RawRecord,
    StagedRecord,
)
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import Settings, load_settings
from tests.conftest import REPO_ROOT
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

NIP_A = "198001012005011001"
NIP_B = "199002022015022002"
UNKNOWN = "198501012010011005"
"""Well formed (born 1985-01-01, appointed 2010-01, male, serial 005) but held by nobody."""
IDENTITIES: dict[str, tuple[str | None, str | None]] = {
    "a": (NIP_A, "Budi Santoso"),
    "b": (NIP_B, "Hj. Siti Aminah, S.Pd."),
    "a_named_b": (NIP_A, "Siti Aminah"),  # M's valid NIP, someone else's name
    "unknown": (UNKNOWN, "Joko Prasetyo"),  # nobody in the registry
    "name_only_b": (None, "SITI AMINAH"),
    "anonymous": (None, None),
}
REGS = ("0001/Reg/LP/PILKADA/2024", "0002/Reg/LP/PILKADA/2024")
RECS = ("B-0001/D.IV/WAS/11/2024", "B-0002/D.IV/WAS/11/2024")
AS_OF = date(2025, 1, 20)
"""Recommended 2024-11-01: by now the peringatan, teguran and pemblokiran are all due."""
T0 = datetime(2025, 1, 20, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    """One source record as the test writes it."""

    kind: str
    identity: str
    register: int
    number: int
    result: str = "terbukti"


SOURCE = {"finding": "bawaslu", "recommendation": "bkn_wasdal", "sanction": "idis"}


def specs() -> st.SearchStrategy[Spec]:
    return st.builds(
        Spec,
        kind=st.sampled_from(("finding", "finding", "recommendation", "recommendation", "sanction")),
        identity=st.sampled_from(sorted(IDENTITIES)),
        register=st.integers(0, 1),
        number=st.integers(0, 1),
        result=st.sampled_from(("terbukti", "terbukti", "tidak_terbukti")),
    )


Change = tuple[str, int, Spec]
"""("edit" | "add" | "withdraw", record index, the new spec)."""


def _row(spec: Spec, index: int, version: int) -> dict[str, Any]:
    nip_raw, name = IDENTITIES[spec.identity]
    fields: dict[str, Any] = {"record_type": spec.kind}
    register = REGS[spec.register] if spec.kind != "sanction" else None
    number = RECS[spec.number] if spec.kind != "finding" else None
    if spec.kind == "finding":
        fields |= {"register_status": "diteruskan", "incident_at": "2024-10-01T10:00:00+07:00"}
    elif spec.kind == "recommendation":
        fields |= {"verification_result": spec.result, "recommendation_date": "2024-11-01"}
        if spec.result == "terbukti":
            fields["recommended_sanction"] = "21"
    else:
        fields |= {"sanction_code": "21", "sanction_date": "2025-01-30"}  # after AS_OF: not yet in force
    return {
        "source": SOURCE[spec.kind],
        "record_key": f"{SOURCE[spec.kind]}-{index}",
        "raw_version": version,
        "content_hash": hashlib.sha256(f"{index}:{version}:{spec}".encode()).hexdigest(),
        "nip_raw": nip_raw,
        "name": name,
        "instansi": "Pemerintah Kabupaten Sampang" if name else None,
        "event_code": "PILKADA-2024" if spec.kind != "sanction" else None,
        "register_no": register,
        "recommendation_no": number,
        "fields": fields,
        "source_updated_at": datetime(2024, 11, 1, tzinfo=UTC) + timedelta(hours=version),
        "needs_reconcile": True,
        "withdrawn": False,
    }


def _write(database: Database, index: int, spec: Spec | None, version: int) -> None:
    """Stage record ``index`` as ``spec`` says (None: the source withdrew it), flagged as changed."""
    with database.session() as session:
        source_key = None if spec is None else (SOURCE[spec.kind], f"{SOURCE[spec.kind]}-{index}")
        staged = session.scalar(select(StagedRecord).where(StagedRecord.record_key.like(f"%-{index}")))
        if staged is None:
            assert spec is not None and source_key is not None
            raw = RawRecord(source=source_key[0], record_key=source_key[1], content_hash="r", payload="{}")
            session.add(raw)
            session.flush()
            session.add(StagedRecord(raw_record_id=raw.id, item_no=0, **_row(spec, index, version)))
            return
        if spec is None:
            staged.withdrawn, staged.needs_reconcile = True, True
            return
        for name, value in _row(spec, index, version).items():
            if name not in ("source", "record_key"):  # a record keeps its source and key
                setattr(staged, name, value)


def _reset(database: Database) -> None:
    with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "audit_log":  # append-only (the examples here write none)
                session.execute(delete(table))
        session.execute(
            insert(AsnRegistryEntry),
            [
                registry_row(registry_item(NIP_A, "BUDI SANTOSO")),
                registry_row(registry_item(NIP_B, "SITI AMINAH", back="S.Pd.")),
            ],
        )


def _snapshot(database: Database) -> tuple[Any, ...]:
    with database.session() as session:
        cases = {(c.case_key, c.content_hash, c.nip, c.held, c.status) for c in session.scalars(select(Case))}
        links = set(
            session.execute(
                select(CaseLink.staged_record_id, Case.case_key, CaseLink.rule)
                .join(Case, Case.id == CaseLink.case_id)
                .where(CaseLink.unlinked_at.is_(None))
            ).tuples()
        )
        conflicts = {(c.conflict_key, c.kind, c.status) for c in session.scalars(select(Conflict))}
        flags = set(
            session.execute(
                select(StagedRecord.id, StagedRecord.resolved_nip, StagedRecord.identity_rule)
            ).tuples()
        )
    return cases, links, conflicts, flags


def _blocked_only_on_undisputed_identities(database: Database, project: Settings) -> None:
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), project.enforcement, AS_OF)
        for decision in plan.blocks.values():
            if not decision.blocked:
                continue
            for case_id in decision.blocking_case_ids:
                case = session.get(Case, case_id)
                assert case is not None and case.nip == decision.nip
                linked = session.execute(
                    select(
                        StagedRecord.id, StagedRecord.resolved_nip, StagedRecord.nip_raw, StagedRecord.name
                    )
                    .join(CaseLink, CaseLink.staged_record_id == StagedRecord.id)
                    .where(CaseLink.case_id == case_id, CaseLink.unlinked_at.is_(None))
                ).all()
                for staged_id, resolved, nip_raw, name in linked:
                    disputed = session.scalar(
                        select(Conflict.id).where(
                            Conflict.staged_record_id == staged_id,
                            Conflict.status == "open",
                            Conflict.kind.in_(IDENTITY_CONFLICT_KINDS),
                        )
                    )
                    assert disputed is None, (case.case_key, staged_id)
                    if nip_raw or name:
                        assert resolved == case.nip, (case.case_key, staged_id, resolved)


@pytest.fixture
def project_settings() -> Settings:
    return load_settings(REPO_ROOT / "sbt.yaml", env={})


@pytest.fixture
def database(migrated_database: Database) -> Iterator[Database]:
    yield migrated_database


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    initial=st.lists(specs(), min_size=1, max_size=7),
    changes=st.lists(
        st.tuples(st.sampled_from(("edit", "add", "withdraw")), st.integers(0, 8), specs()), max_size=4
    ),
)
def test_incremental_runs_after_any_changes_equal_a_full_rerun_and_block_only_undisputed_identities(
    database: Database, project_settings: Settings, initial: list[Spec], changes: list[Change]
) -> None:
    _reset(database)
    for index, spec in enumerate(initial):
        _write(database, index, spec, 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    count = len(initial)
    for step, (what, index, spec) in enumerate(changes, start=1):
        if what == "add" or index >= count:
            _write(database, count, spec, 1)
            count += 1
        else:
            _write(database, index, None if what == "withdraw" else spec, step + 1)
        reconcile_database(database, project_settings, as_of=AS_OF, now=T0 + timedelta(minutes=step))
    _blocked_only_on_undisputed_identities(database, project_settings)
    incremental = _snapshot(database)
    reconcile_database(database, project_settings, full=True, as_of=AS_OF, now=T0 + timedelta(hours=1))
    assert _snapshot(database) == incremental


def test_a_record_leaving_a_register_relinks_what_it_left_behind(
    database: Database, project_settings: Settings
) -> None:
    """Found by the property above: a finding moved to another register left the recommendation of its
    old register beside a case it now joins, because the run followed only the finding's new keys."""
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("finding", "a_named_b", 0, 0), 1)  # disputed: identifies nobody
    _write(database, 2, Spec("recommendation", "a_named_b", 0, 0), 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        ambiguous = session.scalars(select(Conflict).where(Conflict.kind == "ambiguous_link")).one()
        assert ambiguous.status == "open"  # two findings in its register: which one it follows is unclear

    _write(database, 0, Spec("finding", "a", 1, 0), 2)  # the identified finding moves to register 2
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0 + timedelta(minutes=1))
    incremental = _snapshot(database)
    _, links, conflicts, _ = incremental
    with database.session() as session:
        recommendation = session.scalar(
            select(StagedRecord.id).where(StagedRecord.record_key == "bkn_wasdal-2")
        )
    assert (recommendation, f"PILKADA-2024|reg:{REGS[0]}|item0", "register_no") in links
    assert {(k, s) for k, kind, s in conflicts if kind == "ambiguous_link"} == {
        (ambiguous.conflict_key, "auto_closed")
    }
    reconcile_database(database, project_settings, full=True, as_of=AS_OF, now=T0 + timedelta(hours=1))
    assert _snapshot(database) == incremental


def test_a_case_reconciliation_removes_leaves_its_crosswalk_in_the_audit_log(
    database: Database, project_settings: Settings
) -> None:
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("finding", "b", 1, 1), 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        finding = session.scalar(select(StagedRecord.id).where(StagedRecord.record_key == "bawaslu-1"))
        gone = session.scalar(select(CaseLink.case_id).where(CaseLink.staged_record_id == finding))
        seen = session.scalar(select(func.max(AuditEntry.id)))
    assert gone is not None

    _write(database, 1, None, 2)  # the source withdraws the only record of the second case
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0 + timedelta(minutes=1))

    with database.session() as session:
        assert session.get(Case, gone) is None
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > (seen or 0), AuditEntry.action == "case.remove")
        ).all()
    assert [(e.object_type, e.object_id, e.actor_name) for e in entries] == [("case", str(gone), "sbt-sync")]
    before = entries[0].before or {}
    assert [(link["staged_record_id"], link["source"]) for link in before["links"]] == [(finding, "bawaslu")]
    assert NIP_B not in str(before) and NIP_A not in str(before)  # ids and rules, no personal data


def _blocked(database: Database, project: Settings) -> set[str]:
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), project.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}


def test_valid_nip_under_another_name_joined_by_register_holds_instead_of_blocking(
    database: Database, project_settings: Settings
) -> None:
    _reset(database)
    _write(database, 0, Spec("finding", "a", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "a", 0, 0), 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    assert _blocked(database, project_settings) == {NIP_A}  # the plain case blocks: the test can see one

    # The recommendation now carries M's NIP under someone else's name.
    _write(database, 1, Spec("recommendation", "a_named_b", 0, 0), 2)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0 + timedelta(minutes=1))
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.kind == "name_mismatch")).one()
        assert conflict.status == "open"
        case = session.scalars(select(Case)).one()
        assert case.nip == NIP_A and case.held
        assert case.hold_reason is not None and f"identity conflict {conflict.id}" in case.hold_reason
        assert len(session.scalars(select(CaseLink).where(CaseLink.unlinked_at.is_(None))).all()) == 2
    assert _blocked(database, project_settings) == set()


def test_well_formed_unknown_nip_on_a_proven_case_reaches_stewards_and_blocks_nobody(
    database: Database, project_settings: Settings
) -> None:
    _reset(database)
    _write(database, 0, Spec("finding", "unknown", 0, 0), 1)
    _write(database, 1, Spec("recommendation", "unknown", 0, 0), 1)
    reconcile_database(database, project_settings, as_of=AS_OF, now=T0)
    with database.session() as session:
        conflicts = session.scalars(select(Conflict).order_by(Conflict.id)).all()
        assert [(c.kind, c.status, c.candidates) for c in conflicts] == [("unresolved", "open", [])] * 2
        assert {c.staged_record_id for c in conflicts} == set(session.scalars(select(StagedRecord.id)))
        proven = session.scalars(select(Case).where(Case.status == "menunggu_tindak_lanjut_ppk")).all()
        assert [(c.nip, c.held) for c in proven] == [(None, True)]
    assert _blocked(database, project_settings) == set()
