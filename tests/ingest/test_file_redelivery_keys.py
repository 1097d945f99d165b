"""A corrected SFTP file re-delivered with rows inserted, moved, damaged or cut short, run through a
real SFTP server, reconciliation and enforcement: a row keeps its key wherever it moves
(``ingest/file_keys.py``), so a steward's decision stays with its row and nothing flaps; a row the
re-delivery could not read never withdraws the last good rows of the file."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from connectors.sftp import SftpReader, SftpSettings
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    BlockState,
    Case,
    Conflict,
    OutboxEntry,
    RawRecord,
    StagedRecord,
)
from sbt_sync.enforce.run import run_enforcement
from sbt_sync.ingest.pull import pull_sftp
from sbt_sync.ingest.registry import registry_row
from sbt_sync.ingest.staging import stage_pending
from sbt_sync.reconcile.run import reconcile_database
from sbt_sync.settings import load_settings
from sbt_sync.steward.decisions import resolve_conflict
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT
from tests.ingest.corpus.make_corpus import NIP_A, NIP_B, kasn_csv, kasn_row
from tests.ingest.test_hostile_sftp import source
from tests.sandbox.helpers_sftp import T0, SftpEnv, sftp_env  # noqa: F401 - fixture
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration
KASN = source("/kasn", csv={"delimiter": ";", "encodings": ["utf-8-sig", "cp1252"]}, settle_seconds=0)
NAME = "rekomendasi_2021.csv"
AS_OF = date(2021, 3, 1)  # recommended 14-01-2021: pemblokiran fell due 2021-02-07


def _ingest(env: SftpEnv, database: Database) -> None:
    reader = SftpReader(
        SftpSettings(
            host="127.0.0.1",
            port=env.server.port,
            username=env.server.username,
            private_key_path=env.server.client_key_path,
            known_hosts_path=env.server.known_hosts_path,
        )
    )
    with reader:
        pull_sftp(
            database,
            source="kasn",
            settings=KASN,
            feed=FEEDS["kasn"],
            reader=reader,
            workdir=env.state_dir / "work",
        )
    stage_pending(database, source="kasn", feed=FEEDS["kasn"])


def _cycle(env: SftpEnv, database: Database, as_of: date = AS_OF) -> None:
    settings = load_settings(REPO_ROOT / "sbt.yaml")
    _ingest(env, database)
    reconcile_database(database, settings)
    with database.session() as session:
        run_enforcement(session, settings.enforcement, as_of)


def test_row_inserted_above_keeps_the_stewards_identity_decision_and_the_block(
    sftp_env: SftpEnv,  # noqa: F811
    migrated_database: Database,
) -> None:
    database = migrated_database
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry),
            [
                registry_row(registry_item(NIP_A, "AHMAD FAUZI", "Sleman")),
                registry_row(registry_item(NIP_B, "SITI AMINAH", "Sleman")),
            ],
        )
    # Row 1 names NIP_A under a name the registry does not know: a name_mismatch for a steward.
    ahmad = kasn_row(1, NIP_A, "Bambang Wijaya")
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([ahmad]).encode(), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    _cycle(sftp_env, database)
    with database.session() as session:
        conflict = session.scalars(select(Conflict).where(Conflict.status == "open")).one()
    resolve_conflict(database, conflict.id, value=NIP_A, reason="KTP checked: it is Ahmad", actor="ani")
    _cycle(sftp_env, database)
    with database.session() as session:
        assert session.scalar(select(BlockState.blocked).where(BlockState.nip == NIP_A))
        sent_before = session.scalars(select(OutboxEntry)).all()
        assert [(r.nip, r.action) for r in sent_before] == [(NIP_A, "blokir")]
        sent_before[0].state, sent_before[0].acked_at = "acked", sent_before[0].created_at  # SIASN applied it

    # KASN re-delivers the file with a forgotten row (Siti) above Ahmad's row; Ahmad's row is unchanged.
    siti = kasn_row(2, NIP_B, "Siti Aminah", **{"Nomor Rekomendasi": "B-999/KASN/01/2021"})
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([siti, ahmad]).encode(), T0 + timedelta(hours=2))
    sftp_env.clock.set(T0 + timedelta(hours=3))
    _cycle(sftp_env, database)
    with database.session() as session:
        open_conflicts = session.scalars(select(Conflict).where(Conflict.status == "open")).all()
        held = session.scalars(select(Case.case_key).where(Case.held.is_(True))).all()
        outbox = [(r.nip, r.action) for r in session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))]
    assert open_conflicts == [], "Ahmad's row did not change: the steward's decision must still hold"
    assert held == []
    assert (NIP_A, "buka") not in outbox, "nothing changed for Ahmad: he must not be unblocked"


def test_the_same_rows_in_another_order_give_the_same_golden_case(
    sftp_env: SftpEnv,  # noqa: F811
    migrated_database: Database,
) -> None:
    """One KASN month file holds a recommendation and, further down, its annulment (same number, same
    NIP). The agency re-delivers the file with the same two rows in another order: nothing about the
    case changed, so neither must its result, nor the NIP's block flag."""
    database = migrated_database
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry), [registry_row(registry_item(NIP_A, "AHMAD FAUZI", "Sleman"))]
        )
    proven = kasn_row(1, NIP_A, "Ahmad Fauzi")
    annulled = kasn_row(
        2, NIP_A, "Ahmad Fauzi", Hasil="Dibatalkan", **{"Nomor Rekomendasi": "B-101/KASN/01/2021"}
    )
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([proven, annulled]).encode(), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    _cycle(sftp_env, database, date(2024, 12, 1))
    with database.session() as session:
        first = session.scalars(select(Case)).one()
        first_result = (first.golden.get("verification_result"), first.status)
        first_blocked = session.scalar(select(BlockState.blocked).where(BlockState.nip == NIP_A))

    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([annulled, proven]).encode(), T0 + timedelta(hours=2))
    sftp_env.clock.set(T0 + timedelta(hours=3))
    _cycle(sftp_env, database, date(2024, 12, 1))
    with database.session() as session:
        second = session.scalars(select(Case)).one()
        second_result = (second.golden.get("verification_result"), second.status)
        second_blocked = session.scalar(select(BlockState.blocked).where(BlockState.nip == NIP_A))
    assert (second_result, bool(second_blocked)) == (first_result, bool(first_blocked))


