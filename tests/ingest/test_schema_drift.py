"""The schema-drift verdict (``sbt_sync.ingest.drift.judge``): absence that chance cannot explain."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from sbt_sync.db.models import SourceHold
from sbt_sync.ingest.drift import MIN_HISTORY_ROWS, accepted_columns, judge
from sbt_sync.ingest.staging import StagingResult


def _run(rows: int, absent: dict[str, int], unknown: set[str] | None = None) -> StagingResult:
    return StagingResult(
        validated=rows, rows_checked=rows, absent_rows=Counter(absent), unknown_columns=unknown or set()
    )


HISTORY = 1000


def test_a_column_the_source_always_sent_fails_once_a_run_has_the_minimum_rows() -> None:
    verdict = judge(_run(20, {"nip": 20}), {"nip": (1.0, HISTORY)}, min_rows=20, chance=1e-6)
    assert not verdict.passed and [d.column for d in verdict.blocking] == ["nip"]
    assert verdict.blocking[0].chance == 0.0


def test_fewer_rows_than_the_minimum_only_report_the_absence() -> None:
    verdict = judge(_run(19, {"nip": 19}), {"nip": (1.0, HISTORY)}, min_rows=20, chance=1e-6)
    assert verdict.passed and verdict.absent == ("nip",)


def test_a_sparse_optional_key_left_out_of_a_batch_is_chance_not_drift() -> None:
    # A JSON API that omits null keys: the source's earlier records carried ``tanggalSK`` in 60 %, so
    # 15 records without it happen by chance with probability 0.4**15 (about 1e-6): no drift yet.
    verdict = judge(_run(15, {"tanggalSK": 15}), {"tanggalSK": (0.6, HISTORY)}, min_rows=10, chance=1e-6)
    assert verdict.passed and verdict.absent == ("tanggalSK",)
    many = judge(_run(60, {"tanggalSK": 60}), {"tanggalSK": (0.6, HISTORY)}, min_rows=10, chance=1e-6)
    assert not many.passed  # 0.4**60 is about 1e-24: the source stopped sending it


def test_a_key_only_some_kinds_of_record_carry_is_never_drift_alone() -> None:
    # KemenPAN-RB: most complaints name no NIP; a run of a thousand without one says nothing about
    # the feed's shape, however unlikely it would be were every record alike.
    verdict = judge(_run(1000, {"nip": 1000}), {"nip": (0.05, HISTORY)}, min_rows=20, chance=1e-6)
    assert verdict.passed


def test_a_column_never_sent_before_beside_the_absence_reads_as_a_rename() -> None:
    earlier = {"tanggalSK": (0.3, HISTORY), "tglSK": (0.0, HISTORY), "catatan": (0.9, HISTORY)}
    plain = judge(_run(30, {"tanggalSK": 30}), earlier, min_rows=20, chance=1e-6)
    renamed = judge(_run(30, {"tanggalSK": 30}, {"tglSK"}), earlier, min_rows=20, chance=1e-6)
    assert plain.passed and not renamed.passed
    assert (renamed.unknown, renamed.new) == (("tglSK",), ("tglSK",))
    # An undeclared column the source has long sent is no sign of a rename.
    usual = judge(_run(30, {"tanggalSK": 30}, {"catatan"}), earlier, min_rows=20, chance=1e-6)
    assert usual.passed and usual.new == ()


def test_a_new_column_alone_never_fails_the_check() -> None:
    verdict = judge(_run(500, {}, {"kolomBaru"}), {}, min_rows=20, chance=1e-6)
    assert verdict.passed and verdict.unknown == ("kolomBaru",)


def test_a_column_absent_from_only_some_rows_is_not_absent() -> None:
    # Two chunks in one run: the column missing from one of them only.
    verdict = judge(_run(5000, {"nip": 1000}), {"nip": (1.0, HISTORY)}, min_rows=20, chance=1e-6)
    assert verdict.passed and verdict.absent == ()


def test_too_little_history_says_nothing() -> None:
    short = judge(_run(100, {"nip": 100}), {"nip": (1.0, MIN_HISTORY_ROWS - 1)}, min_rows=20, chance=1e-6)
    never = judge(_run(100, {"nip": 100}), {"nip": (0.0, HISTORY)}, min_rows=20, chance=1e-6)
    assert short.passed and never.passed


def test_an_accepted_column_stays_accepted_until_the_source_sends_it_again() -> None:
    absent = judge(_run(50, {"nip": 50}), {"nip": (1.0, HISTORY)}, min_rows=20, chance=1e-6, accepted={"nip"})
    assert absent.passed and absent.accepted == ("nip",)
    idle = judge(_run(0, {}), {}, min_rows=20, chance=1e-6, accepted={"nip"})
    assert idle.accepted == ("nip",)  # a run with nothing new keeps the acceptance
    back = judge(_run(50, {}), {}, min_rows=20, chance=1e-6, accepted={"nip"})
    assert back.passed and back.accepted == ()  # sent again: a later absence holds the source again


@pytest.mark.parametrize(
    ("held", "released_after_check", "expected"),
    [(False, True, {"old", "nip"}), (True, False, {"old"}), (False, False, {"old"})],
)
def test_a_release_after_the_check_accepts_the_columns_it_was_held_for(
    held: bool, released_after_check: bool, expected: set[str]
) -> None:
    checked = datetime(2025, 3, 1, tzinfo=UTC)
    hold = SourceHold(
        source="kemendagri",
        held=held,
        checked_at=checked,
        released_at=checked + timedelta(hours=1 if released_after_check else -1),
        verdict={"schema_drift": {"blocking_columns": ["nip"], "accepted": ["old"]}},
    )
    assert accepted_columns(hold) == expected
    assert accepted_columns(None) == set()
