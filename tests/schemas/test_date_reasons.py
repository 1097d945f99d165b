"""A date or instant a feed refuses is refused with a reason that names what is wrong: the impossible
date itself (``2024-02-30 is not a real date (February 2024 has 29 days)``), a missing UTC offset, an
impossible time. End to end, that reason is what the quarantine row of a Bawaslu register says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, StagedRecord
from sbt_sync.ingest.landing import CursorMove, FetchedRecord, land_batch
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.ingest.validate import RecordInput, validate
from schemas.checks import calendar_problem, dmy_date_reason, instant_reason, iso_date_reason
from schemas.feeds import FEEDS


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2024-02-30T10:00:00+07:00", "2024-02-30 is not a real date (February 2024 has 29 days)"),
        ("2023-02-29T10:00:00+07:00", "2023-02-29 is not a real date (February 2023 has 28 days)"),
        ("2024-04-31T10:00:00Z", "2024-04-31 is not a real date (April 2024 has 30 days)"),
        ("2024-13-01T10:00:00+07:00", "2024-13-01 is not a real date (there is no month 13)"),
        ("2024-01-00T10:00:00+07:00", "2024-01-00 is not a real date (January 2024 has 31 days)"),
        (
            "2024-02-30",
            "2024-02-30 is not a real date (February 2024 has 29 days); "
            "not an ISO-8601 instant with a UTC offset (yyyy-mm-ddThh:mm[:ss]+hh:mm)",
        ),
        ("2024-02-28T10:00:00", "no UTC offset (e.g. +07:00 for WIB)"),
        ("2024-02-28T24:30:00+07:00", "24:30:00 is not a time of day"),
        ("2024-02-28T10:00:00+25:00", "+25:00 is not a UTC offset"),
        ("28-02-2024 10:00", "not an ISO-8601 instant with a UTC offset (yyyy-mm-ddThh:mm[:ss]+hh:mm)"),
    ],
)
def test_instant_reason_names_what_is_wrong(value: str, reason: str) -> None:
    assert instant_reason(value) == reason


@pytest.mark.parametrize(
    "value", ["2024-02-29T10:00:00+07:00", "2024-11-20T10:00+08:00", "2024-11-20T03:00:00Z"]
)
def test_a_real_instant_has_no_reason(value: str) -> None:
    assert instant_reason(value) is None


def test_date_reasons_name_the_impossible_date_in_either_layout() -> None:
    assert iso_date_reason("2024-02-30") == "2024-02-30 is not a real date (February 2024 has 29 days)"
    assert iso_date_reason("30-02-2024") == "not a date written yyyy-mm-dd"
    assert iso_date_reason("2024-02-29") is None
    assert dmy_date_reason("31-06-2024") == "31-06-2024 is not a real date (June 2024 has 30 days)"
    assert dmy_date_reason("2024-06-30") == "not a date written dd-mm-yyyy"
    assert dmy_date_reason("30-06-2024") is None
    assert calendar_problem(1900, 2, 29) == "February 1900 has 28 days"  # not a leap year
    assert calendar_problem(2000, 2, 29) is None


def _register(**changes: object) -> dict[str, object]:
    return {
        "nomor_register": "REG-001",
        "jenis": "temuan",
        "pemilihan": "PILKADA-2024",
        "tanggal_register": "2024-11-20T10:00:00+07:00",
        "tanggal_diteruskan": "2024-11-21T10:00:00+07:00",
        "bentuk_pelanggaran": "MEDSOS",
        "status": "diteruskan",
        "updated_at": "2024-11-21T10:00:00+07:00",
        "terlapor": [{"nip": None, "nama": "Budi Santoso"}],
        **changes,
    }


def test_validation_names_the_impossible_date_of_a_bawaslu_register() -> None:
    outcome = validate(
        FEEDS["bawaslu"], [RecordInput(1, "REG-001", _register(tanggal_register="2024-02-30"))]
    )
    [failure] = outcome.failures
    assert (failure.column, failure.check) == ("tanggal_register", "iso_datetime_with_offset")
    assert failure.reason.startswith(
        "tanggal_register: 2024-02-30 is not a real date (February 2024 has 29 days); not an ISO-8601 instant"
    )
    assert failure.reason.endswith("(value '2024-02-30')")


def test_the_quarantine_row_says_which_date_is_impossible(migrated_database: Database) -> None:
    records = [
        FetchedRecord("REG-001", _register(tanggal_register="2024-02-30T10:00:00+07:00")),
        FetchedRecord("REG-002", _register(nomor_register="REG-002")),
    ]
    with migrated_database.session() as session:
        land_batch(
            session,
            source="bawaslu",
            records=records,
            cursor=CursorMove("1", datetime(2024, 11, 21, 3, 0, tzinfo=UTC)),
        )
    stage_pending(migrated_database, source="bawaslu", feed=FEEDS["bawaslu"])
    with migrated_database.session() as session:
        [row] = session.scalars(select(QuarantinedRow)).all()
        staged = session.scalars(select(StagedRecord.record_key)).all()
    assert (row.record_key, row.column, row.value) == (
        "REG-001",
        "tanggal_register",
        "2024-02-30T10:00:00+07:00",
    )
    assert row.reason == (
        "tanggal_register: 2024-02-30 is not a real date (February 2024 has 29 days) "
        "(value '2024-02-30T10:00:00+07:00')"
    )
    assert staged == ["REG-002"]  # the bad row costs no good row
