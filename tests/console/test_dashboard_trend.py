"""The dashboard's monthly trend is drawn over time: every month between the first and the last, so
two elections years apart are not drawn side by side, and no two month labels print over each other."""

from __future__ import annotations

import itertools
import re

from sbt_sync.console import charts
from sbt_sync.steward.dashboard import MAX_FILLED_MONTHS, kanreg_bars, months_filled

SERIES = [("recommended", "Direkomendasikan"), ("sanctioned", "Dijatuhi hukuman PPK")]


def test_the_months_between_two_elections_are_kept_as_empty_months() -> None:
    trend = {"2020-11": {"recommended": 3}, "2021-02": {"sanctioned": 1}, "2020-12": {"recommended": 1}}
    assert months_filled(trend) == {
        "2020-11": {"recommended": 3},
        "2020-12": {"recommended": 1},
        "2021-01": {},
        "2021-02": {"sanctioned": 1},
    }


def test_one_month_and_no_month() -> None:
    assert months_filled({"2024-12": {"blocked": 2}}) == {"2024-12": {"blocked": 2}}
    assert months_filled({}) == {}


def test_a_stray_date_decades_off_does_not_draw_hundreds_of_empty_months() -> None:
    trend = {"1900-01": {"sanctioned": 1}, "2024-10": {"recommended": 5}}
    assert months_filled(trend) == trend
    years = MAX_FILLED_MONTHS // 12
    edge = {"2000-01": {"recommended": 1}, f"{2000 + years - 1}-12": {"recommended": 1}}
    assert len(months_filled(edge)) == MAX_FILLED_MONTHS


LABEL = re.compile(r'<text x="([0-9.]+)" y="\d+" text-anchor="middle">(\d{4}-\d{2})</text>')


def _labels(svg: str) -> list[tuple[float, str]]:
    return [(float(x), label) for x, label in LABEL.findall(svg)]


def test_the_last_month_label_never_prints_over_the_one_before() -> None:
    """The demo's trend (2020-07 to 2025-01 over its cases' months) printed "2024-122025-01"."""
    for count in range(1, 80):
        months = months_filled({"2020-07": {"recommended": 1}, _month_after("2020-07", count - 1): {}})
        assert len(months) == count
        labels = _labels(str(charts.lines(months, SERIES)))
        assert labels[-1][1] == list(months)[-1], count
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(labels)]
        # A label is about 50 units wide at the chart's font: the plot is 890 units wide.
        assert all(gap >= 55 for gap in gaps), (count, gaps)
        assert len(labels) <= 16, count


def _month_after(month: str, n: int) -> str:
    year, mon = map(int, month.split("-"))
    year, mon = divmod(year * 12 + mon - 1 + n, 12)
    return f"{year:04d}-{mon + 1:02d}"


def test_kanreg_bars_with_equal_counts_keep_the_official_order() -> None:
    """Ties were drawn in the order the cases happened to be read, so two loads of the dashboard
    could swap Kanreg VIII and X."""
    shuffled = {"XIV": 1, "PUSAT": 12, "X": 4, "III": 1, "VIII": 4, "IX": 1, "IV": 4}
    assert kanreg_bars(shuffled) == [
        ("PUSAT", 12), ("IV", 4), ("VIII", 4), ("X", 4), ("III", 1), ("IX", 1), ("XIV", 1),
    ]  # fmt: skip
