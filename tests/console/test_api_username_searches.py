"""A staff member's username is personal data (UU 27/2022) and stays out of the JSON API's URLs: the
queue by who handles a conflict (``POST /api/v1/conflicts/search``) and the audit log by who acted
(``POST /api/v1/audit/search``) take it in a JSON body; the GET forms refuse it with a 400 that names
the POST endpoint. Every request line a script sends for these features, as the console receives it
(the method, the path and the query string a proxy writes to its log), holds no username."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db.models import AuditEntry
from tests.console.conftest import World

pytestmark = pytest.mark.integration

COLLEAGUE = "budi.santoso"
"""A second steward, whose username is searched for."""


class RequestLines:
    """The ASGI app behind a recorder of every request line it receives (``GET /path?query``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.lines: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            raw = scope.get("raw_path") or scope["path"].encode()
            self.lines.append(f"{scope['method']} {raw.decode('latin-1')}" + (f"?{query}" if query else ""))
        await self.app(scope, receive, send)


def _client(world: World) -> tuple[TestClient, RequestLines]:
    recorder = RequestLines(create_app(world.settings, world.database))
    return TestClient(recorder, follow_redirects=False), recorder


def _bearer(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def test_the_queue_by_holder_and_the_audit_by_actor_post_their_usernames_and_no_url_carries_one(
    world: World,
) -> None:
    add_user(world.database, world.settings, username=COLLEAGUE, password=None, role="steward", actor="test")
    a, b = world.ids["conflict_a"], world.ids["conflict_b"]
    client, recorder = _client(world)
    steward = _bearer(world, "steward")

    given = client.post(f"/api/v1/conflicts/{a}/assign", json={"assignee": COLLEAGUE}, headers=steward)
    assert given.status_code == 200, given.text
    theirs = client.post("/api/v1/conflicts/search", json={"assignee": COLLEAGUE}, headers=steward)
    nobodys = client.get("/api/v1/conflicts?assignee=-&sort=due", headers=steward)
    acted = client.post(
        "/api/v1/audit/search",
        json={"actor": "steward", "action": "conflict."},
        headers=_bearer(world, "auditor"),
    )
    about = client.post(
        "/api/v1/audit/search",
        json={"object_type": "user", "object_id": COLLEAGUE},
        headers=_bearer(world, "auditor"),
    )

    assert theirs.status_code == 200, theirs.text
    assert [c["id"] for c in theirs.json()["items"]] == [a]
    assert [c["id"] for c in nobodys.json()["items"]] == [b]
    assert acted.status_code == 200, acted.text
    entries: list[dict[str, Any]] = acted.json()["items"]
    assert [e["action"] for e in entries] == ["conflict.assign"]
    assert about.status_code == 200 and about.json()["total"] == 1  # the account's creation
    with world.database.session() as session:
        created = session.scalar(select(AuditEntry.action).where(AuditEntry.object_id == COLLEAGUE))
    assert about.json()["items"][0]["action"] == created

    lines = recorder.lines
    assert len(lines) == 5
    for username in (COLLEAGUE, "steward", "auditor"):
        assert not [line for line in lines if username in line], (username, lines)


@pytest.mark.parametrize(
    ("url", "who", "use"),
    [
        (f"/api/v1/conflicts?assignee={COLLEAGUE}", "steward", "POST /api/v1/conflicts/search"),
        (f"/api/v1/audit?actor={COLLEAGUE}", "auditor", "POST /api/v1/audit/search"),
        (f"/api/v1/audit?object_type=user&object_id={COLLEAGUE}", "auditor", "POST /api/v1/audit/search"),
    ],
)
def test_a_get_with_a_username_in_its_url_is_refused_in_words_naming_the_post(
    world: World, url: str, who: str, use: str
) -> None:
    client, _ = _client(world)
    refused = client.get(url, headers=_bearer(world, who))
    assert refused.status_code == 400, refused.text
    detail = refused.json()["detail"]
    assert detail["code"] == "personal_data_in_url" and detail["use"] == use
    assert "tidak boleh dikirim di URL" in detail["message"] and "nama pengguna staf" in detail["message"]
    assert COLLEAGUE not in str(detail)


def test_the_openapi_document_offers_the_posts_and_no_username_in_a_query(world: World) -> None:
    client, _ = _client(world)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    conflicts = paths["/api/v1/conflicts/search"]["post"]
    audit = paths["/api/v1/audit/search"]["post"]
    assert "requestBody" in conflicts and "requestBody" in audit
    assert "400" in paths["/api/v1/conflicts"]["get"]["responses"]
    assert "400" in paths["/api/v1/audit"]["get"]["responses"]
    audit_query = {
        p["name"] for p in paths["/api/v1/audit"]["get"].get("parameters", []) if p["in"] == "query"
    }
    assert not audit_query & {"actor", "object_id"}
