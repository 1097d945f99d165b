"""One enforcement run over the database, and the pre-push safety query the blocking check uses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sbt_sync.db.engine import lock_for_write, lock_product_writes
from sbt_sync.db.models import Case, OutboxEntry
from sbt_sync.enforce.disputes import open_disputes
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.enforce.store import EnforcementReport, apply_plan
from sbt_sync.settings import EnforcementSettings
from sbt_sync.states.outbox import OPEN, PushAction


def run_enforcement(
    session: Session,
    policy: EnforcementSettings,
    as_of: date,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
) -> EnforcementReport:
    """Read the golden cases, decide at ``as_of`` and store the result in the caller's transaction.

    Takes the product-writes lock first (``lock_product_writes``): two runs at once would record the
    same control actions; the second waits for the first and then finds them recorded. On SQLite it
    then takes the database's write lock before its first read (``lock_for_write``): a pusher, a
    readback or a steward writing the outbox between that read and enforcement's first write would
    otherwise fail the run with 'database is locked' (a WAL snapshot cannot be upgraded once stale);
    they wait for this run instead. On PostgreSQL the outbox rows enforcement supersedes are taken by
    conditional updates, which wait for a claim under way and then see its outcome.
    """
    lock_product_writes(session)
    lock_for_write(session, OutboxEntry)
    plan = plan_enforcement(load_cases(session), policy, as_of)
    return apply_plan(session, plan, guard=policy.guard, run_id=run_id, now=now)


def conflicted_blocks(session: Session) -> list[tuple[int, str, str]]:
    """``(outbox id, NIP, case key)`` of unsent block rows naming a case that is held (an open critical
    conflict, or a disputed identity on one of its records) or has an open dispute now (an open
    critical conflict, an identity conflict on one of its records, a record naming someone else:
    :func:`~sbt_sync.enforce.disputes.open_disputes`).

    The policy never blocks a held case, but a conflict can open after a row was queued (or a case be
    linked differently); such a row must not reach SIASN until a steward has looked.
    """
    rows = session.execute(
        select(OutboxEntry.id, OutboxEntry.nip, OutboxEntry.case_refs).where(
            OutboxEntry.action == PushAction.BLOKIR,
            OutboxEntry.state.in_(OPEN),
        )
    ).all()
    wanted = {ref for _, _, refs in rows for ref in refs or []}
    if not wanted:
        return []
    conflicted: set[str] = set()
    keys = sorted(wanted)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        query = select(Case.id, Case.case_key).where(Case.case_key.in_(chunk))
        cases = dict(session.execute(query).tuples().all())
        conflicted.update(cases[case_id] for case_id in open_disputes(session, sorted(cases)))
        held = select(Case.case_key).where(Case.case_key.in_(chunk), Case.held.is_(True))
        conflicted.update(session.scalars(held))
    return sorted((row_id, nip, ref) for row_id, nip, refs in rows for ref in refs or [] if ref in conflicted)
