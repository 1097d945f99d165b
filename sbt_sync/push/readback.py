"""The readback: SIASN's block flag per NIP compared with the desired ``block_state``.

Each NIP read (``GET /pemblokiran/{nip}``) gets one ``siasn_observations`` row. A difference is
*pending* while an outbox row for the NIP is still undelivered (or was acknowledged only after the
reads began: a push beside the readback), and *drift* otherwise (SIASN changed, or a change was lost);
with ``queue_drift`` each drift gets a corrective outbox row under a new block-state version, in the
same transaction as its observation, unless a row of the NIP waits parked (SIASN refused its flag: the
steward's retry sends it).

A block in SIASN that is not ours is never lifted by a correction: where SIASN shows a NIP blocked
and our desired flag says not blocked, the correction (``buka``) is queued only when the block is
ours, that is when the last change of the NIP SIASN has or may have applied from us is a ``blokir``
and SIASN's block reference (when it gives one) is one SIASN acknowledged to us. Otherwise someone
else placed it (a Kanreg may block a NIP, DOMAIN.md): the difference is drift of the kind
``blocked_by_other`` (``blocked_by_others`` in the report, the observation's ``response["kind"]``),
for a steward to see, and nothing is sent. The other way round (SIASN not blocked where we want the
block) is corrected as before: our block is ours to restore.

A row parked on an answer that may have been applied (``maybe_applied``: SIASN answered without an
acknowledgement we can store) is *settled* when the readback sees SIASN holding exactly the flag it
asked for, which is also the desired flag: it is acknowledged as observed (SIASN's reference for the
flag, a note saying so, its key kept), counted as ``settled``. A steward's retry could not do it: it
goes out under the same key, and SIASN replays the same unreadable answer.

A cycle's readback costs what changed (``sweep`` given, as the daemon does): it reads

- every NIP whose desired flag or push changed since its last observation (``block_state.updated_at``,
  an outbox row created or acknowledged later), and every NIP whose last observation differed
  (drift or pending: read again until SIASN agrees);
- plus a rotating slice of the others, oldest observation first, sized so that the whole set is read
  once per ``sweep`` (``ceil(total * elapsed / sweep)`` NIPs, ``elapsed`` since the previous readback),
  and every NIP not observed within ``sweep`` whatever the slice.

Bound: a drift that appears in SIASN without a change of ours (someone else unblocked a NIP) is found
by the first readback after the NIP's last observation is ``sweep`` old, so within ``sweep`` plus the
interval between two readbacks (one cycle); a change of ours that did not arrive is found by the next
readback. ``sweep=None`` reads every NIP (``sbt-sync push readback``, and the asset with
``full: true``).

A read SIASN throttles or fails is tried again like a push (``retry``: backoff, SIASN's
``Retry-After`` honoured), within the ``budget`` (a cycle's readback: ``push.cycle_budget_seconds``):
once it is spent no read nor retry starts and a read under way is cut off. A NIP whose read could not be
made is *not checked*, never drift: it gets no observation this time (``failed`` when tried or when it
is no NIP SIASN can be asked about, ``skipped`` when the budget ended first; ``not_checked_because``
says why), so it stays due for the next readback
(its change is still newer than its last observation; a rotating NIP stays among the oldest).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from connectors.errors import ConnectorError
from connectors.http import calls_end_by
from connectors.redact import mask_nip
from connectors.retry import RetryPolicy, retrying
from connectors.siasn import BlockStatus, SiasnApi
from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database, lock_for_write, lock_outbox
from sbt_sync.db.models import BlockState, Case, OutboxEntry, SiasnObservation
from sbt_sync.enforce.outbox import idempotency_key, push_payload
from sbt_sync.push.ratelimit import RateLimiter
from sbt_sync.states.outbox import OPEN, SENT, OutboxState, PushAction, moving_to

log = logging.getLogger(__name__)


BLOCKED_BY_OTHER = "blocked_by_other"
"""An observation's ``response["kind"]``: SIASN shows a block we did not place (module docstring)."""

