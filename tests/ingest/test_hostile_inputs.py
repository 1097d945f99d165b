"""The hostile-input corpus (tests/ingest/corpus/): every file is read as its source's format in
sbt.yaml and validated against its feed contract, and the outcome is pinned exactly.

A refused file raises :class:`FileRefused` naming the file. Otherwise each unreadable row is a bad row
naming the file and row, each failing value is quarantined naming the row and the column, and every
other row is still staged: bad rows never stop good rows (DESIGN.md, "Ingestion contract").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest

from sbt_sync.ingest.files import FileRefused, ParsedFile, read_csv, read_jsonl_gz
from sbt_sync.ingest.validate import RecordInput, ValidationOutcome, validate
from sbt_sync.settings import load_settings
from sbt_sync.settings_sources import SftpSource
from schemas.feeds import FEEDS, Staged
from tests.conftest import REPO_ROOT
from tests.ingest.corpus.make_corpus import CORPUS_DIR, KASN_HEADER, NIP_A, NIP_B, NIP_C, corpus


@dataclass(frozen=True)
class Refused:
    """The whole file is refused; ``reason`` is part of the message after "<file>: "."""

    file: str
    reason: str


@dataclass(frozen=True)
class Read:
    """The file is read; every row ends up in exactly one of staged, quarantined or bad rows."""

    file: str
    staged: tuple[int, ...]
    quarantined: tuple[tuple[int, str, str, str | None], ...] = ()
    """(row, column, check name without its arguments, the value exactly as sent)"""
    bad_rows: tuple[tuple[int, str], ...] = ()
    """(row, part of the reason after "<file> row N")"""
    verbatim: tuple[tuple[int, str, str], ...] = ()
    """(row, column, the landed cell exactly)"""
    staged_values: tuple[tuple[int, str, object], ...] = ()
    """(row, Staged attribute or "fields.<key>", value)"""
    unknown_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    encoding: str | None = None


Case = Refused | Read

CASES: list[Case] = [
    # Excel's "CSV UTF-8": a BOM that must not end up in the first column's name, CRLF that must not
    # end up in the last cell, and UTF-8 accents.
    Read(
        "kasn_utf8_bom_crlf.csv",
        staged=(1, 2),
        verbatim=(
            (1, "No", "1"),
            (1, "Nama", "Dr. Ir. José Sitompul, M.Si."),
            (2, "Keterangan", "Sudah dikirim ke PPK"),
        ),
        encoding="utf-8-sig",
    ),
    # KASN's older exports are Windows-1252: é is one byte 0xE9 and ’ is 0x92; utf-8-sig fails and
    # cp1252, the second configured encoding, reads the names exactly.
    Read(
        "kasn_cp1252_names.csv",
        staged=(1, 2, 3),
        verbatim=(
            (1, "Nama", "Aisyah Nur'aini"),
            (2, "Nama", "José Manuel Ximenes"),
            (3, "Nama", "Siti Mu’minah"),
        ),
        encoding="cp1252",
    ),
    # Rows appended in a cp1252 editor to a UTF-8 file: reading it all as cp1252 would silently turn
    # every UTF-8 "é" into "Ã©" and the BOM into a phantom column, so the file is read as the UTF-8
    # its BOM declares and the appended row is a bad row naming its line; row 1 is kept.
    Read(
        "kasn_mixed_encoding.csv",
        staged=(1,),
        bad_rows=((2, "(line 3): not UTF-8 while it starts with a UTF-8 byte-order mark"),),
        verbatim=((1, "Nama", "José Sitompul"),),
        encoding="utf-8-sig",
    ),
    # Excel's "Unicode Text" is UTF-16: cp1252 would "decode" it into NUL-riddled junk (and PostgreSQL
    # cannot store NUL), so it is refused rather than quarantined row by row as missing columns.
    Refused("kasn_utf16.csv", "NUL byte on line 1"),
    # Quoted cells with a CRLF and a bare LF inside: kept verbatim, and rows are counted as records,
    # not lines (row 3 sits on line 6).
    Read(
        "kasn_embedded_newlines.csv",
        staged=(1, 2, 3),
        verbatim=(
            (1, "Keterangan", "Sudah dikirim ke PPK;\r\ntembusan: Bawaslu"),
            (2, "Instansi", "Pemerintah Kabupaten\nSleman"),
            (3, "Nama", "Rina Wulandari"),
        ),
    ),
    # Formula-looking cells are data: kept verbatim and never evaluated; they fail only where the
    # field's own check fails (a NIP must be digits, Hasil one of four words).
    Read(
        "kasn_formula_cells.csv",
        staged=(1, 2),
        quarantined=(
            (3, "NIP", "acceptable_nip", "+6281234567890"),
            (4, "Hasil", "isin", '=IF(1;"Terbukti")'),
            (5, "NIP", "acceptable_nip", "=198001012005011001"),
        ),
        verbatim=((1, "Keterangan", '=HYPERLINK("https://kasn.go.id/r/1";"lihat")'),),
        staged_values=(
            (1, "name", "@SUM(A1:A9)"),
            (1, "fields.remarks", '=HYPERLINK("https://kasn.go.id/r/1";"lihat")'),
            (2, "fields.position", "+62 812-3456-7890"),
            (2, "fields.remarks", '="Dikirim ke PPK"'),
        ),
    ),
    # Schema drift, the harmless kind: columns the contract does not know are reported and the rows
    # are still staged.
    Read(
        "kasn_extra_columns.csv",
        staged=(1, 2),
        unknown_columns=("Catatan Internal", "Verifikator"),
        verbatim=((1, "Catatan Internal", "cek ulang"),),
    ),
    # Schema drift, the harmful kind: without the required Hasil column every row is quarantined,
    # each naming the column.
    Read(
        "kasn_missing_required_column.csv",
        staged=(),
        quarantined=((1, "Hasil", "not_nullable", None), (2, "Hasil", "not_nullable", None)),
        missing_columns=("Hasil",),
    ),
    # Excel's trailing empty columns (in the header and most rows, not all) are not columns.
    Read("kasn_trailing_empty_columns.csv", staged=(1, 2, 3)),
    # NIPs as spreadsheets mangle them: a leading apostrophe and spaces are layout and accepted; a
    # float has lost digits and is rejected, never repaired; an empty NIP goes to identity resolution.
    Read(
        "kasn_nip_floats_and_apostrophes.csv",
        staged=(1, 4, 5),
        quarantined=(
            (2, "NIP", "acceptable_nip", "1.98001012005011E+17"),
            (3, "NIP", "acceptable_nip", NIP_B + ".0"),
        ),
        staged_values=(
            (1, "nip", NIP_A),
            (1, "nip_raw", "'" + NIP_A),
            (1, "birth_date.isoformat", "1980-01-01"),
            (4, "nip", NIP_B),
            (5, "nip", None),
        ),
    ),
    # An unquoted delimiter inside a name gives 13 cells, a truncated line 7: both are bad rows, the
    # rows around them are staged.
    Read(
        "kasn_ragged_rows.csv",
        staged=(1, 4),
        bad_rows=((2, "13 cells, the header has 12"), (3, "7 cells, the header has 12")),
    ),
    # A hand-typed quote inside a quoted cell: that row is a bad row instead of a silently unquoted
    # value, and the reader resumes at the next line.
    Read("kasn_stray_quote.csv", staged=(1, 3), bad_rows=((2, "(line 3): malformed CSV"),)),
    # A quote that never closes would swallow every later row into one cell (silently losing them, or
    # staging a 2-row "Keterangan"): row 1 is kept and the unreadable tail is one bad row naming the
    # line where reading stopped.
    Read(
        "kasn_unterminated_quote.csv",
        staged=(1,),
        bad_rows=((2, "(line 3): a quoted field opened here never closes; reading stopped at line 3"),),
    ),
    Refused("kasn_empty.csv", "the file is empty"),
    # Excel saving an empty sheet: a BOM and a line break, no column names.
    Refused("kasn_bom_only.csv", "the header is empty"),
    # A month without recommendations: a valid file with nothing in it, not an error.
    Read("kasn_header_only.csv", staged=()),
    # A comma file whose cells contain semicolons: they are data; a quoted comma is data too, but an
    # unquoted comma splits the cell and makes a bad row.
    Read(
        "kemendagri_semicolons_in_cells.csv",
        staged=(1, 2),
        bad_rows=((3, "10 cells, the header has 9"),),
        verbatim=(
            (1, "nama", "Drs. Budi Santoso; M.Si."),
            (1, "pemda", "Kabupaten Bogor; Jawa Barat"),
            (2, "pemda", "Kota Bandung, Jawa Barat"),
        ),
        encoding="utf-8-sig",
    ),
    # The generator's four planted faults and a whitespace-only name, each quarantined on its own
    # column; the two clean rows around them are staged.
    Read(
        "kemendagri_bad_values.csv",
        staged=(1, 6),
        quarantined=(
            (2, "tanggal_sk", "dmy_date", "31-04-2024"),
            (3, "nomor_rekomendasi", "not_nullable", None),
            (4, "jenis_hukuman_id", "known_sanction_code", "99"),
            (5, "nip", "acceptable_nip", "1.98001012005011e+17"),
            (7, "nama", "not_nullable", None),
        ),
        staged_values=((6, "fields.sanction_code", "22"), (6, "fields.sanction_date", "2024-11-28")),
    ),
    Refused("kemenpanrb_truncated.jsonl.gz", "not a complete gzip archive"),
    # Line 2 is cut mid-object, line 3 is an array, line 7 carries \u0000; line 4's U+2028 and U+0085
    # are inside a string and must not split it; line 5's NIP is a JSON float.
    Read(
        "kemenpanrb_bad_lines.jsonl.gz",
        staged=(1, 4, 8),
        quarantined=((5, "nip", "acceptable_nip", "1.98001012005011e+17"),),
        bad_rows=((2, "invalid JSON"), (3, "not a JSON object"), (7, "NUL character")),
        verbatim=((4, "isi", "Baris satu\u2028baris dua\x85baris tiga"),),
        staged_values=((8, "nip", NIP_C), (8, "source_updated_at.isoformat", "2024-11-21T01:00:00+00:00")),
        encoding="utf-8",
    ),
    Refused("kemenpanrb_empty.jsonl.gz", "the file is empty"),
    # A plain JSON Lines file delivered under a .gz name.
    Refused("kemenpanrb_not_gzip.jsonl.gz", "not a complete gzip archive"),
]


@cache
def _source(name: str) -> SftpSource:
    source = load_settings(REPO_ROOT / "sbt.yaml", env={}).sources[name]
    assert isinstance(source, SftpSource)
    return source


def _feed_name(file: str) -> str:
    return file.split("_", 1)[0]


def _read(file: str) -> ParsedFile:
    """Read a corpus file exactly as its source is configured in the committed sbt.yaml."""
    source = _source(_feed_name(file))
    data = (CORPUS_DIR / file).read_bytes()
    if source.format == "jsonl_gz":
        return read_jsonl_gz(file, data)
    return read_csv(file, data, delimiter=source.csv.delimiter, encodings=source.csv.encodings)


def _validate(file: str, parsed: ParsedFile) -> ValidationOutcome:
    feed = FEEDS[_feed_name(file)]
    records = [
        RecordInput(ref=row.row, key=str(row.payload.get(feed.key_column, "")), payload=row.payload)
        for row in parsed.rows
    ]
    return validate(feed, records)


def _staged_value(staged: Staged, path: str) -> object:
    head, _, rest = path.partition(".")
    value: object = getattr(staged, head)
    if head == "fields":
        return staged.fields.get(rest)
    if rest and value is not None:
        value = getattr(value, rest)()  # e.g. birth_date.isoformat
    return value


def _case_id(case: Case) -> str:
    return case.file


@pytest.mark.parametrize("case", [c for c in CASES if isinstance(c, Refused)], ids=_case_id)
def test_unreadable_file_is_refused_with_a_reason_naming_the_file(case: Refused) -> None:
    with pytest.raises(FileRefused) as refused:
        _read(case.file)
    message = str(refused.value)
    assert message.startswith(f"{case.file}: "), message
    assert case.reason in message, message


@pytest.mark.parametrize("case", [c for c in CASES if isinstance(c, Read)], ids=_case_id)
def test_bad_rows_and_values_are_set_aside_by_file_row_and_field_and_good_rows_are_staged(
    case: Read,
) -> None:
    parsed = _read(case.file)
    outcome = _validate(case.file, parsed)

    if case.encoding is not None:
        assert parsed.encoding == case.encoding
    unit = "line" if case.file.endswith(".jsonl.gz") else "row"
    assert len(parsed.bad_rows) == len(case.bad_rows), parsed.bad_rows
    for (row, fragment), bad in zip(case.bad_rows, parsed.bad_rows, strict=True):
        assert bad.row == row
        assert bad.reason.startswith(f"{case.file} {unit} {row}"), bad.reason
        assert fragment in bad.reason, bad.reason

    quarantined = [(f.ref, f.column, f.check.split("(")[0], f.value) for f in outcome.failures]
    assert quarantined == list(case.quarantined)
    for failure in outcome.failures:
        assert failure.reason.startswith(f"{failure.column}: "), failure.reason  # names the field
        assert failure.item_no is None  # a whole source row, not one item of it

    # A row whose only fault is its NIP (float-mangled, impossible) is staged without it, for
    # identity resolution by name; its quarantine entry names the NIP for the source to fix.
    faulty = {row for row, *_ in case.quarantined}
    nip_only = faulty - {row for row, _, check, _ in case.quarantined if check != "acceptable_nip"}
    assert [ref for ref, _ in outcome.staged] == sorted([*case.staged, *nip_only])
    assert {f.ref for f in outcome.failures if f.staged} == nip_only
    for ref, kept in outcome.staged:
        if ref in nip_only:
            assert kept.nip is None and kept.birth_date is None and kept.nip_raw  # never repaired
    # Every readable row is staged or quarantined, both only for a rejected NIP, never dropped.
    readable = {row.row for row in parsed.rows}
    assert readable == set(case.staged) | faulty
    assert not set(case.staged) & faulty

    assert outcome.unknown_columns == list(case.unknown_columns)
    assert outcome.missing_columns == list(case.missing_columns)

    payloads = {row.row: row.payload for row in parsed.rows}
    for row, column, value in case.verbatim:
        assert payloads[row][column] == value
    staged = dict(outcome.staged)
    for row, path, expected in case.staged_values:
        assert _staged_value(staged[row], path) == expected


def test_header_only_file_keeps_its_columns_and_has_nothing_to_validate() -> None:
    parsed = _read("kasn_header_only.csv")
    assert parsed.columns == KASN_HEADER
    assert (parsed.rows, parsed.bad_rows) == ([], [])
    assert _validate("kasn_header_only.csv", parsed).rows == 0


def test_trailing_empty_excel_columns_are_not_columns() -> None:
    assert _read("kasn_trailing_empty_columns.csv").columns == KASN_HEADER


def _corpus_files() -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in CORPUS_DIR.iterdir()
        if p.is_file() and p.suffix not in {".py", ".md", ".pyc"}
    }


def test_every_corpus_file_has_one_case_and_a_readme_entry() -> None:
    files = sorted(_corpus_files())
    assert sorted(case.file for case in CASES) == files
    readme = (CORPUS_DIR / "README.md").read_text(encoding="utf-8")
    assert [f for f in files if f"`{f}`" not in readme] == []


def test_committed_corpus_bytes_are_what_make_corpus_writes() -> None:
    assert _corpus_files() == corpus(), "run: python -m tests.ingest.corpus.make_corpus"


def test_corpus_sources_read_as_sbt_yaml_configures_them() -> None:
    # The corpus is only hostile relative to these settings; a change here must revisit the cases.
    kasn, kemendagri, kemenpanrb = (_source(n) for n in ("kasn", "kemendagri", "kemenpanrb"))
    assert (kasn.csv.delimiter, kasn.csv.encodings) == (";", ["utf-8-sig", "cp1252"])
    assert (kemendagri.format, kemendagri.csv.delimiter) == ("csv", ",")
    assert kemenpanrb.format == "jsonl_gz"
