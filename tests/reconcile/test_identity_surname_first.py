"""A name written surname first ("SIREGAR BUDI" for "BUDI SIREGAR"), with and without a slip: scored
with the surname turned back, never enough to take a row from a namesake written the row's way."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.reconcile.identity.resolve import (
    REORDERED,
    ROTATED,
    IdentityThresholds,
    RegistryCandidate,
    make_query,
    name_similarity,
    resolve,
)

THRESHOLDS = IdentityThresholds()
TOMOHON = ("I-TOMOHON", "Pemerintah Kota Tomohon")


def asn(nip: str, name: str) -> RegistryCandidate:
    return RegistryCandidate(nip, name, date(int(nip[:4]), int(nip[4:6]), int(nip[6:8])), "M", *TOMOHON)


FRANS = asn("198010262013091631", "FRANS RIZKI RUMENGAN")
FIRMANSYAH = asn("200108152020111370", "FIRMANSYAH RIZKI RUMENGAN")
BUDI = asn("198501012010011001", "BUDI SIREGAR")
BUDI_REVERSED = asn("199001012015011002", "SIREGAR BUDI")


@pytest.mark.parametrize(
    ("written", "registered", "expected"),
    [
        ("Rumengan Frans Rizki", "FRANS RIZKI RUMENGAN", ROTATED),  # surname first, exactly
        ("Maya Sutanto Wahyuni", "WAHYUNI MAYA SUTANTO", REORDERED),  # another order: the token sort
        ("Frans Rizki Rumengan", "FRANS RIZKI RUMENGAN", 1.0),
    ],
)
def test_surname_first_is_discounted_less_than_another_order(
    written: str, registered: str, expected: float
) -> None:
    assert name_similarity(written, registered) == pytest.approx(expected)


def test_a_slip_in_a_name_written_surname_first_weighs_as_in_the_name_as_written() -> None:
    rotated = name_similarity("Rumengan Frrans Rizki", "FRANS RIZKI RUMENGAN")
    as_written = name_similarity("Frrans Rizki Rumengan", "FRANS RIZKI RUMENGAN")
    assert rotated == pytest.approx(ROTATED * as_written)
    assert rotated >= THRESHOLDS.auto_accept


def test_surname_first_with_a_slip_links_when_no_one_else_is_near() -> None:
    query = make_query(nip_raw=None, name="RUMENGAN FRRANS RIZKI", instansi=TOMOHON[1])
    decision = resolve(query, [FRANS, FIRMANSYAH], THRESHOLDS)
    assert (decision.outcome, decision.nip) == ("linked", FRANS.nip)


def test_the_name_as_written_still_leads_its_reversal_by_the_margin() -> None:
    query = make_query(nip_raw=None, name="Budi Siregar", instansi=TOMOHON[1])
    decision = resolve(query, [BUDI, BUDI_REVERSED], THRESHOLDS)
    assert (decision.outcome, decision.nip) == ("linked", BUDI.nip)
    assert decision.candidates[0].score - decision.candidates[1].score >= THRESHOLDS.margin
