"""Reading a delivered file into records: CSV (any delimiter, BOM, CRLF, latin-1, embedded newlines,
Excel's trailing empty columns) and gzip JSON Lines.

A file that cannot be read at all (empty, undecodable, UTF-16 or binary, truncated or oversized gzip,
no header) is refused with a reason naming the file. Anything smaller becomes a :class:`BadRow` naming
the file, the row (and line) and, where there is one, the field, and every other row is still read: a
wrong cell count, malformed quoting, a NUL in a cell, a cell longer than :data:`MAX_CELL_CHARS`, a
row in another encoding than the rest of the file, a line no configured encoding can decode (named
with the offset of its first bad byte), an invalid JSON line, a JSON object repeating a key, and the
unreadable tail after a quote that never closes (the rows before it are kept).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from connectors.sftp.transfer import DEFAULT_MAX_DECOMPRESSED_BYTES
from sbt_sync.errors import SbtError

# JSON Lines records end at CR/LF only: str.splitlines() would also split inside a string value at
# U+2028, U+2029 or U+0085, characters JSON allows unescaped and free-text complaints do contain.
_JSONL_LINE_BREAK = re.compile(rb"\r\n|[\r\n]")
# CSV lines end at CRLF, LF or a bare CR (Excel for Mac's "CSV (Macintosh)"), as csv and io read
# them: a file's lines must be counted the way its rows are, or one bad byte in a CR-only file is
# "on line 1" and costs the whole file.
_CSV_LINE_END = re.compile(rb"(\r\n|\r|\n)")
_CSV_LINE_END_TEXT = re.compile(r"\r\n|\r|\n")
MAX_CELL_CHARS = 128 * 1024
"""The longest CSV cell (in characters) a row may carry; a longer one makes its row a bad row naming
the column. Python's csv module stops at this size by default, but a cell over its limit made the
reader resume mid-cell and lose every later row, so the file is parsed with the limit lifted to the
file's own size and the cell is refused afterwards (``read_csv(max_cell_chars=...)``)."""
_FIELD_LIMIT_LOCK = threading.Lock()


class FileRefused(SbtError):
    """The whole file is unreadable; nothing in it is landed."""


@dataclass(frozen=True, slots=True)
class FileRow:
    row: int
    """1-based data row (CSV: header excluded; JSON Lines: line number)."""
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadRow:
    row: int
    reason: str
    value: str
    column: str | None = None
    """The field at fault, when one is (a NUL in a cell, a repeated JSON key)."""


@dataclass
class ParsedFile:
    name: str
    rows: list[FileRow] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    encoding: str | None = None


_UTF8 = frozenset({"utf-8", "utf-8-sig", "utf8", "utf_8"})


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    bad_lines: dict[int, str]
    """1-based line -> why that line is not in the file's encoding (mixed encodings)."""


