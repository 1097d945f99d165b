"""The JSON API: resolving through it, the SIASN feed's order and cursor, its OpenAPI document, and
schemathesis finding no server error on any operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sbt_sync.console.app import create_app
from sbt_sync.db.models import AuditEntry, OutboxEntry, PushApproval
from tests.console.conftest import NIP_A, NIP_B, World


def _auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def test_a_steward_resolves_a_conflict_through_the_api_and_it_is_audited(world: World) -> None:
    client = world.client()
    conflict = world.ids["conflict_a"]
    basis = client.get(f"/api/v1/conflicts/{conflict}", headers=_auth(world, "steward")).json()["basis_hash"]
    response = client.post(
        f"/api/v1/conflicts/{conflict}/resolve",
        json={"value": "H1", "reason": "SK says H1", "basis": basis},
        headers=_auth(world, "steward"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["conflict_id"] == conflict
    again = client.post(
        f"/api/v1/conflicts/{conflict}/resolve",
        json={"value": "H1", "reason": "twice", "basis": basis},
        headers=_auth(world, "steward"),
    )
    assert again.status_code == 422 and "not open" in again.json()["detail"]
    detail = client.get(f"/api/v1/conflicts/{conflict}", headers=_auth(world, "auditor")).json()
    assert detail["summary"]["status"] == "resolved"
    assert detail["decisions"][0]["decision"] == {"value": "H1"}
    with world.database.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.resolve")).one()
    assert entry.channel == "api" and entry.actor_name == "steward"


def _outbox(world: World, rows: list[tuple[str, str, str]]) -> list[int]:
    ids = []
    with world.database.session() as session:
        for number, (nip, action, state) in enumerate(rows, start=10):
            key = f"sbt-{action}-v{number}-{nip[-4:]}"
            row = OutboxEntry(idempotency_key=key, nip=nip, action=action, case_refs=["CASE"], payload={},
                              state=state, block_version=number)  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def test_the_block_feed_is_ordered_final_and_never_shows_a_change_behind_the_cursor(world: World) -> None:
    client, auth = world.client(), _auth(world, "auditor")
    with world.database.session() as session:  # the seeded parked row would hold the feed: settle it
        parked = session.get(OutboxEntry, world.ids["outbox"])
        assert parked is not None
        parked.state = "acked"
    acked, superseded, waiting, later = _outbox(
        world,
        [
            (NIP_A, "buka", "acked"),
            (NIP_B, "blokir", "superseded"),
            (NIP_B, "blokir", "pending"),
            (NIP_A, "blokir", "acked"),
        ],
    )
    page = client.get("/api/v1/feed/block-changes?after=0&limit=10", headers=auth).json()
    seqs = [item["seq"] for item in page["items"]]
    assert seqs == [world.ids["outbox"], acked, superseded]
    assert [item["superseded"] for item in page["items"]] == [False, False, True]
    assert page["waiting_at"] == waiting and page["next_cursor"] == superseded
    # paging by the cursor
    first = client.get("/api/v1/feed/block-changes?after=0&limit=1", headers=auth).json()
    second = client.get(
        f"/api/v1/feed/block-changes?after={first['next_cursor']}&limit=1", headers=auth
    ).json()
    assert [i["seq"] for i in first["items"] + second["items"]] == [world.ids["outbox"], acked]
    # once the waiting change is acknowledged the feed moves on past it, in order
    with world.database.session() as session:
        row = session.get(OutboxEntry, waiting)
        assert row is not None
        row.state = "acked"
    rest = client.get(f"/api/v1/feed/block-changes?after={page['next_cursor']}", headers=auth).json()
    assert [i["seq"] for i in rest["items"]] == [waiting, later]
    assert rest["items"][0]["nip"] == NIP_B and rest["items"][0]["action"] == "blokir"
    assert rest["waiting_at"] is None


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("since=9999-12-31T23:59:59-23:59", 422),  # past year 9999 once in UTC
        ("until=0001-01-01T00:00:00%2B05:00", 422),  # before year 1 once in UTC
        ("since=2026-01-01T07:00:00%2B07:00&until=9999-12-31T00:00:00", 200),
    ],
)
def test_an_audit_filter_at_the_edge_of_time_is_a_422_not_a_500(
    world: World, query: str, status: int
) -> None:
    client = TestClient(create_app(world.settings, world.database), raise_server_exceptions=False)
    response = client.get(f"/api/v1/audit?{query}", headers=_auth(world, "auditor"))
    assert response.status_code == status, response.text
    if status == 422:
        assert query.split("=")[0] in response.json()["detail"]


def test_the_openapi_document_validates_and_declares_bearer_errors(world: World) -> None:
    schema = schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", create_app(world.settings, world.database)
    )
    schema.validate()
    document: dict[str, Any] = world.client().get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/feed/block-changes" in document["paths"]
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    assert "401" in document["paths"]["/api/v1/conflicts"]["get"]["responses"]


def test_schemathesis_finds_no_server_error_on_any_operation(world: World) -> None:
    """Property-based: schema-conforming requests to every operation, as an admin and as an agency viewer."""
    schema = schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", create_app(world.settings, world.database)
    )
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 12
    failures: list[str] = []
    calls: list[str] = []

    @given(data=st.data())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def exercise(operation: Any, data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        for who in ("admin", "viewer"):
            response = case.call(headers=_auth(world, who))
            calls.append(case.method)
            if response.status_code >= 500:
                failures.append(f"{who}: {case.method} {case.formatted_path} -> {response.status_code}")

    for operation in operations:
        exercise(operation)
    assert failures == []
    assert len(calls) >= 4 * len(operations) and {"GET", "POST"} <= set(calls)
    with world.database.session() as session:  # what the fuzzer decided stays consistent
        assert all(
            a.status in ("waiting", "approved", "rejected") for a in session.scalars(select(PushApproval))
        )
