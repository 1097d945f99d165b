"""Hostile SFTP deliveries against real servers on loopback (OpenSSH's sshd, and a paramiko server that
lists names no filesystem could hold), landed into both database backends.

Each case: every bad file, row or name is refused or quarantined with a reason naming the file and the
row (or line) and field; every good row is landed; a second run changes nothing and does not fail; no
file outside the source's download folder is written or removed; each case has its own deadline.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.sftp import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    DownloadedFile,
    RemoteFile,
    SftpReader,
    SftpSettings,
    UnsafeName,
    is_in_progress,
    unsafe_name_reason,
)
from connectors.sftp.naming import local_path
from sbt_sync.db.engine import Database
from sbt_sync.db.models import IngestBatch, QuarantinedRow, RawRecord, SftpFile, SourceCursor
from sbt_sync.ingest.files import FileRefused
from sbt_sync.ingest.pull import PullResult, parse_file, pull_sftp
from sbt_sync.settings_sources import SftpSource
from schemas.feeds import FEEDS
from tests.connectors.helpers_sftp import FAST_SFTP_RETRY, OpenSsh, openssh  # noqa: F401 - a fixture
from tests.ingest.helpers_hostile_sftp import hostile_sftp

pytestmark = pytest.mark.integration

HEADER = ",".join(c for c in FEEDS["kemendagri"].model.to_schema().columns if c != "item_no")
HOUR = 3600.0


def row(n: int, nama: str = "Ahmad") -> str:
    return f"R-{n}/2024,198001012005011001,{nama},Kab. Bogor,dalam_proses,,,,01-12-2024"


def csv_bytes(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def jsonl_gz(*lines: bytes) -> bytes:
    return gzip.compress(b"\n".join(lines) + b"\n", mtime=0)


GOOD_GZ = jsonl_gz(b'{"id_pengaduan": "P-1"}', b'{"id_pengaduan": "P-2"}')


def source(directory: str, *, fmt: str = "csv", pattern: str = "*", **extra: object) -> SftpSource:
    return SftpSource.model_validate(
        {
            "kind": "sftp",
            "host": "127.0.0.1",
            "username": "unused",
            "private_key_path_env": "UNUSED",
            "known_hosts": "unused",
            "directory": directory,
            "pattern": pattern,
            "format": fmt,
            **extra,
        }
    )


def reader_for(port: int, username: str, key: Path, known_hosts: Path) -> SftpReader:
    return SftpReader(
        SftpSettings(
            host="127.0.0.1",
            port=port,
            username=username,
            private_key_path=key,
            known_hosts_path=known_hosts,
            connect_timeout=5,
            read_timeout=5,
            retry=FAST_SFTP_RETRY,
        )
    )


def pull(database: Database, settings: SftpSource, reader: SftpReader, workdir: Path) -> PullResult:
    feed = FEEDS["kemenpanrb" if settings.format == "jsonl_gz" else "kemendagri"]
    with reader:
        return pull_sftp(database, source="src", settings=settings, feed=feed, reader=reader, workdir=workdir)


def landed_keys(database: Database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(RawRecord.record_key).where(RawRecord.source == "src")))


def quarantined_columns(database: Database) -> dict[tuple[str | None, int | None], str | None]:
    with database.session() as session:
        rows = session.execute(
            select(QuarantinedRow.file_name, QuarantinedRow.row_number, QuarantinedRow.column)
        ).tuples()
        return {(file, number): column for file, number, column in rows}


def open_quarantine(database: Database) -> list[tuple[str | None, int | None, str]]:
    with database.session() as session:
        rows = session.scalars(
            select(QuarantinedRow).where(QuarantinedRow.status == "open").order_by(QuarantinedRow.id)
        ).all()
        return [(r.file_name, r.row_number, r.reason) for r in rows]


def snapshot(folder: Path, *, without: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_relative_to(without)
    }


@dataclass
class Sentinels:
    """A project folder around the download folder, with files no delivery may write or remove."""

    root: Path
    before: dict[str, bytes] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return self.root / "project" / "var" / "downloads" / "src"

    def plant(self, *extra: Path) -> None:
        paths = [self.root / "outside.csv", self.root / "project" / "var" / "keep.txt", *extra]
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"sentinel " + str(path).encode())
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.before = snapshot(self.root, without=self.workdir)

    def assert_untouched(self) -> None:
        assert snapshot(self.root, without=self.workdir) == self.before


# --- table-driven: one bad file or row among good ones, over OpenSSH -----------------------------


@dataclass(frozen=True)
class Case:
    id: str
    files: list[tuple[str, bytes]]
    """Delivered oldest first."""
    fmt: str
    landed: set[str]
    quarantined: list[tuple[str, int | None, tuple[str, ...]]]
    """(file, row or None for the whole file, fragments the reason must contain)"""


NUL_ROWS = [row(1), row(2, "Bu\x00di"), row(3)]
QUOTE_AT_500 = [row(n) for n in range(1, 500)] + [row(500, '"Siti')] + [row(n) for n in range(501, 511)]

CASES = [
    # A NUL in one cell: only that row is set aside, naming the column.
    Case(
        "nul_in_one_cell",
        [("tl_nul.csv", csv_bytes(*NUL_ROWS))],
        "csv",
        {"tl_nul.csv#1", "tl_nul.csv#3"},
        [("tl_nul.csv", 2, ("tl_nul.csv row 2", "column 'nama'", "NUL"))],
    ),
    # A quote opened at row 500 never closes: rows 1-499 are kept, the tail is one bad row naming the
    # line where reading stopped (the header is line 1, so row 500 is line 501).
    Case(
        "unterminated_quote_at_row_500",
        [("tl_quote.csv", csv_bytes(*QUOTE_AT_500))],
        "csv",
        {f"tl_quote.csv#{n}" for n in range(1, 500)},
        [("tl_quote.csv", 500, ("tl_quote.csv row 500 (line 501)", "never closes", "stopped at line 501"))],
    ),
    # Rows appended in cp1252 to a UTF-8 file without a BOM: not read as mojibake, set aside.
    Case(
        "mixed_encodings_without_bom",
        [
            (
                "tl_mixed.csv",
                csv_bytes(row(1, "José"), row(2, "Zoë")) + (row(3, "Mu’minah") + "\r\n").encode("cp1252"),
            )
        ],
        "csv",
        {"tl_mixed.csv#1", "tl_mixed.csv#2"},
        [("tl_mixed.csv", 3, ("tl_mixed.csv row 3 (line 4)", "not UTF-8", "mixed encodings"))],
    ),
    # The other way round: a cp1252 file with one row appended in UTF-8. cp1252 would read "JosÃ©".
    Case(
        "utf8_row_in_a_cp1252_file",
        [
            (
                "tl_legacy.csv",
                csv_bytes(row(1, "José"), row(2, "Zoë"), encoding="cp1252")
                + (row(3, "René") + "\r\n").encode(),
            )
        ],
        "csv",
        {"tl_legacy.csv#1", "tl_legacy.csv#2"},
        [
            (
                "tl_legacy.csv",
                3,
                ("tl_legacy.csv row 3 (line 4)", "UTF-8 while line 2 is cp1252", "mixed encodings"),
            )
        ],
    ),
    # A JSON object naming a field twice (which value is meant?) is set aside, naming the field.
    Case(
        "jsonl_duplicate_keys",
        [
            (
                "pengaduan_dup.jsonl.gz",
                jsonl_gz(
                    b'{"id_pengaduan": "P-1"}',
                    b'{"id_pengaduan": "P-2", "nip": "1", "nip": "2"}',
                    b'{"id_pengaduan": "P-3"}',
                ),
            )
        ],
        "jsonl_gz",
        {"pengaduan_dup.jsonl.gz#1", "pengaduan_dup.jsonl.gz#3"},
        [("pengaduan_dup.jsonl.gz", 2, ("pengaduan_dup.jsonl.gz line 2", "field 'nip' appears twice"))],
    ),
    # A JSON Lines line in cp1252 among UTF-8 ones.
    Case(
        "jsonl_mixed_encodings",
        [
            (
                "pengaduan_enc.jsonl.gz",
                jsonl_gz(
                    '{"id_pengaduan": "P-1", "isi": "José"}'.encode(),
                    '{"id_pengaduan": "P-2", "isi": "José"}'.encode("cp1252"),
                ),
            )
        ],
        "jsonl_gz",
        {"pengaduan_enc.jsonl.gz#1"},
        [("pengaduan_enc.jsonl.gz", 2, ("pengaduan_enc.jsonl.gz line 2", "not UTF-8"))],
    ),
    # JSON that crashes naive readers: nesting 100,000 deep, a 5,000-digit number, a lone surrogate
    # (no database stores it), NaN (not JSON): each line set aside, the good line after them landed.
    Case(
        "jsonl_values_that_crash_parsers",
        [
            (
                "pengaduan_crash.jsonl.gz",
                jsonl_gz(
                    b"[" * 100_000 + b"]" * 100_000,
                    b'{"id_pengaduan": "P-2", "n": ' + b"9" * 5000 + b"}",
                    b'{"id_pengaduan": "P-3", "isi": "\\ud800"}',
                    b'{"id_pengaduan": "P-4", "n": NaN}',
                    b'{"id_pengaduan": "P-5"}',
                ),
            )
        ],
        "jsonl_gz",
        {"pengaduan_crash.jsonl.gz#5"},
        [
            ("pengaduan_crash.jsonl.gz", 1, ("pengaduan_crash.jsonl.gz line 1", "nested too deep")),
            ("pengaduan_crash.jsonl.gz", 2, ("pengaduan_crash.jsonl.gz line 2", "invalid JSON")),
            ("pengaduan_crash.jsonl.gz", 3, ("pengaduan_crash.jsonl.gz line 3", "lone surrogate")),
            ("pengaduan_crash.jsonl.gz", 4, ("pengaduan_crash.jsonl.gz line 4", "NaN is not a JSON value")),
        ],
    ),
    # A week's daily files joined with `cat` (gzip members, valid gzip), each starting with a BOM:
    # a BOM is not data wherever a member starts a line; lines are numbered as `zcat | nl` numbers
    # them, so the bad line 5 is named.
    Case(
        "jsonl_gzip_members_concatenated",
        [
            (
                "pengaduan_week.jsonl.gz",
                gzip.compress(b'\xef\xbb\xbf{"id_pengaduan": "P-1"}\r\n{"id_pengaduan": "P-2"}\r\n', mtime=0)
                + gzip.compress(b'\xef\xbb\xbf{"id_pengaduan": "P-3"}\n', mtime=0)
                + gzip.compress(b'{"id_pengaduan": "P-4"}\n{"id_pengaduan": \n', mtime=0),
            )
        ],
        "jsonl_gz",
        {f"pengaduan_week.jsonl.gz#{n}" for n in range(1, 5)},
        [("pengaduan_week.jsonl.gz", 5, ("pengaduan_week.jsonl.gz line 5", "invalid JSON"))],
    ),
    # A truncated gzip, then a good file: the bad one is refused with a reason, the good one landed.
    Case(
        "truncated_gzip_then_good_file",
        [("pengaduan_1.jsonl.gz", GOOD_GZ[:-12]), ("pengaduan_2.jsonl.gz", GOOD_GZ)],
        "jsonl_gz",
        {"pengaduan_2.jsonl.gz#1", "pengaduan_2.jsonl.gz#2"},
        [("pengaduan_1.jsonl.gz", None, ("pengaduan_1.jsonl.gz", "truncated gzip"))],
    ),
    # Trailing garbage after a complete gzip member, then a good file.
    Case(
        "gzip_trailing_garbage_then_good_file",
        [("pengaduan_1.jsonl.gz", GOOD_GZ + b"GARBAGE!"), ("pengaduan_2.jsonl.gz", GOOD_GZ)],
        "jsonl_gz",
        {"pengaduan_2.jsonl.gz#1", "pengaduan_2.jsonl.gz#2"},
        [
            (
                "pengaduan_1.jsonl.gz",
                None,
                ("pengaduan_1.jsonl.gz", "not a valid gzip file, or bytes that are not gzip after its end"),
            )
        ],
    ),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_file_or_row_is_set_aside_with_a_reason_and_every_good_row_lands(
    case: Case,
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    old = time.time() - 2 * HOUR
    for offset, (name, content) in enumerate(case.files):
        (openssh.root / name).write_bytes(content)
        os.utime(openssh.root / name, (old + offset, old + offset))
    sentinels = Sentinels(tmp_path / "area")
    sentinels.plant()
    workdir = sentinels.workdir
    settings = source(str(openssh.root), fmt=case.fmt)

    for _ in range(2):  # this run and the next: the bad input never stops the source
        reader = reader_for(openssh.port, openssh.username, openssh.client_key, openssh.known_hosts)
        pull(migrated_database, settings, reader, workdir)
        assert landed_keys(migrated_database) == case.landed
        quarantine = open_quarantine(migrated_database)
        assert [(file, number) for file, number, _ in quarantine] == [(f, n) for f, n, _ in case.quarantined]
        for (_, _, reason), (_, _, fragments) in zip(quarantine, case.quarantined, strict=True):
            assert all(fragment in reason for fragment in fragments), reason
    assert list(workdir.iterdir()) == []  # downloads are removed once landed or refused
    sentinels.assert_untouched()
    columns = quarantined_columns(migrated_database)
    if case.id == "nul_in_one_cell":
        assert columns[("tl_nul.csv", 2)] == "nama"
    if case.id == "jsonl_duplicate_keys":
        assert columns[("pengaduan_dup.jsonl.gz", 2)] == "nip"


def deliver(server: OpenSsh, name: str, content: bytes, *, age_seconds: float) -> Path:
    path = server.root / name
    path.write_bytes(content)
    mtime = time.time() - age_seconds
    os.utime(path, (mtime, mtime))
    return path


def openssh_reader(server: OpenSsh) -> SftpReader:
    return reader_for(server.port, server.username, server.client_key, server.known_hosts)


# --- 1. names that are not plain file names -------------------------------------------------------


@pytest.mark.timeout(60)
def test_remote_names_that_are_paths_are_refused_with_a_reason_and_nothing_outside_is_touched(
    migrated_database: Database, tmp_path: Path
) -> None:
    sentinels = Sentinels(tmp_path / "area")
    victim = tmp_path / "area" / "victim.csv"
    sentinels.plant(victim)
    good = csv_bytes(row(1))
    hostile = {
        str(victim): csv_bytes(row(9, "overwritten")),  # absolute: the reader once wrote, then deleted it
        "../victim.csv": good,
        "../../outside.csv": good,
        "..\\..\\tmp\\x.csv": good,  # once skipped silently as a hidden "in progress" name
        "C:x.csv": good,
        "sub\\x.csv": good,
        "a\x00b.csv": good,
        "good.csv": good,
    }
    settings = source("/drop")
    with hostile_sftp(tmp_path / "server", hostile) as server:
        for _ in range(2):
            reader = reader_for(server.port, "any", server.client_key, server.known_hosts)
            pull(migrated_database, settings, reader, sentinels.workdir)
            assert landed_keys(migrated_database) == {"good.csv#1"}
            quarantine = open_quarantine(migrated_database)
            refused = {file: reason for file, number, reason in quarantine if number is None}
            assert len(quarantine) == len(refused) == len(hostile) - 1  # one entry each, not one per run
            for name in hostile.keys() - {"good.csv"}:
                shown = name.replace("\x00", "\\x00")
                assert f"remote file name {shown!r} refused" in refused[shown], refused
    with migrated_database.session() as session:
        statuses = dict(session.execute(select(SftpFile.remote_path, SftpFile.status)).tuples().all())
    assert statuses["/drop/good.csv"] == "processed"
    assert statuses["/drop/a\\x00b.csv"] == "refused"  # stored printable: no NUL in a text column
    assert sorted(statuses.values()).count("refused") == len(hostile) - 1
    sentinels.assert_untouched()
    assert list(sentinels.workdir.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "refused", "in_progress"),
    [
        ("tindak_lanjut_20241127.csv", False, False),
        (".tindak_lanjut_20241127.csv", False, True),  # a hidden upload name: waits, as before
        ("tindak_lanjut.csv.part", False, True),
        ("/etc/passwd", True, False),  # absolute
        ("../x.csv", True, False),
        ("..\\..\\tmp\\x.csv", True, False),  # starts with a dot, but is a path: refused, not skipped
        ("C:x.csv", True, False),  # a drive
        ("..x.csv", True, False),
        ("x\n.csv", True, False),  # a control character
        ("x" * 256, True, False),  # longer than a local name can be
        ("x" * 238, True, False),  # no room left for the temporary download name's 18 bytes
        ("x" * 201, True, False),  # no room left in the 255-character row keys
        ("é" * 101, True, False),  # 202 bytes in UTF-8
        ("x" * 196 + ".csv", False, False),  # 200 bytes: taken
    ],
)
def test_listed_names_are_used_as_they_are_refused_or_waited_for(
    name: str, refused: bool, in_progress: bool
) -> None:
    assert (unsafe_name_reason(name) is not None) is refused
    assert is_in_progress(name, (".part",)) is in_progress
    if refused:
        with pytest.raises(UnsafeName, match="refused"):
            local_path(Path("/srv/downloads"), name)
    else:
        assert local_path(Path("/srv/downloads"), name) == Path("/srv/downloads") / name


# --- 4. decompression bombs -----------------------------------------------------------------------

_CHILD = """
import json, resource, sys
from pathlib import Path
from sbt_sync.db.engine import Database
from tests.ingest.test_hostile_sftp import pull, reader_for, source

def rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)

url, directory, workdir, port, user, key, known = sys.argv[1:]
database = Database(url)
database.engine.connect().close()
settings = source(directory, fmt="jsonl_gz")
before = rss_kib("VmRSS")
result = pull(database, settings, reader_for(int(port), user, Path(key), Path(known)), Path(workdir))
print(json.dumps({"before": before, "peak": rss_kib("VmHWM"), "refused": result.refused_files}))
"""


def gzip_bomb(expanded_bytes: int) -> bytes:
    """A gzip stream of ``expanded_bytes`` zero bytes (about a thousandth of that on disk)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(expanded_bytes >> 20)]
    return b"".join([*parts, compressor.flush()])


@pytest.mark.timeout(180)
def test_decompression_bomb_is_refused_with_memory_bounded_and_the_next_file_lands(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    database_url: str,
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    deliver(openssh, "pengaduan_1.jsonl.gz", gzip_bomb(1100 << 20), age_seconds=2 * HOUR)  # > 1 GiB
    deliver(openssh, "pengaduan_2.jsonl.gz", GOOD_GZ, age_seconds=HOUR)
    sentinels = Sentinels(tmp_path / "area")
    sentinels.plant()
    # A child process, so its peak RSS (VmHWM) is this pull's and not an earlier test's.
    args = [database_url, str(openssh.root), str(sentinels.workdir), str(openssh.port), openssh.username]
    args += [str(openssh.client_key), str(openssh.known_hosts)]
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), *args],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["peak"] - report["before"]) < 100 * 1024, report  # KiB: under 100 MB of growth
    (reason,) = report["refused"]
    assert "pengaduan_1.jsonl.gz: decompresses to more than 268435456 bytes" in reason
    assert landed_keys(migrated_database) == {"pengaduan_2.jsonl.gz#1", "pengaduan_2.jsonl.gz#2"}
    assert [(f, n) for f, n, _ in open_quarantine(migrated_database)] == [("pengaduan_1.jsonl.gz", None)]
    sentinels.assert_untouched()


