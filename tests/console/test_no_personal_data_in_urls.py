"""A name, a NIP or a birth date never travels in a URL, which lands in the browser's history and in
the access log of every proxy in front of the console (DESIGN.md: logs never hold them in clear).

Before: the identity conflict's candidate filter was a GET form (``?c_birth=1971``), the queue's case
filter too (``/conflicts?case=<NIP>``), and the JSON API took ``GET /api/v1/cases?q=<NIP>``,
``GET /api/v1/registry/search?name=...&birth_date=...`` and ``GET /api/v1/conflicts/{id}?birth=``.
Now the forms post and the URL carries a session-bound search id (:mod:`sbt_sync.console.searches`);
the API searches post a JSON body and the GET forms refuse such a parameter with a 400 naming the POST
endpoint. Reads stay recorded, agency viewers stay scoped. Both backends.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from sbt_sync.console import api
from sbt_sync.console.users import add_user, set_active
from sbt_sync.db.base import utcnow
from sbt_sync.db.models import AuditEntry, PersonalDataAccess, PersonalDataAccessNip
from tests.console import searching
from tests.console.conftest import NIP_A, NIP_B, PASSWORD, World
from tests.console.identity_world import TRI, seed_identity_world, seed_namesake_crowd

pytestmark = pytest.mark.integration

FORGOTTEN = "Pencarian ini sudah tidak tersimpan"
TEMPLATES = Path(api.__file__).parent / "templates"
PERSONAL_FIELDS = {"q", "q_name", "q_nip", "q_birth", "c_birth", "case", "nip", "name", "birth", "birth_date",
                   "target_nip"}  # fmt: skip
"""Form fields that carry (or may carry) a NIP, a name or a birth date."""
STAFF_FIELDS = {"who", "actor", "assignee", "object_id"}
"""Form fields that carry a staff member's username (civil servants too) or an object id that may be one."""
NOT_YET: set[str] = set()
"""Templates still allowed a GET search by personal data: none (the correction page's searches post)."""


def _bearer(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _latest_read(world: World) -> tuple[PersonalDataAccess, int]:
    with world.database.session() as session:
        latest = session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc())).first()
        assert latest is not None
        session.expunge(latest)
        nips = session.scalars(
            select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == latest.id)
        ).all()
    return latest, len(nips)


