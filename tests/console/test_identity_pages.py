"""The identity conflict pages and the registry search API over HTTP, on both backends: what a steward
sees, in Indonesian by default, and what an auditor may not do."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from sbt_sync.db.models import PersonalDataAccess, PersonalDataAccessNip
from tests.console import searching
from tests.console.conftest import World
from tests.console.identity_world import RINA, TRI, seed_identity_world, seed_namesake_crowd

pytestmark = pytest.mark.integration


@pytest.fixture
def ids(world: World) -> dict[str, int]:
    return seed_identity_world(world.database)


def _checked(html: str) -> list[str]:
    """The values of the radio buttons a page offers chosen."""
    return re.findall(r'<input type="radio" name="value" value="([^"]+)" id="[^"]+"\s*checked', html)


def test_the_conflict_page_searches_the_registry_and_compares_each_person_with_the_row(
    world: World, ids: dict[str, int]
) -> None:
    steward = world.login("steward")
    page = steward.get(f"/conflicts/{ids['unresolved']}")
    assert (
        'value="Tri Wijyaa"' in page.text and 'value="Pemerintah Kabupaten Sampang"' in page.text
    )  # prefilled
    assert "Registri tidak menawarkan kandidat" in page.text and _checked(page.text) == []
    found = searching.registry(steward, ids["unresolved"], q_name="wijaya tri", q_instansi="Sampang")
    assert "Hasil pencarian registri (2)" in found.text and TRI in found.text
    assert "Tri Wijaya, S.Sos." in found.text and "II · Kantor Regional II BKN" in found.text
    assert "✓ cocok" in found.text and _checked(found.text) == []  # a search result is never chosen for you
    bad = searching.registry(steward, ids["unresolved"], q_birth="12-04-1985")
    assert "Tanggal lahir tidak valid; gunakan format TTTT-BB-HH." in bad.text
    english = searching.registry(steward, ids["unresolved"], q_nip="19850412", lang="en")
    assert "Registry search results (2)" in english.text and "Search the ASN registry" in english.text
    # An auditor reads the conflict but does not search the national registry (nor use a steward's
    # search id: it belongs to the steward's session).
    auditor = world.login("auditor")
    kept = searching.location_of(steward, f"/conflicts/{ids['unresolved']}", {"q_name": "Tri Wijaya"})
    audited = auditor.get(kept)
    assert audited.status_code == 200 and TRI not in audited.text and 'name="q_name"' not in audited.text
    refused = auditor.post(
        f"/conflicts/{ids['unresolved']}",
        data={"q_name": "Tri Wijaya", "csrf_token": searching.csrf(auditor, "/conflicts")},
    )
    assert refused.status_code == 403


def test_only_an_untied_agreeing_top_candidate_is_offered_chosen(world: World, ids: dict[str, int]) -> None:
    steward = world.login("steward")
    tie = steward.get(f"/conflicts/{ids['tie']}").text
    assert _checked(tie) == [] and tie.count(">seri</span>") == 2 and "Kandidat teratas berskor sama" in tie
    disagrees = steward.get(f"/conflicts/{ids['disagrees']}").text
    assert _checked(disagrees) == [] and "berbeda dengan baris sumber pada: Jabatan" in disagrees
    assert _checked(steward.get(f"/conflicts/{ids['clean']}").text) == [RINA]
    field = steward.get(f"/conflicts/{ids['field']}").text
    assert "peringkat sumber" in field and "SK-1" in field and "kmd.csv:4" in field  # Rekaman and Aturan


def test_the_queue_links_an_identity_conflict_to_the_case_its_row_joined(
    world: World, ids: dict[str, int]
) -> None:
    html = world.login("steward").get("/conflicts", params={"kind": "unresolved"}).text
    # the case it joined, by its short label; the full key is the link's title
    link = re.search(rf'<a href="/cases/{ids["case_unresolved"]}" title="([^"]*)">([^<]*)</a>', html)
    assert link is not None and link.group(1) == "PILKADA-2024|rec:R-1"
    assert link.group(2).startswith("Pilkada 2024 · ")
    assert "identitas tidak ditemukan" in html
    api = world.client().get(
        "/api/v1/conflicts",
        params={"kind": "unresolved"},
        headers={"Authorization": f"Bearer {world.tokens['steward']}"},
    )
    assert [(c["case_key"], c["kanreg"]) for c in api.json()["items"]] == [("PILKADA-2024|rec:R-1", "II")]


def test_the_registry_search_api_compares_with_a_conflicts_row_and_names_what_is_missing(
    world: World, ids: dict[str, int]
) -> None:
    client = world.client()
    steward = {"Authorization": f"Bearer {world.tokens['steward']}"}
    found = client.post(
        "/api/v1/registry/search",
        json={"name": "Tri Wijyaa", "instansi": "Sampang", "conflict_id": ids["unresolved"]},
        headers=steward,
    )
    assert found.status_code == 200, found.text
    first = found.json()[0]
    assert (first["nip"], first["matches"]["name"], first["matches"]["instansi"]) == (TRI, True, True)
    empty = client.post("/api/v1/registry/search", json={"instansi": "Sampang"}, headers=steward)
    assert empty.status_code == 422 and empty.json()["detail"]["code"] == "empty"
    auditor = client.post(
        "/api/v1/registry/search",
        json={"name": "Tri"},
        headers={"Authorization": f"Bearer {world.tokens['auditor']}"},
    )
    assert auditor.status_code == 403


def test_a_case_page_says_its_asn_is_unidentified_and_links_the_rows_identity_conflict(
    world: World, ids: dict[str, int]
) -> None:
    html = world.login("steward").get(f"/cases/{ids['case_unresolved']}").text
    assert "ASN belum teridentifikasi" in html
    assert f'<a href="/conflicts/{ids["unresolved"]}">Konflik #{ids["unresolved"]}</a>' in html
    assert "identitas tidak ditemukan" in html


def test_a_long_candidate_list_is_paged_and_narrowed_by_birth_date_instansi_and_kanreg(
    world: World, ids: dict[str, int]
) -> None:
    """Sixty namesakes offered (a name alone held nationally): the side by side shows them 25 at a
    time, keeps none chosen, and narrows them by birth year, instansi or Kanreg, the pager keeping the
    filters; only the page shown is recorded as read."""
    conflict, nips = seed_namesake_crowd(world.database, 60)
    steward = world.login("steward")
    first = steward.get(f"/conflicts/{conflict}").text
    assert "Kandidat dari rekonsiliasi (1–25 dari 60)" in first and "Saring kandidat" in first
    assert sum(nip in first for nip in nips) == 25 and _checked(first) == []
    assert "Halaman 1 dari 3" in first and "page=2" in first
    with world.database.session() as session:  # the read recorded names the 25 shown, not all 60
        latest = session.scalars(select(PersonalDataAccess.id).order_by(PersonalDataAccess.id.desc())).first()
        read = session.scalars(
            select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == latest)
        ).all()
    assert len(read) == 25
    last = steward.get(f"/conflicts/{conflict}", params={"page": 3}).text
    assert "(51–60 dari 60)" in last and sum(nip in last for nip in nips) == 10

    def narrowed(**terms: str) -> str:  # the filter posts; its URL holds a search id, not the terms
        path = f"/conflicts/{conflict}"
        text: str = steward.get(searching.location_of(steward, f"{path}/candidates", terms, page=path)).text
        return text

    born = narrowed(c_birth="1971")
    assert "(1–3 dari 3 disaring dari 60)" in born
    assert {nip for nip in nips if nip in born} == {nip for nip in nips if nip.startswith("1971")}
    place = narrowed(c_instansi="kab07")
    assert "(1–1 dari 1 disaring dari 60)" in place
    nobody = narrowed(c_birth="1969")
    assert "Tidak ada kandidat yang cocok dengan saringan ini." in nobody
    assert "Rekonsiliasi tidak menemukan kandidat." not in nobody
    kanreg = narrowed(c_kanreg="IV")
    pager = re.search(r'href="([^"]*page=2[^"]*)"', kanreg)
    assert pager is not None and "f=" in pager.group(1)
    second = steward.get(pager.group(1).replace("&amp;", "&")).text
    assert "(26–30 dari 30 disaring dari 60)" in second and '<option value="IV" selected>' in second
    english = steward.get(f"/conflicts/{conflict}", params={"lang": "en"}).text
    assert "Candidates from the reconciliation (1–25 of 60)" in english and "Narrow the candidates" in english
    # A short list is neither paged nor offered the filters.
    assert "Saring kandidat" not in steward.get(f"/conflicts/{ids['tie']}").text


def test_a_tie_the_reconciliation_cut_says_how_many_share_the_name(world: World, ids: dict[str, int]) -> None:
    conflict, _ = seed_namesake_crowd(world.database, 30, tied_total=640)
    html = world.login("steward").get(f"/conflicts/{conflict}").text
    assert "640 ASN berbagi nama dan skor ini; ditampilkan: 30." in html
