"""Hostile SFTP file names on a real OpenSSH server: names that are not UTF-8, names with line breaks,
and symbolic links pointing out of the drop folder.

OpenSSH sends names as the bytes the filesystem holds. An agency's Windows tool that writes ``José``
in cp1252 leaves a name no UTF-8 decoder accepts; the listing must still list every other file, and the
odd name must be refused with a reason the console can show, on every backend.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.sftp import printable, shown, unsafe_name_reason
from sbt_sync.db.engine import Database
from sbt_sync.db.models import SftpFile
from sbt_sync.steward.quarantine import list_quarantine
from tests.connectors.helpers_sftp import OpenSsh, openssh  # noqa: F401 - a fixture
from tests.ingest.test_hostile_sftp import (
    HOUR,
    Sentinels,
    csv_bytes,
    landed_keys,
    open_quarantine,
    pull,
    reader_for,
    row,
    source,
)
from tests.ingest.test_sftp_deferred_visible import console_steward

pytestmark = pytest.mark.integration


def deliver(server: OpenSsh, name: bytes, content: bytes, age: float) -> None:
    path = server.root / os.fsdecode(name)  # the filesystem gets the bytes as they are
    path.write_bytes(content)
    mtime = time.time() - age
    os.utime(path, (mtime, mtime))


@pytest.mark.timeout(60)
def test_a_name_that_is_not_utf8_is_refused_and_every_other_file_lands(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    deliver(openssh, b"laporan_Jos\xe9.csv", csv_bytes(row(1)), 3 * HOUR)  # cp1252 "é"
    deliver(openssh, b"laporan_\xff\xfe.csv", csv_bytes(row(2)), 2.5 * HOUR)
    deliver(openssh, b"laporan_baik.csv", csv_bytes(row(3)), 2 * HOUR)
    sentinels = Sentinels(tmp_path / "area")
    sentinels.plant()
    settings = source(str(openssh.root), pattern="*.csv")
    for _ in range(2):  # the next run neither fails nor records the names again
        reader = reader_for(openssh.port, openssh.username, openssh.client_key, openssh.known_hosts)
        pull(migrated_database, settings, reader, sentinels.workdir)
        assert landed_keys(migrated_database) == {"laporan_baik.csv#1"}
        quarantine = open_quarantine(migrated_database)
        refused = {file: reason for file, number, reason in quarantine if number is None}
        assert set(refused) == {"laporan_Jos\\xe9.csv", "laporan_\\xff\\xfe.csv"}, quarantine
        for file, reason in refused.items():
            assert reason.startswith(f"remote file name {file!r} refused: "), reason
            assert "not UTF-8" in reason
    with migrated_database.session() as session:
        statuses = dict(session.execute(select(SftpFile.remote_path, SftpFile.status)).tuples().all())
    base = str(openssh.root).rstrip("/")
    assert statuses == {
        f"{base}/laporan_Jos\\xe9.csv": "refused",
        f"{base}/laporan_\\xff\\xfe.csv": "refused",
        f"{base}/laporan_baik.csv": "processed",
    }
    sentinels.assert_untouched()
    assert list(sentinels.workdir.iterdir()) == []


@pytest.mark.timeout(60)
def test_a_symlink_out_of_the_drop_folder_is_never_followed(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_bytes(csv_bytes(row(9, "Rahasia")))
    (openssh.root / "link.csv").symlink_to(outside)
    (openssh.root / "dir_link.csv").symlink_to(tmp_path, target_is_directory=True)
    deliver(openssh, b"good.csv", csv_bytes(row(1)), 2 * HOUR)
    settings = source(str(openssh.root), pattern="*.csv")
    reader = reader_for(openssh.port, openssh.username, openssh.client_key, openssh.known_hosts)
    pull(migrated_database, settings, reader, tmp_path / "work")
    assert landed_keys(migrated_database) == {"good.csv#1"}
    assert outside.read_bytes() == csv_bytes(row(9, "Rahasia"))


def test_names_that_are_not_utf8_are_refused_and_shown_printable() -> None:
    name = b"laporan_Jos\xe9\n.csv".decode("utf-8", "surrogateescape")
    assert unsafe_name_reason(name) == "the name is not UTF-8 (bytes of another encoding, e.g. cp1252)"
    assert printable(name) == "laporan_Jos\\xe9\\x0a.csv"
    assert printable(name).encode("utf-8")  # storable in any text column


SPOOF = "laporan_\u202ecsv.exe\u202c_\u200b\ufeff.csv"
"""A name an SFTP server lists (OpenSSH sends the bytes the filesystem holds): a right-to-left
override makes ``laporan_\u202ecsv.exe`` read as ``laporan_exe.vsc`` wherever it is shown as it is,
and a zero-width space and a BOM hide inside it."""
ESCAPED = "laporan_\\u202ecsv.exe\\u202c_\\u200b\\ufeff.csv"
HIDDEN = ("\u202e", "\u202c", "\u200b", "\ufeff")


@pytest.mark.timeout(60)
def test_bidi_and_invisible_characters_of_a_name_are_escaped_in_logs_and_the_console(
    openssh: OpenSsh,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deliver(openssh, os.fsencode(SPOOF), csv_bytes(row(1), row(2) + ",extra,cells"), 2 * HOUR)
    settings = source(str(openssh.root), pattern="*.csv")
    caplog.set_level("DEBUG")
    reader = reader_for(openssh.port, openssh.username, openssh.client_key, openssh.known_hosts)
    pull(migrated_database, settings, reader, tmp_path / "work")
    assert len(landed_keys(migrated_database)) == 1  # the file is taken: the name is not unsafe
    logged = caplog.text
    assert ESCAPED in logged
    assert not any(c in logged for c in HIDDEN), [c for c in HIDDEN if c in logged]

    total, rows, _ = list_quarantine(migrated_database, source="src")
    assert total == 1 and rows[0].file_name == ESCAPED
    assert not any(c in f"{rows[0].reason}{rows[0].record_key}" for c in HIDDEN)
    steward = console_steward(migrated_database)
    for lang in ("id", "en"):
        page = steward.get(f"/quarantine?source=src&lang={lang}").text
        assert ESCAPED in page
        assert not any(c in page for c in HIDDEN), lang
    export = steward.get("/quarantine.csv?source=src&status=open").content.decode("utf-8-sig")
    assert ESCAPED in export and not any(c in export for c in HIDDEN)


def test_shown_escapes_what_reorders_or_hides_text_and_keeps_the_rest() -> None:
    cases = [
        ("laporan_2024.csv", "laporan_2024.csv"),  # an ordinary name as it is
        (
            "laporan_Jos\u00e9_\u062a\u0642\u0631\u064a\u0631.csv",
            "laporan_Jos\u00e9_\u062a\u0642\u0631\u064a\u0631.csv",
        ),  # letters of any script
        ("a\u202eb", "a\\u202eb"),  # right-to-left override
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # isolates
        ("a\u200fb\u061c", "a\\u200fb\\u061c"),  # RLM, Arabic letter mark
        ("a\u200b\u200d\u2060b", "a\\u200b\\u200d\\u2060b"),  # zero-width space, joiner, word joiner
        ("\ufeffa\u00adb", "\\ufeffa\\u00adb"),  # BOM, soft hyphen
        ("a\u3164b", "a\\u3164b"),  # Hangul filler: a letter that shows nothing
        ("a\U000e0041b", "a\\U000e0041b"),  # a tag character
        ("a\u2028b", "a\\u2028b"),  # line separator
        ("a\x00b\udcff", "a\\x00b\\xff"),  # what printable already escapes
    ]
    assert [shown(name) for name, _ in cases] == [expected for _, expected in cases]