BUDGET_SPENT = "time budget spent"
"""Why a NIP was not checked when the budget ended before its read started."""
INVALID_NIP = "invalid_nip"
"""Why a NIP was not checked when it is no NIP SIASN can be asked about (not 18 digits)."""


class _BudgetSpent(Exception):
    """The budget ended before a read's next try."""


DEFAULT_SWEEP = timedelta(hours=24)
"""Every NIP with a block state is read at least this often by the daemon's readback."""


@dataclass
class ReadbackReport:
    checked: int = 0
    in_sync: int = 0
    pending: int = 0
    """Differs from the desired flag while an outbox row is still on its way."""
    drift: int = 0
    unknown: int = 0
    """SIASN does not know the NIP."""
    failed: int = 0
    """Tried, but SIASN's answer never came (throttled, failing...): not checked."""
    queued: int = 0
    settled: int = 0
    """Parked rows that may have been applied, acknowledged because SIASN was seen holding their flag."""
    blocked_by_others: int = 0
    """Drift where SIASN shows a block we did not place and do not want: reported, never unblocked."""
    drift_sample: list[str] = field(default_factory=list)
    total: int = 0
    """NIPs with a block state."""
    changed: int = 0
    """Read because their flag or push changed since their last observation, or it differed."""
    rotating: int = 0
    """Read as the rotating slice, or because they were not observed within the sweep."""
    skipped: int = 0
    """Due, but not read: the time budget was spent first (read next time)."""
    not_checked_because: dict[str, int] = field(default_factory=dict)
    """Why the NIPs not checked (``failed`` and ``skipped``) were not: ``throttled``,
    ``server_error``..., or ``time budget spent``."""

    @property
    def not_checked(self) -> int:
        """Due NIPs whose flag this readback could not read: neither in sync nor drift."""
        return self.failed + self.skipped

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "not_checked": self.not_checked}