def test_no_get_form_in_the_console_asks_for_a_nip_a_name_or_a_birth_date() -> None:
    """Every template's GET forms, field by field: none is a search by personal data."""
    found = []
    for template in sorted(TEMPLATES.glob("*.html")):
        if template.name in NOT_YET:
            continue
        for form in re.findall(r"<form\b[^>]*>.*?</form>", template.read_text(), flags=re.S):
            opening = form[: form.index(">") + 1]
            if re.search(r'method="post"', opening, flags=re.I):
                continue
            names = set(re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', form))
            found += [f"{template.name}: {name}" for name in sorted(names & (PERSONAL_FIELDS | STAFF_FIELDS))]
    assert found == []


def test_the_candidate_filter_posts_and_paging_and_reload_keep_it(world: World) -> None:
    conflict, nips = seed_namesake_crowd(world.database, 60)
    steward = world.login("steward")
    path = f"/conflicts/{conflict}"
    page = steward.get(path).text
    assert f'<form method="post" action="{path}/candidates" class="filters">' in page
    location = searching.location_of(steward, f"{path}/candidates", {"c_birth": "1971"}, page=path)
    assert re.fullmatch(rf"{path}\?f=[\w-]{{16}}#candidates", location), location
    born = steward.get(location).text
    assert "(1–3 dari 3 disaring dari 60)" in born and 'value="1971"' in born
    assert {nip for nip in nips if nip in born} == {nip for nip in nips if nip.startswith("1971")}
    assert steward.get(location).text.count("disaring dari 60") == born.count("disaring dari 60")  # reload
    latest, shown = _latest_read(world)
    assert (latest.kind, shown) == ("conflict", 3)  # only the page shown is recorded as read
    # The Kanreg filter, its second page through the pager: the id is kept, no term in the URL.
    kanreg = searching.location_of(steward, f"{path}/candidates", {"c_kanreg": "IV"}, page=path)
    first = steward.get(kanreg).text
    pager = re.search(r'href="([^"]*page=2[^"]*)"', first)
    assert pager is not None
    second = pager.group(1).replace("&amp;", "&")
    assert "f=" in second and "IV" not in second and "c_kanreg" not in second
    assert "(26–30 dari 30 disaring dari 60)" in steward.get(second).text
    # The registry search keeps the filter shown, and the filter keeps the registry search.
    both = searching.location_of(steward, path, {"q_name": "Eka Rahman", "f": kanreg.split("f=")[1][:16]})
    assert "f=" in both and "s=" in both and "Eka" not in both
    shown_both = steward.get(both).text
    assert "Hasil pencarian registri" in shown_both and "disaring dari 60" in shown_both
    # An empty filter clears it; a birth date typed into a URL is not run.
    assert searching.location_of(steward, f"{path}/candidates", {"c_birth": " "}, page=path) == (
        f"{path}#candidates"
    )
    typed = steward.get(path, params={"c_birth": "1971"}).text
    assert "(1–25 dari 60)" in typed and "disaring" not in typed
    # The id is this session's: another browser gets the whole list and says the filter is gone.
    elsewhere = world.login("steward").get(location).text
    assert "(1–25 dari 60)" in elsewhere and FORGOTTEN in elsewhere
    # An auditor reads the conflict and may narrow it too (a read); an agency viewer may not see it.
    auditor = world.login("auditor")
    assert "disaring" in auditor.get(searching.location_of(auditor, f"{path}/candidates", {"c_birth": "1971"},
                                                           page=path)).text  # fmt: skip
    viewer = world.login("viewer")
    refused = viewer.post(
        f"{path}/candidates", data={"c_birth": "1971", "csrf_token": searching.csrf(viewer, "/conflicts")}
    )
    assert refused.status_code == 403
    assert steward.post(f"{path}/candidates", data={"c_birth": "1971"}).status_code == 403  # no CSRF


def test_the_queue_case_filter_posts_and_keeps_the_other_filters_in_the_url(world: World) -> None:
    steward = world.login("steward")
    page = steward.get("/conflicts").text
    assert '<form method="post" action="/conflicts" class="filters queue-filters">' in page
    location = searching.location_of(steward, "/conflicts", {"case": NIP_A, "status": "all", "kind": ""})
    assert NIP_A not in location and re.fullmatch(r"/conflicts\?s=[\w-]{16}&status=all", location), location
    listed = steward.get(location).text
    a, b = world.ids["conflict_a"], world.ids["conflict_b"]
    assert f'href="/conflicts/{a}"' in listed and f'href="/conflicts/{b}"' not in listed
    assert f'value="{NIP_A}"' in listed  # the box shows what was typed
    latest, _ = _latest_read(world)
    assert NIP_A not in str(latest.filter) and NIP_A not in str(latest.target)
    # no case text: no id; a NIP typed into the URL is not run
    assert searching.location_of(steward, "/conflicts", {"case": "", "kind": "identity"}) == (
        "/conflicts?kind=identity"
    )
    typed = steward.get("/conflicts", params={"case": NIP_A, "status": "all"}).text
    assert f'href="/conflicts/{b}"' in typed and f'value="{NIP_A}"' not in typed
    # an agency viewer's search stays within their agency
    viewer = world.login("viewer")
    theirs = viewer.get(searching.location_of(viewer, "/conflicts", {"case": NIP_B, "status": "all"})).text
    assert f'href="/conflicts/{b}"' not in theirs and "data-conflict=" not in theirs  # none listed


@pytest.mark.parametrize(
    ("url", "use"),
    [
        (f"/api/v1/cases?q={NIP_A}", "POST /api/v1/cases/search"),
        ("/api/v1/cases?status=diblokir&q=Budi", "POST /api/v1/cases/search"),
        ("/api/v1/registry/search?name=Tri%20Wijaya", "POST /api/v1/registry/search"),
        (f"/api/v1/registry/search?nip={NIP_A}", "POST /api/v1/registry/search"),
        ("/api/v1/registry/search?birth_date=1985-04-12&instansi=Sampang", "POST /api/v1/registry/search"),
        ("/api/v1/conflicts/{a}?birth=1985", "POST /api/v1/conflicts/{a}/candidates"),
        ("/api/v1/conflicts?status=all&assignee=budi", "POST /api/v1/conflicts/search"),
        ("/api/v1/audit?actor=budi&action=case.", "POST /api/v1/audit/search"),
        ("/api/v1/audit?object_type=user&object_id=budi", "POST /api/v1/audit/search"),
    ],
)
def test_an_api_get_with_personal_data_in_its_url_is_refused_naming_the_post_endpoint(
    world: World, url: str, use: str
) -> None:
    a = world.ids["conflict_a"]
    client = world.client()
    answer = client.get(url.format(a=a), headers=_bearer(world, "steward"))
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert detail["code"] == "personal_data_in_url" and detail["use"] == use.format(a=a)
    assert "tidak boleh dikirim di URL" in detail["message"] and use.format(a=a) in detail["message"]
    english = client.get(url.format(a=a) + "&lang=en", headers=_bearer(world, "steward")).json()["detail"]
    assert "may not be sent in a URL" in english["message"]


def test_the_api_gets_without_personal_data_still_answer(world: World) -> None:
    client = world.client()
    steward = _bearer(world, "steward")
    assert client.get("/api/v1/cases?status=diblokir", headers=steward).status_code == 200
    assert (
        client.get(f"/api/v1/conflicts/{world.ids['conflict_a']}?page=1", headers=steward).status_code == 200
    )
    nothing = client.get("/api/v1/registry/search?instansi=Sampang", headers=steward)
    assert nothing.status_code == 422 and nothing.json()["detail"]["code"] == "empty"
    # who may not search is told so before anything else: no token, an auditor on the registry
    assert client.get(f"/api/v1/cases?q={NIP_A}").status_code == 401
    auditor = client.get("/api/v1/registry/search?name=Tri", headers=_bearer(world, "auditor"))
    assert auditor.status_code == 403


def test_the_case_search_posts_its_terms_records_the_read_and_stays_scoped(world: World) -> None:
    client = world.client()
    found = client.post("/api/v1/cases/search", json={"q": NIP_A}, headers=_bearer(world, "steward"))
    assert found.status_code == 200, found.text
    assert [c["case_key"] for c in found.json()["items"]] == ["CASE-A"]
    latest, shown = _latest_read(world)
    assert (latest.channel, latest.kind, shown) == ("api", "search", 1)
    assert NIP_A not in str(latest.filter) and NIP_A not in str(latest.target)
    assert latest.filter is not None and latest.filter["search"] is True
    everything = client.post("/api/v1/cases/search", json={"status": None}, headers=_bearer(world, "steward"))
    assert everything.json()["total"] == 2
    # An agency viewer finds their agency's case, never another agency's (not even by its NIP).
    viewer = _bearer(world, "viewer")
    assert client.post("/api/v1/cases/search", json={"q": NIP_B}, headers=viewer).json()["total"] == 0
    assert client.post("/api/v1/cases/search", json={"q": NIP_A}, headers=viewer).json()["total"] == 1
    assert client.post("/api/v1/cases/search", json={"q": NIP_A}).status_code == 401
    bad = client.post("/api/v1/cases/search", json={"q": "x" * 129}, headers=_bearer(world, "steward"))
    assert bad.status_code == 422


def test_the_registry_search_posts_its_terms_and_only_stewards_and_admins_may(world: World) -> None:
    ids = seed_identity_world(world.database)
    client = world.client()
    body = {"name": "Tri Wijyaa", "instansi": "Sampang", "conflict_id": ids["unresolved"]}
    found = client.post("/api/v1/registry/search", json=body, headers=_bearer(world, "steward"))
    assert found.status_code == 200, found.text
    first = found.json()[0]
    assert (first["nip"], first["matches"]["name"], first["matches"]["instansi"]) == (TRI, True, True)
    latest, shown = _latest_read(world)
    assert (latest.channel, latest.kind) == ("api", "search") and shown >= 1
    assert "Tri" not in str(latest.filter)
    born = {"birth_date": "1985-04-12"}
    assert TRI in {h["nip"] for h in client.post("/api/v1/registry/search", json=born,
                                                   headers=_bearer(world, "admin")).json()}  # fmt: skip
    empty = client.post(
        "/api/v1/registry/search", json={"instansi": "Sampang"}, headers=_bearer(world, "steward")
    )
    assert empty.status_code == 422 and empty.json()["detail"]["code"] == "empty"
    for who in ("auditor", "viewer"):
        assert (
            client.post("/api/v1/registry/search", json=body, headers=_bearer(world, who)).status_code == 403
        )
    # a conflict the caller may not see is not compared: 404 for none, with its id
    missing = {**body, "conflict_id": 2**31 - 1}
    assert (
        client.post("/api/v1/registry/search", json=missing, headers=_bearer(world, "steward")).status_code
        == 404
    )


def test_the_candidates_post_narrows_a_conflict_by_birth_date_and_stays_scoped(world: World) -> None:
    conflict, nips = seed_namesake_crowd(world.database, 60)
    client = world.client()
    path = f"/api/v1/conflicts/{conflict}/candidates"
    born = client.post(path, json={"birth": "1971"}, headers=_bearer(world, "auditor"))
    assert born.status_code == 200, born.text
    assert {c["nip"] for c in born.json()["candidates"]} == {nip for nip in nips if nip.startswith("1971")}
    assert born.json()["candidate_page"]["matching"] == 3
    latest, shown = _latest_read(world)
    assert (latest.channel, latest.kind, shown) == ("api", "conflict", 3)
    second = client.post(path, json={"kanreg": "IV", "page": 2}, headers=_bearer(world, "steward")).json()
    assert second["candidate_page"]["first"] == 26 and len(second["candidates"]) == 5
    # the KASN row's conflict is not a Bawaslu viewer's; another agency's conflict is a 403 too
    assert client.post(path, json={}, headers=_bearer(world, "viewer")).status_code == 403
    other = f"/api/v1/conflicts/{world.ids['conflict_b']}/candidates"
    assert client.post(other, json={}, headers=_bearer(world, "viewer")).status_code == 403
    assert client.post("/api/v1/conflicts/2147483647/candidates", json={},
                       headers=_bearer(world, "steward")).status_code == 404  # fmt: skip
    assert client.post(path, json={"birth": "1" * 11}, headers=_bearer(world, "steward")).status_code == 422


def test_a_disabled_accounts_token_searches_nothing(world: World) -> None:
    client = world.client()
    set_active(world.database, "steward", active=False, actor="admin")
    for path, body in (("/api/v1/cases/search", {"q": NIP_A}), ("/api/v1/registry/search", {"name": "Tri"}),
                       (f"/api/v1/conflicts/{world.ids['conflict_a']}/candidates", {})):  # fmt: skip
        assert client.post(path, json=body, headers=_bearer(world, "steward")).status_code == 401, path


def test_a_disabled_accounts_session_posts_no_search(world: World) -> None:
    """Disabling an account ends its sessions at once: its open pages' filter forms are refused, no
    search is kept for it, and an id it was given shows nothing to anyone else."""
    conflict, _ = seed_namesake_crowd(world.database, 60)
    steward = world.login("steward")
    path = f"/conflicts/{conflict}"
    token = searching.csrf(steward, path)
    kept = searching.location_of(steward, f"{path}/candidates", {"c_birth": "1971"}, page=path)
    set_active(world.database, "steward", active=False, actor="admin")
    for url, form in ((f"{path}/candidates", {"c_birth": "1971"}), ("/conflicts", {"case": NIP_A}),
                      (path, {"q_name": "Eka Rahman"})):  # fmt: skip
        answer = steward.post(url, data={**form, "csrf_token": token})
        # refused (its CSRF token died with the session) or sent to log in: never to a kept search
        where = answer.headers.get("location", "")
        assert answer.status_code == 403 or where.startswith("/login"), (url, answer.status_code, where)
    assert steward.get(kept).headers["location"].startswith("/login")
    other = world.login("admin").get(kept).text
    assert "disaring" not in other and FORGOTTEN in other


def test_the_openapi_documents_the_post_searches_and_no_personal_data_in_a_query(world: World) -> None:
    spec = world.client().get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/cases/search",
        "/api/v1/registry/search",
        "/api/v1/conflicts/{conflict_id}/candidates",
        "/api/v1/conflicts/search",
        "/api/v1/audit/search",
    ):
        assert "requestBody" in paths[path]["post"], path
    for path, methods in paths.items():
        for method, operation in methods.items():
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert not query & PERSONAL_FIELDS, (method, path, query & PERSONAL_FIELDS)
    assert "400" in paths["/api/v1/cases"]["get"]["responses"]


