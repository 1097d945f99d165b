"""The registry mirror at scale, against the sandbox's SIASN simulator over TLS on loopback (issue 16,
item 1), on both backends: a retirement at the source reaches the mirror through the changed-since
listing and through the per-NIP lookup; a full refresh of an unchanged registry writes nothing; a
refresh killed mid-way leaves the mirror consistent and the next one completes it."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection

import sbt_sync.ingest.registry as registry_module
from connectors.http.paging import Page
from connectors.siasn import SiasnClient, SiasnConfig
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, BlockState, Case, SourceCursor
from sbt_sync.ingest.registry import (
    CHANGES_SOURCE,
    DEFERRED_INDEXES,
    REGISTRY_SOURCE,
    first_load_unfinished,
    lookup_registry,
    refresh_mirror,
    refresh_registry,
    refresh_registry_changes,
    registry_row,
    watched_nips,
)
from sbt_sync.sandbox.clock import SandboxClock
from sbt_sync.sandbox.faults import FaultSwitches
from sbt_sync.sandbox.http.control_client import ControlClient
from sbt_sync.sandbox.runtime import Sandbox
from tests.connectors.helpers_sandbox import http_client, siasn_credentials

pytestmark = pytest.mark.integration

COLUMNS = [
    "id",
    "nipBaru",
    "nama",
    "gelarDepan",
    "gelarBelakang",
    "tglLahir",
    "jenisKelamin",
    "jenisPegawai",
    "instansiIndukId",
    "instansiIndukNama",
    "kanregId",
    "kedudukanPnsId",
    "kedudukanPnsNama",
    "jabatanNama",
    "updatedAt",
]
PEOPLE = 23
PAGE = 5
NOW = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def _nip(number: int) -> str:
    return f"1980{number % 12 + 1:02d}01200501{1 + number % 2}{number + 1:03d}"


NIPS = [_nip(number) for number in range(PEOPLE)]
RETIRES = NIPS[7]


def _updated(number: int) -> str:
    """Spread over days before NOW, with ties (three rows share each instant) for the paging."""
    return (NOW - timedelta(days=30 - number // 3)).astimezone(UTC).isoformat()


def _write_registry(path: Path) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for number, nip in enumerate(NIPS):
        birth = f"{nip[6:8]}-{nip[4:6]}-{nip[0:4]}"
        gender = "F" if nip[14] == "2" else "M"
        writer.writerow(
            [
                f"{number + 1:032x}",
                nip,
                f"ASN NOMOR {number}",
                "",
                "S.Sos.",
                birth,
                gender,
                "PNS",
                "ID-SAMPANG",
                "Pemerintah Kabupaten Sampang",
                "II",
                "01",
                "Aktif",
                # COPY's text format escapes these; the mirror must hold them as listed.
                "Analis \\ Kepegawaian\tMuda\nII" if number == 4 else "Analis",
                _updated(number),
            ]
        )
    path.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    data = tmp_path / "data"
    (data / "http").mkdir(parents=True)
    (data / "sftp").mkdir()
    _write_registry(data / "registry.csv.gz")
    for source in ("bawaslu", "bkn_wasdal", "idis"):
        (data / "http" / f"{source}.jsonl").write_text("", encoding="utf-8")
    with Sandbox(
        data,
        state_dir=tmp_path / "state",
        clock=SandboxClock(NOW, frozen=True),
        faults=FaultSwitches(seed=3),
        sftp=False,
    ) as running:
        yield running


@pytest.fixture
def client(box: Sandbox) -> Iterator[SiasnClient]:
    config = SiasnConfig(box.endpoints.siasn_base_url, siasn_credentials(box), registry_page_size=PAGE)
    siasn = SiasnClient(config, http=http_client(box))
    yield siasn
    siasn.close()


def _retire(box: Sandbox, nip: str) -> None:
    """SIASN records a retirement an hour after NOW, stamped with its own clock."""
    box.clock.set(NOW + timedelta(hours=1), frozen=True)
    ControlClient(box.endpoints.control_url).post(
        f"/siasn/registry/{nip}", {"set": {"kedudukanPnsId": "99", "kedudukanPnsNama": "Pensiun"}}
    )


def _status(database: Database, nip: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(AsnRegistryEntry.status_id).where(AsnRegistryEntry.nip == nip))


def _mirror(database: Database) -> dict[str, tuple[Any, ...]]:
    """Every mirrored row's values but ``refreshed_at``, by NIP."""
    names = [c.name for c in AsnRegistryEntry.__table__.columns if c.name != "refreshed_at"]
    with database.session() as session:
        rows = session.execute(select(*(getattr(AsnRegistryEntry, n) for n in names))).all()
    return {row.nip: tuple(row) for row in rows}