def decode(name: str, data: bytes, encodings: list[str]) -> Decoded:
    """``data`` as text in the first of ``encodings`` that fits, line by line where they are mixed.

    A file that is UTF-8 throughout (or declares it with a byte-order mark) is UTF-8. A file with both
    valid non-ASCII UTF-8 lines and lines that are not UTF-8 mixes encodings (rows appended in a cp1252
    editor to a UTF-8 file): reading it all as cp1252 would stage mojibake ("JosÃ©") silently, so the
    encoding most of its non-ASCII lines use is the file's, and each line in the other is a bad line
    (its text decoded with replacement characters only to keep the CSV structure). Raises
    :class:`FileRefused` when no encoding decodes the file.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        return Decoded(body.decode("utf-8"), "utf-8-sig", {})
    except UnicodeDecodeError:
        pass
    parts = _CSV_LINE_END.split(body)
    lines, ends = parts[0::2], [end.decode("ascii") for end in parts[1::2]] + [""]
    utf8_lines, other_lines = [], []
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    legacy = [e for e in encodings if e.lower().replace("_", "-") not in _UTF8]
    # A byte-order mark declares UTF-8 for the whole file, whatever its lines say.
    if bom or (utf8_lines and (not legacy or len(utf8_lines) >= len(other_lines))):
        declared = "it starts with a UTF-8 byte-order mark" if bom else f"line {utf8_lines[0]} is UTF-8"
        bad = {n: f"not UTF-8 while {declared}: mixed encodings" for n in other_lines}
        text = "".join(line.decode("utf-8", "replace") + end for line, end in zip(lines, ends, strict=True))
        return Decoded(text, "utf-8-sig", bad)
    for encoding in legacy:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        bad = {n: f"UTF-8 while line {other_lines[0]} is {encoding}: mixed encodings" for n in utf8_lines}
        if bad:  # the UTF-8 minority decoded as cp1252 would be mojibake: keep it out, line by line
            text = "".join(
                (line.decode("utf-8") if n in bad else line.decode(encoding)) + end
                for n, (line, end) in enumerate(zip(lines, ends, strict=True), start=1)
            )
        return Decoded(text, encoding, bad)
    return _decode_by_line(name, lines, ends, encodings, legacy, utf8_lines)


def _decode_by_line(
    name: str,
    lines: list[bytes],
    ends: list[str],
    encodings: list[str],
    legacy: list[str],
    utf8_lines: list[int],
) -> Decoded:
    """No encoding decodes the whole body: read it in the legacy encoding that decodes the most lines,
    and make each line it cannot decode a bad line naming the offset of its first bad byte (decoded
    with replacement characters only to keep the CSV structure). UTF-8 lines stay bad lines as in a
    mixed file. Raises :class:`FileRefused` when there is no legacy encoding or the header line
    itself cannot be decoded (nothing in the file can be read as a row then)."""
    if not legacy:
        raise FileRefused(f"{name}: cannot be decoded as any of {', '.join(encodings)}")
    utf8 = set(utf8_lines)

    def undecodable(encoding: str) -> int:
        count = 0
        for number, line in enumerate(lines, start=1):
            if number in utf8 or line.isascii():
                continue
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                count += 1
        return count

    encoding = min(legacy, key=undecodable)  # min keeps the first of equals: the configured order
    bad: dict[int, str] = {}
    texts: list[str] = []
    offset = 0
    for number, (line, end) in enumerate(zip(lines, ends, strict=True), start=1):
        if number in utf8:
            bad[number] = f"UTF-8 while the file is {encoding}: mixed encodings"
            texts.append(line.decode("utf-8"))
        else:
            try:
                texts.append(line.decode(encoding))
            except UnicodeDecodeError as exc:
                byte = line[exc.start]
                bad[number] = (
                    f"byte 0x{byte:02x} at offset {offset + exc.start} of the file (byte {exc.start + 1} "
                    f"of the line) is not valid in any of {', '.join(encodings)}"
                )
                texts.append(line.decode(encoding, "replace"))
        texts.append(end)
        offset += len(line) + len(end)
    if 1 in bad:
        raise FileRefused(f"{name}: cannot decode the header line: {bad[1]}")
    return Decoded("".join(texts), encoding, bad)


def _find_bad_text(value: object) -> str | None:
    """Why a parsed JSON value cannot be stored as text (a NUL, a lone surrogate), or None.

    Iterative: a value nested as deep as the parser allowed must not overflow the stack here.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "a value contains a NUL character (\\u0000)"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "a value contains a lone surrogate (an invalid \\ud800-\\udfff escape)"
    return None


def _nul_column(columns: list[str], cells: list[str]) -> str | None:
    for column, cell in zip(columns, cells, strict=False):
        if "\x00" in cell:
            return column
    return None


@contextmanager
def _field_limit(chars: int) -> Iterator[None]:
    """Lift csv's field size limit (process-global) to ``chars`` while one file is parsed, and put it
    back afterwards; the lock keeps two threads' reads from restoring it under each other."""
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, chars))
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def _long_cell(columns: list[str], cells: list[str], most: int) -> tuple[str, int] | None:
    for column, cell in zip(columns, cells, strict=False):
        if len(cell) > most:
            return column, len(cell)
    return None


def read_csv(
    name: str, data: bytes, *, delimiter: str, encodings: list[str], max_cell_chars: int = MAX_CELL_CHARS
) -> ParsedFile:
    """Parse a CSV file.

    Raises :class:`FileRefused` for an empty or undecodable file, one that is UTF-16 or binary (NUL
    bytes in its header), or a missing or malformed header. Everything smaller is a :class:`BadRow`:
    a malformed row, a NUL in a cell, a cell longer than ``max_cell_chars``, a row in another encoding
    than the file or on a line no configured encoding decodes (see :func:`decode`), and the rest of
    the file after a quote that never closes, naming the line where reading stopped.
    """
    if not data.strip():
        raise FileRefused(f"{name}: the file is empty")
    decoded = decode(name, data, encodings)
    text = decoded.text.lstrip("\ufeff")  # a BOM the codec list did not strip (e.g. cp1252 first)
    first_line_end = _CSV_LINE_END_TEXT.search(text)
    if "\x00" in text[: first_line_end.start() if first_line_end else len(text)]:
        # UTF-16 read as cp1252, or binary: every line is riddled with NULs, nothing in it is a row.
        raise FileRefused(f"{name}: NUL byte on line 1; not a text CSV (UTF-16 or binary?)")
    # strict: an unterminated quote raises instead of silently swallowing the rest of the file into
    # one cell, and '"a"b' raises instead of losing its quotes.
    # A cell can be no longer than the file: with the limit lifted that far, a long quoted cell is
    # read whole (and refused below) instead of stopping the reader inside it.
    with _field_limit(len(text) + 1):
        return _parse_csv(name, text, decoded, delimiter=delimiter, max_cell_chars=max_cell_chars)


