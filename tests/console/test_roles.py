"""Every route and method against every role: each gets exactly what the role table says.

The table below is the specification; a route the app serves that is missing from it fails the test,
so a new route cannot ship without deciding who may use it. Agency viewers (here: Bawaslu's) get 403
for Kemendagri's records and never see them in lists.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from sbt_sync.console import (
    api,
    api_links,
    web_access,
    web_auth,
    web_compliance,
    web_conflicts,
    web_exports,
    web_imut,
    web_letters,
    web_links,
    web_metrics,
    web_ops,
    web_pages,
    web_pdp,
    web_pic,
    web_search,
)
from sbt_sync.console.app import create_app
from tests.console.conftest import NIP_B, World, csrf_of

WHO = ("admin", "steward", "auditor", "viewer", "anonymous")
ALL = {"admin": 200, "steward": 200, "auditor": 200, "viewer": 200, "anonymous": 303}
STAFF = {"admin": 200, "steward": 200, "auditor": 200, "viewer": 403, "anonymous": 303}
OWN_AGENCY_ONLY = {"admin": 200, "steward": 200, "auditor": 200, "viewer": 403, "anonymous": 303}
CORRECT = {"admin": 200, "steward": 200, "auditor": 403, "viewer": 403, "anonymous": 303}
"""Correcting links (choosing a target, previewing): stewards and admins only."""
ACT = {"admin": 303, "steward": 303, "auditor": 403, "viewer": 403, "anonymous": 303}
ADMIN_ACT = {"admin": 303, "steward": 403, "auditor": 403, "viewer": 403, "anonymous": 303}
"""PIC addresses: only admins change them."""
SEARCH = {"admin": 303, "steward": 303, "auditor": 303, "viewer": 303, "anonymous": 303}
"""A search posted: every role that reads cases is sent to its results (anonymous: to the login)."""
STAFF_404 = {**STAFF, "admin": 404, "steward": 404, "auditor": 404}
ACT_404 = {**ACT, "admin": 404, "steward": 404}
PUBLIC = dict.fromkeys(WHO, 200)
API_ALL = {"admin": 200, "steward": 200, "auditor": 200, "viewer": 200, "anonymous": 401}
API_STAFF = {"admin": 200, "steward": 200, "auditor": 200, "viewer": 403, "anonymous": 401}
API_CORRECT = {"admin": 200, "steward": 200, "auditor": 403, "viewer": 403, "anonymous": 401}
ACCESS_LOG = {"admin": 200, "steward": 403, "auditor": 200, "viewer": 403, "anonymous": 303}
"""Who read personal data: the oversight of every reader, stewards included (issue 20, web_access)."""
ADMIN_ONLY = {"admin": 200, "steward": 403, "auditor": 403, "viewer": 403, "anonymous": 303}
"""A person's whole record (issue 20 item 2, web_pdp)."""


