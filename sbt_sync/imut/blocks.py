"""When SIASN held a NIP's data blocked, from what the database knows: the product's own push ledger and
SIASN's answers to I-MUT lookups, as one timeline per NIP.

Every source contributes dated events, "blocked from this day" or "not blocked from this day":

- an acknowledged ``blokir`` or ``buka`` outbox row of ours, dated by its acknowledgement in WIB on the
  clock of the run that decided it (:func:`ledger_day`);
- a ``siasn_observations`` row of an I-MUT lookup (no desired state), dated by SIASN's ``tanggal``
  (``dd-mm-yyyy`` as SIASN writes dates, or ISO), else by the day we asked;
- a ``siasn_observations`` row of the push readback (SIASN's flag of a NIP the product pushed, where a
  block someone else placed shows), dated by the day it read.

The events of both sources are read in date order: a block opens an interval unless one is open, an
unblock closes the open one (SIASN holds one flag per NIP, whoever set it). Events dated after the day
evaluated are left out: an evaluation for an earlier day sees only what had happened by then.

:func:`observe_unpushed` asks ``GET /pemblokiran/{nip}`` for a bounded number of NIPs the product never
pushed: those never asked, those with an action delivered or changed since the last answer, and those
whose last answer is older than :data:`OBSERVATION_MAX_AGE`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.siasn import SiasnApi
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import ControlAction, OutboxEntry, SiasnObservation, SyncRun
from sbt_sync.enforce.load import wib_day
from sbt_sync.imut.model import BlockInterval
from sbt_sync.reconcile.identity.store import chunks
from sbt_sync.states.outbox import OutboxState
from schemas.checks import parse_dmy
from schemas.nip import mask_nip

log = logging.getLogger(__name__)

IMUT_OBSERVATION = "imut"
"""``siasn_observations.response["purpose"]`` of a lookup made for the I-MUT rules."""
OBSERVATION_MAX_AGE = timedelta(days=30)
"""A NIP with actions in scope whose last SIASN answer is older than this is asked again: a Kanreg may
have blocked or unblocked it since."""


@dataclass(frozen=True)
class BlockEvent:
    """From ``day`` on, SIASN held the NIP ``blocked`` (or not); ``learned`` orders events of one day."""

    day: date
    blocked: bool
    reference: str
    learned: datetime


def siasn_day(value: Any) -> date | None:
    """A SIASN date: ``dd-mm-yyyy`` (DOMAIN: SIASN writes dates so), an ISO date or an ISO instant (in
    WIB); None when there is none or it cannot be read."""
    if isinstance(value, str):
        parsed = parse_dmy(value)
        if parsed is not None:
            return parsed
    return wib_day(value)


def ledger_day(
    acked_at: datetime, *, run_as_of: date | None, run_started: datetime | None, as_of: date
) -> date | None:
    """The product's day of an acknowledgement, or None when it comes after ``as_of``.

    In production a run decides for today and the acknowledgement's WIB day is the day. A run that
    decided for a day its wall clock had passed (the sandbox at its frozen instant) acknowledges on
    the wall clock: the day is shifted back by that run's offset, and an acknowledgement that the
    wall clock carries past ``as_of`` counts from ``as_of`` as long as the run decided for a day not
    after it. An acknowledgement of a run for a later day, or dated after ``as_of`` on an unshifted
    clock, is left out: an evaluation of an earlier day does not see later blocks.
    """
    acknowledged = wib_day(acked_at)
    assert acknowledged is not None
    started = wib_day(run_started)
    shift = (started - run_as_of) if run_as_of is not None and started is not None else timedelta(0)
    if shift <= timedelta(0):
        return acknowledged if acknowledged <= as_of else None
    assert run_as_of is not None
    if run_as_of > as_of:
        return None
    return min(max(acknowledged - shift, run_as_of), as_of)


def _run_days(session: Session, run_ids: Collection[str]) -> dict[str, tuple[date, datetime | None]]:
    """Run id -> the day the run decided for and when it started, where the database knows them: the
    enforcement's control steps carry their ``as_of``, the run ledger its start (and ``as_of``)."""
    found: dict[str, tuple[date, datetime | None]] = {}
    for chunk in chunks(sorted(run_ids)):
        started: dict[str | None, datetime] = {
            run_id: at
            for run_id, at in session.execute(
                select(SyncRun.run_id, SyncRun.started_at).where(SyncRun.run_id.in_(chunk))
            ).tuples()
        }
        decided = select(
            ControlAction.run_id, func.max(ControlAction.as_of), func.min(ControlAction.decided_at)
        )
        for run_id, day, at in session.execute(
            decided.where(ControlAction.run_id.in_(chunk)).group_by(ControlAction.run_id)
        ).tuples():
            if run_id is not None and day is not None:
                found[run_id] = (day, started.get(run_id) or at)
        ledger = select(SyncRun.run_id, SyncRun.as_of, SyncRun.started_at).where(
            SyncRun.run_id.in_(chunk), SyncRun.as_of.is_not(None)
        )
        for run_id, run_day, run_at in session.execute(ledger).tuples():
            if run_id is not None and run_day is not None:
                found.setdefault(run_id, (run_day, run_at))
    return found


