"""A long candidate list through the CLI and the API is paged as the console pages it (25 at a time,
narrowed by birth date, instansi or Kanreg), and only the page returned is recorded as read (both
backends). Before: ``conflicts show`` and ``GET /api/v1/conflicts/{id}`` returned every candidate (up
to 500 namesakes' personal data at once) and recorded them all as read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.models import PersonalDataAccess, PersonalDataAccessNip
from tests.console.conftest import World
from tests.console.identity_world import seed_namesake_crowd

pytestmark = pytest.mark.integration


def _last_read(world: World) -> tuple[str, int]:
    """The channel of the latest recorded read and how many NIPs it names."""
    with world.database.session() as session:
        latest = session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc())).first()
        assert latest is not None
        nips = session.scalars(
            select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == latest.id)
        ).all()
        return latest.channel, len(nips)


def test_the_cli_shows_a_long_candidate_list_a_page_at_a_time_and_records_only_that_page(
    world: World, project_dir: Path
) -> None:
    conflict, nips = seed_namesake_crowd(world.database, 60)
    runner = CliRunner(env={"SBT_DATABASE_URL": world.database.url})
    show = ["--config", str(project_dir / "sbt.yaml"), "conflicts", "show", str(conflict)]
    first = runner.invoke(app, [*show, "--json"])
    assert first.exit_code == 0, first.output
    shown = json.loads(first.output)
    assert [c["nip"] for c in shown["candidates"]] == nips[:25]
    page = shown["candidate_page"]
    assert (page["offered"], page["matching"], page["page"], page["pages"]) == (60, 60, 1, 3)
    assert _last_read(world) == ("cli", 25)
    last = json.loads(runner.invoke(app, [*show, "--json", "--page", "3"]).output)
    assert [c["nip"] for c in last["candidates"]] == nips[50:]
    assert _last_read(world) == ("cli", 10)
    born = json.loads(runner.invoke(app, [*show, "--json", "--birth", "1971"]).output)
    assert {c["nip"] for c in born["candidates"]} == {nip for nip in nips if nip.startswith("1971")}
    assert born["candidate_page"]["matching"] == 3
    text = runner.invoke(app, [*show, "--kanreg", "IV", "--page", "2"])
    assert text.exit_code == 0, text.output
    assert "candidates 26-30 of 30 (of 60 offered), page 2 of 2" in text.output
    assert sum(nip in text.output for nip in nips) == 5


def test_the_api_returns_a_long_candidate_list_a_page_at_a_time_and_records_only_that_page(
    world: World,
) -> None:
    conflict, nips = seed_namesake_crowd(world.database, 60)
    client = world.client()
    headers = {"Authorization": f"Bearer {world.tokens['steward']}"}
    first = client.get(f"/api/v1/conflicts/{conflict}", headers=headers).json()
    assert [c["nip"] for c in first["candidates"]] == nips[:25]
    assert first["candidate_page"]["pages"] == 3 and first["candidate_page"]["offered"] == 60
    assert _last_read(world) == ("api", 25)
    second = client.get(f"/api/v1/conflicts/{conflict}", params={"page": 2}, headers=headers).json()
    assert [c["nip"] for c in second["candidates"]] == nips[25:50]
    place = client.get(f"/api/v1/conflicts/{conflict}", params={"instansi": "kab07"}, headers=headers).json()
    assert len(place["candidates"]) == 1 and place["candidate_page"]["matching"] == 1
    assert _last_read(world) == ("api", 1)
