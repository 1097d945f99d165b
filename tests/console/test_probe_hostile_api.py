"""Hostile callers of the JSON API (acceptance probe, both backends).

JSON may carry text no database stores: a lone UTF-16 surrogate (``"\\ud800"``) is valid JSON but not
Unicode, and neither psycopg2 nor sqlite3 can encode it. Every text field of every write is refused
with a 422 before it reaches the database, whether the field is required or optional.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sbt_sync.db.models import AuditEntry, Conflict
from tests.console.conftest import World

LONE = "\\ud800"
"""A lone high surrogate as JSON writes it (the request body is sent exactly so, not re-encoded)."""


def _writes(world: World) -> list[tuple[str, str]]:
    a, row, record = world.ids["conflict_a"], world.ids["quarantine_a"], world.ids["staged_a"]
    return [
        (f"/api/v1/conflicts/{a}/assign", f'{{"assignee": "steward{LONE}"}}'),
        (f"/api/v1/conflicts/{a}/resolve", f'{{"value": "H1", "reason": "r{LONE}"}}'),
        (f"/api/v1/conflicts/{a}/resolve", f'{{"value": "H1{LONE}", "reason": "r"}}'),
        (f"/api/v1/quarantine/{row}/status", f'{{"status": "ignored", "reason": "{LONE}"}}'),
        ("/api/v1/links/preview", f'{{"kind": "assign_person", "record": {record}, "target_nip": "{LONE}"}}'),
        ("/api/v1/links", f'{{"kind": "split", "record": {record}, "reason": "{LONE}"}}'),
        (f"/api/v1/conflicts/{a}/reopen", f'{{"reason": "{LONE}"}}'),
        # the searches that post their terms (a NIP, a name, a birth date never in a URL) refuse it too
        ("/api/v1/cases/search", f'{{"q": "CASE{LONE}"}}'),
        ("/api/v1/registry/search", f'{{"name": "Budi{LONE}"}}'),
        (f"/api/v1/conflicts/{a}/candidates", f'{{"birth": "19{LONE}"}}'),
    ]


@pytest.mark.parametrize("index", range(10))
def test_a_lone_surrogate_in_any_json_text_is_a_422_and_changes_nothing(world: World, index: int) -> None:
    path, body = _writes(world)[index]
    client = world.client()
    headers = {"Authorization": f"Bearer {world.tokens['steward']}", "Content-Type": "application/json"}
    with world.database.session() as session:
        audited = len(session.scalars(select(AuditEntry.id)).all())
    response = client.post(path, content=body.encode(), headers=headers)
    assert response.status_code == 422, (path, response.status_code, response.text[:300])
    with world.database.session() as session:
        assert len(session.scalars(select(AuditEntry.id)).all()) == audited
        conflict = session.get(Conflict, world.ids["conflict_a"])
        assert conflict is not None and conflict.status == "open" and conflict.claimed_by_id is None