def _no_username(location: str, *names: str) -> None:
    bare = searching.SEARCH_IDS.sub("", location)
    for name in names:
        assert name not in bare, (name, location)


def test_the_queue_holder_filter_keeps_usernames_out_of_the_url(world: World) -> None:
    """The queue's "tugas saya" tab and holder filter named a colleague in the URL (``?assignee=budi``):
    now "mine" is ``mine=1``, nobody's ``assignee=-``, and a colleague chosen is kept under the search
    id; a username typed into the URL is not run."""
    add_user(world.database, world.settings, username="budi", password=PASSWORD, role="steward",
             display_name="Budi Santoso", actor="test")  # fmt: skip
    a, b = world.ids["conflict_a"], world.ids["conflict_b"]
    steward = world.login("steward")
    for conflict, holder in ((a, "budi"), (b, "steward")):
        token = searching.csrf(steward, "/conflicts")
        data = {"assignee": holder, "back": "/conflicts", "csrf_token": token}
        assert steward.post(f"/conflicts/{conflict}/assign", data=data).status_code == 303
    page = steward.get("/conflicts").text
    assert 'href="/conflicts?mine=1"' in page and "assignee=steward" not in page
    mine = steward.get("/conflicts?mine=1").text
    assert f'data-conflict="{b}"' in mine and f'data-conflict="{a}"' not in mine
    budis = searching.location_of(steward, "/conflicts", {"assignee": "budi", "status": "all"})
    _no_username(budis, "budi")
    assert re.fullmatch(r"/conflicts\?s=[\w-]{16}&status=all", budis), budis
    listed = steward.get(budis).text
    assert f'data-conflict="{a}"' in listed and f'data-conflict="{b}"' not in listed
    assert '<option value="budi" selected>' in listed  # the box shows who was chosen
    own = searching.location_of(steward, "/conflicts", {"assignee": "steward"})
    assert own == "/conflicts?mine=1", own
    assert searching.location_of(steward, "/conflicts", {"assignee": "-"}) == "/conflicts?assignee=-"
    typed = steward.get("/conflicts?assignee=budi").text  # not run: both listed
    assert f'data-conflict="{a}"' in typed and f'data-conflict="{b}"' in typed
    # the id is this session's: another browser gets the whole queue and is told the filter is gone
    elsewhere = world.login("steward").get(budis).text
    assert f'data-conflict="{b}"' in elsewhere and "Pencarian" in elsewhere