def test_decompression_ceiling_is_configurable_per_source() -> None:
    small = source("/x", fmt="jsonl_gz", max_decompressed_bytes=1000)
    assert small.max_decompressed_bytes == 1000
    assert source("/x").max_decompressed_bytes == DEFAULT_MAX_DECOMPRESSED_BYTES
    with pytest.raises(FileRefused, match=r"b\.jsonl\.gz: decompresses to more than 1000 bytes"):
        parse_file(small, "b.jsonl.gz", gzip_bomb(1 << 20))


# --- 6. preserved older timestamps ----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_sftp_delivery_with_preserved_older_timestamp_is_ingested_and_the_cursor_never_moves_back(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "downloads"
    settings = source(str(openssh.root), pattern="tl_*.csv")
    deliver(openssh, "tl_20241202.csv", csv_bytes(row(1)), age_seconds=HOUR)
    pull(migrated_database, settings, openssh_reader(openssh), workdir)
    with migrated_database.session() as session:
        cursor = session.get(SourceCursor, "src")
        assert cursor is not None
        watermark = cursor.watermark
    # The agency uploads an older report with `sftp -p`: its mtime is three days before the last file's.
    deliver(openssh, "tl_20241129.csv", csv_bytes(row(7), row(8)), age_seconds=72 * HOUR)
    for _ in range(2):
        pull(migrated_database, settings, openssh_reader(openssh), workdir)
        assert landed_keys(migrated_database) == {
            "tl_20241202.csv#1",
            "tl_20241129.csv#1",
            "tl_20241129.csv#2",
        }
    with migrated_database.session() as session:
        cursor = session.get(SourceCursor, "src")
        assert cursor is not None and cursor.watermark == watermark
        batches = session.scalars(select(IngestBatch).where(IngestBatch.source == "src")).all()
        moved_back = [
            b.id
            for b in batches
            if b.watermark_before and b.watermark_after and b.watermark_after < b.watermark_before
        ]
        assert moved_back == []
    assert open_quarantine(migrated_database) == []


