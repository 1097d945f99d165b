"""A link-correction preview records a read of everyone it names, on every face (both backends).

DESIGN.md: every read of an ASN's personal data by a person is recorded (who, when, channel, hashed
NIPs). A preview names the people whose block flag would flip, by name and masked NIP. Before, the
console, the API and the CLI recorded only the full NIPs present in what they showed (a masked NIP is
not one), so on the preview of assigning Budi's recommendation to Siti only Siti (the NIP typed) was
recorded and Budi, named as the one to be unblocked, was not; the preview of undoing that correction
recorded nobody at all. Now the consequence carries the full NIPs of the people it names (never shown,
nor in its fingerprint) and each face records them.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.console.users import create_token
from sbt_sync.db.models import PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.pdp.access import access_key, nip_hash, os_user
from sbt_sync.steward.links import CorrectionRequest, correct_link
from tests.conftest import REPO_ROOT
from tests.console.test_link_pages import Desk, _preview_url, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import (
    NIP_A,
    NIP_B,
    project_settings,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.integration


def _last_read(at: Desk) -> int:
    with at.database.session() as session:
        return session.scalar(select(func.max(PersonalDataAccess.id))) or 0


def _read_by(at: Desk, after: int, who: str, channel: str) -> set[str]:
    """The NIP hashes recorded as read by ``who`` through ``channel`` since access ``after``."""
    with at.database.session() as session:
        return set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash)
                .join(PersonalDataAccess, PersonalDataAccess.id == PersonalDataAccessNip.access_id)
                .where(
                    PersonalDataAccess.id > after,
                    PersonalDataAccess.who == who,
                    PersonalDataAccess.channel == channel,
                )
            )
        )


def _hashes(at: Desk, *nips: str) -> set[str]:
    key = access_key(at.settings)
    return {nip_hash(key, nip) for nip in nips}


def _assigned_to_siti(at: Desk) -> int:
    """Budi's recommendation assigned to Siti (recorded, not yet applied): undoing it would block Budi
    again and unblock Siti."""
    return correct_link(
        at.database, CorrectionRequest("assign_person", at.recommendation, target_nip=NIP_B),
        reason="SK PPK menyebut Siti Aminah", actor="steward",
    )  # fmt: skip


def test_the_console_previews_record_everyone_whose_flag_would_flip(desk: Desk) -> None:  # noqa: F811
    steward = desk.login("steward")
    case = desk.case_of(desk.recommendation)
    at = _preview_url(desk, steward)
    before = _last_read(desk)
    page = steward.get(at)
    assert page.status_code == 200 and "BUDI SANTOSO" in page.text and "SITI AMINAH" in page.text
    assert NIP_A not in page.text  # Budi is shown masked, by name: a read of his data all the same
    assert _read_by(desk, before, "steward", "console") == _hashes(desk, NIP_A, NIP_B)

    correction = _assigned_to_siti(desk)
    before = _last_read(desk)
    undo = steward.get(f"/cases/{case}/corrections/{correction}/undo")
    assert undo.status_code == 200 and "BUDI SANTOSO" in undo.text and "SITI AMINAH" in undo.text
    assert _read_by(desk, before, "steward", "console") == _hashes(desk, NIP_A, NIP_B)


def test_the_api_previews_record_everyone_whose_flag_would_flip(desk: Desk) -> None:  # noqa: F811
    token, _ = create_token(desk.database, "steward", name="script", actor="test")
    api = desk.login("steward")
    api.cookies.clear()
    api.headers["Authorization"] = f"Bearer {token}"
    body = {"kind": "assign_person", "record": desk.recommendation, "target_nip": NIP_B}
    before = _last_read(desk)
    answer = api.post("/api/v1/links/preview", json=body)
    assert answer.status_code == 200, answer.text
    assert {c["name"] for c in answer.json()["flag_changes"]} == {"BUDI SANTOSO", "SITI AMINAH"}
    assert NIP_A not in answer.text and "people" not in answer.json()
    assert _read_by(desk, before, "steward", "api") == _hashes(desk, NIP_A, NIP_B)

    correction = _assigned_to_siti(desk)
    before = _last_read(desk)
    undo = api.get(f"/api/v1/links/{correction}/undo")
    assert undo.status_code == 200, undo.text
    assert NIP_A not in undo.text and NIP_B not in undo.text
    assert _read_by(desk, before, "steward", "api") == _hashes(desk, NIP_A, NIP_B)


def test_the_cli_previews_record_everyone_whose_flag_would_flip(desk: Desk) -> None:  # noqa: F811
    runner = CliRunner(env={"SBT_DATABASE_URL": desk.database.url})
    config = ["--config", str(REPO_ROOT / "sbt.yaml"), "links"]
    as_of = ["--as-of", "2025-01-20"]
    correction = _assigned_to_siti(desk)
    before = _last_read(desk)
    undo = [*config, "undo", str(correction), "--reason", "salah pilih", *as_of, "--json"]
    shown = runner.invoke(app, undo)
    assert shown.exit_code == 0, shown.output
    read = json.loads(shown.output)
    assert len(read["consequence"]["flag_changes"]) == 2 and "people" not in read["consequence"]
    assert NIP_A not in shown.output and NIP_B not in shown.output  # masked
    assert _read_by(desk, before, os_user(), "cli") == _hashes(desk, NIP_A, NIP_B)
