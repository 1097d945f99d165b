"""A source that serves an older version of a record after a newer one (a lagging replica, a restored
backup, a cache) must not undo what the newer version said: the source's own ``updatedAt`` orders
the versions of a record, and only a feed whose ``source_updated_at`` is such a time
(``versions_by_updated_at``) is ordered by it. Tested through real HTTP on loopback, staging in the
landing transaction, and through ``stage_pending``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from connectors.http.paging import CursorPaginator
from sbt_sync.db.engine import Database
from sbt_sync.db.models import RawRecord, RawRecordVersion, StagedRecord
from sbt_sync.ingest.landing import FetchedRecord, land_batch
from sbt_sync.ingest.pull import pull_http
from sbt_sync.ingest.staging import stage_pending
from schemas.feeds import FEEDS
from tests.ingest.test_hostile_http import (  # noqa: F401 - serve is a fixture
    Answer,
    Handler,
    Loopback,
    client,
    record,
    serve,
)

FEED = FEEDS["bkn_wasdal"]
NEWER = record(1, hasil="tidak_terbukti", updated_at="2024-12-05T09:00:00+07:00")
OLDER = record(1, hasil="terbukti", updated_at="2024-12-02T09:00:00+07:00")


def serving(items: list[dict[str, Any]]) -> Answer:
    def answer(h: Handler, q: dict[str, str]) -> None:
        h.send_json({"items": [dict(item) for item in items], "next_cursor": None})

    return answer


def _pull(database: Database, server: Loopback) -> None:
    with client() as http:
        pull_http(
            database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=CursorPaginator(http, server.url, page_size=10),
        )


def _staged(database: Database) -> list[tuple[str, str | None]]:
    with database.session() as session:
        rows = session.execute(select(StagedRecord.record_key, StagedRecord.fields)).all()
    return [(key, fields.get("verification_result")) for key, fields in rows]


def test_an_older_version_served_after_a_newer_one_does_not_replace_it(
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    items: list[dict[str, Any]] = [NEWER, record(2)]
    server = serve(serving(items))
    _pull(migrated_database, server)
    assert _staged(migrated_database) == [("BKN-00001", "tidak_terbukti"), ("BKN-00002", "terbukti")]

    # The replica lags: the recommendation annulled on 5 Dec comes back as it stood on 2 Dec, while
    # record 2 really changes.
    items[:] = [OLDER, record(2, rekomendasi_sanksi="2", updated_at="2024-12-06T09:00:00+07:00")]
    _pull(migrated_database, server)
    staged = dict(_staged(migrated_database))
    assert staged["BKN-00001"] == "tidak_terbukti"
    with migrated_database.session() as session:
        wasdal2 = session.scalars(select(StagedRecord).where(StagedRecord.record_key == "BKN-00002")).one()
        assert wasdal2.fields.get("recommended_sanction") == "2"
        # The stale version is kept as delivered (raw), only not staged.
        raw = session.scalars(select(RawRecord).where(RawRecord.record_key == "BKN-00001")).one()
        assert '"terbukti"' in raw.payload and raw.version == 2

    # A real change after it (a later updatedAt) is staged as usual.
    items[:] = [record(1, hasil="terbukti", updated_at="2024-12-07T09:00:00+07:00")]
    _pull(migrated_database, server)
    assert dict(_staged(migrated_database))["BKN-00001"] == "terbukti"


def test_a_stale_version_staged_later_is_refused_too(migrated_database: Database) -> None:
    """``stage_pending`` (a batch landed while validation was down) applies the same order."""
    for payload in (NEWER, OLDER):
        with migrated_database.session() as session:
            land_batch(
                session,
                source="bkn_wasdal",
                records=[FetchedRecord("BKN-00001", payload, "page 1")],
                cursor=None,
            )
        result = stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    assert result.stale == 1
    assert _staged(migrated_database) == [("BKN-00001", "tidak_terbukti")]


def test_a_feed_not_ordered_by_its_date_takes_the_latest_delivery() -> None:
    """A complaint's ``tanggal`` dates the complaint, not its last change, and a file's rows carry the
    file's time: those feeds keep "the latest delivery wins"."""
    assert not FEEDS["kemenpanrb"].versions_by_updated_at
    assert not FEEDS["kasn"].versions_by_updated_at
    assert not FEEDS["kemendagri"].versions_by_updated_at
    assert all(FEEDS[name].versions_by_updated_at for name in ("bawaslu", "bkn_wasdal", "idis", "imut"))


@pytest.mark.parametrize("validate", [True, False], ids=["validated-while-landing", "staged-later"])
@pytest.mark.parametrize("order", ["newer-first", "older-first"])
def test_two_versions_of_a_record_in_one_page_stage_the_newer_whichever_comes_first(
    order: str,
    validate: bool,
    serve: Callable[[Answer], Loopback],  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    # The page held the annulment (5 Dec) and, after it, the record as it stood on 2 Dec: the later
    # one in the page won, so the proven result came back and the annulment was lost.
    items = [NEWER, record(2), OLDER] if order == "newer-first" else [OLDER, record(2), NEWER]
    server = serve(serving(items))
    with client() as http:
        pull_http(
            migrated_database,
            source="bkn_wasdal",
            feed=FEED,
            paginator=CursorPaginator(http, server.url, page_size=10),
            validate=validate,
        )
    stage_pending(migrated_database, source="bkn_wasdal", feed=FEED)
    assert dict(_staged(migrated_database)) == {"BKN-00001": "tidak_terbukti", "BKN-00002": "terbukti"}
    with migrated_database.session() as session:
        raw = session.scalars(select(RawRecord).where(RawRecord.record_key == "BKN-00001")).one()
        history = session.scalars(
            select(RawRecordVersion.payload).where(RawRecordVersion.raw_record_id == raw.id)
        ).all()
    # The newer is the record's current version; the older is kept, in its history.
    assert '"tidak_terbukti"' in raw.payload
    assert len(history) == 1 and '"terbukti"' in history[0]
