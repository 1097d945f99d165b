"""Table-driven tests of the pure identity resolution (no database)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from sbt_sync.reconcile.identity.resolve import (
    MAX_TIED_CANDIDATES,
    IdentityDecision,
    IdentityQuery,
    IdentityThresholds,
    RegistryCandidate,
    ScoredCandidate,
    make_query,
    name_similarity,
    offered,
    resolve,
)

SAMPANG = ("I-SAMPANG", "Pemerintah Kabupaten Sampang")
AGAM = ("I-AGAM", "Pemerintah Kabupaten Agam")
THRESHOLDS = IdentityThresholds()


def asn(nip: str, name: str, instansi: tuple[str, str] = SAMPANG, gender: str = "F") -> RegistryCandidate:
    birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    return RegistryCandidate(nip, name.upper(), birth, gender, *instansi)


SUMIATI = asn("197307051994022219", "Sumiati Lestari Wibisono")
SUMIATI_AGAM = asn("198001012005012001", "Sumiati Lestari Wibisono", AGAM)
SUMIATI_TWIN = asn("198502022010012003", "Sumiati Lestari Wibisono")
RIZKI = asn("197307051999031002", "Muhammad Rizki Pratama", gender="M")
RIZKI_OTHER = asn("199001012015031004", "Muhammad Rizki Pratama", gender="M")
REGISTRY = [SUMIATI, SUMIATI_AGAM, RIZKI]


def query(nip_raw: str | None, name: str, instansi: str | None = SAMPANG[1]) -> IdentityQuery:
    return make_query(nip_raw=nip_raw, name=name, instansi=instansi)


CASES: list[tuple[str, IdentityQuery, list[RegistryCandidate], str, str, str | None]] = [
    # A registered NIP with the registry's own name links by NIP.
    ("exact_nip", query(SUMIATI.nip, "Sumiati Lestari Wibisono"), REGISTRY,
     "linked", "nip_exact", SUMIATI.nip),
    # Titles, case and a one-letter typo are not a different person.
    ("nip_with_titles_and_typo", query(SUMIATI.nip, "Dr. Hj. SUMIATI Lestari Wibisoon, S.Pd., M.Si."),
     REGISTRY, "linked", "nip_exact", SUMIATI.nip),
    # "Moh." is Muhammad: an abbreviation on a valid NIP does not open a conflict.
    ("nip_with_abbreviated_first_name", query(RIZKI.nip, "Moh. Rizki Pratama"), REGISTRY, "linked",
     "nip_exact", RIZKI.nip),
    # A valid NIP whose holder is someone else: a name_mismatch conflict, never a link.
    ("name_mismatch", query(RIZKI.nip, "Sumiati Lestari Wibisono"), REGISTRY,
     "conflict", "name_mismatch", None),
    # No NIP, one ASN of that name in the written instansi (a namesake elsewhere does not block).
    ("unique_name_in_instansi", query(None, "H. Sumiati Lestari Wibisono"), REGISTRY, "linked", "name_match",
     SUMIATI.nip),
    # Namesakes in the same instansi: a conflict with both, never a guess.
    ("namesakes_same_instansi", query(None, "Sumiati Lestari Wibisono"), [*REGISTRY, SUMIATI_TWIN],
     "conflict", "ambiguous_match", None),
    # A float-mangled NIP is invalid, but its first 14 digits (birth date, appointment) still pick
    # one of two namesakes.
    ("float_nip_namesakes", query("1.99001012015031e+17", "Muhammad Rizki Pratama", None),
     [RIZKI, RIZKI_OTHER], "linked", "name_match", RIZKI_OTHER.nip),
    # With no digits to go on, namesakes nationally stay ambiguous.
    ("namesakes_no_evidence", query(None, "Muhammad Rizki Pratama", "Kementerian Agama"),
     [RIZKI, RIZKI_OTHER], "conflict", "ambiguous_match", None),
    # A partial NIP still gives the birth date, which picks one of two namesakes.
    ("partial_nip_birth_date", query("19900101 2015", "Muhammad Rizki Pratama", None), [RIZKI, RIZKI_OTHER],
     "linked", "name_match", RIZKI_OTHER.nip),
    # A name with no registry counterpart: unresolved.
    ("no_candidate", query(None, "Yohanes Kambuaya"), REGISTRY, "unresolved", "no_candidate", None),
    # A name alone, no instansi and no birth date: offered to a steward, not linked.
    ("name_only_uncorroborated", query(None, "Muhammad Rizki Pratama", None), REGISTRY,
     "conflict", "weak_match", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "q", "registry", "outcome", "rule", "nip"), CASES, ids=[c[0] for c in CASES]
)
def test_resolve_decides_as_the_identity_rules_say(
    label: str, q: IdentityQuery, registry: list[RegistryCandidate], outcome: str, rule: str, nip: str | None
) -> None:
    decision = resolve(q, registry, THRESHOLDS)
    assert (decision.outcome, decision.rule, decision.nip) == (outcome, rule, nip), decision


def test_name_mismatch_offers_the_holder_then_the_likely_person() -> None:
    decision = resolve(query(RIZKI.nip, "Sumiati Lestari Wibisono"), REGISTRY, THRESHOLDS)
    assert decision.conflict == "name_mismatch"
    assert [c.nip for c in decision.candidates] == [RIZKI.nip, SUMIATI.nip]


def test_namesakes_conflict_ranks_both_candidates_by_score_then_nip() -> None:
    decision = resolve(query(None, "Sumiati Lestari Wibisono"), [*REGISTRY, SUMIATI_TWIN], THRESHOLDS)
    assert decision.conflict == "identity"
    assert [c.nip for c in decision.candidates][:2] == sorted([SUMIATI.nip, SUMIATI_TWIN.nip])


def test_resolve_is_independent_of_candidate_order() -> None:
    registry = [*REGISTRY, SUMIATI_TWIN, RIZKI_OTHER]
    q = query(None, "Sumiati Lestari Wibisono")
    decisions: set[IdentityDecision] = {
        resolve(q, list(p), THRESHOLDS) for p in itertools.permutations(registry)
    }
    assert len(decisions) == 1


@pytest.mark.parametrize(
    ("left", "right", "at_least", "below"),
    [
        ("Sumiati Lestari Wibisono", "SUMIATI LESTARI WIBISOON", 0.92, 1.01),  # one-letter typo
        ("Lestari Sumiati", "Sumiati Lestari", 0.92, 0.96),  # token order: forgiven, below as written
        ("Bambang Bdui", "Bambang Budi", 0.95, 1.0),  # two swapped letters are one slip
        ("Ahmad", "Ahmad Fauzi", 0.0, 0.8),  # a part of a name is not the name
        ("M. Rizki", "Muhammad Rizki", 1.0, 1.01),  # alias
        ("", "Ahmad", 0.0, 0.01),  # nothing to compare
    ],
)
def test_name_similarity_forgives_typos_and_order_but_not_partial_names(
    left: str, right: str, at_least: float, below: float
) -> None:
    assert at_least <= name_similarity(left, right) < below


def test_a_tie_at_the_cut_offers_every_tied_namesake_not_the_first_five_by_nip() -> None:
    ranked = tuple(ScoredCandidate(f"{i:018d}", 1.0 if i < 8 else 0.8) for i in range(12))
    shown = offered(ranked)
    assert [c.nip for c in shown] == [f"{i:018d}" for i in range(8)]  # all eight tied at the top
    assert offered(ranked[:4]) == ranked[:4]
    many = tuple(ScoredCandidate(f"{i:018d}", 1.0) for i in range(MAX_TIED_CANDIDATES + 30))
    assert len(offered(many)) == MAX_TIED_CANDIDATES


def namesakes(count: int) -> list[RegistryCandidate]:
    """``count`` ASN of one name in as many instansi, born on as many days."""
    return [
        asn(
            f"19{70 + n % 30}{1 + n % 12:02d}{1 + n % 28:02d}2000012{n + 1:03d}",
            "Eka Rahman",
            (f"I-{n}", f"Kab {n}"),
        )
        for n in range(count)
    ]


def test_a_name_alone_held_by_hundreds_offers_every_holder() -> None:
    """A name alone (no NIP, no instansi) that 232 ASN hold nationally: all of them tie, and the
    conflict offers all of them (the console pages and filters them), not the first fifty by NIP."""
    people = namesakes(232)
    decision = resolve(query(None, "Eka Rahman", None), people, THRESHOLDS)
    assert (decision.outcome, decision.rule, decision.tied) == ("conflict", "ambiguous_match", 0)
    assert {c.nip for c in decision.candidates} == {p.nip for p in people}


def test_a_tie_the_cap_cuts_says_how_many_tied() -> None:
    """Beyond :data:`MAX_TIED_CANDIDATES` the conflict offers the cap and says how many share the
    score, so the steward knows the person may be among those left out."""
    people = namesakes(MAX_TIED_CANDIDATES + 30)
    decision = resolve(query(None, "Eka Rahman", None), people, THRESHOLDS)
    assert len(decision.candidates) == MAX_TIED_CANDIDATES
    assert decision.tied == MAX_TIED_CANDIDATES + 30
    assert resolve(query(None, "Eka Rahman", None), people[:40], THRESHOLDS).tied == 0


@pytest.mark.parametrize(
    "written",
    [
        "Sumiati Lestari Wibisono, S.E., M.Ak.",
        "Dr. dr. Sumiati Lestari Wibisono, Sp.JP(K)",
        "Sumiati Lestari Wibisono, S.Sos, M.Sos",
        "Hj. Sumiati Lestari Wibisono, S.Pd.SD",
        "Sumiati Lestari Wibisono, A.Md.Kes.",
        "Sumiati Lestari Wibisono (Kepala Dinas Pendidikan)",
    ],
)
def test_a_registered_nip_with_its_holder_name_and_a_degree_links_without_a_dispute(written: str) -> None:
    # A degree, or the post in brackets, is no other person: the case must not be held on a
    # name_mismatch for it.
    decision = resolve(query(SUMIATI.nip, written), REGISTRY, THRESHOLDS)
    assert (decision.outcome, decision.rule, decision.nip) == ("linked", "nip_exact", SUMIATI.nip)


@pytest.mark.parametrize("written", ["N/A", "NN", "Tidak diketahui", "oknum PNS", "-"])
def test_a_registered_nip_with_a_stand_in_for_a_name_links_as_a_nip_without_a_name(written: str) -> None:
    # A stand-in ("N/A", "NN", "tidak diketahui") names nobody (``names_person``): it cannot disagree
    # with the NIP's holder, so it is no name_mismatch holding the case.
    decision = resolve(query(SUMIATI.nip, written), REGISTRY, THRESHOLDS)
    assert (decision.outcome, decision.rule, decision.nip) == ("linked", "nip_exact", SUMIATI.nip)
