"""NIP parsing: table-driven cases from the wild, and properties over generated NIPs."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.nip import NipError, birth_date_hint, clean_nip, mask_nip, parse_nip

PNS = "198001012005011001"  # born 1 Jan 1980, TMT CPNS Jan 2005, male, serial 001
PPPK = "199203152022212045"  # born 15 Mar 1992, appointed 2022, PPPK with 1 agreement, female, serial 045


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (PNS, PNS),  # clean
        ("19800101 200501 1 001", PNS),  # the official spaced layout
        ("19800101.200501.1.001", PNS),  # dots
        ("'198001012005011001", PNS),  # Excel's text marker
        ("  198001012005011001\t", PNS),  # surrounding whitespace
        ("19800101\u00a0200501\u00a01\u00a0001", PNS),  # no-break spaces from a web page
        ("19800101-200501-1-001", PNS),  # dashes
        ("198001012005011001\u200b", PNS),  # a zero-width space copied from a web page or PDF
        ("\ufeff198001012005011001", PNS),  # a byte-order mark left at the start of a cell
        ("19800101\u2060200501\u00ad1001", PNS),  # a word joiner, a soft hyphen
        (None, None),  # missing: goes to identity resolution
        ("", None),
        ("-", None),
        (float("nan"), None),  # an empty spreadsheet cell read as float
    ],
)
def test_clean_nip_removes_layout_noise_and_keeps_every_digit(raw: object, expected: str | None) -> None:
    assert clean_nip(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1.98001012005011e+17", "float-mangled"),  # scientific notation: digits lost
        ("1,98001012005011E+17", "float-mangled"),  # with a decimal comma
        (1.98001012005011e17, "float-mangled"),  # a float object
        ("198001012005011001.0", "float-mangled"),  # decimal tail: came through a float
        ("19800101200501100", "18 digits, found 17"),
        ("1980010120050110011", "18 digits, found 19"),
        ("19800101200501100X", "characters other than digits"),
        ("19800101200501100\u0661", "characters other than digits"),  # 18 digits, one Arabic-Indic
        ("\uff11" * 18, "characters other than digits"),  # fullwidth digits
        ("198002302005011001", "impossible birth date 19800230"),  # 30 February
        ("180001012005011001", "birth year 1800"),
        ("198001012005001001", "impossible TMT CPNS month 00"),
        ("198001011990011001", "impossible appointment year 1990"),  # appointed aged 9
        ("198001012005013001", "gender digit must be 1 or 2"),
        ("198001012005011000", "serial 000"),
        ("199203152022202045", "agreement count 1-9"),  # PPPK marker 20
        ("199203152022312045", "digit 2 then an agreement count"),  # marker 31
    ],
)
def test_parse_nip_rejects_with_the_reason(raw: object, reason: str) -> None:
    with pytest.raises(NipError, match=reason):
        parse_nip(raw)


def test_parse_nip_reads_pns_and_pppk_fields() -> None:
    pns = parse_nip(PNS)
    assert pns is not None
    assert (
        pns.kind,
        pns.birth_date,
        pns.gender,
        pns.appointment_year,
        pns.appointment_month,
        pns.serial,
    ) == ("PNS", date(1980, 1, 1), "M", 2005, 1, 1)
    pppk = parse_nip(PPPK)
    assert pppk is not None
    assert (pppk.kind, pppk.birth_date, pppk.gender, pppk.appointment_year, pppk.appointment_month) == (
        "PPPK",
        date(1992, 3, 15),
        "F",
        2022,
        None,
    )


def test_mask_keeps_only_the_last_four_digits() -> None:
    assert mask_nip(PNS) == "**************1001"
    assert mask_nip(None) == "<no NIP>"


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("19800101 2005", date(1980, 1, 1)),  # truncated, but the birth date survives
        ("'19800101200501100", date(1980, 1, 1)),
        ("1.98001012005011e+17", None),  # float-mangled reveals nothing reliable
        ("19801301", None),  # month 13
        (None, None),
    ],
)
def test_birth_date_hint_from_partial_nips(raw: object, hint: date | None) -> None:
    assert birth_date_hint(raw) == hint


@st.composite
def valid_nips(draw: st.DrawFn) -> str:
    birth = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2004, 12, 31)))
    year = draw(st.integers(min_value=birth.year + 18, max_value=min(birth.year + 40, 2025)))
    if draw(st.booleans()):
        middle = f"{year:04d}{draw(st.integers(1, 12)):02d}"
    else:
        middle = f"{year:04d}2{draw(st.integers(1, 9))}"
    return f"{birth:%Y%m%d}{middle}{draw(st.sampled_from('12'))}{draw(st.integers(1, 999)):03d}"


def _noisy(nip: str, style: int) -> str:
    return [
        nip,
        f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}",
        ".".join([nip[:8], nip[8:14], nip[14], nip[15:]]),
        "'" + nip,
        f"  {nip}  ",
    ][style]


@given(valid_nips(), st.integers(min_value=0, max_value=4))
def test_every_valid_nip_survives_any_layout_noise(nip: str, style: int) -> None:
    parsed = parse_nip(_noisy(nip, style))
    assert parsed is not None and parsed.value == nip
    assert parsed.kind == ("PPPK" if int(nip[12:14]) > 12 else "PNS")


@given(valid_nips())
def test_a_nip_that_went_through_a_float_is_always_rejected(nip: str) -> None:
    for mangled in (float(nip), repr(float(nip)), f"{float(nip):.14e}", f"{nip}.0"):
        with pytest.raises(NipError, match="float-mangled"):
            parse_nip(mangled)


@given(st.text(max_size=30))
def test_arbitrary_text_either_parses_is_missing_or_raises_nip_error(text: str) -> None:
    try:
        result = parse_nip(text)
    except NipError as exc:
        assert exc.reason
    else:
        assert result is None or len(result.value) == 18