def readback(
    database: Database,
    siasn: SiasnApi,
    *,
    nips: Iterable[str] | None = None,
    concurrency: int = 4,
    rate_per_second: float = 10.0,
    queue_drift: bool = False,
    run_id: str | None = None,
    sweep: timedelta | None = None,
    now: datetime | None = None,
    budget: float | None = None,
    retry: RetryPolicy | None = None,
) -> ReadbackReport:
    """Read SIASN's flag of ``nips`` (default: every NIP with a block state; with ``sweep``, only those
    due, see the module's docstring) and record the comparison; a failed read is tried again per
    ``retry`` (default: the pusher's, :meth:`~sbt_sync.push.pusher.PushOptions.retry_policy`), and no
    read or retry starts after ``budget`` seconds (None: no limit)."""
    if retry is None:
        from sbt_sync.push.pusher import PushOptions  # the pusher imports this package

        retry = PushOptions().retry_policy()
    report = ReadbackReport()
    deadline = None if budget is None else time.monotonic() + budget
    # Observations carry the instant before the reads: a change of ours during them is read next time.
    started = now or utcnow()
    with database.session() as session:
        query = select(BlockState.nip)
        if nips is not None:
            query = query.where(BlockState.nip.in_(list(nips)))
        wanted = sorted(session.scalars(query))
        report.total = len(wanted)
        if sweep is not None:
            changed, rotating = due_nips(session, wanted, sweep=sweep, now=started)
            report.changed, report.rotating = len(changed), len(rotating)
            wanted = sorted(changed | rotating)
        else:
            report.rotating = len(wanted)
    if not wanted:
        return report
    limiter = RateLimiter(rate_per_second)

    def spent() -> bool:
        return deadline is not None and time.monotonic() >= deadline

    def read(nip: str) -> _Read:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return _Read(nip, None, None, BUDGET_SPENT)
        policy = retry if left is None else replace(retry, deadline=left)
        failures: list[ConnectorError] = []

        def attempt() -> BlockStatus | None:
            limiter.acquire()
            if spent():  # the budget ended while we waited (a backoff, Retry-After, the rate)
                raise _BudgetSpent
            try:
                with calls_end_by(deadline):  # the client's own tries end with the budget too
                    return siasn.status(nip)
            except ConnectorError as exc:
                failures.append(exc)
                raise

        try:
            return _Read(nip, retrying(policy, retry_on=_transient)(attempt), None, None)
        except _BudgetSpent:
            if not failures:
                return _Read(nip, None, None, BUDGET_SPENT)
            return _Read(nip, None, str(failures[-1]), _why(failures[-1]))
        except ConnectorError as exc:
            return _Read(nip, None, str(exc), _why(exc))
        except ValueError as exc:  # a NIP SIASN's API cannot be asked about: only this NIP is lost
            return _Read(nip, None, str(exc), INVALID_NIP)

    with ThreadPoolExecutor(concurrency, thread_name_prefix="siasn-readback") as pool:
        answers = list(pool.map(read, wanted))
    report.not_checked_because = dict(Counter(a.because for a in answers if a.because is not None))
    with database.session() as session:
        # SQLite: this transaction reads, then writes; a pusher writing in between must not fail it.
        lock_for_write(session, SiasnObservation)
        if queue_drift:
            # Before reading what is on its way: a readback queueing beside us commits first and its
            # correction is then seen here (pending), instead of both queueing the same one.
            lock_outbox(session)
        states = {
            row.nip: row for row in session.scalars(select(BlockState).where(BlockState.nip.in_(wanted)))
        }
        # On its way: a row still open, or one SIASN acknowledged since the reads began (the read may
        # have come before it landed: that is no drift, and a correction would send it again).
        on_its_way = or_(OutboxEntry.state.in_(OPEN), OutboxEntry.acked_at >= started)
        undelivered = set(
            session.scalars(select(OutboxEntry.nip).where(on_its_way, OutboxEntry.nip.in_(wanted)))
        )
        # SIASN refused the NIP's flag and a steward must see to it (retry or withdraw): one more
        # correction would only be refused again, one more parked row each readback.
        refused = (
            set(
                session.scalars(
                    select(OutboxEntry.nip).where(
                        OutboxEntry.state == OutboxState.PARKED, OutboxEntry.nip.in_(wanted)
                    )
                )
            )
            if queue_drift
            else set()
        )
        # Blocked in SIASN where we want no block: was it us?
        unwanted = [a.nip for a in answers if a.status is not None and a.status.blocked]
        ours = _our_blocks(session, [n for n in unwanted if not states[n].blocked], answers)
        agreeing: dict[str, BlockStatus] = {}
        for nip, status, error, because in answers:
            if because is not None and error is None:
                report.skipped += 1
                continue
            if because is not None:
                report.failed += 1
                log.warning("readback of NIP %s not checked: %s", mask_nip(nip), error)
                continue
            desired = states[nip].blocked
            observed = status.blocked if status is not None else None
            differs = (observed or False) != desired
            drift = differs and nip not in undelivered
            report.checked += 1
            report.unknown += int(status is None)
            report.in_sync += int(not differs)
            if status is not None and not differs:
                agreeing[nip] = status
            report.pending += int(differs and not drift)
            report.drift += int(drift)
            foreign = drift and bool(observed) and nip not in ours
            report.blocked_by_others += int(foreign)
            response = _response(status, pending=differs and not drift)
            if foreign:
                response["kind"] = BLOCKED_BY_OTHER
            session.add(
                SiasnObservation(
                    nip=nip,
                    blocked=observed,
                    desired_blocked=desired,
                    drift=drift,
                    response=response,
                    observed_at=started,
                    run_id=run_id,
                )
            )
            if drift:
                if len(report.drift_sample) < 10:
                    report.drift_sample.append(
                        f"{mask_nip(nip)}: SIASN {'blocked' if observed else 'not blocked'}, desired "
                        f"{'blocked' if desired else 'not blocked'}"
                        + (": blocked in SIASN by someone else, not unblocked by us" if foreign else "")
                    )
                if foreign:
                    log.warning(
                        "readback: NIP %s is blocked in SIASN by someone else (not by sbt-sync); "
                        "reported, not unblocked",
                        mask_nip(nip),
                    )
                elif queue_drift and nip not in refused:
                    _queue_correction(session, states[nip], run_id)
                    report.queued += 1
        report.settled = _settle_observed(session, agreeing, started)
    return report


