"""CLI commands whose output names an ASN are reads of personal data (UU 27/2022): each writes one
access-log record (channel ``cli``, the OS user, the keyed hashes of the NIPs it showed), ``--json``
or not. Here the dry runs, whose rows carry case keys (a case key ends in its ASN's NIP), and the
registry search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, OutboxEntry, PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.enforce.outbox import idempotency_key, push_payload
from sbt_sync.ingest.registry import registry_row
from sbt_sync.pdp.access import access_key, nip_hash
from sbt_sync.settings import load_settings
from sbt_sync.states.outbox import PushAction
from tests.enforce.rows import add_case
from tests.support.registry import registry_item

NIP = "198001012005011001"
CASE_KEY = f"PILKADA2024|rec:R-1/KASN/2024|{NIP}"
PERINGATAN_DAY = "2024-12-11"
"""The PPK deadline of a case recommended on 2024-12-01 (``add_case``): its peringatan is due."""


def _pending_push(database: Database) -> None:
    with database.session() as session:
        session.add(
            OutboxEntry(
                idempotency_key=idempotency_key(PushAction.BLOKIR, 1),
                nip=NIP,
                action=PushAction.BLOKIR,
                case_refs=[CASE_KEY],
                payload=push_payload(NIP, PushAction.BLOKIR, [CASE_KEY], ["R-1/KASN/2024"]),
                block_version=1,
            )
        )


@pytest.mark.parametrize("as_json", [True, False])
def test_a_push_dry_run_is_a_recorded_read_of_the_people_it_lists(
    migrated_database: Database, project_dir: Path, as_json: bool
) -> None:
    _pending_push(migrated_database)
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url})
    command = ["--config", str(project_dir / "sbt.yaml"), "push", "run", "--dry-run"]
    shown = runner.invoke(app, [*command, "--json"] if as_json else command)
    assert shown.exit_code == 0, shown.output
    if as_json:
        assert json.loads(shown.stdout)["rows"][0]["cases"] == [CASE_KEY]  # the NIP is in the case key
    else:
        assert CASE_KEY in shown.stdout
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    with migrated_database.session() as session:
        reads = session.scalars(select(PersonalDataAccess)).all()
        hashes = set(session.scalars(select(PersonalDataAccessNip.nip_hash)))
    assert [(r.channel, r.kind, r.target) for r in reads] == [("cli", "asn", "sbt-sync push run")]
    assert hashes == {nip_hash(access_key(settings), NIP)}


def test_a_letters_draft_dry_run_is_a_recorded_read_of_the_people_it_lists(
    migrated_database: Database, project_dir: Path
) -> None:
    with migrated_database.session() as session:
        add_case(session, CASE_KEY, NIP).instansi_id = "A1"
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url})
    config = ["--config", str(project_dir / "sbt.yaml")]
    enforced = runner.invoke(app, [*config, "enforce", "run", "--as-of", PERINGATAN_DAY])
    assert enforced.exit_code == 0, enforced.output
    drafted = runner.invoke(
        app, [*config, "letters", "draft", "--as-of", PERINGATAN_DAY, "--dry-run", "--json"]
    )
    assert drafted.exit_code == 0, drafted.output
    planned = json.loads(drafted.stdout)["planned"]
    assert planned and all(p["cases"] == [CASE_KEY] for p in planned)  # the NIP is in the case key
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    with migrated_database.session() as session:
        reads = session.scalars(
            select(PersonalDataAccess).where(PersonalDataAccess.target == "sbt-sync letters draft")
        ).all()
        assert [(r.channel, r.kind) for r in reads] == [("cli", "letter")]
        hashes = set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == reads[0].id)
            )
        )
    assert hashes == {nip_hash(access_key(settings), NIP)}


@pytest.mark.parametrize("as_json", [True, False])
def test_a_registry_search_is_a_recorded_read_of_the_people_it_finds(
    migrated_database: Database, project_dir: Path, as_json: bool
) -> None:
    """``conflicts search`` shows each ASN found (NIP, name, birth date): a read, as the API's is."""
    with migrated_database.session() as session:
        session.execute(insert(AsnRegistryEntry), [registry_row(registry_item(NIP, "BUDI SANTOSO"))])
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url})
    command = ["--config", str(project_dir / "sbt.yaml"), "conflicts", "search", "--name", "Budi Santoso"]
    shown = runner.invoke(app, [*command, "--json"] if as_json else command)
    assert shown.exit_code == 0, shown.output
    assert NIP in shown.stdout
    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    with migrated_database.session() as session:
        reads = session.scalars(select(PersonalDataAccess)).all()
        hashes = set(session.scalars(select(PersonalDataAccessNip.nip_hash)))
    assert [(r.channel, r.kind, r.target) for r in reads] == [("cli", "search", "sbt-sync conflicts search")]
    assert hashes == {nip_hash(access_key(settings), NIP)}
    assert "BUDI" not in json.dumps([r.filter for r in reads])  # the terms are not kept, the NIPs found are
