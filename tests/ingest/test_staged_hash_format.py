"""The staged hash's text changed in session 23 (orjson, prefixed ``s2:``); rows staged before keep the
earlier hash, on both backends: re-delivering such a record with the same staged content leaves the
row exactly as it was (its hash, its resolved identity, no reconciliation; the steward corrections
based on the row name its hash), and a real change re-stages it under the current hash."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from sbt_sync.db.engine import Database
from sbt_sync.db.models import SourceCursor, StagedRecord
from sbt_sync.ingest.checking import (
    STAGED_HASH_PREFIX,
    Delivered,
    check_delivery,
    legacy_staged_hash,
    same_staged,
    staged_hash,
)
from sbt_sync.ingest.staging import StagingResult
from schemas.feeds import Staged
from tests.ingest.test_bulk_paths import FEED, _ingest, _record


def _staged_record(record: dict[str, object]) -> Staged:
    checked = check_delivery(FEED, [Delivered(str(record["id"]), record, "page 1")]).checked
    (item,) = checked.staged
    return item.record


def _again(database: Database, record: dict[str, object], *, while_landing: bool) -> StagingResult:
    with database.session() as session:
        session.execute(update(SourceCursor).values(cursor=None))
    return _ingest(database, [[record]], while_landing=while_landing)


@pytest.mark.parametrize("while_landing", [True, False], ids=["while-landing", "afterwards"])
def test_a_row_staged_with_the_earlier_hash_stays_as_it_was_until_its_content_changes(
    migrated_database: Database, while_landing: bool
) -> None:
    record = _record(1)
    first = _ingest(migrated_database, [[record]], while_landing=while_landing)
    assert first.staged_new == 1
    legacy = legacy_staged_hash(_staged_record(record))
    with migrated_database.session() as session:  # as staged and resolved before the upgrade
        session.execute(
            update(StagedRecord).values(
                content_hash=legacy,
                needs_reconcile=False,
                resolved_nip="198001012005011001",
                identity_rule="nip_exact",
                identity_score=1.0,
            )
        )

    # The agency re-sends it with a trailing space in the name: a new raw version, the same staged record.
    spaced = _again(migrated_database, {**record, "nama": f"{record['nama']} "}, while_landing=while_landing)
    assert (spaced.staged_new, spaced.staged_changed, spaced.staged_unchanged) == (0, 0, 1)
    with migrated_database.session() as session:
        row = session.scalars(select(StagedRecord)).one()
        assert (row.content_hash, row.needs_reconcile, row.resolved_nip, row.raw_version) == (
            legacy,
            False,
            "198001012005011001",
            2,
        )

    changed = _again(migrated_database, {**record, "hasil": "tidak_terbukti"}, while_landing=while_landing)
    assert (changed.staged_changed, changed.staged_unchanged) == (1, 0)
    with migrated_database.session() as session:
        row = session.scalars(select(StagedRecord)).one()
        assert row.content_hash.startswith(STAGED_HASH_PREFIX) and len(row.content_hash) == 64
        assert (row.needs_reconcile, row.resolved_nip) == (True, None)
        assert row.content_hash == staged_hash(_staged_record({**record, "hasil": "tidak_terbukti"}))


def test_the_hash_is_of_the_content_and_prefixed() -> None:
    one, same, other = _staged_record(_record(1)), _staged_record(_record(1)), _staged_record(_record(2))
    digest = staged_hash(one)
    assert digest == staged_hash(same) != staged_hash(other)
    assert digest.startswith(STAGED_HASH_PREFIX) and len(digest) == 64
    assert same_staged(digest, same, staged_hash(same))
    assert same_staged(legacy_staged_hash(one), same, staged_hash(same))
    assert not same_staged(legacy_staged_hash(other), one, digest)
    # A legacy-looking hash is never compared with a current one's record as legacy when prefixed.
    assert not same_staged(STAGED_HASH_PREFIX + legacy_staged_hash(one)[3:], one, "x")


def test_values_orjson_refuses_hash_through_the_stdlib_text_deterministically() -> None:
    base = _staged_record(_record(1))
    huge = Staged(**{**vars(base), "fields": {**base.fields, "big": 2**70, "odd": "\ud800"}})
    twin = Staged(**{**vars(base), "fields": {**base.fields, "big": 2**70, "odd": "\ud800"}})
    digest = staged_hash(huge)
    assert digest == staged_hash(twin) and digest.startswith(STAGED_HASH_PREFIX)
    assert digest != staged_hash(base)
    dated = Staged(**{**vars(base), "birth_date": date(1980, 1, 1)})
    assert staged_hash(dated) != staged_hash(Staged(**{**vars(base), "birth_date": date(1980, 1, 2)}))