def _settle_observed(session: Session, seen: dict[str, BlockStatus], at: datetime) -> int:
    """Acknowledge the parked rows that may have been applied whose flag SIASN was ``seen`` holding
    (module docstring); returns how many. Each update is conditional on the row still being parked as
    read: a steward's retry or withdrawal meanwhile wins."""
    if not seen:
        return 0
    rows = session.execute(
        select(OutboxEntry.id, OutboxEntry.nip, OutboxEntry.action, OutboxEntry.last_error).where(
            OutboxEntry.nip.in_(list(seen)),
            OutboxEntry.state == OutboxState.PARKED,
            OutboxEntry.maybe_applied.is_(True),
        )
    ).tuples()
    settled = 0
    now = utcnow()
    for row_id, nip, action, answered in list(rows):
        status = seen[nip]
        if PushAction(action) != PushAction.setting(status.blocked):
            continue
        flag = "blocked" if status.blocked else "not blocked"
        note = (
            f"not acknowledged by SIASN, but observed in SIASN: the readback of {at.isoformat()} saw the "
            f"NIP {flag} as this row asked; settled as applied (SIASN had answered: {answered})"
        )
        result = session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id == row_id,
                OutboxEntry.state.in_(moving_to(OutboxState.ACKED, OutboxState.PARKED)),
                OutboxEntry.maybe_applied.is_(True),
            )
            .values(state=OutboxState.ACKED, siasn_reference=status.reference, acked_at=now, last_error=note)
        )
        if cast(int, result.rowcount) == 1:  # type: ignore[attr-defined]  # a CursorResult at runtime
            settled += 1
            log.info("readback: outbox %d settled: SIASN holds the %s it asked for", row_id, action)
    return settled


def _our_blocks(session: Session, nips: list[str], answers: Iterable[_Read]) -> set[str]:
    """The NIPs of ``nips`` (blocked in SIASN) whose block is ours (module docstring): our latest row
    SIASN has or may have applied is a ``blokir``, and SIASN's block reference, when it shows one, is
    one SIASN acknowledged to us for that NIP."""
    if not nips:
        return set()
    shown = {a.nip: a.status.reference for a in answers if a.status is not None}
    sent_or_maybe = or_(OutboxEntry.state.in_(SENT), OutboxEntry.maybe_applied.is_(True))
    last: dict[str, str] = {}
    references: dict[str, set[str]] = {}
    rows = session.execute(
        select(OutboxEntry.nip, OutboxEntry.action, OutboxEntry.state, OutboxEntry.siasn_reference)
        .where(OutboxEntry.nip.in_(nips), sent_or_maybe)
        .order_by(OutboxEntry.id)
    ).tuples()
    for nip, action, state, reference in rows:
        last[nip] = action
        if state == OutboxState.ACKED and action == PushAction.BLOKIR and reference:
            references.setdefault(nip, set()).add(reference)
    return {
        nip
        for nip in nips
        if last.get(nip) == PushAction.BLOKIR
        and (shown.get(nip) is None or shown[nip] in references.get(nip, set()))
    }


class _Read(NamedTuple):
    """One NIP's read: SIASN's answer, or why there is none (``because``: a failure's reason, or
    :data:`BUDGET_SPENT` when it never started; ``error`` the failure's text, None if none)."""

    nip: str
    status: BlockStatus | None
    error: str | None
    because: str | None


def _transient(exc: BaseException) -> bool:
    """A read worth trying again: SIASN throttling, failing or unreachable (not a 4xx, not a bad NIP)."""
    return isinstance(exc, ConnectorError) and bool(getattr(exc, "retryable", False))


