"""SFTP deliveries: file bytes exactly as agencies produce them, and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sbt_sync.sandbox.generate.config import iso
from sbt_sync.sandbox.generate.writer import OutputDir, sha256


@dataclass(frozen=True, slots=True)
class CsvStyle:
    """How a spreadsheet tool wrote a CSV file."""

    delimiter: str = ","
    crlf: bool = True
    encoding: str = "utf-8"  # "utf-8-sig" writes a BOM; "latin-1" as old Excel does
    trailing_empty: int = 0  # empty columns Excel keeps after formatted cells


def encode_csv(header: list[str], rows: list[list[str]], style: CsvStyle) -> bytes:
    """CSV bytes; cells quoted only when they contain the delimiter, a quote or a line break."""

    def cell(value: str) -> str:
        if any(ch in value for ch in (style.delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    pad = [""] * style.trailing_empty
    end = "\r\n" if style.crlf else "\n"
    text = "".join(style.delimiter.join(cell(v) for v in [*line, *pad]) + end for line in [header, *rows])
    return text.encode(style.encoding, errors="replace")


class Deliveries:
    """Writes delivered files under ``sftp/files/<source>/`` and logs each delivery."""

    def __init__(self, out: OutputDir) -> None:
        self.out = out
        self.log: list[dict[str, Any]] = []
        self._seq: dict[str, int] = {}
        self._latest: dict[tuple[str, str], str] = {}

    def deliver(self, source: str, name: str, at: datetime, data: bytes) -> str:
        """Write one delivery and return its content path (a re-delivery replaces the earlier one)."""
        seq = self._seq.get(source, 0) + 1
        self._seq[source] = seq
        content = f"sftp/files/{source}/{seq:05d}__{name}"
        self.out.write(content, data)
        self.log.append(
            {
                "source": source,
                "name": name,
                "available_at": iso(at),
                "content": content,
                "sha256": sha256(data),
                "replaces": self._latest.get((source, name)),
            }
        )
        self._latest[(source, name)] = content
        return content

    def lines(self) -> list[dict[str, Any]]:
        """The delivery log in delivery order (by instant, then source and name)."""
        return sorted(self.log, key=lambda d: (d["available_at"], d["source"], d["name"], d["content"]))