def test_the_access_log_reader_filter_posts_and_keeps_the_username_out_of_the_url(world: World) -> None:
    """The access log's reader filter was a GET form (``?who=steward``), and the unusual-access table
    linked to ``?who=<reader>&day=``: the reader is a civil servant too. Both post now."""
    world.login("steward").get(f"/cases/{world.ids['case_b']}")
    auditor = world.login("auditor")
    auditor.get(f"/cases/{world.ids['case_a']}")
    admin = world.login("admin")
    page = admin.get("/admin/access-log").text
    assert '<form method="post" action="/admin/access-log" class="filters" id="access-filters">' in page
    location = searching.location_of(admin, "/admin/access-log", {"who": "steward", "channel": "console"})
    _no_username(location, "steward")
    assert re.fullmatch(r"/admin/access-log\?s=[\w-]{16}&channel=console", location), location
    shown = admin.get(location).text
    readers = set(re.findall(r"<tr><td>\d+</td><td>[^<]*</td>\s*<td>(\w+)", shown))
    assert readers == {"steward"}, readers
    assert 'value="steward"' in shown
    latest, _ = _latest_read(world)
    assert latest.filter == {"who": "steward", "channel": "console"} and "steward" not in str(latest.target)
    typed = admin.get("/admin/access-log?who=steward").text  # not run
    assert {"steward", "auditor"} <= set(re.findall(r"<tr><td>\d+</td><td>[^<]*</td>\s*<td>(\w+)", typed))
    assert "?who=" not in page and "who=" not in re.sub(r'name="who"', "", page.split("<h2>")[0])
    # the NIP lookup still posts and answers at once
    found = admin.post(
        "/admin/access-log", data={"nip": NIP_B, "csrf_token": searching.csrf(admin, "/admin/access-log")}
    )
    assert found.status_code == 200 and "steward" in found.text