def _why(exc: BaseException) -> str:
    """The reason a read failed, as the HTTP client counts it (``throttled``, ``server_error``...)."""
    return str(getattr(exc, "reason", None) or type(exc).__name__)


def due_nips(
    session: Session, nips: list[str], *, sweep: timedelta, now: datetime
) -> tuple[set[str], set[str]]:
    """``(changed, rotating)``: the NIPs of ``nips`` a readback at ``now`` reads (module docstring).

    Only observations of the last ``sweep`` are looked at: a NIP without one is due anyway.
    """
    since = now - sweep
    latest = (
        select(SiasnObservation.nip, func.max(SiasnObservation.observed_at).label("at"))
        .where(SiasnObservation.observed_at >= since)
        .group_by(SiasnObservation.nip)
        .subquery()
    )
    last: dict[str, datetime] = {}
    differed: set[str] = set()
    rows = session.execute(
        select(SiasnObservation.nip, SiasnObservation.observed_at, SiasnObservation.blocked)
        .add_columns(SiasnObservation.desired_blocked, SiasnObservation.drift)
        .join(
            latest,
            (latest.c.nip == SiasnObservation.nip) & (latest.c.at == SiasnObservation.observed_at),
        )
    ).tuples()
    for nip, at, observed, desired, drift in rows:
        last[nip] = at
        if drift or bool(observed) != bool(desired):
            differed.add(nip)
    wanted = set(nips)
    changed = differed & wanted
    # Desired flags and pushes that changed since the NIP's last observation (or within the sweep, for a
    # NIP not observed in it).
    states = select(BlockState.nip, BlockState.updated_at).where(BlockState.updated_at >= since)
    for nip, updated in session.execute(states).tuples():
        if nip in wanted and updated > last.get(nip, since):
            changed.add(nip)
    pushes = select(OutboxEntry.nip, OutboxEntry.created_at, OutboxEntry.acked_at).where(
        or_(OutboxEntry.created_at >= since, OutboxEntry.acked_at >= since)
    )
    for nip, created, acked in session.execute(pushes).tuples():
        seen = last.get(nip, since)
        if nip in wanted and (created > seen or (acked is not None and acked > seen)):
            changed.add(nip)
    overdue = wanted - set(last) - changed
    rest = sorted((at, nip) for nip, at in last.items() if nip in wanted and nip not in changed)
    if not last:
        return changed, overdue
    share = min(1.0, max(0.0, (now - max(last.values())) / sweep))
    count = max(0, math.ceil(len(wanted) * share) - len(overdue))
    return changed, overdue | {nip for _, nip in rest[:count]}


def _response(status: BlockStatus | None, *, pending: bool) -> dict[str, Any]:
    if status is None:
        return {"found": False, "pending": pending}
    return {"found": True, "status": status.status, "referensi": status.reference, "pending": pending}


def _queue_correction(session: Session, state: BlockState, run_id: str | None) -> None:
    """A new version of the NIP's unchanged desired flag, and the outbox row that re-sends it."""
    lock_outbox(session)  # before block_state: ids commit in order (see lock_outbox)
    now = utcnow()
    state.version += 1
    state.updated_at = now
    action = PushAction.setting(state.blocked)
    refs = sorted(session.scalars(select(Case.case_key).where(Case.id.in_(state.case_ids))))
    # A re-send of the flag decided last: a report for an earlier day places it there (recap).
    decided_on = session.scalar(select(func.max(OutboxEntry.decided_on)).where(OutboxEntry.nip == state.nip))
    session.add(
        OutboxEntry(
            idempotency_key=idempotency_key(action, state.version),
            nip=state.nip,
            action=action,
            case_refs=refs,
            payload=push_payload(state.nip, action, refs, []),
            state=OutboxState.PENDING,
            attempts=0,
            next_attempt_at=now,
            block_version=state.version,
            created_at=now,
            run_id=run_id,
            decided_on=decided_on,
        )
    )
