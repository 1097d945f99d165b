"""Retention (issue 20 item 3), on both backends, on a database after a real full cycle: a dry run lists
what would go and changes nothing; the purge removes exactly what the dry run listed, only closed cases
past their time and never one an open conflict, an unacknowledged push or a block needs; every case
that stays keeps its links, staged rows and payloads; settled quarantine rows, old access records and
old downloads go, open ones and fresh ones stay; one audit entry holds the counts, no NIP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AuditEntry,
    BlockState,
    Case,
    CaseLink,
    Conflict,
    OutboxEntry,
    QuarantinedRow,
    RawRecord,
    StagedRecord,
)
from sbt_sync.db.models.access import PersonalDataAccess
from sbt_sync.pdp.access import purge_access_log, record_read
from sbt_sync.pdp.retention import CLOSED_STATUSES, PURGED_PAYLOAD, purge
from tests.pdp.cycle import BACKENDS, Cycled, cycled_database, run_cycle

pytestmark = pytest.mark.integration
KEY = b"retention-test-key"
NIP_RE = r"\d{18}"


@pytest.fixture(scope="module", params=BACKENDS)
def fresh_cycle(
    request: pytest.FixtureRequest, pdp_sandbox_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cycled]:
    """A database of its own after one full cycle (the purge changes it)."""
    folder = tmp_path_factory.mktemp(f"pdp-purge-{request.param}")
    with cycled_database(request.param, pdp_sandbox_data, folder) as cycle:
        yield cycle


def _snapshot(database: Database) -> dict[str, Any]:
    """Every case with its active links' staged rows and their raw payloads; open conflicts; outbox."""
    with database.session() as session:
        cases = {c.id: (c.status, c.held, c.nip) for c in session.scalars(select(Case))}
        links: dict[int, set[int]] = {}
        for case_id, staged_id in session.execute(
            select(CaseLink.case_id, CaseLink.staged_record_id).where(CaseLink.unlinked_at.is_(None))
        ).tuples():
            links.setdefault(case_id, set()).add(staged_id)
        staged = dict(session.execute(select(StagedRecord.id, StagedRecord.raw_record_id)).tuples().all())
        payloads = dict(session.execute(select(RawRecord.id, RawRecord.payload)).tuples().all())
        open_conflicts = set(session.scalars(select(Conflict.id).where(Conflict.status == "open")))
        outbox = set(session.scalars(select(OutboxEntry.id)))
        blocked = {n: list(ids) for n, ids in session.execute(select(BlockState.nip, BlockState.case_ids))}
        quarantine = dict(session.execute(select(QuarantinedRow.id, QuarantinedRow.status)).tuples().all())
    return {
        "cases": cases,
        "links": links,
        "staged": staged,
        "payloads": payloads,
        "open_conflicts": open_conflicts,
        "outbox": outbox,
        "blocked": blocked,
        "quarantine": quarantine,
    }


def _plant(world: Cycled) -> dict[str, int]:
    """Closed cases an open conflict and an unacknowledged push still need; settled quarantine rows;
    an old and a recent access record; an old and a fresh download."""
    now = datetime.now(UTC)
    with world.database.session() as session:
        closed = session.execute(
            select(Case.id, Case.nip)
            .where(Case.status.in_(CLOSED_STATUSES), Case.held.is_(False), Case.nip.is_not(None))
            .order_by(Case.id)
        ).all()
        assert len(closed) >= 10
        (by_conflict, _), (by_push, push_nip) = closed[0], closed[1]
        session.add(
            Conflict(
                conflict_key="retention-test-open", kind="critical_field", case_id=by_conflict,
                field="sanction_imposed", status="open", candidates=[], basis_hash="x",
            )
        )  # fmt: skip
        session.add(
            OutboxEntry(
                idempotency_key="retention-test-pending", nip=push_nip, action="buka", case_refs=[],
                payload={}, state="parked", block_version=1,
            )
        )  # fmt: skip
        quarantine = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.id)).all()
        assert len(quarantine) >= 2
        quarantine[0].status = "ignored"
        long_ago = now - timedelta(days=world.settings.retention.access_log_days + 5)
        old_read = record_read(session, "tester", "cli", "case", ["199001012020011001"], key=KEY, at=long_ago)
        new_read = record_read(session, "tester", "cli", "case", ["199001012020011001"], key=KEY)
    downloads = world.settings.resolve_path("var/downloads/kasn")
    downloads.mkdir(parents=True, exist_ok=True)
    old_file, new_file = downloads / "lama.csv", downloads / "baru.csv"
    for path in (old_file, new_file):
        path.write_text("nip;nama\n")
    stale = (now - timedelta(days=world.settings.retention.downloads_days + 1)).timestamp()
    os.utime(old_file, (stale, stale))
    return {
        "by_conflict": by_conflict,
        "by_push": by_push,
        "settled_quarantine": quarantine[0].id,
        "open_quarantine": quarantine[1].id,
        "old_read": old_read,
        "new_read": new_read,
    }