def ledger_events(
    session: Session, nips: Collection[str], as_of: date, records: dict[str, list[dict[str, Any]]]
) -> dict[str, list[BlockEvent]]:
    """Events from our acknowledged pushes (``records``: what each NIP's events rest on, appended)."""
    columns = (
        OutboxEntry.id,
        OutboxEntry.nip,
        OutboxEntry.action,
        OutboxEntry.acked_at,
        OutboxEntry.siasn_reference,
        OutboxEntry.run_id,
    )
    rows: list[Any] = []
    for chunk in chunks(sorted(nips)):
        query = select(*columns).where(
            OutboxEntry.nip.in_(chunk),
            OutboxEntry.state == OutboxState.ACKED,
            OutboxEntry.acked_at.is_not(None),
        )
        rows.extend(session.execute(query))
    runs = _run_days(session, {r.run_id for r in rows if r.run_id})
    events: dict[str, list[BlockEvent]] = {}
    for row in sorted(rows, key=lambda r: (r.nip, r.acked_at, r.id)):
        run_as_of, run_started = runs.get(row.run_id, (None, None))
        day = ledger_day(row.acked_at, run_as_of=run_as_of, run_started=run_started, as_of=as_of)
        if day is None:
            continue
        reference = f"outbox:{row.id}" + (f" ({row.siasn_reference})" if row.siasn_reference else "")
        acknowledged = wib_day(row.acked_at)
        assert acknowledged is not None
        records.setdefault(row.nip, []).append(
            {
                "kind": "push_ledger",
                "outbox_id": row.id,
                "action": row.action,
                "acknowledged_on": acknowledged.isoformat(),
                "counts_from": day.isoformat(),
            }
        )
        events.setdefault(row.nip, []).append(
            BlockEvent(day, row.action == "blokir", reference, row.acked_at)
        )
    return events


_OBSERVATION_COLUMNS = (
    SiasnObservation.id,
    SiasnObservation.nip,
    SiasnObservation.blocked,
    SiasnObservation.observed_at,
    SiasnObservation.response,
)


def _observations(session: Session, nips: Collection[str], *, readback: bool) -> list[Any]:
    """SIASN's answers about ``nips``: the push readback's (``readback``: it reads the NIPs the
    product pushed, which I-MUT never asks; they carry the desired flag), else I-MUT's own lookups."""
    desired = SiasnObservation.desired_blocked
    rows: list[Any] = []
    for chunk in chunks(sorted(nips)):
        query = select(*_OBSERVATION_COLUMNS).where(
            SiasnObservation.nip.in_(chunk), desired.is_not(None) if readback else desired.is_(None)
        )
        rows.extend(
            r
            for r in session.execute(query)
            if readback or (r.response or {}).get("purpose") == IMUT_OBSERVATION
        )
    return rows