def table(ids: dict[str, int]) -> list[tuple[str, str, str, dict[str, Any] | None, dict[str, int]]]:
    """(method, route template, concrete URL, form or JSON body, expected status per role)."""
    a, b = ids["conflict_a"], ids["conflict_b"]
    ca, ra = ids["case_a"], ids["staged_a"]
    reason = {"reason": "role test"}
    pic = {"instansi_id": "X1", "email": "pic@x.go.id"}
    return [
        ("GET", "/", "/", None, ALL),
        ("GET", "/conflicts", "/conflicts", None, ALL),
        ("GET", "/conflicts/{conflict_id}", f"/conflicts/{a}", None, ALL),
        ("GET", "/conflicts/{conflict_id}", f"/conflicts/{b}", None, OWN_AGENCY_ONLY),
        ("POST", "/conflicts/{conflict_id}/claim", f"/conflicts/{a}/claim", {}, ACT),
        ("POST", "/conflicts/{conflict_id}/release", f"/conflicts/{a}/release", {}, ACT),
        # issue 19 (the queue as a task list): filters and "tugas saya" for everyone who sees the queue;
        # assigning (here: releasing, assignee empty) for stewards and admins (test_queue)
        ("GET", "/conflicts", "/conflicts?mine=1&sort=due&kind=identity", None, ALL),
        ("GET", "/conflicts", "/conflicts?assignee=-&sort=due", None, ALL),
        # the case text may be a NIP: the queue's filter posts it and the URL holds a search id
        ("POST", "/conflicts", "/conflicts", {"case": "CASE", "kind": "identity"}, SEARCH),
        ("POST", "/conflicts/{conflict_id}/assign", f"/conflicts/{a}/assign", {"assignee": ""}, ACT),
        ("POST", "/conflicts/{conflict_id}/assign", f"/conflicts/{b}/assign", {"assignee": "steward"},
         {**ACT, "viewer": 403}),
        ("POST", "/conflicts/{conflict_id}/resolve", f"/conflicts/{a}/resolve",
         {"value": "X9", **reason}, ACT),
        ("POST", "/conflicts/bulk", "/conflicts/bulk", {"ids": [a], "choice": "keep", **reason}, ACT),
        ("GET", "/cases", "/cases", None, ALL),
        ("GET", "/cases/{case_id}", f"/cases/{ids['case_a']}", None, ALL),
        ("GET", "/cases/{case_id}", f"/cases/{ids['case_b']}", None, OWN_AGENCY_ONLY),
        ("GET", "/cases/{case_id}/correct", f"/cases/{ca}/correct?kind=move_record&record={ra}", None,
         CORRECT),
        ("GET", "/cases/{case_id}/correct/preview",
         f"/cases/{ca}/correct/preview?kind=split&record={ra}", None, CORRECT),
        # the choose pages' searches and the choice of a target post (names and NIPs never in a URL)
        ("POST", "/cases/{case_id}/correct/search", f"/cases/{ca}/correct/search",
         {"kind": "move_record", "record": ra, "q": "CASE"}, ACT),
        ("POST", "/cases/{case_id}/correct/preview", f"/cases/{ca}/correct/preview",
         {"kind": "assign_person", "record": ra, "target_nip": NIP_B}, ACT),
        ("POST", "/cases/{case_id}/correct", f"/cases/{ca}/correct",
         {"kind": "split", "record": ra, **reason}, ACT),
        ("POST", "/cases/{case_id}/corrections/{correction_id}/undo", f"/cases/{ca}/corrections/999999/undo",
         reason, ACT),
        ("POST", "/conflicts/{conflict_id}/reopen", f"/conflicts/{a}/reopen", reason, ACT),
        # their previews: a correction that does not exist, a conflict not resolved: back with a flash
        ("GET", "/cases/{case_id}/corrections/{correction_id}/undo", f"/cases/{ca}/corrections/999999/undo",
         None, ACT),
        ("GET", "/conflicts/{conflict_id}/reopen", f"/conflicts/{a}/reopen", None, ACT),
        ("GET", "/quarantine", "/quarantine", None, ALL),
        ("GET", "/quarantine", "/quarantine?source=kemendagri", None, OWN_AGENCY_ONLY),
        ("POST", "/quarantine/{row_id}/status", f"/quarantine/{ids['quarantine_a']}/status",
         {"status": "ignored", **reason}, ACT),
        ("GET", "/push", "/push", None, STAFF),
        ("POST", "/push/approvals/{approval_id}/approve", f"/push/approvals/{ids['approval']}/approve",
         reason, ACT),
        ("POST", "/push/approvals/{approval_id}/reject", f"/push/approvals/{ids['approval']}/reject",
         reason, ACT),
        ("POST", "/push/retry", "/push/retry", {"ids": [ids["outbox"]], **reason}, ACT),
        ("GET", "/audit", "/audit", None, STAFF),
        # who acted (a username) is posted and kept under a search id, never in the URL
        ("POST", "/audit", "/audit", {"actor": "steward", "action": "conflict."}, {**SEARCH, "viewer": 403}),
        # issue 19 (downloads): the recap from the dashboard (an agency viewer's is over their cases),
        # quarantined rows (another agency's source: 403) and the audit log (BKN's roles only)
        ("GET", "/recap.{fmt}", "/recap.csv", None, ALL),
        ("GET", "/recap.{fmt}", "/recap.xlsx", None, ALL),
        ("GET", "/recap.{fmt}", "/recap.png", None, ALL),
        ("GET", "/quarantine.{fmt}", "/quarantine.csv", None, ALL),
        ("GET", "/quarantine.{fmt}", "/quarantine.xlsx?source=kemendagri", None, OWN_AGENCY_ONLY),
        ("GET", "/audit.{fmt}", "/audit.csv", None, STAFF),
        ("GET", "/audit.{fmt}", "/audit.xlsx?entry=1", None, STAFF),
        ("GET", "/login", "/login", None, PUBLIC),
        ("GET", "/healthz", "/healthz", None, PUBLIC),
        # SSO routes answer only when console.oidc is configured (test_oidc covers them then)
        ("GET", "/login/oidc", "/login/oidc", None, dict.fromkeys(WHO, 404)),
        ("GET", "/login/oidc/callback", "/login/oidc/callback?code=x&state=y", None, dict.fromkeys(WHO, 404)),
        ("GET", "/lang/{code}", "/lang/en", None, dict.fromkeys(WHO, 303)),
        ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None, PUBLIC),
        ("GET", "/api/v1/me", "/api/v1/me", None, API_ALL),
        ("GET", "/api/v1/recap", "/api/v1/recap", None, API_ALL),
        ("GET", "/api/v1/conflicts", "/api/v1/conflicts", None, API_ALL),
        ("GET", "/api/v1/conflicts/{conflict_id}", f"/api/v1/conflicts/{a}", None, API_ALL),
        ("GET", "/api/v1/conflicts/{conflict_id}", f"/api/v1/conflicts/{b}", None, API_STAFF),
        ("POST", "/api/v1/conflicts/{conflict_id}/resolve", f"/api/v1/conflicts/{a}/resolve",
         {"value": "X9", **reason}, {**API_STAFF, "admin": 422, "steward": 422, "auditor": 403}),
        ("POST", "/api/v1/conflicts/{conflict_id}/claim", f"/api/v1/conflicts/{b}/claim?release=true", {},
         {**API_STAFF, "auditor": 403}),
        ("POST", "/api/v1/conflicts/{conflict_id}/assign", f"/api/v1/conflicts/{a}/assign",
         {"assignee": None}, {**API_STAFF, "auditor": 403}),
        ("GET", "/api/v1/conflicts", "/api/v1/conflicts?assignee=-&sort=due", None, API_ALL),
        # a staff username is posted too, never put in a URL (GET: 400)
        ("GET", "/api/v1/conflicts", "/api/v1/conflicts?assignee=steward", None,
         {**dict.fromkeys(WHO, 400), "anonymous": 401}),
        ("POST", "/api/v1/conflicts/search", "/api/v1/conflicts/search", {"assignee": "steward"}, API_ALL),
        # a name, a NIP or a birth date is posted, never put in a URL: the GET forms refuse them (400)
        ("POST", "/api/v1/registry/search", "/api/v1/registry/search", {"name": "ASN CASE"},
         {**API_STAFF, "auditor": 403}),
        ("GET", "/api/v1/registry/search", "/api/v1/registry/search?name=ASN%20CASE", None,
         {**API_STAFF, "admin": 400, "steward": 400, "auditor": 403}),
        ("GET", "/api/v1/conflicts/{conflict_id}", f"/api/v1/conflicts/{a}?birth=1980", None,
         {**API_ALL, "admin": 400, "steward": 400, "auditor": 400, "viewer": 400}),
        ("POST", "/api/v1/conflicts/{conflict_id}/candidates", f"/api/v1/conflicts/{a}/candidates",
         {"birth": "1980"}, API_ALL),
        ("POST", "/api/v1/conflicts/{conflict_id}/candidates", f"/api/v1/conflicts/{b}/candidates", {},
         API_STAFF),
        ("POST", "/api/v1/links/preview", "/api/v1/links/preview", {"kind": "split", "record": ra},
         API_CORRECT),
        ("POST", "/api/v1/links", "/api/v1/links", {"kind": "split", "record": ra, **reason},
         {**API_CORRECT, "admin": 422, "steward": 422}),  # no preview's fingerprint: refused
        ("POST", "/api/v1/links", "/api/v1/links",
         {"kind": "split", "record": ra, "fingerprint": "stale", **reason},
         {**API_CORRECT, "admin": 422, "steward": 422}),  # not the preview's: refused with the new one
        ("GET", "/api/v1/links/{correction_id}/undo", "/api/v1/links/999999/undo", None,
         {**API_CORRECT, "admin": 422, "steward": 422}),
        ("POST", "/api/v1/links/{correction_id}/undo", "/api/v1/links/999999/undo", reason,
         {**API_CORRECT, "admin": 422, "steward": 422}),
        ("GET", "/api/v1/conflicts/{conflict_id}/reopen", f"/api/v1/conflicts/{a}/reopen", None,
         {**API_CORRECT, "admin": 422, "steward": 422}),  # conflict A is open, not resolved
        ("POST", "/api/v1/conflicts/{conflict_id}/reopen", f"/api/v1/conflicts/{a}/reopen", reason,
         {**API_CORRECT, "admin": 422, "steward": 422}),  # conflict A is open, not resolved
        ("GET", "/api/v1/cases", "/api/v1/cases", None, API_ALL),
        ("GET", "/api/v1/cases", f"/api/v1/cases?q={NIP_B}", None,
         {**dict.fromkeys(WHO, 400), "anonymous": 401}),
        ("POST", "/api/v1/cases/search", "/api/v1/cases/search", {"q": NIP_B[-6:]}, API_ALL),
        ("GET", "/api/v1/cases/{case_id}", f"/api/v1/cases/{ids['case_a']}", None, API_ALL),
        ("GET", "/api/v1/cases/{case_id}", f"/api/v1/cases/{ids['case_b']}", None, API_STAFF),
        ("GET", "/api/v1/quarantine", "/api/v1/quarantine", None, API_ALL),
        ("GET", "/api/v1/quarantine", "/api/v1/quarantine?source=kemendagri", None, API_STAFF),
        ("POST", "/api/v1/quarantine/{row_id}/status", f"/api/v1/quarantine/{ids['quarantine_a']}/status",
         {"status": "ignored", **reason}, {**API_STAFF, "auditor": 403}),
        ("GET", "/api/v1/push/status", "/api/v1/push/status", None, API_STAFF),
        ("GET", "/api/v1/feed/block-changes", "/api/v1/feed/block-changes", None, API_STAFF),
        ("GET", "/api/v1/audit", "/api/v1/audit", None, API_STAFF),
        ("GET", "/api/v1/audit", "/api/v1/audit?actor=steward", None,
         {**API_STAFF, "admin": 400, "steward": 400, "auditor": 400}),
        ("POST", "/api/v1/audit/search", "/api/v1/audit/search", {"actor": "steward"}, API_STAFF),
        # operators' Prometheus metrics: counts over every agency, so BKN roles only
        ("GET", "/api/v1/metrics", "/api/v1/metrics", None, API_STAFF),
        # I-MUT: BKN's roles and Kemendagri's viewers (test_imut_pages); a Bawaslu viewer gets 403.
        ("GET", "/imut", "/imut", None, STAFF),
        ("GET", "/imut/report", "/imut/report", None, STAFF),
        ("GET", "/imut/report", "/imut/report?format=csv", None, STAFF),
        ("GET", "/imut/{finding_id}", "/imut/999999", None, {**STAFF, "admin": 404, "steward": 404,
                                                             "auditor": 404}),
        ("POST", "/imut/{finding_id}/decide", "/imut/999999/decide", {"choice": "confirm", **reason}, ACT),
        # Letters, the compliance report and PIC addresses are BKN's (test_letters_pages,
        # test_compliance_pic_pages); the Kemendagri list is Kemendagri's viewers' too, not Bawaslu's.
        ("GET", "/letters", "/letters", None, STAFF),
        ("GET", "/letters/{letter_id}", "/letters/999999", None, STAFF_404),
        ("GET", "/letters/{letter_id}/pdf", "/letters/999999/pdf", None, STAFF_404),
        ("POST", "/letters/{letter_id}/release", "/letters/999999/release", reason, ACT_404),
        ("POST", "/letters/{letter_id}/retry", "/letters/999999/retry", reason, ACT_404),
        ("POST", "/letters/{letter_id}/give-up", "/letters/999999/give-up", reason, ACT_404),
        ("GET", "/reports/compliance", "/reports/compliance", None, STAFF),
        ("GET", "/reports/compliance", "/reports/compliance?format=xlsx", None, STAFF),
        ("GET", "/reports/compliance/kemendagri", "/reports/compliance/kemendagri", None, STAFF),
        ("GET", "/admin/pic", "/admin/pic", None, STAFF),
        ("POST", "/admin/pic/add", "/admin/pic/add", pic, ADMIN_ACT),
        ("POST", "/admin/pic/remove", "/admin/pic/remove", pic, ADMIN_ACT),
        # issue 19 (search): every role that reads cases searches; what a viewer finds is scoped
        # (test_search), and a text too long is a clean 400, never a 500
        # the text typed is posted (never in a URL) and kept under a session-bound search id
        ("GET", "/search", "/search", None, ALL),
        ("POST", "/search", "/search", {"q": "ASN CASE"}, SEARCH),
        ("POST", "/search", "/search", {"q": NIP_B[-6:]}, SEARCH),
        ("POST", "/search", "/search", {"q": "x" * 201}, {**dict.fromkeys(WHO, 400), "anonymous": 303}),
        ("GET", "/search", "/search?s=nosuchsearchid00", None, ALL),  # a forgotten id: the empty form
        ("POST", "/cases", "/cases", {"q": "CASE", "status": "diblokir"}, SEARCH),
        ("POST", "/conflicts/{conflict_id}", f"/conflicts/{a}", {"q_name": "Budi"}, ACT),
        ("POST", "/conflicts/{conflict_id}", f"/conflicts/{b}", {"q_name": "Budi"}, ACT),
        # the candidate filter (a birth date) posts too; narrowing is a read: whoever sees the conflict
        ("POST", "/conflicts/{conflict_id}/candidates", f"/conflicts/{a}/candidates", {"c_birth": "1980"},
         SEARCH),
        ("POST", "/conflicts/{conflict_id}/candidates", f"/conflicts/{b}/candidates", {"c_birth": "1980"},
         {**SEARCH, "viewer": 403}),
        # issue 20 (personal data): the access log is read by admins and the read-only auditors, not by
        # stewards (their own reads are what it oversees) nor agency viewers (it names every agency's
        # readers); a NIP is looked up by POST (never in a URL); reading it is itself recorded
        ("GET", "/admin/access-log", "/admin/access-log", None, ACCESS_LOG),
        ("GET", "/admin/access-log", "/admin/access-log?day=2026-12-03&channel=api&kind=case",
         None, ACCESS_LOG),
        # the reader filter (a username) posts too, and is kept under a search id
        ("POST", "/admin/access-log", "/admin/access-log", {"who": "steward", "day": "2026-12-03"},
         {**ACCESS_LOG, "admin": 303, "auditor": 303}),
        ("POST", "/admin/access-log", "/admin/access-log", {"nip": NIP_B, "purpose": "role test"},
         ACCESS_LOG),
        # issue 20 item 2 (a person's own record, web_pdp): every agency's records of one ASN, so admins
        # only; the NIP is posted with the purpose (CSRF), the answer is the report itself (PDF here)
        ("GET", "/admin/pdp/subject", "/admin/pdp/subject", None, ADMIN_ONLY),
        ("POST", "/admin/pdp/subject", "/admin/pdp/subject", {"nip": NIP_B, "purpose": "role test"},
         ADMIN_ONLY),
    ]  # fmt: skip