def test_the_purge_removes_what_the_policy_says_and_keeps_what_cases_and_blocks_need(
    fresh_cycle: Cycled, pdp_sandbox_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, database, policy = fresh_cycle, fresh_cycle.database, fresh_cycle.settings.retention
    planted = _plant(world)
    downloads = world.settings.resolve_path("var/downloads")
    # Today: only the old access record and the old download have passed their time.
    today = purge(
        database, policy, actor="tester", downloads_dir=downloads, dry_run=True, access_log=purge_access_log
    )
    assert (today.cases, today.case_raw_records, today.quarantine) == ([], [], [])
    assert (today.access_log, today.downloads) == (1, ["kasn/lama.csv"])
    purge(database, policy, actor="tester", downloads_dir=downloads, access_log=purge_access_log)
    with database.session() as session:
        reads = set(session.scalars(select(PersonalDataAccess.id)))
    assert planted["old_read"] not in reads and planted["new_read"] in reads
    assert not (downloads / "kasn" / "lama.csv").exists() and (downloads / "kasn" / "baru.csv").exists()
    # Years later, the closed cases have; the quarantine and access records too.
    later = datetime.now(UTC) + timedelta(days=policy.closed_case_days + 1)
    before = _snapshot(database)
    plan = purge(
        database, policy, actor="tester", downloads_dir=downloads, as_of=later, dry_run=True,
        access_log=purge_access_log,
    )  # fmt: skip
    assert _snapshot(database) == before  # a dry run changes nothing
    listed = json.dumps(plan.as_dict())
    assert not any(nip and nip in listed for _, _, nip in before["cases"].values())  # ids, no NIPs
    assert plan.cases and set(plan.cases) <= set(before["cases"])
    assert all(before["cases"][c][0] in CLOSED_STATUSES and not before["cases"][c][1] for c in plan.cases)
    assert planted["by_conflict"] not in plan.cases and planted["by_push"] not in plan.cases
    assert plan.kept.get("open_conflict", 0) >= 1 and plan.kept.get("push_not_acknowledged", 0) >= 1
    blocked_cases = {c for n, ids in before["blocked"].items() for c in ids}
    assert not blocked_cases & set(plan.cases)
    assert planted["settled_quarantine"] in plan.quarantine
    assert planted["open_quarantine"] not in plan.quarantine

    done = purge(
        database, policy, actor="tester", downloads_dir=downloads, as_of=later, access_log=purge_access_log
    )
    after = _snapshot(database)
    assert done.cases == plan.cases and done.counts() == plan.counts()
    assert set(before["cases"]) - set(after["cases"]) == set(plan.cases)  # exactly those cases went
    for case_id in after["cases"]:  # every case that stays keeps its links, rows and payloads
        assert after["links"].get(case_id) == before["links"].get(case_id)
        for staged_id in after["links"].get(case_id, ()):
            raw_id = after["staged"][staged_id]
            assert after["payloads"][raw_id] == before["payloads"][raw_id] != PURGED_PAYLOAD
    gone_staged = set(before["staged"]) - set(after["staged"])
    assert gone_staged == set(plan.case_staged_records)
    for raw_id in plan.case_raw_records:  # the record's row stays (a re-delivery is no news), emptied
        assert after["payloads"][raw_id] == PURGED_PAYLOAD
    assert after["open_conflicts"] == before["open_conflicts"] and after["outbox"] == before["outbox"]
    assert after["blocked"] == before["blocked"]
    assert planted["settled_quarantine"] not in after["quarantine"]
    assert planted["open_quarantine"] in after["quarantine"]
    with database.session() as session:
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "pdp.purge").order_by(AuditEntry.id)
        ).all()
        left = session.scalar(select(func.count()).select_from(Case).where(Case.id.in_(plan.cases)))
    assert left == 0
    assert len(audit) == 2 and audit[-1].after is not None  # one per purge, none for the dry runs
    assert audit[-1].after["counts"] == done.counts() and audit[-1].actor_name == "tester"
    assert not any(nip and nip in json.dumps(audit[-1].after) for _, _, nip in before["cases"].values())
    # A second purge at the same instant finds nothing more.
    again = purge(database, policy, actor="tester", downloads_dir=downloads, as_of=later, dry_run=True)
    assert again.cases == [] and again.quarantine == [] and again.downloads == []
    # The next cycle runs on the purged database and brings none of the removed cases back.
    with database.session() as session:
        keys_before = set(session.scalars(select(Case.case_key)))
    run_cycle(pdp_sandbox_data, database, tmp_path, monkeypatch)
    with database.session() as session:
        keys_after = set(session.scalars(select(Case.case_key)))
        cases_after = session.scalar(select(func.count()).select_from(Case))
    assert keys_after == keys_before and cases_after == len(after["cases"])
