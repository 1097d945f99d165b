"""Reading a delivered file into records: CSV (any delimiter, BOM, CRLF, latin-1, embedded newlines,
Excel's trailing empty columns) and gzip JSON Lines.

A file that cannot be read at all (empty, undecodable, truncated gzip, no header) is refused with a
reason naming the file. A row that cannot be read (wrong cell count, invalid JSON line) becomes a
:class:`BadRow` naming the file and row, and the other rows are still read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from sbt_sync.errors import SbtError


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
    """``(text, encoding)`` with the first encoding that decodes all of ``data``."""
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused(f"{name}: cannot be decoded as any of {', '.join(encodings)}")


def read_csv(name: str, data: bytes, *, delimiter: str, encodings: list[str]) -> ParsedFile:
    """Parse a CSV file; raises :class:`FileRefused` for an empty or undecodable file."""
    if not data.strip():
        raise FileRefused(f"{name}: the file is empty")
    text, encoding = decode(name, data, encodings)
    text = text.lstrip("\ufeff")  # a BOM the codec list did not strip (e.g. cp1252 first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileRefused(f"{name}: no header row") from None
    columns = [c.strip().lstrip("\ufeff") for c in header]
    while columns and columns[-1] == "":  # Excel's trailing empty columns
        columns.pop()
    if not columns or len(set(columns)) != len(columns):
        raise FileRefused(f"{name}: the header is empty or repeats a column name: {header!r}")
    parsed = ParsedFile(name=name, columns=columns, encoding=encoding)
    try:
        for number, cells in enumerate(reader, start=1):
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
    except csv.Error as exc:
        raise FileRefused(f"{name}: malformed CSV near data row {reader.line_num}: {exc}") from None
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
    for number, line in enumerate(text.splitlines(), start=1):
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
        columns.update(dict.fromkeys(value))
        parsed.rows.append(FileRow(number, value))
    parsed.columns = list(columns)
    return parsed