def _source_rows(client: SiasnClient) -> dict[str, tuple[Any, ...]]:
    """What the mirror must hold: every listed row as ``registry_row`` makes it."""
    names = [c.name for c in AsnRegistryEntry.__table__.columns if c.name != "refreshed_at"]
    rows = [registry_row(item) for page in client.registry_pages() for item in page.items]
    return {row["nip"]: tuple(row[n] for n in names) for row in rows}


def test_the_changed_since_listing_pages_through_ties_once_in_change_order(
    box: Sandbox, client: SiasnClient
) -> None:
    since = datetime.fromisoformat(_updated(10))  # rows 9.. share instants three by three
    pages = list(client.registry_changes(since))
    listed = [item["nipBaru"] for page in pages for item in page.items]
    assert listed == NIPS[9:]
    # Each page after the first starts at the last row read (the anchor): 5 + 4 + 4 + 1 rows.
    assert [page.last for page in pages] == [False, False, False, True]
    # Resuming at a page's cursor lists exactly what followed it.
    resumed = [
        item["nipBaru"] for page in client.registry_changes(since, pages[0].cursor) for item in page.items
    ]
    assert resumed == NIPS[9 + PAGE :]

    _retire(box, NIPS[12])
    after = [item["nipBaru"] for page in client.registry_changes(since) for item in page.items]
    assert after == [n for n in NIPS[9:] if n != NIPS[12]] + [NIPS[12]]  # the change comes last
    assert [i["nipBaru"] for p in client.registry_changes(NOW) for i in p.items] == [NIPS[12]]


def test_the_changed_since_cursor_holds_no_digest_of_a_nip(box: Sandbox, client: SiasnClient) -> None:
    """The cursor (stored with the source, shown by `registry status`) anchored on an unsalted SHA-256
    of the last row's NIP: the NIP space is small enough to search, so it named the person. It now
    anchors on SIASN's row id, and resuming still lists exactly what followed."""
    since = datetime.fromisoformat(_updated(10))
    pages = list(client.registry_changes(since))
    digests = {hashlib.sha256(nip.encode()).hexdigest()[:16] for nip in NIPS}
    cursors = [page.cursor or "" for page in pages]
    for cursor in cursors:
        assert not any(written in cursor for written in (*digests, *NIPS)), cursor
    anchored = [json.loads(c)["anchor"] for c in cursors if json.loads(c)["anchor"]]
    assert anchored and not set(anchored) & digests
    resumed = [
        item["nipBaru"] for page in client.registry_changes(since, pages[0].cursor) for item in page.items
    ]
    assert resumed == NIPS[9 + PAGE :]


def test_the_changed_since_listing_refuses_a_cursor_it_did_not_make_and_a_naive_instant(
    client: SiasnClient,
) -> None:
    with pytest.raises(ValueError, match="not a changed-since cursor"):
        list(client.registry_changes(NOW, "12"))
    with pytest.raises(ValueError, match="timezone"):
        list(client.registry_changes(datetime(2025, 1, 1)))  # noqa: DTZ001 - the point of the test
    assert [page.items for page in client.registry_changes(NOW + timedelta(days=1))] == [[]]


def test_a_retirement_reaches_the_mirror_through_the_changed_since_refresh(
    migrated_database: Database, box: Sandbox, client: SiasnClient
) -> None:
    first = refresh_registry(migrated_database, client.registry_pages)
    assert (first.new, first.completed) == (PEOPLE, True)
    _retire(box, RETIRES)

    result = refresh_registry_changes(migrated_database, client.registry_changes)

    assert _status(migrated_database, RETIRES) == "99"
    assert (result.changed, result.new, result.completed) == (1, 0, True)
    assert dict(result.case_changes) == {"kedudukan": 1}
    # Only the rows changed since the mirror's latest updatedAt (less the overlap) were read: the
    # two rows of that instant (rows 21 and 22), unchanged, and the retirement.
    assert (result.fetched, result.unchanged) == (3, 2)
    with migrated_database.session() as session:
        stored = session.get(SourceCursor, CHANGES_SOURCE)
        assert stored is not None and stored.cursor is None
        assert stored.watermark == NOW + timedelta(hours=1)

    again = refresh_registry_changes(migrated_database, client.registry_changes)
    assert (again.fetched, again.unchanged, again.changed) == (1, 1, 0)
    assert _mirror(migrated_database) == _source_rows(client)


