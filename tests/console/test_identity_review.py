"""The steward's side of identity conflicts, on both backends: the registry search, the side by side
with matched and unmatched fields, ties, what bulk "top candidate" refuses and why, and the case of
a conflict whose row joined one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from sbt_sync.db.engine import Database
from sbt_sync.db.models import AuditEntry, Conflict, StewardDecision
from sbt_sync.steward.conflict_detail import show_conflict
from sbt_sync.steward.conflicts import list_conflicts
from sbt_sync.steward.decisions import bulk_resolve, resolve_conflict
from sbt_sync.steward.registry_search import RegistryQuery, RegistrySearchError, search_registry
from tests.console.identity_world import (
    AGAM_TRI,
    BUDI,
    FAUZI_CAMAT,
    FAUZI_SEKDIS,
    RINA,
    TRI,
    TRI_NAMESAKE,
    seed_identity_world,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(migrated_database: Database) -> tuple[Database, dict[str, int]]:
    return migrated_database, seed_identity_world(migrated_database)


@pytest.mark.parametrize(
    ("query", "first"),
    [
        # Two letters swapped in the surname: found by the first name's anchor, scored by spelling.
        (RegistryQuery(name="Tri Wijyaa", instansi="Sampang"), TRI),
        # Titles written around the name, and the words in another order.
        (RegistryQuery(name="Dra. Wijaya Tri, S.Sos.", instansi="Sampang"), TRI),
        # The first digits of her NIP (her birth date), nothing else.
        (RegistryQuery(nip="1985 0412"), TRI),
        # Her full NIP with layout noise.
        (RegistryQuery(nip="19850412 201001 2 003"), TRI),
        # Her birth date and a name: the namesake in Agam shares both, the instansi decides.
        (RegistryQuery(name="Tri Wijaya", birth_date=date(1985, 4, 12), instansi="Kabupaten Agam"), AGAM_TRI),
        # A birth date alone.
        (RegistryQuery(birth_date=date(1990, 3, 15)), RINA),
        # Part of a name: scored as her full name would be, a little lower (a steward knows only some).
        (RegistryQuery(name="Marlina"), RINA),
        # A first name and the first digits of the NIP: the prefix narrows, the weak name still ranks.
        (RegistryQuery(name="Rina", nip="19900315"), RINA),
    ],
)
def test_registry_search_finds_the_person_by_name_nip_birth_date_and_instansi(
    world: tuple[Database, dict[str, int]], query: RegistryQuery, first: str
) -> None:
    database, _ = world
    hits = search_registry(database, query)
    assert hits and hits[0].nip == first


def test_registry_search_is_bounded_filtered_and_says_what_it_needs(
    world: tuple[Database, dict[str, int]],
) -> None:
    database, _ = world
    both = search_registry(database, RegistryQuery(name="Tri Wijaya"))
    assert {h.nip for h in both} >= {TRI, AGAM_TRI} and both[0].name.endswith(", S.Sos.")
    assert len(search_registry(database, RegistryQuery(name="Tri Wijaya"), limit=1)) == 1
    # An instansi filters: the Agam namesake is not in Sampang, and an unknown instansi finds nobody.
    assert AGAM_TRI not in {
        h.nip for h in search_registry(database, RegistryQuery(name="Tri", instansi="Sampang"))
    }
    assert search_registry(database, RegistryQuery(name="Tri Wijaya", instansi="Kota Atlantis")) == []
    # A surname alone still finds the namesake spelt differently only when it scores.
    assert TRI_NAMESAKE in {h.nip for h in search_registry(database, RegistryQuery(name="Tri Wijayanti"))}
    for query, code in [
        (RegistryQuery(), "empty"),
        (RegistryQuery(instansi="Sampang"), "empty"),
        (RegistryQuery(nip="198"), "nip_short"),
    ]:
        with pytest.raises(RegistrySearchError) as raised:
            search_registry(database, query)
        assert raised.value.code == code


def test_an_unresolved_rows_conflict_shows_the_case_it_joined(world: tuple[Database, dict[str, int]]) -> None:
    database, ids = world
    _, rows = list_conflicts(database, kind="unresolved")
    assert [(r.id, r.case_key, r.kanreg, r.case_id) for r in rows] == [
        (ids["unresolved"], "PILKADA-2024|rec:R-1", "II", ids["case_unresolved"])
    ]
    assert [r.id for r in list_conflicts(database, kanreg="II", kind="unresolved")[1]] == [ids["unresolved"]]
    assert [r.id for r in list_conflicts(database, case_id=ids["case_unresolved"])[1]] == [ids["unresolved"]]
    detail = show_conflict(database, ids["unresolved"])
    assert detail.case is not None and detail.case["id"] == ids["case_unresolved"]
    assert detail.source is not None  # the instansi written as its id is shown by its registry name
    assert (detail.source["instansi"], detail.source["instansi_name"]) == (
        "ID-Sampang",
        "Pemerintah Kabupaten Sampang",
    )
    assert detail.candidates == [] and detail.preselected is None and detail.top_refusal == "no_candidate"


def test_tied_candidates_are_marked_and_never_preselected(world: tuple[Database, dict[str, int]]) -> None:
    database, ids = world
    detail = show_conflict(database, ids["tie"])
    assert [(c["nip"], c["tie"]) for c in detail.candidates] == [(FAUZI_CAMAT, True), (FAUZI_SEKDIS, True)]
    assert detail.preselected is None and detail.top_refusal == "tie"
    # One candidate alone is no tie, and when it agrees with the row it is offered chosen.
    clean = show_conflict(database, ids["clean"])
    assert [c["tie"] for c in clean.candidates] == [False]
    assert clean.preselected == RINA and clean.top_refusal is None


def test_the_side_by_side_says_which_fields_match(world: tuple[Database, dict[str, int]]) -> None:
    database, ids = world
    tie = show_conflict(database, ids["tie"])
    camat, sekdis = tie.candidates
    assert camat["matches"]["position"] is True and sekdis["matches"]["position"] is False
    assert sekdis["name"] == "Drs. Ahmad Fauzi" and sekdis["position"] == "Sekretaris Dinas Pendidikan"
    assert (sekdis["kanreg"], sekdis["status"], sekdis["gender"]) == ("II", "Aktif", "M")
    # The row states no NIP: birth date and sex are unknown, not disagreeing.
    assert camat["matches"]["birth_date"] is None and camat["matches"]["gender"] is None
    assert camat["matches"]["instansi"] is True and camat["matches"]["name"] is True

    clean = show_conflict(database, ids["clean"])
    assert clean.source is not None and clean.source["birth_date"] == date(
        1990, 3, 15
    )  # from the partial NIP
    [rina] = clean.candidates
    assert rina["name"] == "Rina Marlina, S.Pd." and rina["birth_date"] == date(1990, 3, 15)
    assert {f: rina["matches"][f] for f in ("name", "birth_date", "position", "instansi")} == dict.fromkeys(
        ("name", "birth_date", "position", "instansi"), True
    )

    disagrees = show_conflict(database, ids["disagrees"])
    assert disagrees.candidates[0]["matches"]["position"] is False
    assert disagrees.top_refusal == "disagrees" and disagrees.top_refusal_fields == ("position",)


def test_bulk_top_candidate_refuses_ties_disagreements_and_rows_without_candidates(
    world: tuple[Database, dict[str, int]],
) -> None:
    database, ids = world
    wanted = [ids[k] for k in ("tie", "disagrees", "unresolved", "clean")]
    result = bulk_resolve(database, wanted, choice="top", reason="bulk: checked list", actor="siti")
    assert [c for c, _ in result.resolved] == [ids["clean"]]
    refused = {r.conflict_id: (r.code, r.fields, r.tied) for r in result.refused}
    assert refused == {
        ids["tie"]: ("tie", (), 2),
        ids["disagrees"]: ("disagrees", ("position",), 0),
        ids["unresolved"]: ("no_candidate", (), 0),
    }
    assert all(str(r.conflict_id) in r.message for r in result.refused)
    with database.session() as session:
        status = dict(
            session.execute(select(Conflict.id, Conflict.status).where(Conflict.id.in_(wanted)))
            .tuples()
            .all()
        )
        decided = session.scalars(select(StewardDecision.decision)).all()
    assert status == {
        ids["tie"]: "open",
        ids["disagrees"]: "open",
        ids["unresolved"]: "open",
        ids["clean"]: "resolved",
    }
    assert decided == [{"nip": RINA}]


def test_bulk_refuses_conflicts_an_agency_viewer_cannot_see(world: tuple[Database, dict[str, int]]) -> None:
    database, ids = world
    result = bulk_resolve(
        database, [ids["clean"], 999_999], choice="top", reason="r", actor="viewer", sources=("bawaslu",)
    )
    assert result.resolved == []
    assert [(r.conflict_id, r.code) for r in result.refused] == [
        (ids["clean"], "forbidden"),
        (999_999, "not_found"),
    ]


def test_a_steward_links_an_unresolved_row_to_a_person_found_or_records_nobody(
    world: tuple[Database, dict[str, int]],
) -> None:
    database, ids = world
    [found] = search_registry(database, RegistryQuery(name="Tri Wijyaa", instansi="Sampang"), limit=1)
    decision = resolve_conflict(
        database, ids["unresolved"], value=found.nip, reason="nama salah ketik di rekomendasi", actor="siti"
    )
    nobody = resolve_conflict(
        database, ids["disagrees"], value="none", reason="bukan ASN: tenaga honorer", actor="siti"
    )
    with database.session() as session:
        rows = {d.id: d.decision for d in session.scalars(select(StewardDecision))}
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.resolve")).all()
    assert rows == {decision: {"nip": TRI}, nobody: {"nip": None}}
    assert sorted(a.reason or "" for a in audit) == [
        "bukan ASN: tenaga honorer",
        "nama salah ketik di rekomendasi",
    ]
    assert all(TRI not in str(a.after) for a in audit)  # the audit log masks the NIP


def test_field_conflicts_show_each_candidates_record_and_the_rule_that_won(
    world: tuple[Database, dict[str, int]],
) -> None:
    database, ids = world
    detail = show_conflict(database, ids["field"])
    assert [(c["record_key"], c.get("rule"), c.get("golden", False)) for c in detail.candidates] == [
        ("SK-1", "source_rank", True),
        ("kmd.csv:4", None, False),
    ]
    assert detail.summary.case_key == "PILKADA-2024|reg:9" and detail.case["nip"] == BUDI  # type: ignore[index]
