"""The vectorised dd-mm-yyyy check gives each value the verdict the per-value parser gives it."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.checks import _parse_dmy, dmy_date, is_blank

DATEISH = st.builds(
    lambda d, m, y, sep, pad: f"{pad}{d}{sep}{m}{sep}{y}{pad}",
    st.integers(0, 40).map(str) | st.integers(0, 40).map(lambda n: f"{n:02d}"),
    st.integers(0, 14).map(str) | st.integers(0, 14).map(lambda n: f"{n:02d}"),
    st.integers(0, 99999).map(str),
    st.sampled_from(["-", "/", ".", " ", "--"]),
    st.sampled_from(["", " ", "\t"]),
)
VALUES = st.one_of(
    DATEISH,
    st.text(alphabet="0123456789-/ .Tx\u0660", max_size=14),
    st.none(),
    st.just(float("nan")),
    st.integers(-5, 40_000_000),
)


def per_value(value: object) -> bool:
    return is_blank(value) or _parse_dmy(value) is not None


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=40))
def test_the_vectorised_check_agrees_with_the_per_value_parser(values: list[object]) -> None:
    series = pd.Series(values, dtype=object, name="tanggal_sk")
    verdicts = dmy_date(series)
    assert verdicts.dtype == bool
    assert verdicts.name == "tanggal_sk"
    assert verdicts.tolist() == [per_value(v) for v in values]


def test_real_and_impossible_dates() -> None:
    cases = {
        "29-02-2024": True,
        "29-02-2023": False,
        "1-2-2020": True,
        "31-04-2024": False,
        "2024-02-01": False,
        "": True,
        None: True,
        "\u0660\u0661-01-2020": False,  # Arabic-Indic digits are not a date here, as strptime says
    }
    assert dmy_date(pd.Series(list(cases), dtype=object)).tolist() == list(cases.values())
