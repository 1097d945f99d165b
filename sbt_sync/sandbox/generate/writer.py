"""Deterministic file output: stable JSON, gzip without timestamps, and a sha256 per written file."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO


def dumps(obj: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON, UTF-8 kept as is; key order is insertion order unless ``sort_keys``."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys, allow_nan=False)


def jsonl(records: Iterable[Any], *, sort_keys: bool = False) -> bytes:
    """JSON Lines, one record a line, ``\\n`` endings."""
    return "".join(dumps(r, sort_keys=sort_keys) + "\n" for r in records).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """gzip with mtime 0 and no file name, so equal input gives equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as handle:
        handle.write(data)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OutputDir:
    """Writes files under one root and remembers each file's sha256 for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hashes: dict[str, str] = {}

    def write(self, rel: str, data: bytes) -> str:
        """Write ``data`` to ``root/rel`` (creating folders) and return its sha256."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digest = sha256(data)
        self.hashes[rel] = digest
        return digest

    def open_gzip(self, rel: str) -> GzipSink:
        """A streaming gzip sink for large files (the registry); call ``close()`` to record its hash."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return GzipSink(self, rel, path.open("wb"))


class GzipSink:
    """Streams text into a deterministic gzip file and hashes the compressed bytes as they are written."""

    def __init__(self, owner: OutputDir, rel: str, raw: BinaryIO) -> None:
        self._owner = owner
        self._rel = rel
        self._raw = raw
        self._hash = hashlib.sha256()
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self, mtime=0, compresslevel=6)

    def write(self, data: bytes) -> int:
        """Called by GzipFile with compressed bytes."""
        self._hash.update(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def write_text(self, text: str) -> None:
        self._gz.write(text.encode("utf-8"))

    def close(self) -> None:
        self._gz.close()
        self._raw.close()
        self._owner.hashes[self._rel] = self._hash.hexdigest()
