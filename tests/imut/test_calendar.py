"""The election calendar file and the working-day calendar behind the I-MUT rules."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbt_sync.imut.elections import (
    COLUMNS,
    ElectionCalendarError,
    load_election_calendar,
    shift_months,
)
from sbt_sync.imut.model import (
    ActionKind,
    DateWindow,
    DecidingOfficial,
    OfficialRole,
    PersonnelAction,
    Post,
    PostClass,
)
from sbt_sync.imut.rules import evaluate
from sbt_sync.imut.workdays import (
    WorkingDayCalendar,
    WorkingDayError,
    WorkingDayOverride,
    load_overrides,
    load_working_days,
)

HEADER = ",".join(COLUMNS)
GOOD_ROW = "pilkada-2024,Pilkada 2024,32,2024-09-22,2024-11-27,2025-02-20,2025-02-19,PKPU 2/2024"


def _write(tmp_path: Path, *lines: str, name: str = "calendar.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the election calendar -------------------------------------------------------------------------


def test_packaged_calendar_starts_the_2024_ban_on_22_march() -> None:
    (event,) = load_election_calendar().events_for("32.73")
    assert event.event_id == "pilkada-2024"
    assert event.candidate_determination == date(2024, 9, 22)
    assert event.ban_window == DateWindow(date(2024, 3, 22), date(2025, 2, 19))
    # Six months counted from inauguration day: 20 Feb up to 19 Aug.
    assert event.post_inauguration_window == DateWindow(date(2025, 2, 20), date(2025, 8, 19))


def test_region_row_overrides_the_events_star_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER,
        "pilkada-2024,Pilkada 2024,*,2024-09-22,2024-11-27,2025-02-20,2025-02-19,PKPU 2/2024",
        "pilkada-2024,Pilkada 2024,91.01,2024-09-22,2024-11-27,2025-06-10,2025-06-09,after an MK dispute",
    )
    calendar = load_election_calendar(path)
    (own,) = calendar.events_for("91.01")
    assert own.inauguration == date(2025, 6, 10)
    (default,) = calendar.events_for("32")
    assert default.inauguration == date(2025, 2, 20)
    assert calendar.events_for(None) == ()


def test_unknown_end_of_term_leaves_the_ban_open_and_no_inauguration_means_no_162_window(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, HEADER, "pilkada-2029,Pilkada 2029,32,2029-09-20,,,,KPU schedule")
    (event,) = load_election_calendar(path).events_for("32")
    assert event.ban_window == DateWindow(date(2029, 3, 20), date.max)
    assert event.post_inauguration_window is None


def test_an_unknown_end_of_term_ends_the_ban_the_day_before_a_known_inauguration(tmp_path: Path) -> None:
    # Pasal 71(2) runs to the end of the term, which is over by the inauguration; Pasal 162(3) runs
    # from the inauguration: the two windows meet and do not overlap.
    path = _write(
        tmp_path, HEADER, "pilkada-2024,Pilkada 2024,32,2024-09-22,2024-11-27,2025-02-20,,PKPU 2/2024"
    )
    (event,) = load_election_calendar(path).events_for("32")
    assert event.ban_window == DateWindow(date(2024, 3, 22), date(2025, 2, 19))
    assert event.post_inauguration_window == DateWindow(date(2025, 2, 20), date(2025, 8, 19))


@pytest.mark.parametrize(
    ("inaugurated", "last"),
    [
        (date(2025, 2, 20), date(2025, 8, 19)),  # the packaged date: up to the day before 20 Aug
        (date(2025, 3, 30), date(2025, 9, 29)),
        # Six months from 31 Mar reach the end of September (there is no 31 Sep): 30 Sep is inside.
        (date(2025, 3, 31), date(2025, 9, 30)),
        # From 29, 30 or 31 Aug 2024 six months reach the end of February 2025 (28 days).
        (date(2024, 8, 29), date(2025, 2, 28)),
        (date(2024, 8, 31), date(2025, 2, 28)),
        (date(2024, 8, 28), date(2025, 2, 27)),
        (date(2023, 8, 31), date(2024, 2, 29)),  # a leap February
    ],
)
def test_the_162_3_window_ends_the_day_before_the_same_date_six_months_on_or_at_a_short_months_end(
    tmp_path: Path, inaugurated: date, last: date
) -> None:
    voting = inaugurated - timedelta(days=60)
    row = f"pilkada-x,Pilkada,32,{voting - timedelta(days=60)},{voting},{inaugurated},,PKPU"
    (event,) = load_election_calendar(_write(tmp_path, HEADER, row)).events_for("32")
    assert event.post_inauguration_window == DateWindow(inaugurated, last)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_the_162_3_window_runs_to_the_day_before_the_six_month_anniversary(inaugurated: date) -> None:
    # The anniversary is the same day of the month six months on; where that month is too short for
    # it, the period has run out with that month, so the anniversary is the 1st of the next one.
    from sbt_sync.imut.elections import ElectionEvent

    year, month = divmod(inaugurated.year * 12 + inaugurated.month - 1 + 6, 12)
    try:
        anniversary = date(year, month + 1, inaugurated.day)
    except ValueError:
        anniversary = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    event = ElectionEvent("e", "E", "32", inaugurated - timedelta(days=200), None, inaugurated, None, "s")
    assert event.post_inauguration_window == DateWindow(inaugurated, anniversary - timedelta(days=1))


def test_national_events_are_the_star_rows_for_an_official_without_a_region(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER,
        "pilkada-2024,Pilkada 2024,32,2024-09-22,2024-11-27,2025-02-20,2025-02-19,PKPU 2/2024",
        "pilkada-2024,Pilkada 2024,*,2024-09-22,2024-11-27,2025-02-20,2025-02-19,PKPU 2/2024",
        "pemilu-2029,Pemilu 2029,32,2029-01-10,,,,KPU",
    )
    calendar = load_election_calendar(path)
    assert [(e.event_id, e.region_code) for e in calendar.national_events()] == [("pilkada-2024", "*")]


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        # A column missing from the header.
        (["event_id,region_code", "x,32"], "line 1: missing column(s) event_name"),
        # A column the loader does not know (a typo must not be silently ignored).
        ([HEADER + ",extra", GOOD_ROW + ",1"], "line 1: unknown column(s) extra"),
        # The one required date is empty.
        ([HEADER, "e,E,32,,2024-11-27,,,src"], "line 2: candidate_determination_date: is empty"),
        # Not an ISO date.
        ([HEADER, GOOD_ROW, "e,E,32,22/09/2024,,,,src"], "line 3: candidate_determination_date: '22/09"),
        # Voting before the candidates are determined.
        ([HEADER, "e,E,32,2024-09-22,2024-09-21,,,src"], "line 2: voting_date: 2024-09-21 is before"),
        # Inauguration before voting.
        ([HEADER, "e,E,32,2024-09-22,2024-11-27,2024-11-26,,src"], "line 2: inauguration_date:"),
        # The old term running past the new head's inauguration.
        ([HEADER, "e,E,32,2024-09-22,2024-11-27,2025-02-20,2025-02-21,src"], "line 2: end_of_term_date:"),
        # The term ending before the candidates are determined.
        ([HEADER, "e,E,32,2024-09-22,,,2024-09-21,src"], "line 2: end_of_term_date: 2024-09-21 is before"),
        # A region code that is neither a Kemendagri code nor *.
        ([HEADER, "e,E,Jawa Barat,2024-09-22,,,,src"], "line 2: region_code: 'Jawa Barat'"),
        # The source of the dates is required.
        ([HEADER, "e,E,32,2024-09-22,,,,"], "line 2: source: is empty"),
        # More cells than columns.
        ([HEADER, GOOD_ROW + ",surplus"], "line 2: (row): has more cells"),
        # The same event and region twice.
        (
            [HEADER, GOOD_ROW, GOOD_ROW],
            "line 3: region_code: 32 is listed twice for pilkada-2024 (first on line 2)",
        ),
    ],
)
def test_calendar_errors_name_file_line_and_field(tmp_path: Path, lines: list[str], where: str) -> None:
    path = _write(tmp_path, *lines)
    with pytest.raises(ElectionCalendarError) as raised:
        load_election_calendar(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert where in str(raised.value)


def test_missing_calendar_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ElectionCalendarError, match=r"nowhere\.csv: cannot read"):
        load_election_calendar(tmp_path / "nowhere.csv")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 9, 22), -6, date(2024, 3, 22)),  # the 2024 Pilkada ban
        (date(2024, 8, 31), -6, date(2024, 2, 29)),  # clamped to a leap February's end
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 2, 20), 6, date(2025, 8, 20)),
        (date(2024, 1, 15), -1, date(2023, 12, 15)),  # across a year
    ],
)
def test_shift_months(day: date, months: int, expected: date) -> None:
    assert shift_months(day, months) == expected


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)), st.integers(-24, 24))
def test_shift_months_moves_whole_months_and_never_overshoots(day: date, months: int) -> None:
    shifted = shift_months(day, months)
    assert (shifted.year * 12 + shifted.month) - (day.year * 12 + day.month) == months
    assert shifted.day <= day.day


# --- working days ----------------------------------------------------------------------------------

WORKDAYS = WorkingDayCalendar()


@pytest.mark.parametrize(
    "day",
    [
        # Cuti bersama from the SKB 3 Menteri of each year (the package's GOVERNMENT category).
        date(2024, 4, 8),  # Idul Fitri 1445 H
        date(2024, 4, 15),
        date(2024, 12, 26),  # Natal
        date(2025, 4, 7),  # Idul Fitri 1446 H
        date(2025, 12, 26),
        date(2026, 3, 18),  # Nyepi
        date(2026, 3, 24),  # Idul Fitri 1447 H
        date(2026, 12, 24),
    ],
)
def test_cuti_bersama_2024_to_2026_are_days_off(day: date) -> None:
    assert not WORKDAYS.is_working_day(day)
    assert "Cuti Bersama" in (WORKDAYS.day_off_reason(day) or "")


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 11, 27),  # Pilkada voting day, a national holiday
        date(2025, 3, 31),  # Idul Fitri
        date(2026, 8, 17),  # Independence Day (a Monday)
    ],
)
def test_national_holidays_are_days_off(day: date) -> None:
    assert not WORKDAYS.is_working_day(day)


def test_seventh_working_day_skips_a_public_holiday() -> None:
    # Tue 11 Aug 2026; Mon 17 Aug is Independence Day.
    assert WORKDAYS.add_working_days(date(2026, 8, 11), 7) == date(2026, 8, 21)
    assert WORKDAYS.add_working_days(date(2026, 8, 11), 8) == date(2026, 8, 24)


def test_seventh_working_day_skips_cuti_bersama() -> None:
    # Tue 17 Mar 2026: 18 (cuti bersama Nyepi), 19 (Nyepi), 20, 23, 24 (cuti bersama Idul Fitri) are off.
    assert WORKDAYS.add_working_days(date(2026, 3, 17), 7) == date(2026, 4, 2)
    assert WORKDAYS.working_days_after(date(2026, 3, 17), date(2026, 3, 24)) == 0


def test_override_cancels_and_adds_days_off_and_confirms_a_year() -> None:
    calendar = WorkingDayCalendar(
        (
            WorkingDayOverride(date(2026, 12, 24), "hari_kerja", "cuti bersama cancelled", "SKB revision"),
            WorkingDayOverride(date(2099, 1, 2), "cuti_bersama", "Cuti Bersama Tahun Baru", "SKB 2099"),
        )
    )
    assert calendar.is_working_day(date(2026, 12, 24))
    assert calendar.day_off_reason(date(2099, 1, 2)) == "Cuti Bersama Tahun Baru"
    assert calendar.confirmed(2099)
    assert not WORKDAYS.confirmed(2099)
    assert WORKDAYS.confirmed(2026)


def test_packaged_overrides_file_loads() -> None:
    assert isinstance(load_working_days(), WorkingDayCalendar)


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        (["date,kind,name"], "line 1: missing column(s) reference"),
        (["date,kind,name,reference", "2026-13-01,cuti_bersama,x,SKB"], "line 2: date: '2026-13-01'"),
        (["date,kind,name,reference", "2026-12-24,libur,x,SKB"], "line 2: kind: 'libur' is not one of"),
        (["date,kind,name,reference", "2026-12-24,cuti_bersama,x,"], "line 2: reference: is empty"),
        (
            ["date,kind,name,reference", "2026-12-24,cuti_bersama,x,SKB", "2026-12-24,hari_kerja,y,SKB"],
            "line 3: date: 2026-12-24 is listed twice (first on line 2)",
        ),
    ],
)
def test_override_errors_name_file_line_and_field(tmp_path: Path, lines: list[str], where: str) -> None:
    path = _write(tmp_path, *lines, name="overrides.csv")
    with pytest.raises(WorkingDayError) as raised:
        load_overrides(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert where in str(raised.value)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 1)), st.integers(1, 30))
def test_nth_working_day_is_a_working_day_with_n_working_days_before_it(start: date, count: int) -> None:
    end = WORKDAYS.add_working_days(start, count)
    assert WORKDAYS.is_working_day(end)
    assert WORKDAYS.working_days_after(start, end) == count
    assert WORKDAYS.working_days_after(start, end - timedelta(days=1)) == count - 1


def test_a_region_row_without_dates_says_the_event_holds_no_election_there(tmp_path: Path) -> None:
    """Pilkada 2024 elected no governor of DI Yogyakarta (34; the Sultan is established, not elected),
    while its regencies voted: a deployment says so with a row for 34 that gives no dates."""
    path = _write(
        tmp_path,
        HEADER,
        "pilkada-2024,Pilkada 2024,*,2024-09-22,2024-11-27,2025-02-20,2025-02-19,PKPU 2/2024",
        "pilkada-2024,Pilkada 2024,34,,,,,UU 13/2012: Gubernur DIY ditetapkan; tidak dipilih",
    )
    calendar = load_election_calendar(path)
    assert calendar.events_for("34") == ()
    (sleman,) = calendar.events_for("34.04")
    assert sleman.region_code == "*"
    governor = PersonnelAction(
        action_id="IMUT-34", nip="199001012015031001", kind=ActionKind.MUTASI, instansi_id="PROV-34",
        decided_by=DecidingOfficial(OfficialRole.KEPALA_DAERAH, "Gubernur", region_code="34"),
        decision_no="821/1/2024", decision_date=date(2024, 6, 3), effective_date=date(2024, 6, 3),
        post_before=Post(PostClass.ADMINISTRATOR), post_after=Post(PostClass.ADMINISTRATOR),
    )  # fmt: skip
    regent = dataclasses.replace(
        governor, decided_by=DecidingOfficial(OfficialRole.KEPALA_DAERAH, "Bupati", region_code="34.04")
    )
    rules = {
        action.decided_by.name: [
            f.rule.value
            for f in evaluate(
                action,
                elections=calendar,
                workdays=WorkingDayCalendar(),
                blocks={},
                cases={},
                as_of=date(2024, 12, 1),
            )
        ]
        for action in (governor, regent)
    }
    assert rules == {"Gubernur": [], "Bupati": ["pasal_71_2", "reporting_7_working_days"]}
    # A row without dates for every region (*) is refused: the event needs its dates somewhere.
    star = _write(tmp_path, HEADER, "e,E,*,,,,,src", name="star.csv")
    with pytest.raises(ElectionCalendarError, match="candidate_determination_date: is empty"):
        load_election_calendar(star)