@pytest.mark.timeout(60)
def test_correction_reverted_with_the_original_preserved_mtime_is_processed_again(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    """The original file comes back with its own size and old mtime (``rsync -t``): only the latest
    delivery's stat can mean "unchanged", so it is downloaded and its row takes the original values."""
    workdir = tmp_path / "downloads"
    settings = source(str(openssh.root), pattern="tl_*.csv")
    deliveries = [("Ahmad", 3 * HOUR), ("Ahmad Koreksi", HOUR), ("Ahmad", 3 * HOUR)]
    for version, (nama, age) in enumerate(deliveries, start=1):
        path = deliver(openssh, "tl_20241202.csv", csv_bytes(row(1, nama)), age_seconds=age)
        if version == 1:
            original_mtime = path.stat().st_mtime
        if nama == "Ahmad":  # the very bytes and mtime of the first delivery
            os.utime(path, (original_mtime, original_mtime))
        for _ in range(2):  # the second run finds nothing new
            pull(migrated_database, settings, openssh_reader(openssh), workdir)
            with migrated_database.session() as session:
                raw = session.scalars(select(RawRecord).where(RawRecord.source == "src")).one()
                assert (raw.version, json.loads(raw.payload)["nama"]) == (version, nama)
    assert open_quarantine(migrated_database) == []


# --- 8. files still being written -----------------------------------------------------------------


class _WriterDuringDownload(SftpReader):
    """A reader whose server-side file grows between the listing and the download (a writer at work)."""

    def __init__(self, settings: SftpSettings, path: Path, more: bytes) -> None:
        super().__init__(settings)
        self._path, self._more = path, more

    def download(
        self, remote: RemoteFile, dest_dir: Path, *, expected_sha256: str | None = None
    ) -> DownloadedFile:
        with self._path.open("ab") as handle:  # the agency's tool appends its next write
            handle.write(self._more)
        return super().download(remote, dest_dir, expected_sha256=expected_sha256)


@pytest.mark.timeout(60)
def test_file_still_being_written_is_left_for_a_later_run_and_no_torn_row_lands(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "downloads"
    settings = source(str(openssh.root), settle_seconds=60)
    full = csv_bytes(row(1), row(2), row(3))
    torn = full[: full.index(b"R-3/2024") + 20]  # half of row 3 written so far
    path = deliver(openssh, "tl_inplace.csv", torn, age_seconds=5)  # written seconds ago
    result = pull(migrated_database, settings, openssh_reader(openssh), workdir)
    assert result.files == 0 and "within the settle time of 60 s" in result.deferred_files[0]
    assert landed_keys(migrated_database) == set()

    # An old mtime (preserved by the tool) does not make a file settled if it changes while read.
    os.utime(path, (time.time() - HOUR, time.time() - HOUR))
    writer = _WriterDuringDownload(openssh_reader(openssh).settings, path, full[len(torn) :])
    result = pull(migrated_database, settings, writer, workdir)
    assert result.files == 0 and "changed while being read" in result.deferred_files[0]
    assert landed_keys(migrated_database) == set()
    with migrated_database.session() as session:
        assert session.scalars(select(SftpFile)).all() == []  # nothing recorded: taken next run

    os.utime(path, (time.time() - HOUR, time.time() - HOUR))  # the writer finished an hour ago
    result = pull(migrated_database, settings, openssh_reader(openssh), workdir)
    assert result.deferred_files == []
    assert landed_keys(migrated_database) == {"tl_inplace.csv#1", "tl_inplace.csv#2", "tl_inplace.csv#3"}
    assert open_quarantine(migrated_database) == []


class _RenamedBeforeDownload(SftpReader):
    """A reader whose listed file is renamed away (an upload tool finishing) before it is opened."""

    def __init__(self, settings: SftpSettings, path: Path) -> None:
        super().__init__(settings)
        self._path = path

    def download(
        self, remote: RemoteFile, dest_dir: Path, *, expected_sha256: str | None = None
    ) -> DownloadedFile:
        if remote.name == self._path.name and self._path.exists():
            self._path.rename(self._path.with_name("renamed_" + self._path.name))
        return super().download(remote, dest_dir, expected_sha256=expected_sha256)


@pytest.mark.timeout(60)
def test_file_gone_between_listing_and_download_is_left_and_the_next_file_lands(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    settings = source(str(openssh.root), pattern="tl_*.csv")
    gone = deliver(openssh, "tl_1.csv", csv_bytes(row(1)), age_seconds=2 * HOUR)
    deliver(openssh, "tl_2.csv", csv_bytes(row(2)), age_seconds=HOUR)
    reader = _RenamedBeforeDownload(openssh_reader(openssh).settings, gone)
    result = pull(migrated_database, settings, reader, tmp_path / "downloads")
    assert "gone since the listing" in result.deferred_files[0]
    assert landed_keys(migrated_database) == {"tl_2.csv#1"}
    assert open_quarantine(migrated_database) == []


def test_settle_time_is_configurable_per_source() -> None:
    assert source("/x").settle_seconds == 60
    assert source("/x", settle_seconds=0).settle_seconds == 0


# --- 11. file-level quarantine entries are superseded by a corrected delivery ----------------------


@pytest.mark.timeout(60)
def test_row_shape_and_whole_file_quarantine_is_superseded_when_the_file_is_corrected(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "downloads"
    csv_settings = source(str(openssh.root), pattern="*.csv")
    ragged = row(2) + ",extra,cells"
    deliver(openssh, "tl.csv", csv_bytes(row(1), ragged, row(3)), age_seconds=3 * HOUR)
    pull(migrated_database, csv_settings, openssh_reader(openssh), workdir)
    assert [(f, n) for f, n, _ in open_quarantine(migrated_database)] == [("tl.csv", 2)]

    deliver(openssh, "tl.csv", csv_bytes(row(1), row(2), row(3)), age_seconds=2 * HOUR)  # corrected
    pull(migrated_database, csv_settings, openssh_reader(openssh), workdir)
    assert open_quarantine(migrated_database) == []
    assert landed_keys(migrated_database) == {"tl.csv#1", "tl.csv#2", "tl.csv#3"}

    # A truncated gzip, then the same name corrected: the refusal is superseded, the rows land.
    gz_settings = source(str(openssh.root), fmt="jsonl_gz", pattern="*.gz")
    deliver(openssh, "pengaduan.jsonl.gz", GOOD_GZ[:-12], age_seconds=2 * HOUR)
    pull(migrated_database, gz_settings, openssh_reader(openssh), workdir)
    assert [(f, n) for f, n, _ in open_quarantine(migrated_database)] == [("pengaduan.jsonl.gz", None)]
    deliver(openssh, "pengaduan.jsonl.gz", GOOD_GZ, age_seconds=HOUR)
    pull(migrated_database, gz_settings, openssh_reader(openssh), workdir)
    assert open_quarantine(migrated_database) == []
    assert {"pengaduan.jsonl.gz#1", "pengaduan.jsonl.gz#2"} <= landed_keys(migrated_database)