def _parse_csv(name: str, text: str, decoded: Decoded, *, delimiter: str, max_cell_chars: int) -> ParsedFile:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileRefused(f"{name}: no header row") from None
    except csv.Error as exc:
        raise FileRefused(f"{name}: malformed CSV header: {exc}") from None
    columns = [c.strip().lstrip("\ufeff") for c in header]
    while columns and columns[-1] == "":  # Excel's trailing empty columns
        columns.pop()
    if not columns or len(set(columns)) != len(columns):
        raise FileRefused(f"{name}: the header is empty or repeats a column name: {header!r}")
    parsed = ParsedFile(name=name, columns=columns, encoding=decoded.encoding)
    number = 0
    while True:
        first_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            if str(exc).startswith("unexpected end of data"):
                # Everything read before this row is kept; the tail is one bad row, so the agency
                # sees exactly where its file stopped being readable.
                tail = _CSV_LINE_END_TEXT.split(text, maxsplit=first_line - 1)[-1] if first_line > 1 else text
                reason = (
                    f"{name} row {number} (line {first_line}): a quoted field opened here never closes; "
                    f"reading stopped at line {first_line}, rows from here on are not read"
                )
                parsed.bad_rows.append(BadRow(number, reason, tail[:200]))
                break
            # The reader resumes at the next line; only this row is lost.
            reason = f"{name} row {number} (line {first_line}): malformed CSV: {exc}"
            parsed.bad_rows.append(BadRow(number, reason, ""))
            continue
        number += 1
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(columns) and not any(c.strip() for c in cells[len(columns) :]):
            cells = cells[: len(columns)]
        shown = delimiter.join(cells)[:200].replace("\x00", "\\x00")
        foreign = [n for n in range(first_line, reader.line_num + 1) if n in decoded.bad_lines]
        if foreign:
            reason = f"{name} row {number} (line {foreign[0]}): {decoded.bad_lines[foreign[0]]}"
            parsed.bad_rows.append(BadRow(number, reason, shown))
            continue
        if len(cells) != len(columns):
            reason = f"{name} row {number}: {len(cells)} cells, the header has {len(columns)}"
            parsed.bad_rows.append(BadRow(number, reason, shown))
            continue
        long_cell = _long_cell(columns, cells, max_cell_chars)
        if long_cell is not None:
            column, length = long_cell
            reason = (
                f"{name} row {number} (line {first_line}): column {column!r} holds {length} characters, "
                f"more than the {max_cell_chars} a cell may hold"
            )
            parsed.bad_rows.append(BadRow(number, reason, shown, column))
            continue
        nul_column = _nul_column(columns, cells)
        if nul_column is not None:  # no database text column can hold NUL
            reason = f"{name} row {number} (line {first_line}): column {nul_column!r} contains a NUL byte"
            parsed.bad_rows.append(BadRow(number, reason, shown, nul_column))
            continue
        parsed.rows.append(FileRow(number, dict(zip(columns, cells, strict=True))))
    return parsed


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a repeated key: ``json.loads`` would keep the last silently."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constant(name: str) -> None:
    """``NaN`` and ``Infinity`` are not JSON; Python's parser accepts them unless told not to."""
    raise ValueError(f"{name} is not a JSON value")


_GZIP_MAGIC = b"\x1f\x8b"
_GUNZIP_IN = 64 * 1024
_GUNZIP_OUT = 256 * 1024


