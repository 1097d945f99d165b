"""What a malformed NIP still says about its person, and how resolution uses it (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.reconcile.identity.resolve import (
    IdentityThresholds,
    RegistryCandidate,
    appointment_agrees,
    canonical_name,
    make_query,
    nip_pattern,
    resolve,
)

SAMPANG = ("I-SAMPANG", "Pemerintah Kabupaten Sampang")
THRESHOLDS = IdentityThresholds()


def asn(nip: str, name: str) -> RegistryCandidate:
    return RegistryCandidate(
        nip, name.upper(), date(int(nip[:4]), int(nip[4:6]), int(nip[6:8])), "M", *SAMPANG
    )


@pytest.mark.parametrize(
    ("raw", "pattern"),
    [
        # Excel keeps 15 significant digits and rounds the 15th: only the first 14 hold.
        ("1.98001012005011e+17", "19800101200501????"),
        ("1.98001012005012E+17", "19800101200501????"),
        ("198001012005011001.0", "19800101200501????"),
        # A NIP typed in part keeps its prefix.
        ("19800101 2005", "198001012005??????"),
        ("'19800101", "19800101??????????"),
        # An impossible birth date keeps the year and everything after the date.
        ("198013012005011001", "1980????2005011001"),
        ("198002312005011001", "1980????2005011001"),
        # Too little, not a NIP, or a float of another magnitude: nothing.
        ("1980", None),
        ("Tidak ada", None),
        ("1.98001012005011e+16", None),
        (None, None),
    ],
)
def test_nip_pattern_keeps_only_the_digits_that_still_hold(raw: str | None, pattern: str | None) -> None:
    assert nip_pattern(raw) == pattern


def test_a_malformed_nip_is_never_turned_into_a_nip() -> None:
    query = make_query(nip_raw="1.98001012005011e+17", name="Ahmad", instansi=None)
    assert query.nip is None
    assert query.birth_date == date(1980, 1, 1)
    assert query.nip_tail is None  # the serial is lost


def test_an_impossible_birth_date_keeps_year_and_tail() -> None:
    query = make_query(nip_raw="198013012005011001", name="Ahmad", instansi=None)
    assert (query.birth_date, query.birth_year, query.nip_tail) == (None, 1980, "2005011001")


@pytest.mark.parametrize(
    ("pattern", "nip", "agrees"),
    [
        ("19800101200501????", "198001012005011001", True),
        ("19800101200601????", "198001012005011001", False),
        ("198001012005??????", "198001012005011001", None),  # the month is lost: no verdict
        (None, "198001012005011001", None),
    ],
)
def test_appointment_digits_agree_or_not(pattern: str | None, nip: str, agrees: bool | None) -> None:
    assert appointment_agrees(pattern, nip) is agrees


# Three namesakes in one instansi: only the digits a malformed NIP keeps can tell them apart.
ANDI = asn("198001012005011001", "Andi Saputra")
ANDI_SAME_DAY = asn("198001012010011004", "Andi Saputra")
ANDI_OTHER_YEAR = asn("198501012005011002", "Andi Saputra")
NAMESAKES = [ANDI, ANDI_SAME_DAY, ANDI_OTHER_YEAR]


@pytest.mark.parametrize(
    ("raw", "outcome", "nip"),
    [
        # Birth date and appointment month survive the float: one of the three.
        ("1.98001012005011e+17", "linked", ANDI.nip),
        # Impossible month: the year and appointment still single out one.
        ("198013012005011001", "linked", ANDI.nip),
        # Only the birth date survives: two namesakes share it, a steward decides.
        ("19800101", "conflict", None),
        # No NIP at all: three namesakes, a steward decides.
        (None, "conflict", None),
    ],
)
def test_partial_nip_separates_namesakes_in_one_instansi(
    raw: str | None, outcome: str, nip: str | None
) -> None:
    query = make_query(nip_raw=raw, name="Andi Saputra", instansi=SAMPANG[1])
    decision = resolve(query, NAMESAKES, THRESHOLDS)
    assert (decision.outcome, decision.nip) == (outcome, nip)


def test_st_is_siti_only_as_a_first_name() -> None:
    assert canonical_name("St. Aminah") == "SITI AMINAH"
    assert canonical_name("Aminah St") == "AMINAH ST"
