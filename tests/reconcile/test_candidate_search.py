"""The registry candidate search on both backends: each blocking key finds the person it should."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reconcile.identity.candidates import CandidateSearch, trigram_available
from sbt_sync.reconcile.identity.resolve import IdentityThresholds, make_query, resolve
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

THRESHOLDS = IdentityThresholds()
SAMPANG = "Pemerintah Kabupaten Sampang"


REGISTRY = [
    registry_item("198001012005011001", "Wahyuni Maya Sutanto"),
    registry_item("198503032010011002", "Rizal Effendi"),  # an impossible birth date will hide this one's
    registry_item("198503032012011003", "Rizal Effendi", "Agam"),  # namesake born the same year, elsewhere
    registry_item("197701192006122410", "Hasanah Lestari", back="S.Pd."),
    registry_item("197903132006051851", "Hasanah Lestari"),  # namesake in the same instansi, no title
    registry_item("199001202022091547", "Frans Rizki Rumengan"),
    registry_item("199001202022091548", "Antonius Rumengan"),
    # A two-token name and those who share a token with it, in other instansi.
    registry_item("198807142014032003", "Eka Rahman", "Agam"),
    registry_item("198807142015031004", "Eka Rusdi", "Sumenep"),
    registry_item("199102022016032005", "Eka Sari", "Sumenep"),
    registry_item("198203052008011006", "Dewi Rahman", "Sumenep"),
]


@pytest.fixture
def registry(migrated_database: Database) -> Database:
    with migrated_database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(item) for item in REGISTRY])
    return migrated_database


@pytest.mark.parametrize(
    ("nip_raw", "name", "outcome", "best"),
    [
        # Written surname first: the exact lookup turns it back.
        (None, "Sutanto Wahyuni Maya", "linked", "198001012005011001"),
        # Month 13: the year and the digits after the date find the holder, not the namesake.
        ("198513032010011002", "Rizal Effendi", "linked", "198503032010011002"),
        # Float-mangled: birth date and appointment survive.
        ("1.98503032010011E+17", "Rizal Effendi", "linked", "198503032010011002"),
        # Surname first and a slip in another token: found by the surname, compared with the surname
        # turned back, linked (the other Rumengan is far behind).
        (None, "Rumengan Frrans Rizki", "linked", "199001202022091547"),
        # Surname first and misspelt: found by the token after it, which starts the registry name.
        (None, "Rumeengan Frans Rizki", "linked", "199001202022091547"),
        # Namesakes in one instansi: the written title ranks its holder first, but does not decide.
        (None, "Hasanah Lestari, S.Pd.", "conflict", "197701192006122410"),
    ],
)
def test_candidate_search_finds_the_person_each_key_points_to(
    registry: Database, nip_raw: str | None, name: str, outcome: str, best: str
) -> None:
    query = make_query(nip_raw=nip_raw, name=name, instansi=SAMPANG)
    [found] = CandidateSearch(registry, THRESHOLDS).search([query])
    decision = resolve(query, found, THRESHOLDS)
    assert (decision.outcome, decision.candidates[0].nip if decision.candidates else decision.nip) == (
        outcome,
        best,
    )


def test_ranked_search_is_used_exactly_where_pg_trgm_is(registry: Database) -> None:
    with registry.session() as session:
        assert trigram_available(session) is (registry.dialect == "postgresql")


def test_many_queries_come_back_in_order_and_alike_on_both_paths(registry: Database) -> None:
    queries = [
        make_query(nip_raw=None, name=item["nama"], instansi=item["instansiIndukNama"]) for item in REGISTRY
    ] * 3
    found = CandidateSearch(registry, THRESHOLDS, chunk=4).search(queries)
    assert len(found) == len(queries) and all(found)
    decisions = [resolve(q, c, THRESHOLDS) for q, c in zip(queries, found, strict=True)]
    linked = {(q.name, d.nip) for q, d in zip(queries, decisions, strict=True) if d.outcome == "linked"}
    # Everyone but the two namesakes of one instansi, who stay a steward's question.
    assert linked == {
        (item["nama"], item["nipBaru"]) for item in REGISTRY if item["nama"] != "Hasanah Lestari"
    }


@pytest.mark.parametrize(
    ("written", "nip"),
    [
        ("Eka Rahmn", "198807142014032003"),  # the second token misspelt: names starting "EKA R"
        ("Ela Rahman", "198807142014032003"),  # the first: names ending " RAHMAN" that start with E
        ("Eak Rahman", "198807142014032003"),  # its last letters swapped, the same
        ("Ika Rahman", "198807142014032003"),  # the first letter of the first: ending " RAHMAN", "?KA "
        ("Wahyuni Maay Sutanto", "198001012005011001"),  # the middle of three: "WAHYUNI M"
        ("Wahyuin Maya Sutanto", "198001012005011001"),  # the first of three: ending " MAYA SUTANTO"
    ],
)
def test_a_misspelt_name_alone_is_found_nationally(registry: Database, written: str, nip: str) -> None:
    """No NIP, no instansi, no birth date, one slip in the name: the national search still offers the
    person (ranked on PostgreSQL; SQLite has no national fuzzy search)."""
    if registry.dialect != "postgresql":
        pytest.skip("the national fuzzy search ranks by pg_trgm similarity")
    query = make_query(nip_raw=None, name=written, instansi=None)
    [found] = CandidateSearch(registry, THRESHOLDS).search([query])
    decision = resolve(query, found, THRESHOLDS)
    assert nip in {c.nip for c in decision.candidates} | {decision.nip}
    assert "198203052008011006" not in {c.nip for c in found}  # "DEWI RAHMAN" starts with D


# Thirty holders of one two-token name across instansi (more than the national search ever kept by
# row), a name that shares its first token and initial, and a name written surname first elsewhere.
CROWD = [
    registry_item(f"19{70 + n % 20}0101{2000 + n % 20}011{n + 1:03d}", "Nur Hamid", f"Kab{n:02d}")
    for n in range(30)
]
CROWD_OTHERS = [
    registry_item("198101012006011901", "Nur Hamidah", "Agam"),
    registry_item("198202022007012902", "Sri Suardana", "Agam"),
    registry_item("198303032008011903", "Juliana Fitri Syahrial", "Sumenep"),
]


@pytest.fixture
def crowd(migrated_database: Database) -> Database:
    with migrated_database.session() as session:
        rows = [registry_row(item) for item in [*REGISTRY, *CROWD, *CROWD_OTHERS]]
        session.execute(insert(AsnRegistryEntry), rows)
    return migrated_database


@pytest.mark.parametrize("written", ["Nur Hmaid", "NUR HAMIID, M.AP.", "Nur Haimd"])
def test_a_misspelt_name_alone_offers_every_holder_of_the_name_it_means(
    crowd: Database, written: str
) -> None:
    """One slip in a name thirty ASN hold nationally: the search brings every one of them (the name is
    ranked, then all its holders are taken), not the first twenty by NIP, and the conflict offers all
    thirty tied at the top, the near name NUR HAMIDAH after them."""
    if crowd.dialect != "postgresql":
        pytest.skip("the national fuzzy search ranks by pg_trgm similarity")
    query = make_query(nip_raw=None, name=written, instansi=None)
    [found] = CandidateSearch(crowd, THRESHOLDS).search([query])
    holders = {item["nipBaru"] for item in CROWD}
    assert holders <= {c.nip for c in found}
    decision = resolve(query, found, THRESHOLDS)
    assert decision.outcome == "conflict"
    assert {c.nip for c in decision.candidates[:30]} == holders


@pytest.mark.parametrize(
    ("written", "nip"),
    [
        ("Suardnaa Sri", "198202022007012902"),  # surname first, and a slip in it
        ("Hj. Syharial Juliana Fitri", "198303032008011903"),  # the same with three tokens
    ],
)
def test_a_misspelt_name_written_surname_first_is_found_nationally(
    crowd: Database, written: str, nip: str
) -> None:
    """The national search also reads the name with its first token moved last: a surname written
    first and misspelt no longer leaves the row unresolved."""
    if crowd.dialect != "postgresql":
        pytest.skip("the national fuzzy search ranks by pg_trgm similarity")
    query = make_query(nip_raw=None, name=written, instansi=None)
    [found] = CandidateSearch(crowd, THRESHOLDS).search([query])
    decision = resolve(query, found, THRESHOLDS)
    assert nip in {c.nip for c in decision.candidates}