def _gunzip(name: str, data: bytes, max_bytes: int) -> bytes:
    """Decompress ``data`` as it streams, refusing it past ``max_bytes`` before holding more.

    A file may hold several gzip members (daily files joined with ``cat``, valid gzip), read one
    after the other as ``zcat`` reads them (a member may end mid-line: block writers split anywhere).
    A UTF-8 byte-order mark starting a member at the start of a line is the BOM of a file that was
    joined on, not data: the file's first BOM alone was dropped, and every later one cost its line.
    """
    view = memoryview(data)
    members: list[bytes] = []
    total, position = 0, 0
    while position < len(view):
        if view[position : position + 2] != _GZIP_MAGIC:
            what = "it does not start as gzip" if position == 0 else "bytes that are not gzip after its end"
            raise FileRefused(
                f"{name}: not a complete gzip archive ({what}) after {total} decompressed bytes"
            )
        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        chunks: list[bytes] = []
        try:
            while not stream.eof:
                # Input in bounded pieces: unconsumed_tail is a copy, so handing zlib the whole rest
                # of a large file at every step would copy it over and over.
                piece = view[position : position + _GUNZIP_IN]
                position += len(piece)
                pending: bytes | memoryview = piece
                while True:
                    chunk = stream.decompress(pending, _GUNZIP_OUT)
                    total += len(chunk)
                    if total > max_bytes:
                        raise FileRefused(
                            f"{name}: decompresses to more than {max_bytes} bytes "
                            "(max_decompressed_bytes); refused as a possible decompression bomb"
                        )
                    chunks.append(chunk)
                    pending = stream.unconsumed_tail
                    if stream.eof or not (pending or chunk):
                        break
                if not piece and not stream.eof:
                    raise EOFError("the stream ends before its end-of-stream marker")
        except (EOFError, zlib.error) as exc:
            raise FileRefused(
                f"{name}: not a complete gzip archive ({exc}) after {total} decompressed bytes"
            ) from None
        position -= len(stream.unused_data)  # the next member starts there
        member = b"".join(chunks)
        at_line_start = not members or members[-1].endswith((b"\n", b"\r"))
        if at_line_start and member.startswith(codecs.BOM_UTF8):
            member = member[len(codecs.BOM_UTF8) :]
        if member:
            members.append(member)
    return b"".join(members)


def read_jsonl_gz(name: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES) -> ParsedFile:
    """Parse gzip JSON Lines.

    Raises :class:`FileRefused` for an empty, truncated, corrupt or over-``max_bytes`` archive. A line
    that is not UTF-8, not JSON (including nesting too deep or a number too long to read), not an
    object, repeats a key, or holds text no database can store (NUL, a lone surrogate) is a
    :class:`BadRow` naming the line; every other line is read.
    """
    if not data:
        raise FileRefused(f"{name}: the file is empty")
    raw = _gunzip(name, data, max_bytes)
    parsed = ParsedFile(name=name, encoding="utf-8")
    columns: dict[str, None] = {}
    for number, line_bytes in enumerate(_JSONL_LINE_BREAK.split(raw), start=1):
        if not line_bytes.strip():
            continue
        shown = line_bytes[:200].decode("utf-8", "replace")
        try:
            line = line_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"{name} line {number}: byte {exc.start} of the line is not UTF-8 (mixed encodings)"
            parsed.bad_rows.append(BadRow(number, reason, shown))
            continue
        try:
            value = json.loads(line, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except _DuplicateKey as exc:
            reason = f"{name} line {number}: field {exc.args[0]!r} appears twice in one object"
            parsed.bad_rows.append(BadRow(number, reason, shown, str(exc.args[0])))
            continue
        except json.JSONDecodeError as exc:
            parsed.bad_rows.append(BadRow(number, f"{name} line {number}: invalid JSON ({exc.msg})", shown))
            continue
        except RecursionError:
            reason = f"{name} line {number}: invalid JSON (nested too deep to read)"
            parsed.bad_rows.append(BadRow(number, reason, shown))
            continue
        except ValueError as exc:  # e.g. an integer longer than Python will convert
            reason = f"{name} line {number}: invalid JSON ({str(exc)[:120]})"
            parsed.bad_rows.append(BadRow(number, reason, shown))
            continue
        if not isinstance(value, dict):
            parsed.bad_rows.append(BadRow(number, f"{name} line {number}: not a JSON object", shown))
            continue
        problem = _find_bad_text(value)
        if problem is not None:  # valid JSON, but no database text column holds it
            parsed.bad_rows.append(BadRow(number, f"{name} line {number}: {problem}", shown))
            continue
        columns.update(dict.fromkeys(value))
        parsed.rows.append(FileRow(number, value))
    parsed.columns = list(columns)
    return parsed
