"""Reading a delivered file into records: CSV (any delimiter, BOM, CRLF, latin-1, embedded newlines,
Excel's trailing empty columns) and gzip JSON Lines.

A file that cannot be read at all (empty, undecodable or of mixed encodings, NUL bytes, an unterminated
quote, truncated gzip, no header) is refused with a reason naming the file. A row that cannot be read
(wrong cell count, malformed quoting, invalid JSON line) becomes a :class:`BadRow` naming the file and
row, and the other rows are still read.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from sbt_sync.errors import SbtError

# JSON Lines records end at CR/LF only: str.splitlines() would also split inside a string value at
# U+2028, U+2029 or U+0085, characters JSON allows unescaped and free-text complaints do contain.
_JSONL_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


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


@dataclass
class ParsedFile:
    name: str
    rows: list[FileRow] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    encoding: str | None = None


def decode(name: str, data: bytes, encodings: list[str]) -> tuple[str, str]:
    """``(text, encoding)`` with the first encoding that decodes all of ``data``.

    A UTF-8 byte-order mark declares UTF-8: such a file that is not valid UTF-8 mixes encodings and is
    refused, rather than read as cp1252 mojibake ("JosÃ©") with a phantom "ï»¿No" column.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FileRefused(
                f"{name}: starts with a UTF-8 byte-order mark but byte {exc.start} (line {line}) is not "
                "UTF-8: mixed encodings"
            ) from None
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(f"{name}: cannot be decoded as any of {', '.join(encodings)}")


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def read_csv(name: str, data: bytes, *, delimiter: str, encodings: list[str]) -> ParsedFile:
    """Parse a CSV file.

    Raises :class:`FileRefused` for an empty, undecodable or mixed-encoding file, a NUL byte, a missing
    or malformed header, or a quote that never closes; a malformed row is a :class:`BadRow`.
    """
    if not data.strip():
        raise FileRefused(f"{name}: the file is empty")
    text, encoding = decode(name, data, encodings)
    text = text.lstrip("\ufeff")  # a BOM the codec list did not strip (e.g. cp1252 first)
    if "\x00" in text:  # UTF-16 read as cp1252, or binary; no database text column can hold NUL
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FileRefused(f"{name}: NUL byte on line {line}; not a text CSV (UTF-16 or binary?)")
    # strict: an unterminated quote raises instead of silently swallowing the rest of the file into
    # one cell, and '"a"b' raises instead of losing its quotes.
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
    parsed = ParsedFile(name=name, columns=columns, encoding=encoding)
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
                raise FileRefused(
                    f"{name}: unterminated quoted field in data row {number} (line {first_line}); "
                    "the rest of the file cannot be read"
                ) from None
            # The reader resumes at the next line; only this row is lost.
            reason = f"{name} row {number} (line {first_line}): malformed CSV: {exc}"
            parsed.bad_rows.append(BadRow(number, reason, ""))
            continue
        number += 1
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(columns) and not any(c.strip() for c in cells[len(columns) :]):
            cells = cells[: len(columns)]
        if len(cells) != len(columns):
            parsed.bad_rows.append(
                BadRow(
                    number,
                    f"{name} row {number}: {len(cells)} cells, the header has {len(columns)}",
                    delimiter.join(cells)[:200],
                )
            )
            continue
        parsed.rows.append(FileRow(number, dict(zip(columns, cells, strict=True))))
    return parsed


def read_jsonl_gz(name: str, data: bytes) -> ParsedFile:
    """Parse gzip JSON Lines; raises :class:`FileRefused` for an empty or truncated archive."""
    if not data:
        raise FileRefused(f"{name}: the file is empty")
    try:
        text = gzip.decompress(data).decode("utf-8-sig")
    except (EOFError, OSError, zlib.error) as exc:
        raise FileRefused(f"{name}: not a complete gzip archive ({exc})") from None
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{name}: not UTF-8 JSON Lines ({exc.reason})") from None
    parsed = ParsedFile(name=name, encoding="utf-8")
    columns: dict[str, None] = {}
    for number, line in enumerate(_JSONL_LINE_BREAK.split(text), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.bad_rows.append(
                BadRow(number, f"{name} line {number}: invalid JSON ({exc.msg})", line[:200])
            )
            continue
        if not isinstance(value, dict):
            parsed.bad_rows.append(BadRow(number, f"{name} line {number}: not a JSON object", line[:200]))
            continue
        if "\\u0000" in line and _contains_nul(value):  # valid JSON; no database text column holds NUL
            reason = f"{name} line {number}: a value contains a NUL character (\\u0000)"
            parsed.bad_rows.append(BadRow(number, reason, line[:200]))
            continue
        columns.update(dict.fromkeys(value))
        parsed.rows.append(FileRow(number, value))
    parsed.columns = list(columns)
    return parsed
