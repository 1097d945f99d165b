"""Block intervals from the push ledger and SIASN's answers, as one timeline per NIP: pure helpers, then
the evaluation over the database with a fake SIASN (only ``status``: what the I-MUT lookups ask)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connectors.http.paging import Page
from connectors.siasn.api import BlockStatus, PushResult
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, ControlAction, ImutFinding, OutboxEntry, SiasnObservation
from sbt_sync.imut.blocks import BlockEvent, intervals, ledger_day, siasn_day
from sbt_sync.imut.elections import load_election_calendar
from sbt_sync.imut.findings_write import FindingStats
from sbt_sync.imut.model import BlockInterval
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import load_working_days
from tests.imut.builders import NIP_B, action_id, ingest, payload

LEARNED = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01-05-2024", date(2024, 5, 1)),  # SIASN's own way of writing dates (DOMAIN.md)
        ("2024-05-01", date(2024, 5, 1)),
        ("2024-05-01T23:30:00+07:00", date(2024, 5, 1)),  # an instant, its WIB day
        ("2024-05-01T17:30:00+00:00", date(2024, 5, 2)),  # 00:30 WIB the next day
        ("31-02-2024", None),  # no such day
        ("", None),
        (None, None),
    ],
)
def test_siasn_day_reads_dd_mm_yyyy_and_iso(value: str | None, expected: date | None) -> None:
    assert siasn_day(value) == expected


def _event(day: date, blocked: bool, hour: int = 0) -> BlockEvent:
    return BlockEvent(day, blocked, f"ref-{day}", LEARNED + timedelta(hours=hour))


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        # Blocked, then lifted: a closed interval; a later "not blocked" changes nothing.
        (
            [
                _event(date(2024, 5, 1), True),
                _event(date(2024, 7, 1), False),
                _event(date(2024, 9, 1), False),
            ],
            [BlockInterval(date(2024, 5, 1), date(2024, 7, 1), "ref-2024-05-01")],
        ),
        # A second "blocked" while blocked keeps the first start (a Kanreg's block, then ours).
        (
            [_event(date(2024, 5, 1), True), _event(date(2024, 11, 27), True)],
            [BlockInterval(date(2024, 5, 1), None, "ref-2024-05-01")],
        ),
        # Blocked again after an unblock: two intervals.
        (
            [_event(date(2024, 1, 1), True), _event(date(2024, 2, 1), False), _event(date(2024, 3, 1), True)],
            [
                BlockInterval(date(2024, 1, 1), date(2024, 2, 1), "ref-2024-01-01"),
                BlockInterval(date(2024, 3, 1), None, "ref-2024-03-01"),
            ],
        ),
        # Read in date order, not in the order they were learned.
        (
            [_event(date(2024, 7, 1), False, hour=1), _event(date(2024, 5, 1), True, hour=2)],
            [BlockInterval(date(2024, 5, 1), date(2024, 7, 1), "ref-2024-05-01")],
        ),
        # Never blocked.
        ([_event(date(2024, 5, 1), False)], []),
    ],
)
def test_intervals_follow_the_sequence_of_events(
    events: list[BlockEvent], expected: list[BlockInterval]
) -> None:
    assert intervals(events) == expected


WIB_NOON_UTC = 5  # 12:00 WIB


@pytest.mark.parametrize(
    ("acked", "run_as_of", "run_started", "as_of", "expected"),
    [
        # Production: the run decided for its own day; the acknowledgement's day counts.
        (date(2024, 7, 2), date(2024, 7, 1), date(2024, 7, 1), date(2024, 11, 27), date(2024, 7, 2)),
        # Re-evaluating an earlier day: an acknowledgement after it is left out.
        (date(2024, 11, 27), date(2024, 11, 27), date(2024, 11, 27), date(2024, 7, 1), None),
        (date(2024, 11, 27), None, None, date(2024, 7, 1), None),
        # The sandbox: a run for 1 Jul 2024 on a wall clock of 2026; its acknowledgement is 1 Jul.
        (date(2026, 3, 2), date(2024, 7, 1), date(2026, 3, 2), date(2024, 11, 27), date(2024, 7, 1)),
        # ... acknowledged the next wall day (a steward approved the guard): counts from as_of at most.
        (date(2026, 3, 3), date(2024, 11, 27), date(2026, 3, 2), date(2024, 11, 27), date(2024, 11, 27)),
        # ... but a sandbox run for a later day than the one evaluated is left out.
        (date(2026, 3, 2), date(2024, 11, 27), date(2026, 3, 2), date(2024, 7, 1), None),
    ],
)
def test_ledger_day_on_the_clock_of_the_run_that_decided(
    acked: date, run_as_of: date | None, run_started: date | None, as_of: date, expected: date | None
) -> None:
    def noon(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, WIB_NOON_UTC, tzinfo=UTC)

    started = noon(run_started) if run_started else None
    assert ledger_day(noon(acked), run_as_of=run_as_of, run_started=started, as_of=as_of) == expected


# --- over the database --------------------------------------------------------------------------------


class FakeSiasn:
    """SIASN's answer per NIP: ``state`` maps NIP -> (blocked, tanggal); ``asked`` records lookups."""

    def __init__(self) -> None:
        self.state: dict[str, tuple[bool, str | None]] = {}
        self.asked: list[str] = []

    def data_utama(self, nip: str) -> dict[str, Any] | None:
        raise AssertionError("I-MUT lookups ask only the block state")

    def registry_pages(self, cursor: str | None = None) -> Iterator[Page]:
        raise AssertionError("I-MUT lookups ask only the block state")

    def blokir(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        raise AssertionError("I-MUT lookups never write")

    def buka(self, nip: str, body: Mapping[str, Any], idempotency_key: str) -> PushResult:
        raise AssertionError("I-MUT lookups never write")

    def status(self, nip: str) -> BlockStatus | None:
        self.asked.append(nip)
        blocked, tanggal = self.state.get(nip, (False, None))
        status = "DIBLOKIR" if blocked else "TIDAK_DIBLOKIR"
        return BlockStatus(nip, blocked, status, "REF-1", None, None, tanggal)


def _promotion(n: int, decided: str, tmt: str) -> dict[str, object]:
    """A promotion by a central agency's head: only the block rule concerns it."""
    return payload(
        n,
        nipBaru=NIP_B,
        jenisTindakan="promosi",
        kelasJabatanLama="lainnya",
        kelasJabatanBaru="lainnya",
        pejabatPenetapPeran="pimpinan_instansi",
        pejabatPenetapWilayah=None,
        tanggalSk=decided,
        tmt=tmt,
    )


def _evaluate(
    database: Database, as_of: date, siasn: FakeSiasn | None = None, now: datetime | None = None
) -> FindingStats:
    with database.session() as session:
        return evaluate_findings(
            session,
            elections=load_election_calendar(),
            workdays=load_working_days(),
            as_of=as_of,
            siasn=siasn,
            siasn_lookups=10 if siasn else 0,
            now=now,
        )


def _findings(database: Database) -> set[tuple[str, str, str]]:
    with database.session() as session:
        return {(f.action_id, f.rule, f.status) for f in session.scalars(select(ImutFinding))}


def _ack(database: Database, key: str, action: str, at: datetime, run_id: str | None = None) -> None:
    with database.session() as session:
        session.add(
            OutboxEntry(
                idempotency_key=key,
                nip=NIP_B,
                action=action,
                payload={},
                state="acked",
                block_version=1,
                acked_at=at,
                run_id=run_id,
            )
        )


def test_a_siasn_block_dated_dd_mm_yyyy_dates_the_block(migrated_database: Database) -> None:
    siasn = FakeSiasn()
    siasn.state[NIP_B] = (True, "01-05-2024")  # seen on 27 Nov 2024, blocked since 1 May
    ingest(migrated_database, _promotion(1, "20-05-2024", "01-06-2024"))
    _evaluate(migrated_database, date(2024, 11, 27), siasn)
    assert (action_id(1), "block_breach", "open") in _findings(migrated_database)
    with migrated_database.session() as session:
        finding = session.scalars(select(ImutFinding)).one()
    assert finding.evidence["block_start"] == "2024-05-01"


def test_our_later_block_does_not_erase_a_block_siasn_showed_earlier(migrated_database: Database) -> None:
    siasn = FakeSiasn()
    siasn.state[NIP_B] = (True, "2024-05-01T09:00:00+07:00")  # a Kanreg's block
    ingest(migrated_database, _promotion(1, "20-05-2024", "01-06-2024"))
    _evaluate(migrated_database, date(2024, 11, 26), siasn)
    assert (action_id(1), "block_breach", "open") in _findings(migrated_database)
    _ack(migrated_database, "k1", "blokir", datetime(2024, 11, 27, 3, 0, tzinfo=UTC))
    _evaluate(migrated_database, date(2024, 11, 27), siasn)
    assert (action_id(1), "block_breach", "open") in _findings(migrated_database)
    with migrated_database.session() as session:
        finding = session.scalars(select(ImutFinding)).one()
    assert finding.evidence["block_start"] == "2024-05-01"
    assert {r["kind"] for r in finding.records} == {"imut_action", "siasn_observation", "push_ledger"}


def test_a_block_siasn_lifted_since_does_not_accuse_a_later_move_and_a_new_action_asks_again(
    migrated_database: Database,
) -> None:
    siasn = FakeSiasn()
    siasn.state[NIP_B] = (True, "01-05-2024")
    ingest(migrated_database, _promotion(1, "20-05-2024", "01-06-2024"))
    _evaluate(migrated_database, date(2024, 6, 5), siasn)
    _evaluate(migrated_database, date(2024, 6, 6), siasn)  # nothing new: not asked again
    assert siasn.asked == [NIP_B]
    assert (action_id(1), "block_breach", "open") in _findings(migrated_database)
    siasn.state[NIP_B] = (False, "01-07-2024")  # SIASN lifted it on 1 Jul 2024
    ingest(migrated_database, _promotion(2, "02-12-2024", "02-01-2025"))
    _evaluate(migrated_database, date(2025, 1, 10), siasn)
    assert siasn.asked == [NIP_B, NIP_B]  # the new action of the NIP made us ask again
    found = _findings(migrated_database)
    assert (action_id(2), "block_breach", "open") not in found
    assert (action_id(1), "block_breach", "open") in found  # 1 Jun 2024 was inside [1 May, 1 Jul)


def test_a_nip_seen_unblocked_is_asked_again_once_the_answer_is_old(migrated_database: Database) -> None:
    siasn = FakeSiasn()
    ingest(migrated_database, _promotion(1, "20-11-2024", "01-02-2025"))
    asked_on = datetime.now(UTC)  # the staging above is stamped on the wall clock too
    assert _evaluate(migrated_database, date(2024, 11, 27), siasn, now=asked_on).siasn_lookups == 1
    siasn.state[NIP_B] = (True, "10-01-2025")  # a Kanreg blocks it later
    assert (
        _evaluate(
            migrated_database, date(2024, 11, 28), siasn, now=asked_on + timedelta(days=1)
        ).siasn_lookups
        == 0
    )
    later = asked_on + timedelta(days=31)
    assert _evaluate(migrated_database, date(2025, 2, 3), siasn, now=later).siasn_lookups == 1
    assert (action_id(1), "block_breach", "open") in _findings(migrated_database)


def test_a_block_acknowledged_after_the_day_evaluated_does_not_reach_back(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, _promotion(1, "20-06-2024", "01-07-2024"))
    _ack(migrated_database, "k1", "blokir", datetime(2024, 11, 27, 3, 0, tzinfo=UTC))
    _evaluate(migrated_database, date(2024, 7, 1))
    assert (action_id(1), "block_breach", "open") not in _findings(migrated_database)
    _evaluate(migrated_database, date(2024, 11, 27))  # the day it was acknowledged: no move since
    assert (action_id(1), "block_breach", "open") not in _findings(migrated_database)


def test_a_sandbox_block_on_a_frozen_clock_counts_from_the_day_its_run_decided_for(
    migrated_database: Database,
) -> None:
    """The demo's clock: enforcement decides for 27 Nov 2024 on a wall clock years later, and SIASN's
    acknowledgement carries the wall clock; a move effective from 27 Nov 2024 is a breach."""
    wall = datetime.now(UTC)
    ingest(migrated_database, _promotion(1, "01-11-2024", "27-11-2024"))
    with migrated_database.session() as session:
        session.add(
            ControlAction(
                case_id=_case_id(migrated_database),
                action="pemblokiran",
                due_on=date(2024, 11, 27),
                reason="test",
                as_of=date(2024, 11, 27),
                decided_at=wall,
                run_id="run-1",
            )
        )
    _ack(migrated_database, "k1", "blokir", wall + timedelta(minutes=1), run_id="run-1")
    _evaluate(migrated_database, date(2024, 11, 27))
    with migrated_database.session() as session:
        finding = session.scalars(select(ImutFinding)).one()
    assert finding.evidence["block_start"] == "2024-11-27"
    assert finding.evidence["blocked_on"] == "effective"


def _case_id(database: Database) -> int:
    with database.session() as session:
        case = Case(case_key="C-1", nip=None, golden={}, content_hash="0" * 64)
        session.add(case)
        session.flush()
        return case.id


def test_a_block_the_readback_found_placed_by_someone_else_after_ours_was_lifted_counts(
    migrated_database: Database,
) -> None:
    """We blocked the NIP and lifted the block; SIASN's readback then found it blocked again by someone
    else (a Kanreg, DOMAIN): SIASN held it blocked, so a promotion effective then is a block breach.
    The product never asks SIASN for I-MUT about a NIP it pushed: the readback is what it knows."""
    ingest(migrated_database, _promotion(1, "02-09-2024", "01-10-2024"))
    _ack(migrated_database, "k1", "blokir", datetime(2024, 6, 3, 3, 0, tzinfo=UTC))
    _ack(migrated_database, "k2", "buka", datetime(2024, 8, 1, 3, 0, tzinfo=UTC))
    with migrated_database.session() as session:
        session.add(
            SiasnObservation(
                nip=NIP_B, blocked=True, desired_blocked=False, drift=True,
                response={"found": True, "status": "DIBLOKIR", "referensi": "KANREG-3", "pending": False,
                          "kind": "blocked_by_other"},
                observed_at=datetime(2024, 9, 10, 2, 0, tzinfo=UTC),
            )
        )  # fmt: skip
    _evaluate(migrated_database, date(2024, 11, 27))
    assert (action_id(1), "block_breach", "open") in _findings(migrated_database)
    with migrated_database.session() as session:
        finding = session.scalars(select(ImutFinding)).one()
    assert finding.evidence["block_start"] == "2024-09-10"
    assert "siasn_observation" in {r["kind"] for r in finding.records}


def test_a_finding_cites_the_readbacks_that_changed_siasns_flag_not_every_reading(
    migrated_database: Database,
) -> None:
    ingest(migrated_database, _promotion(1, "02-09-2024", "01-10-2024"))
    _ack(migrated_database, "k1", "blokir", datetime(2024, 6, 3, 3, 0, tzinfo=UTC))
    with migrated_database.session() as session:
        for day in range(4, 30):  # the readback reads the NIP blocked every day of June
            session.add(
                SiasnObservation(
                    nip=NIP_B, blocked=True, desired_blocked=True, drift=False,
                    response={"found": True, "status": "DIBLOKIR", "referensi": "R", "pending": False},
                    observed_at=datetime(2024, 6, day, 2, 0, tzinfo=UTC),
                )
            )  # fmt: skip
    _evaluate(migrated_database, date(2024, 11, 27))
    with migrated_database.session() as session:
        finding = session.scalars(select(ImutFinding)).one()
    kinds = [r["kind"] for r in finding.records]
    assert kinds == ["imut_action", "push_ledger", "siasn_observation"]
