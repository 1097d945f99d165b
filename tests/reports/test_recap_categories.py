"""Each recap column means what its words say (DOMAIN.md: "147 not followed up; 121 in process; 26
blocked and 8 unblocked, by Kanreg"), on both backends: a case whose ASN left service is not one the
PPK left undone; "Diblokir" and "Dibuka blokirnya" count what SIASN acknowledged, by Kanreg; a
sanction dated after the recap's day is not yet one, as enforcement at that day sees it; and the
dashboard says what ``sbt-sync report recap`` says."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert, update
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case
from sbt_sync.enforce import decide_case, run_enforcement
from sbt_sync.enforce.load import load_cases
from sbt_sync.ingest.registry import registry_row
from sbt_sync.reports.recap import COLUMNS, TOTAL, build_recap
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.settings import EnforcementSettings
from sbt_sync.steward.dashboard import build_dashboard
from tests.enforce.rows import add_case, nip
from tests.push.conftest import pusher
from tests.reconcile.test_probe_corrections_siasn import siasn  # noqa: F401
from tests.support.registry import registry_item

POLICY = EnforcementSettings()
BLOCK_DAY = date(2024, 12, 25)
"""The rows' cases are recommended on 1 Dec 2024: pemblokiran due 25 Dec."""


def _totals(database: Database, as_of: date | None = None) -> dict[str, int]:
    counts = build_recap(database, as_of=as_of).events[TOTAL].counts
    return {column: counts[column] for column in COLUMNS}


def _enforce(database: Database, day: date) -> None:
    with database.session() as session:
        run_enforcement(session, POLICY, day)


def test_a_proven_case_whose_asn_left_service_is_not_counted_as_not_followed_up(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        add_case(session, "LEFT", nip(1), status="asn_berhenti")
        add_case(session, "OPEN", nip(2))
        add_case(session, "DONE", nip(3), sanction_date=date(2024, 12, 5))
        item = {**registry_item(nip(4), "ASN 4"), "kedudukanPnsId": "99"}  # pensiun (registry)
        session.execute(insert(AsnRegistryEntry), [registry_row(item)])
        add_case(session, "RETIRED", nip(4))

    counts = _totals(migrated_database, date(2025, 1, 20))

    assert (counts["not_followed_up"], counts["left_service"], counts["sanctioned"]) == (1, 2, 1), counts
    assert counts["recommended"] == (
        counts["sanctioned"] + counts["not_followed_up"] + counts["left_service"] + counts["annulled"]
    )


def test_a_sanction_dated_after_the_recap_day_is_not_yet_one_as_enforcement_sees_it(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:
        add_case(session, "LATE-SK", nip(1), sanction_date=date(2025, 2, 1))
        (case,) = load_cases(session)
    before, after = date(2025, 1, 20), date(2025, 2, 1)

    assert decide_case(case, POLICY, before).stage == "diblokir"  # still escalated then
    assert (
        _totals(migrated_database, before)["sanctioned"],
        _totals(migrated_database, before)["not_followed_up"],
    ) == (
        0,
        1,
    )
    assert decide_case(case, POLICY, after).stage == "dijatuhi_hukuman"
    assert _totals(migrated_database, after)["sanctioned"] == 1


@pytest.mark.integration
def test_blocked_and_unblocked_count_what_siasn_acknowledged_by_kanreg(
    migrated_database: Database,
    siasn: Sandbox,  # noqa: F811
) -> None:
    database = migrated_database
    with database.session() as session:
        add_case(session, "CASE-A", nip(1))
        session.execute(update(Case).values(kanreg_id="II"))

    _enforce(database, BLOCK_DAY)  # the block is queued, not sent
    queued = build_recap(database).events[TOTAL]
    assert (queued.counts["blocked"], queued.counts["blocked_nips"], dict(queued.blocks_by_kanreg)) == (
        0,
        0,
        {},
    )

    pusher(database, siasn).run()
    sent = build_recap(database).events[TOTAL]
    assert (sent.counts["blocked"], sent.counts["blocked_nips"], dict(sent.blocks_by_kanreg)) == (
        1,
        1,
        {"II": 1},
    )
    assert sent.counts["unblocked"] == 0

    with database.session() as session:  # the PPK imposes the sanction
        session.execute(
            update(Case).values(
                sanction_imposed="22", sanction_date=date(2025, 1, 5), status="dijatuhi_hukuman"
            )
        )
    _enforce(database, date(2025, 1, 10))  # the unblock is queued: SIASN still blocks him
    waiting = build_recap(database).events[TOTAL]
    assert (waiting.counts["blocked"], waiting.counts["unblocked"]) == (1, 0)

    pusher(database, siasn).run()
    lifted = build_recap(database).events[TOTAL]
    assert (lifted.counts["blocked"], lifted.counts["blocked_nips"], lifted.counts["unblocked"]) == (0, 0, 1)
    assert (dict(lifted.blocks_by_kanreg), dict(lifted.unblocks_by_kanreg)) == ({}, {"II": 1})
    assert lifted.counts["sanctioned"] == 1 and lifted.counts["not_followed_up"] == 0


def test_a_block_and_unblock_recorded_in_the_history_but_never_sent_count_as_neither(
    migrated_database: Database,
) -> None:
    with migrated_database.session() as session:  # first seen after its block day, sanctioned since
        add_case(session, "CASE-A", nip(1), sanction_date=date(2025, 1, 5))
    _enforce(migrated_database, date(2025, 1, 10))  # records pemblokiran 25 Dec, buka_blokir 5 Jan

    counts = _totals(migrated_database)

    assert (counts["blocked"], counts["unblocked"], counts["sanctioned"]) == (0, 0, 1)


def test_the_dashboard_and_the_cli_recap_agree(migrated_database: Database, tmp_path: Path) -> None:
    with migrated_database.session() as session:
        add_case(session, "LEFT", nip(1), status="asn_berhenti")
        add_case(session, "OPEN", nip(2))
        add_case(session, "LATE-SK", nip(3), sanction_date=date(2025, 2, 1))
    _enforce(migrated_database, date(2025, 1, 20))
    config = tmp_path / "sbt.yaml"
    config.write_text(f"database:\n  url: {migrated_database.url}\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["--config", str(config), "report", "recap", "--format", "json"])
    earlier = CliRunner().invoke(
        app, ["--config", str(config), "report", "recap", "--format", "json", "--as-of", "2025-01-20"]
    )

    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert cli == build_dashboard(migrated_database).recap.as_dict()  # both count at today
    total = cli["events"][TOTAL]
    assert (total["not_followed_up"], total["left_service"], total["sanctioned"]) == (1, 1, 1)
    assert earlier.exit_code == 0, earlier.output
    before = json.loads(earlier.output)
    assert before["as_of"] == "2025-01-20"  # the sanction dated 1 Feb 2025 is not one yet
    total = before["events"][TOTAL]
    assert (total["not_followed_up"], total["left_service"], total["sanctioned"]) == (2, 1, 0)
