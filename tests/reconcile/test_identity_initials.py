"""A middle initial ("Budi M. Santoso") fits every name starting with its letter at its place: it never
picks one namesake over another it fits (M. in the middle is as likely Mulyadi as Muhammad)."""

from __future__ import annotations

from datetime import date

import pytest

from sbt_sync.reconcile.identity.resolve import (
    INITIAL,
    IdentityThresholds,
    RegistryCandidate,
    canonical_name,
    has_initial,
    make_query,
    name_similarity,
    resolve,
)

THRESHOLDS = IdentityThresholds()
SAMPANG = ("ID-Sampang", "Pemerintah Kabupaten Sampang")


def asn(nip: str, name: str) -> RegistryCandidate:
    return RegistryCandidate(nip, name, date(int(nip[:4]), int(nip[4:6]), int(nip[6:8])), "M", *SAMPANG)


MUHAMMAD = asn("198202022006011002", "BUDI MUHAMMAD SANTOSO")
MULYADI = asn("198303032007011003", "BUDI MULYADI SANTOSO")
NO_MIDDLE = asn("198001012005011001", "BUDI SANTOSO")
INITIAL_WRITTEN = asn("198404042008011004", "BUDI M SANTOSO")
SANTOSO = asn("196501011990031001", "SANTOSO")


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("M. Rizki", "MUHAMMAD RIZKI"),  # first: Muhammad, by convention
        ("Budi M. Santoso", "BUDI M SANTOSO"),  # middle: an initial
        ("Budi Moh. Santoso", "BUDI MUHAMMAD SANTOSO"),  # spelt forms of Muhammad mean it anywhere
        ("Ahmad Abd. Rahman", "AHMAD ABDUL RAHMAN"),
        ("St. Aminah", "SITI AMINAH"),
    ],
)
def test_canonical_name_reads_m_as_muhammad_only_first(written: str, canonical: str) -> None:
    assert canonical_name(written) == canonical


@pytest.mark.parametrize(
    ("written", "registered", "expected"),
    [
        ("Budi M. Santoso", "BUDI MUHAMMAD SANTOSO", INITIAL),  # the initial spelt out
        ("Budi M. Santoso", "BUDI MULYADI SANTOSO", INITIAL),  # ties: M. fits both
        ("Budi M. Santoso", "BUDI M SANTOSO", 1.0),  # written the same way
        ("Budi Mulyadi Santoso", "BUDI M SANTOSO", INITIAL),  # an initial in the registry fits too
        ("Budi M. Santoso", "BUDI SANTOSO", INITIAL * 24 / 26),  # a name missing: no free pass
        ("Budi S.", "BUDI SANTOSO", 12 / 18),  # a last initial leaves too little to spell out
    ],
)
def test_middle_initial_similarity(written: str, registered: str, expected: float) -> None:
    assert name_similarity(written, registered) == pytest.approx(expected, abs=1e-4)


def test_has_initial_only_between_first_and_last() -> None:
    assert has_initial("BUDI M SANTOSO")
    assert not has_initial("I GEDE PUTRA")  # Bali's I is a name
    assert not has_initial("BUDI S")


def test_middle_initial_fitting_two_namesakes_opens_a_conflict_offering_both() -> None:
    query = make_query(nip_raw=None, name="Budi M. Santoso", instansi=SAMPANG[1])
    decision = resolve(query, [MUHAMMAD, MULYADI, NO_MIDDLE, SANTOSO], THRESHOLDS)
    assert (decision.outcome, decision.rule, decision.nip) == ("conflict", "ambiguous_match", None)
    assert {c.nip for c in decision.candidates[:2]} == {MUHAMMAD.nip, MULYADI.nip}


def test_a_name_without_the_middle_name_is_no_namesake_of_an_initial() -> None:
    # BUDI SANTOSO lacks the name the initial stands for: scored below the name it fits by more
    # than the margin, as a missing name (not as the two-letter edit "M " is).
    query = make_query(nip_raw=None, name="Budi M. Santoso", instansi=SAMPANG[1])
    decision = resolve(query, [MULYADI, NO_MIDDLE], THRESHOLDS)
    assert (decision.outcome, decision.nip) == ("linked", MULYADI.nip)
    assert decision.candidates[1].score < THRESHOLDS.auto_accept


def test_a_registry_initial_written_the_same_way_still_conflicts_with_a_name_it_fits() -> None:
    query = make_query(nip_raw=None, name="Budi M. Santoso", instansi=SAMPANG[1])
    decision = resolve(query, [INITIAL_WRITTEN, MULYADI], THRESHOLDS)
    assert decision.outcome == "conflict"
    assert [c.nip for c in decision.candidates] == [INITIAL_WRITTEN.nip, MULYADI.nip]


def test_middle_initial_alone_in_its_instansi_links() -> None:
    query = make_query(nip_raw=None, name="Budi M. Santoso", instansi=SAMPANG[1])
    decision = resolve(query, [MULYADI, SANTOSO], THRESHOLDS)
    assert (decision.outcome, decision.nip, decision.score) == ("linked", MULYADI.nip, INITIAL)


def test_surname_comma_given_name_links_the_given_name_surname_not_the_surname_alone() -> None:
    query = make_query(nip_raw=None, name="Santoso, Budi", instansi=SAMPANG[1])
    decision = resolve(query, [NO_MIDDLE, SANTOSO], THRESHOLDS)
    assert (decision.outcome, decision.nip) == ("linked", NO_MIDDLE.nip)
    assert [c.nip for c in decision.candidates] == [NO_MIDDLE.nip, SANTOSO.nip]