SKIPPED_ROUTES = {("POST", "/login"), ("POST", "/logout")}
"""Covered by test_security: they change the session itself, not what a role may see."""


def _served(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    served = set()
    for route in routes:
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
        elif isinstance(route, APIRoute | Route):
            served |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return served


def test_the_role_table_covers_every_route_and_method(world: World) -> None:
    app = create_app(world.settings, world.database)
    served = _served(list(app.routes))
    for router in (
        web_auth.router,
        web_access.router,
        web_pages.router,
        web_conflicts.router,
        web_links.router,
        web_ops.router,
        web_exports.router,
        web_imut.router,
        web_letters.router,
        web_compliance.router,
        web_pic.router,
        web_pdp.router,
        web_search.router,
        web_metrics.router,
        api.router,
        api_links.router,
    ):
        served |= _served(list(router.routes))
    covered = {(method, template) for method, template, *_ in table(world.ids)} | SKIPPED_ROUTES
    assert served - covered == set(), "routes missing from the role table"
    assert covered - served == set(), "the role table names routes the app does not serve"


def _clients(world: World) -> dict[str, TestClient]:
    clients = {who: world.login(who) for who in ("admin", "steward", "auditor", "viewer")}
    clients["anonymous"] = world.client()
    return clients


def test_each_role_gets_exactly_what_the_table_says(world: World) -> None:
    clients = _clients(world)
    failures = []
    for method, _template, url, body, expected in table(world.ids):
        for who in WHO:
            client = clients[who]
            headers = {}
            if url.startswith("/api/v1/") and who != "anonymous" and "openapi" not in url:
                headers["Authorization"] = f"Bearer {world.tokens[who]}"
            if method == "GET":
                response = client.get(url, headers=headers)
            elif url.startswith("/api/"):
                response = client.post(url, json=body, headers=headers)
            else:
                form = {**(body or {}), "csrf_token": csrf_of(client)}
                response = client.post(url, data=form, headers=headers)
            if response.status_code != expected[who]:
                failures.append(f"{who} {method} {url}: {response.status_code}, expected {expected[who]}")
            if response.status_code >= 500:
                failures.append(f"{who} {method} {url}: server error")
    assert failures == []


def test_anonymous_pages_redirect_to_login_with_the_way_back(world: World) -> None:
    response = world.client().get("/cases?status=diblokir")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/cases%3Fstatus%3Ddiblokir"


def test_an_agency_viewer_never_sees_another_agencys_records_in_lists(world: World) -> None:
    viewer = world.login("viewer")
    api = {"Authorization": f"Bearer {world.tokens['viewer']}"}
    for path in ("/conflicts", "/cases", "/quarantine", "/conflicts?status=all"):
        page = viewer.get(path).text
        assert "CASE-B" not in page and NIP_B not in page and "kmd-1.csv" not in page, path
    assert "CASE-A" in viewer.get("/cases").text
    assert f'href="/conflicts/{world.ids["conflict_a"]}"' in viewer.get("/conflicts").text
    assert "REG-Z" in viewer.get("/quarantine").text
    conflicts = viewer.get("/api/v1/conflicts?status=all", headers=api).json()
    assert [c["id"] for c in conflicts["items"]] == [world.ids["conflict_a"]]
    cases = viewer.get("/api/v1/cases", headers=api).json()
    assert [c["case_key"] for c in cases["items"]] == ["CASE-A"]
    rows = viewer.get("/api/v1/quarantine?status=all", headers=api).json()
    assert {r["source"] for r in rows["items"]} == {"bawaslu"}
    # the steward sees both agencies
    steward = world.login("steward")
    assert "CASE-B" in steward.get("/cases").text


@pytest.mark.parametrize("who", ["admin", "steward", "auditor"])
def test_staff_lists_include_every_agency(world: World, who: str) -> None:
    api = {"Authorization": f"Bearer {world.tokens[who]}"}
    client = world.client()
    keys = {c["case_key"] for c in client.get("/api/v1/cases", headers=api).json()["items"]}
    assert keys == {"CASE-A", "CASE-B"}
