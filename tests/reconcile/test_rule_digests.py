"""Stored names and identities computed under rules that changed since are recomputed by the next
reconciliation, without anyone running ``reconcile run --full`` (``sbt_sync.reconcile.rules``).

The scenario is an upgrade: the registry mirror kept a name as an older normaliser wrote it, or
``sbt.yaml`` tightened the name-mismatch threshold. Before, the stale value stayed until someone
remembered a full run: a needless ``name_mismatch`` hold lifted a block, or a stricter threshold was
never applied to identities already linked.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from connectors.http.paging import Page
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, Conflict, RuleDigest, StagedRecord
from sbt_sync.enforce.load import load_cases
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.ingest.registry import refresh_registry
from sbt_sync.reconcile.identity.resolve import IdentityThresholds
from sbt_sync.reconcile.rules import (
    IDENTITY,
    REGISTRY_NAMES,
    STAGED_NAMES,
    identity_digest,
    record,
    record_registry_names,
    stored_digests,
)
from sbt_sync.reconcile.run import ReconcileStats, reconcile_database
from sbt_sync.settings import Settings, load_settings
from sbt_sync.states.conflicts import ConflictStatus
from schemas.names import normalise_name, rules_digest
from tests.conftest import REPO_ROOT
from tests.reconcile.test_database_property import AS_OF, NIP_A, T0, _reset
from tests.reconcile.test_identity_names_db import _stage_case as stage_named_case
from tests.support.registry import registry_item

REGISTERED = "Drs. H. BUDI SANTOSO, S.E., M.M."
"""A registry name with its titles written into ``nama`` (older SIASN rows do this)."""
STALE = "DRS H BUDI SANTOSO S E M M"
"""What a normaliser that knew none of those titles kept for it."""
OLD_RULES = "0" * 64


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO_ROOT / "sbt.yaml", env={})


def _stage_case(database: Database, written_name: str) -> None:
    """``test_identity_names_db``'s finding and recommendation, both writing ``NIP_A`` and the name,
    its normalisation kept as staging keeps it."""
    stage_named_case(database, written_name)
    with database.session() as session:
        session.execute(
            update(StagedRecord).values(
                nip=NIP_A, nip_raw=NIP_A, name_normalised=normalise_name(written_name)
            )
        )


def _registered_as_before(database: Database) -> None:
    """NIP_A registered under ``REGISTERED``, its name kept as the older rules normalised it, and
    every digest saying the kept values follow older rules."""
    with database.session() as session:
        session.execute(
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip == NIP_A)
            .values(name=REGISTERED, name_normalised=STALE)
        )
        for kind in (REGISTRY_NAMES, STAGED_NAMES, IDENTITY):
            session.merge(RuleDigest(kind=kind, digest=OLD_RULES, applied_at=T0))


def _blocked(database: Database, settings: Settings) -> set[str]:
    with database.session() as session:
        plan = plan_enforcement(load_cases(session), settings.enforcement, AS_OF)
    return {nip for nip, decision in plan.blocks.items() if decision.blocked}


def _rules(database: Database) -> tuple[str | None, str | None]:
    with database.session() as session:
        rule = session.scalars(select(StagedRecord.identity_rule).where(StagedRecord.source == "bkn_wasdal"))
        stored = session.scalar(select(AsnRegistryEntry.name_normalised).where(AsnRegistryEntry.nip == NIP_A))
        return rule.one(), stored


def test_a_registry_name_kept_under_older_rules_is_renormalised_and_blocks_as_the_rules_say(
    migrated_database: Database, settings: Settings
) -> None:
    _reset(migrated_database)
    _registered_as_before(migrated_database)
    _stage_case(migrated_database, "Budi Santoso")
    stats = reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    # Compared with the stale "DRS H BUDI SANTOSO S E M M", the report's "BUDI SANTOSO" was a name
    # mismatch: the case held, its block lifted. Renormalised first, the names agree.
    assert _rules(migrated_database) == ("nip_exact", "BUDI SANTOSO")
    assert stats.rules.stale == [REGISTRY_NAMES, STAGED_NAMES, IDENTITY]
    assert stats.rules.registry_renormalised == 1
    with migrated_database.session() as session:
        assert [case.held for case in session.scalars(select(Case))] == [False]
    assert _blocked(migrated_database, settings) == {NIP_A}
    thresholds = IdentityThresholds.from_settings(settings.identity)
    with migrated_database.session() as session:
        assert stored_digests(session) == {
            REGISTRY_NAMES: rules_digest(),
            STAGED_NAMES: rules_digest(),
            IDENTITY: identity_digest(thresholds),
        }


def test_digests_in_force_renormalise_nothing_and_the_next_run_is_not_full(
    migrated_database: Database, settings: Settings
) -> None:
    _reset(migrated_database)
    _stage_case(migrated_database, "Budi Santoso")
    first = reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    assert first.rules.stale == [REGISTRY_NAMES, STAGED_NAMES, IDENTITY]  # a new database: none stored
    assert (first.rules.registry_renormalised, first.rules.staged_renormalised) == (0, 0)
    assert not first.full  # no identity resolved before: nothing to resolve again
    # A stale value the digest does not know of stays: the check is the digest, not a scan per run.
    with migrated_database.session() as session:
        session.execute(
            update(AsnRegistryEntry).where(AsnRegistryEntry.nip == NIP_A).values(name_normalised=STALE)
        )
    second: ReconcileStats = reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    assert second.rules.stale == []
    assert not second.full
    assert second.staged_changed == 0
    assert _rules(migrated_database)[1] == STALE


def test_staged_names_kept_under_older_rules_are_renormalised(
    migrated_database: Database, settings: Settings
) -> None:
    _reset(migrated_database)
    _stage_case(migrated_database, "Sdr. Budi Santoso, S.S.")
    reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    with migrated_database.session() as session:
        session.execute(update(StagedRecord).values(name_normalised="SDR BUDI SANTOSO S S"))
        session.merge(RuleDigest(kind=STAGED_NAMES, digest=OLD_RULES, applied_at=T0))
    stats = reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    assert stats.rules.stale == [STAGED_NAMES]
    assert stats.rules.staged_renormalised == 2
    assert not stats.full  # the identities' own rules did not move
    with migrated_database.session() as session:
        assert set(session.scalars(select(StagedRecord.name_normalised))) == {"BUDI SANTOSO"}


def test_a_stricter_threshold_in_sbt_yaml_re_resolves_identities_already_linked(
    migrated_database: Database, settings: Settings
) -> None:
    _reset(migrated_database)
    _stage_case(migrated_database, "Budi Santosa")  # one letter off the registered BUDI SANTOSO
    reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    assert _rules(migrated_database)[0] == "nip_exact"
    assert _blocked(migrated_database, settings) == {NIP_A}
    strict = settings.model_copy(
        update={"identity": settings.identity.model_copy(update={"name_mismatch": 0.99})}
    )
    stats = reconcile_database(migrated_database, strict, as_of=AS_OF, now=T0)
    # Nothing was staged anew; before, the linked identity stood until a full run by hand.
    assert stats.rules.stale == [IDENTITY]
    assert stats.full
    assert _rules(migrated_database)[0] == "name_mismatch"
    assert _blocked(migrated_database, strict) == set()


def test_a_first_registry_load_into_an_empty_mirror_records_its_names_rules(
    migrated_database: Database,
) -> None:
    _reset(migrated_database)
    with migrated_database.session() as session:
        session.execute(delete(AsnRegistryEntry))

    def pages(cursor: str | None) -> list[Page]:
        return [Page([registry_item(NIP_A, REGISTERED)], None, 1, True)]

    refresh_registry(migrated_database, pages)
    with migrated_database.session() as session:
        assert stored_digests(session) == {REGISTRY_NAMES: rules_digest()}
        stored = session.scalar(select(AsnRegistryEntry.name_normalised))
    assert stored == "BUDI SANTOSO"


def test_a_refresh_of_a_mirror_that_holds_rows_records_nothing(migrated_database: Database) -> None:
    _reset(migrated_database)  # NIP_A and NIP_B registered, no digest: their names' rules are unknown

    def pages(cursor: str | None) -> list[Page]:
        return [Page([registry_item(NIP_A, "BUDI SANTOSO")], None, 1, True)]

    refresh_registry(migrated_database, pages)
    with migrated_database.session() as session:
        assert stored_digests(session) == {}


def test_an_upgrade_closes_the_needless_name_mismatch_the_old_rules_opened_and_the_block_returns(
    migrated_database: Database, settings: Settings
) -> None:
    _reset(migrated_database)
    _stage_case(migrated_database, "Budi Santoso")
    thresholds = IdentityThresholds.from_settings(settings.identity)
    with migrated_database.session() as session:
        session.execute(
            update(AsnRegistryEntry)
            .where(AsnRegistryEntry.nip == NIP_A)
            .values(name=REGISTERED, name_normalised=STALE)
        )
        # The old code's run: its digests in force, its stale name compared as it stood.
        record(session, thresholds, T0)
        record_registry_names(session, T0)
    reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    assert _rules(migrated_database)[0] == "name_mismatch"
    assert _blocked(migrated_database, settings) == set()
    # The upgrade: the stored digests are the older rules'.
    with migrated_database.session() as session:
        for kind in (REGISTRY_NAMES, STAGED_NAMES, IDENTITY):
            session.merge(RuleDigest(kind=kind, digest=OLD_RULES, applied_at=T0))
    stats = reconcile_database(migrated_database, settings, as_of=AS_OF, now=T0)
    assert stats.full and stats.rules.registry_renormalised == 1
    assert _rules(migrated_database) == ("nip_exact", "BUDI SANTOSO")
    with migrated_database.session() as session:
        open_kinds = list(
            session.scalars(select(Conflict.kind).where(Conflict.status == ConflictStatus.OPEN))
        )
        assert [case.held for case in session.scalars(select(Case))] == [False]
    assert open_kinds == []
    assert _blocked(migrated_database, settings) == {NIP_A}
