"""KASN CSV deliveries whose one bad row once cost the rows beside it, through the sandbox SFTP server
into both database backends: a quoted cell longer than csv's field limit, and a line no configured
encoding decodes. Each bad row is quarantined naming the file, row and field (or byte); every good row
is staged; a second run changes nothing."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.sftp import SftpReader, SftpSettings
from sbt_sync.db.engine import Database
from sbt_sync.db.models import QuarantinedRow, SftpFile, StagedRecord
from sbt_sync.ingest.files import MAX_CELL_CHARS, FileRefused, read_csv
from sbt_sync.ingest.pull import PullResult, pull_sftp
from sbt_sync.ingest.staging import stage_pending
from schemas.feeds import FEEDS
from tests.ingest.corpus.make_corpus import NIP_A, NIP_B, NIP_C, kasn_csv, kasn_row
from tests.ingest.test_hostile_sftp import source
from tests.sandbox.helpers_sftp import T0, SftpEnv, sftp_env  # noqa: F401 - fixture

pytestmark = pytest.mark.integration

KASN = source("/kasn", csv={"delimiter": ";", "encodings": ["utf-8-sig", "cp1252"]})


def _ingest(env: SftpEnv, database: Database) -> PullResult:
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
        result = pull_sftp(
            database,
            source="kasn",
            settings=KASN,
            feed=FEEDS["kasn"],
            reader=reader,
            workdir=env.state_dir / "work",
        )
    stage_pending(database, source="kasn", feed=FEEDS["kasn"])
    return result


def _staged(database: Database) -> dict[str, str | None]:
    with database.session() as session:
        rows = session.scalars(select(StagedRecord).where(StagedRecord.withdrawn.is_(False))).all()
        return {r.record_key: r.name for r in rows}


def _quarantine(database: Database) -> list[tuple[str | None, int | None, str | None, str]]:
    with database.session() as session:
        rows = session.scalars(select(QuarantinedRow).where(QuarantinedRow.status == "open")).all()
        return [(r.file_name, r.row_number, r.column, r.reason) for r in rows]


@pytest.mark.timeout(120)
def test_quoted_cell_longer_than_the_cell_limit_is_a_bad_row_and_the_rows_after_it_land(
    sftp_env: SftpEnv,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    long_remark = ("x" * 40 + "\n") * 3500  # 143,500 characters with line breaks, quoted
    assert len(long_remark) > MAX_CELL_CHARS
    rows = [
        kasn_row(1, NIP_A, "Ahmad"),
        kasn_row(2, NIP_B, "Budi", Keterangan=long_remark),
        kasn_row(3, NIP_C, "Citra", Keterangan="x" * MAX_CELL_CHARS),  # exactly at the limit: kept
        kasn_row(4, NIP_C, "Dewi"),
    ]
    sftp_env.deliveries.deliver("kasn", "kasn_big.csv", kasn_csv(rows).encode(), T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))
    limit_before = csv.field_size_limit()

    for _ in range(2):  # the second run finds the file settled and changes nothing
        _ingest(sftp_env, migrated_database)
        assert _staged(migrated_database) == {
            "kasn_big.csv#1": "Ahmad",
            "kasn_big.csv#3": "Citra",
            "kasn_big.csv#4": "Dewi",
        }
        [(file, row, column, reason)] = _quarantine(migrated_database)
        assert (file, row, column) == ("kasn_big.csv", 2, "Keterangan")
        assert reason.startswith("kasn_big.csv row 2 (line 3): column 'Keterangan' holds 143500 characters")
        assert f"more than the {MAX_CELL_CHARS}" in reason
    assert csv.field_size_limit() == limit_before  # process-global: put back after the read


@pytest.mark.timeout(120)
def test_line_in_no_configured_encoding_is_a_bad_row_naming_its_byte_and_the_other_rows_land(
    sftp_env: SftpEnv,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    # Latin-1 with 0x81, a byte neither UTF-8 nor cp1252 defines; row 4's quoted remark spans two
    # lines and its second line holds another; the cp1252 é of row 1 still reads as é.
    rows = [
        kasn_row(1, NIP_A, "José"),
        kasn_row(2, NIP_B, "Bu\x81di"),
        kasn_row(3, NIP_C, "Citra"),
        kasn_row(4, NIP_C, "Dewi", Keterangan="baris satu\r\nbaris \x81dua"),
        kasn_row(5, NIP_A, "Eka"),
    ]
    data = kasn_csv(rows).encode("latin-1")
    first_bad = data.index(b"\x81")
    second_bad = data.index(b"\x81", first_bad + 1)
    sftp_env.deliveries.deliver("kasn", "kasn_l1.csv", data, T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))

    for _ in range(2):
        result = _ingest(sftp_env, migrated_database)
        assert _staged(migrated_database) == {
            "kasn_l1.csv#1": "José",
            "kasn_l1.csv#3": "Citra",
            "kasn_l1.csv#5": "Eka",
        }
        quarantine = _quarantine(migrated_database)
        assert [(file, row) for file, row, _, _ in quarantine] == [("kasn_l1.csv", 2), ("kasn_l1.csv", 4)]
        (_, _, _, row_2), (_, _, _, row_4) = quarantine
        assert row_2.startswith(f"kasn_l1.csv row 2 (line 3): byte 0x81 at offset {first_bad} of the file")
        assert row_4.startswith(f"kasn_l1.csv row 4 (line 6): byte 0x81 at offset {second_bad} of the file")
        assert "not valid in any of utf-8-sig, cp1252" in row_2
    assert result.refused_files == []
    with migrated_database.session() as session:
        assert session.scalars(select(SftpFile.status)).all() == ["processed"]


@pytest.mark.parametrize(
    ("data", "encodings", "reason"),
    [
        # The header itself is unreadable: no row could be read against it.
        (b"No;N\x81ma\r\n1;Ahmad\r\n", ["utf-8-sig", "cp1252"], "cannot decode the header line: byte 0x81"),
        # Only UTF-8 configured: nothing to read the file's other lines in.
        (b"No;Nama\r\n1;Jos\xe9\r\n", ["utf-8-sig"], "cannot be decoded as any of utf-8-sig"),
    ],
)
def test_file_is_still_refused_when_no_line_by_line_reading_can_help(
    data: bytes, encodings: list[str], reason: str
) -> None:
    with pytest.raises(FileRefused, match=f"^kasn_x.csv: {reason}"):
        read_csv("kasn_x.csv", data, delimiter=";", encodings=encodings)


@pytest.mark.timeout(120)
def test_excel_for_mac_file_with_bare_cr_line_ends_loses_only_its_bad_rows(
    sftp_env: SftpEnv,  # noqa: F811 - the fixture imported above
    migrated_database: Database,
) -> None:
    # Excel for Mac's "CSV (Macintosh)" ends lines with a bare CR, in cp1252. One byte no encoding
    # defines (row 2), a NUL in a cell (row 3) and a row appended in UTF-8 (row 5) are each one bad
    # row: counting lines by LF alone made the whole file "line 1", so the first refused the file as
    # an unreadable header, the second as binary, and the third landed as mojibake ("RenÃ©").
    rows = [
        kasn_row(1, NIP_A, "José"),
        kasn_row(2, NIP_B, "Bu\x81di"),
        kasn_row(3, NIP_C, "Ci\x00tra"),
        kasn_row(4, NIP_C, "Dewi"),
    ]
    data = kasn_csv(rows, end="\r").encode("latin-1") + (";".join(kasn_row(5, NIP_A, "René")) + "\r").encode()
    bad_byte = data.index(b"\x81")
    sftp_env.deliveries.deliver("kasn", "kasn_mac.csv", data, T0)
    sftp_env.clock.set(T0 + timedelta(hours=1))

    for _ in range(2):
        result = _ingest(sftp_env, migrated_database)
        assert _staged(migrated_database) == {"kasn_mac.csv#1": "José", "kasn_mac.csv#4": "Dewi"}
        quarantine = _quarantine(migrated_database)
        assert [(file, row) for file, row, _, _ in quarantine] == [
            ("kasn_mac.csv", 2),
            ("kasn_mac.csv", 3),
            ("kasn_mac.csv", 5),
        ], quarantine
        (_, _, _, row_2), (_, _, column_3, row_3), (_, _, _, row_5) = quarantine
        assert row_2.startswith(f"kasn_mac.csv row 2 (line 3): byte 0x81 at offset {bad_byte} of the file")
        assert (column_3, row_3) == ("Nama", "kasn_mac.csv row 3 (line 4): column 'Nama' contains a NUL byte")
        assert row_5.startswith("kasn_mac.csv row 5 (line 6): UTF-8 while the file is cp1252")
    assert result.refused_files == []
