"""Which delivered files to process: the manifest interface and the pure decision over it.

The manifest (the ``sftp_files`` table, implemented by the core) remembers every file by source,
path, size, mtime and SHA-256. A file listed with the same size and mtime as a settled entry is not
even downloaded; a downloaded file whose content is already settled is not processed again; anything
else is, so a corrected re-delivery under the same name (new content) is picked up and an unchanged
or merely touched file is not. ``pending`` entries (a run that crashed midway) never count as settled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from connectors.sftp.reader import DownloadedFile, SftpReader

log = logging.getLogger(__name__)

Status = Literal["pending", "processed", "refused"]
SETTLED: frozenset[str] = frozenset({"processed", "refused"})


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    source: str
    path: str
    size: int
    mtime: datetime
    sha256: str
    status: Status


class FileManifest(Protocol):
    """Lookups the core implements over ``sftp_files`` (the latest matching entry, or None)."""

    def find_by_content(self, source: str, path: str, sha256: str) -> ManifestEntry | None: ...

    def find_by_stat(self, source: str, path: str, size: int, mtime: datetime) -> ManifestEntry | None: ...


@dataclass(frozen=True, slots=True)
class Decision:
    action: Literal["skip", "download", "process"]
    reason: str


def decide_listed(by_stat: ManifestEntry | None) -> Decision:
    """Before downloading: skip a file whose size and mtime match a settled entry, else download."""
    if by_stat is None:
        return Decision("download", "new or changed: no entry with this size and mtime")
    if by_stat.status in SETTLED:
        return Decision("skip", f"unchanged since it was {by_stat.status} (same size and mtime)")
    return Decision("download", "an earlier attempt did not finish (entry still pending)")


def decide_downloaded(by_content: ManifestEntry | None) -> Decision:
    """After downloading: process unless this very content (same SHA-256) is already settled."""
    if by_content is None:
        return Decision("process", "new content")
    if by_content.status in SETTLED:
        return Decision("skip", f"same content already {by_content.status} (only size or mtime changed)")
    return Decision("process", "an earlier attempt did not finish (entry still pending)")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A downloaded file the caller must process, and why."""

    file: DownloadedFile
    decision: Decision


def new_deliveries(
    reader: SftpReader,
    manifest: FileManifest,
    *,
    source: str,
    directory: str,
    pattern: str,
    dest_dir: Path,
) -> Iterator[Delivery]:
    """Download and yield, oldest first, each file in ``directory`` the manifest says to process.

    Skipped files are logged, not yielded; a downloaded-but-skipped copy is deleted. The caller
    records each yielded file in the manifest (with its SHA-256) in the same transaction as its rows.
    Raises the reader's errors.
    """
    for remote in reader.list_files(directory, pattern):
        listed = decide_listed(manifest.find_by_stat(source, remote.path, remote.size, remote.mtime))
        if listed.action == "skip":
            log.debug("%s %s: %s", source, remote.path, listed.reason)
            continue
        file = reader.download(remote, dest_dir)
        decision = decide_downloaded(manifest.find_by_content(source, remote.path, file.sha256))
        if decision.action == "skip":
            log.info("%s %s: %s", source, remote.path, decision.reason)
            file.local_path.unlink(missing_ok=True)
            continue
        yield Delivery(file, decision)