def test_a_retirement_reaches_the_mirror_through_the_per_nip_lookup(
    migrated_database: Database, box: Sandbox, client: SiasnClient
) -> None:
    refresh_registry(migrated_database, client.registry_pages)
    unknown = "197001011990031999"
    with migrated_database.session() as session:
        for nip in (RETIRES, unknown):
            session.add(BlockState(nip=nip, blocked=True, case_ids=[1], reason="test"))
        session.add(BlockState(nip=NIPS[3], blocked=False, case_ids=[], reason="unblocked"))
    _retire(box, RETIRES)
    with migrated_database.session() as session:
        watched = watched_nips(session)
    assert watched == sorted([RETIRES, unknown])

    result = lookup_registry(migrated_database, client.data_utama, watched)

    assert _status(migrated_database, RETIRES) == "99"
    assert (result.fetched, result.changed, result.not_found) == (1, 1, 1)
    assert dict(result.case_changes) == {"kedudukan": 1}


def test_a_full_refresh_of_an_unchanged_registry_writes_nothing(
    migrated_database: Database, client: SiasnClient
) -> None:
    refresh_registry(migrated_database, client.registry_pages)
    before = _mirror(migrated_database)
    statements: list[str] = []

    def record(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        # On SQLite each page's transaction takes the write lock first with an UPDATE of no row.
        if not statement.rstrip().endswith("WHERE 0"):
            statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(migrated_database.engine, "before_cursor_execute", record)
    try:
        result = refresh_registry(migrated_database, client.registry_pages)
    finally:
        event.remove(migrated_database.engine, "before_cursor_execute", record)

    assert (result.unchanged, result.new, result.changed, result.completed) == (PEOPLE, 0, 0, True)
    assert set(statements) <= {"SELECT", "BEGIN", "COMMIT", "ROLLBACK"}, statements
    assert _mirror(migrated_database) == before


def test_a_killed_refresh_leaves_the_mirror_consistent_and_the_next_one_completes(
    migrated_database: Database, client: SiasnClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Killed while fetching the third page: the two pages before it are in, with their position.
    def killed_after_two(cursor: str | None) -> Iterator[Page]:
        for page in client.registry_pages(cursor):
            if page.number == 3:
                raise RuntimeError("killed")
            yield page

    postgres = migrated_database.dialect == "postgresql"
    built = _index_definitions(migrated_database)
    with pytest.raises(RuntimeError, match="killed"):
        refresh_registry(migrated_database, killed_after_two)
    assert set(_mirror(migrated_database)) == set(NIPS[: 2 * PAGE])
    # A first load on PostgreSQL writes without the secondary indexes: still missing, so the next
    # refresh (the asset's, the CLI's) is a full pass that continues the load.
    with migrated_database.session() as session:
        assert first_load_unfinished(session) is postgres
    if postgres:
        assert set(_index_definitions(migrated_database)) == set(built) - set(DEFERRED_INDEXES)

    # Killed while writing the next page: that page's rows and position roll back together.
    real_flag = registry_module.flag_staged

    def dies(session: Any, nips: Any) -> int:
        real_flag(session, nips)
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr(registry_module, "flag_staged", dies)
    with pytest.raises(RuntimeError, match="killed mid-write"):
        refresh_registry(migrated_database, client.registry_pages)
    monkeypatch.setattr(registry_module, "flag_staged", real_flag)
    assert set(_mirror(migrated_database)) == set(NIPS[: 2 * PAGE])
    with migrated_database.session() as session:
        stored = session.get(SourceCursor, REGISTRY_SOURCE)
        assert stored is not None and stored.cursor == str(2 * PAGE)

    result = refresh_registry(migrated_database, client.registry_pages)

    assert result.completed and result.new == PEOPLE - 2 * PAGE
    assert result.pages == 3  # resumed after the two pages already in
    assert _mirror(migrated_database) == _source_rows(client)
    with migrated_database.session() as session:
        stored = session.get(SourceCursor, REGISTRY_SOURCE)
        assert stored is not None and stored.cursor is None
        assert not first_load_unfinished(session)
    # Built once at the end, exactly as the migrations made them.
    assert _index_definitions(migrated_database) == built


def test_an_index_build_cut_short_is_finished_by_the_next_pass_before_it_reads(
    migrated_database: Database, client: SiasnClient
) -> None:
    if migrated_database.dialect != "postgresql":
        pytest.skip("the first load defers indexes on PostgreSQL only")
    built = _index_definitions(migrated_database)
    refresh_registry(migrated_database, client.registry_pages)
    with migrated_database.session() as session:
        session.execute(text("DROP INDEX ix_asn_registry_name_tail"))  # as if killed while building it
        assert first_load_unfinished(session)

    def unread(cursor: str | None) -> Iterator[Page]:
        raise AssertionError("read: the index must be built before the pass reads a page")
        yield  # pragma: no cover

    with pytest.raises(AssertionError, match="must be built before"):
        refresh_registry(migrated_database, unread)
    assert _index_definitions(migrated_database) == built  # built first, then the pass read on
    again = refresh_registry(migrated_database, client.registry_pages)
    assert (again.unchanged, again.new, again.completed) == (PEOPLE, 0, True)


def _index_definitions(database: Database) -> dict[str, str]:
    """The mirror's indexes as PostgreSQL states them (empty elsewhere)."""
    if database.dialect != "postgresql":
        return {}
    query = text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asn_registry'")
    with database.session() as session:
        return {str(name): str(definition) for name, definition in session.execute(query).tuples()}


def test_the_asn_who_matter_now_are_those_of_live_or_held_cases_and_blocks(
    migrated_database: Database,
) -> None:
    statuses = {
        "aduan": False,
        "menunggu_verifikasi": False,
        "menunggu_tindak_lanjut_ppk": False,
        "dijatuhi_hukuman": False,
        "asn_berhenti": False,  # a departure SIASN may yet correct
        "tidak_terbukti": False,
        "ditolak": True,  # done with, but held: a steward still has to look
        "dibatalkan": False,
    }
    with migrated_database.session() as session:
        for number, (status, held) in enumerate(statuses.items()):
            session.add(
                Case(
                    case_key=f"K-{number}",
                    status=status,
                    nip=NIPS[number],
                    held=held,
                    golden={},
                    content_hash="x",
                )
            )
        session.add(Case(case_key="K-none", status="aduan", nip=None, golden={}, content_hash="x"))
        session.add(BlockState(nip=NIPS[20], blocked=True, case_ids=[], reason="blocked"))
        session.add(BlockState(nip=NIPS[21], blocked=False, case_ids=[], reason="unblocked"))
    with migrated_database.session() as session:
        watched = watched_nips(session)
    assert watched == sorted([*NIPS[0:5], NIPS[6], NIPS[20]])


def test_one_refresh_loads_an_empty_mirror_whole_then_reads_changes_and_the_asn_who_matter(
    migrated_database: Database, box: Sandbox, client: SiasnClient
) -> None:
    """What the asn_registry asset and ``sbt-sync registry refresh`` run, with the rows read reported
    as they come (the CLI's progress bar)."""
    heard: list[int] = []
    first = refresh_mirror(migrated_database, client, on_rows=heard.append)
    assert list(first) == ["full"] and first["full"].new == PEOPLE
    assert heard == sorted(heard) and heard[-1] == PEOPLE

    with migrated_database.session() as session:
        session.add(BlockState(nip=RETIRES, blocked=True, case_ids=[1], reason="test"))
    _retire(box, RETIRES)
    heard.clear()
    second = refresh_mirror(migrated_database, client, on_rows=heard.append)

    assert list(second) == ["changes", "lookup"]
    assert second["changes"].changed == 1 and second["lookup"].fetched == 1
    assert _status(migrated_database, RETIRES) == "99"
    assert heard[-1] == second["changes"].fetched + 1  # the changed rows, then one lookup
    again = refresh_mirror(migrated_database, client, changed_since=False)
    assert list(again) == ["lookup"] and again["lookup"].changed == 0
    forced = refresh_mirror(migrated_database, client, full=True)
    assert list(forced) == ["full"] and (forced["full"].unchanged, forced["full"].changed) == (PEOPLE, 0)