@pytest.mark.parametrize("damage", ["bad_date", "extra_cell"])
def test_a_corrected_file_whose_row_turned_bad_keeps_the_rows_last_good_version(
    sftp_env: SftpEnv,  # noqa: F811
    migrated_database: Database,
    damage: str,
) -> None:
    """The re-delivered file damages Ahmad's row (a broken date, or a stray cell): the row goes to
    quarantine, and, as for any bad row, the last good version stays: his case and block stay."""
    database = migrated_database
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry), [registry_row(registry_item(NIP_A, "AHMAD FAUZI", "Sleman"))]
        )
    good = kasn_row(1, NIP_A, "Ahmad Fauzi")
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([good]).encode(), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    _cycle(sftp_env, database)
    with database.session() as session:
        assert session.scalar(select(BlockState.blocked).where(BlockState.nip == NIP_A))
    bad = (
        kasn_row(1, NIP_A, "Ahmad Fauzi", **{"Tanggal Rekomendasi": "31-02-2021"})
        if damage == "bad_date"
        else [*good, "stray"]
    )
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([bad]).encode(), T0 + timedelta(hours=2))
    sftp_env.clock.set(T0 + timedelta(hours=3))
    _cycle(sftp_env, database)
    with database.session() as session:
        cases = session.scalars(select(Case.case_key)).all()
        blocked = session.scalar(select(BlockState.blocked).where(BlockState.nip == NIP_A))
    assert cases and blocked


def test_a_corrected_file_cut_by_an_unclosed_quote_withdraws_nobody_after_it(
    sftp_env: SftpEnv,  # noqa: F811
    migrated_database: Database,
) -> None:
    database = migrated_database
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry),
            [
                registry_row(registry_item(NIP_A, "AHMAD FAUZI", "Sleman")),
                registry_row(registry_item(NIP_B, "SITI AMINAH", "Sleman")),
            ],
        )
    ahmad, siti = kasn_row(1, NIP_A, "Ahmad Fauzi"), kasn_row(2, NIP_B, "Siti Aminah")
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([ahmad, siti]).encode(), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    _cycle(sftp_env, database)
    with database.session() as session:
        assert {b.nip for b in session.scalars(select(BlockState)) if b.blocked} == {NIP_A, NIP_B}
    text = kasn_csv([ahmad, siti]).replace("Sudah dikirim ke PPK", '"Sudah dikirim ke PPK', 1)
    sftp_env.deliveries.deliver("kasn", NAME, text.encode(), T0 + timedelta(hours=2))
    sftp_env.clock.set(T0 + timedelta(hours=3))
    _cycle(sftp_env, database)
    with database.session() as session:
        blocked = {b.nip for b in session.scalars(select(BlockState)) if b.blocked}
        outbox = [(r.nip, r.action) for r in session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))]
    assert blocked == {NIP_A, NIP_B}
    assert not [action for _, action in outbox if action == "buka"]


def test_a_row_gone_from_a_clean_redelivery_is_withdrawn_and_the_rows_that_moved_are_not(
    sftp_env: SftpEnv,  # noqa: F811
    migrated_database: Database,
) -> None:
    """Removing a row still withdraws it (and unblocks its ASN), while the row after it, now first,
    stays what it was."""
    database = migrated_database
    with database.session() as session:
        session.execute(
            insert(AsnRegistryEntry),
            [
                registry_row(registry_item(NIP_A, "AHMAD FAUZI", "Sleman")),
                registry_row(registry_item(NIP_B, "SITI AMINAH", "Sleman")),
            ],
        )
    ahmad = kasn_row(1, NIP_A, "Ahmad Fauzi")
    siti = kasn_row(2, NIP_B, "Siti Aminah", **{"Nomor Rekomendasi": "B-999/KASN/01/2021"})
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([ahmad, siti]).encode(), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    _cycle(sftp_env, database)
    with database.session() as session:
        keys = dict(session.execute(select(RawRecord.record_key, RawRecord.content_hash)).tuples().all())
    sftp_env.deliveries.deliver("kasn", NAME, kasn_csv([siti]).encode(), T0 + timedelta(hours=2))
    sftp_env.clock.set(T0 + timedelta(hours=3))
    _cycle(sftp_env, database)
    with database.session() as session:
        blocked = {b.nip for b in session.scalars(select(BlockState)) if b.blocked}
        staged = dict(
            session.execute(
                select(StagedRecord.record_key, StagedRecord.withdrawn).where(StagedRecord.source == "kasn")
            )
            .tuples()
            .all()
        )
        after = dict(session.execute(select(RawRecord.record_key, RawRecord.content_hash)).tuples().all())
    assert blocked == {NIP_B}
    assert staged == {f"{NAME}#1": True, f"{NAME}#2": False}
    assert after == keys  # Siti's row kept its key and its content: nothing of hers changed