def observed_events(
    session: Session, nips: Collection[str], as_of: date, records: dict[str, list[dict[str, Any]]]
) -> dict[str, list[BlockEvent]]:
    """Events from SIASN's answers, every answer in turn (not only the latest): to I-MUT lookups and to
    the push readback (which finds a block someone else placed on a NIP the product pushed)."""
    events: dict[str, list[BlockEvent]] = {}
    readback = _observations(session, nips, readback=True)
    readback_ids = {row.id for row in readback}
    last_read: dict[str, bool] = {}
    answers = [*_observations(session, nips, readback=False), *readback]
    for row in sorted(answers, key=lambda r: (r.nip, r.observed_at, r.id)):
        if row.blocked is None:
            continue  # SIASN does not know the NIP
        response = row.response or {}
        day = siasn_day(response.get("tanggal")) or wib_day(row.observed_at)
        assert day is not None
        # The readback reads a NIP every cycle: a finding cites the readings where SIASN's flag changed.
        if row.id not in readback_ids or last_read.get(row.nip) is not bool(row.blocked):
            records.setdefault(row.nip, []).append(
                {
                    "kind": "siasn_observation",
                    "observation_id": row.id,
                    "status": response.get("status"),
                    "blocked": bool(row.blocked),
                    "since": day.isoformat(),
                }
            )
        if row.id in readback_ids:
            last_read[row.nip] = bool(row.blocked)
        if day > as_of:
            continue
        reference = f"siasn:{response.get('referensi') or row.id}"
        events.setdefault(row.nip, []).append(BlockEvent(day, bool(row.blocked), reference, row.observed_at))
    return events


def intervals(events: list[BlockEvent]) -> list[BlockInterval]:
    """The block intervals a NIP's events describe, read in date order (module docstring)."""
    found: list[BlockInterval] = []
    open_since: BlockEvent | None = None
    for event in sorted(events, key=lambda e: (e.day, e.learned)):
        if event.blocked and open_since is None:
            open_since = event
        elif not event.blocked and open_since is not None:
            if event.day > open_since.day:
                found.append(BlockInterval(open_since.day, event.day, open_since.reference))
            open_since = None
    if open_since is not None:
        found.append(BlockInterval(open_since.day, None, open_since.reference))
    return found


def observe_unpushed(
    session: Session,
    siasn: SiasnApi,
    nips: Mapping[str, datetime | None],
    *,
    limit: int,
    now: datetime | None = None,
    max_age: timedelta = OBSERVATION_MAX_AGE,
) -> tuple[int, set[str]]:
    """Ask SIASN the block state of up to ``limit`` of ``nips`` (NIP -> when its newest action in scope
    was staged) that have no acknowledged push of ours, and keep each answer. Asked are NIPs never
    asked, then those with an action staged since the last answer, then those whose last answer is
    older than ``max_age``. Returns how many were asked and the NIPs still waiting (beyond ``limit``,
    or whose lookup failed: logged, NIP masked), which a later run asks."""
    at = now or utcnow()
    wanted = sorted(nips)
    pushed: set[str] = set()
    for chunk in chunks(wanted):
        pushed.update(
            session.scalars(
                select(OutboxEntry.nip).where(
                    OutboxEntry.nip.in_(chunk), OutboxEntry.state == OutboxState.ACKED
                )
            )
        )
    last: dict[str, datetime] = {}
    for row in _observations(session, [n for n in wanted if n not in pushed], readback=False):
        last[row.nip] = max(row.observed_at, last.get(row.nip, row.observed_at))
    due: list[tuple[int, datetime | None, str]] = []
    for nip in wanted:
        if nip in pushed:
            continue
        asked, staged = last.get(nip), nips[nip]
        if asked is None:
            due.append((0, None, nip))
        elif staged is not None and staged > asked:
            due.append((1, asked, nip))
        elif at - asked >= max_age:
            due.append((2, asked, nip))
    due.sort(key=lambda d: (d[0], d[1] or at, d[2]))
    todo, waiting = [d[2] for d in due[:limit]], {d[2] for d in due[limit:]}
    for nip in todo:
        try:
            status = siasn.status(nip)
        except ConnectorError as exc:
            log.warning("SIASN block state of NIP %s for I-MUT failed: %s", mask_nip(nip), exc)
            waiting.add(nip)
            continue
        response: dict[str, Any] = {"purpose": IMUT_OBSERVATION, "found": status is not None}
        if status is not None:
            response |= {"status": status.status, "referensi": status.reference, "tanggal": status.date}
        session.add(
            SiasnObservation(
                nip=nip,
                blocked=status.blocked if status is not None else None,
                desired_blocked=None,
                drift=False,
                response=response,
                observed_at=at,
            )
        )
    return len(todo), waiting