def test_the_audit_filter_posts_and_keeps_who_acted_out_of_the_url_and_its_downloads(world: World) -> None:
    """The audit log's filter was a GET form (``?actor=budi``), and its download links carried it."""
    with world.database.session() as session:
        for actor in ("budi", "citra", "budi"):
            case = str(world.ids["case_a"])
            session.add(AuditEntry(actor_name=actor, action="case.note", object_type="case", object_id=case,
                                   reason="catatan", at=utcnow()))  # fmt: skip
    admin = world.login("admin")
    page = admin.get("/audit").text
    assert '<form method="post" action="/audit" class="filters">' in page
    location = searching.location_of(admin, "/audit", {"actor": "budi", "action": "case."})
    _no_username(location, "budi")
    assert re.fullmatch(r"/audit\?s=[\w-]{16}&action=case.", location), location
    shown = admin.get(location).text
    assert 'value="budi"' in shown and "<small>(2)</small>" in shown
    downloads = re.findall(r'href="(/audit\.(?:csv|xlsx)[^"]*)"', shown)
    assert len(downloads) == 2
    for url in downloads:
        _no_username(url.replace("&amp;", "&"), "budi")
    csv = admin.get(downloads[0].replace("&amp;", "&")).text
    assert csv.count("case.note") == 2 and "citra" not in csv
    typed = admin.get("/audit?actor=citra&action=case.").text  # not run: all three
    assert "<small>(3)</small>" in typed
    assert admin.post("/audit", data={"actor": "admin"}).status_code == 403  # no CSRF
    viewer = world.login("viewer")
    refused = viewer.post("/audit", data={"actor": "admin", "csrf_token": searching.csrf(viewer, "/")})
    assert refused.status_code == 403
