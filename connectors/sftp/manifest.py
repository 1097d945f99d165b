"""Which delivered files to process: the manifest interface and the pure decision over it.

The manifest (the ``sftp_files`` table, implemented by the core) remembers every file by source,
path, size, mtime and SHA-256. Only the latest delivery of a path is compared: a file listed with the
same size and mtime as that delivery is not even downloaded; a downloaded file with that delivery's
content is not processed again; anything else is, so a corrected re-delivery under the same name (new
content) is picked up, a correction reverted to the bytes of an earlier delivery is picked up again,
and an unchanged or merely touched file is not. ``pending`` entries (a run that crashed midway) never
count as settled. New files are recognised by the manifest alone, never by an mtime watermark: an
agency uploading with preserved timestamps delivers new files older than the last one processed.
Paths are looked up in their printable form (:func:`~connectors.sftp.naming.printable`), as they are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from connectors.errors import IntegrityError, TruncatedGzipError
from connectors.sftp.naming import printable, shown, unsafe_name_reason
from connectors.sftp.reader import DownloadedFile, RemoteFile, SftpReader
from connectors.sftp.transfer import (
    DEFAULT_MAX_DECOMPRESSED_BYTES,
    PayloadRefused,
    RemoteFileChanged,
    RemoteFileGone,
    RemoteFileUnreadable,
    verify_gzip,
)

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
    """Lookups the core implements over ``sftp_files``: the latest delivery of ``path`` when it
    matches (its content, or its size and mtime), else None. An earlier delivery never matches."""

    def find_by_content(self, source: str, path: str, sha256: str) -> ManifestEntry | None: ...

    def find_by_stat(self, source: str, path: str, size: int, mtime: datetime) -> ManifestEntry | None: ...


@dataclass(frozen=True, slots=True)
class Decision:
    action: Literal["skip", "download", "process"]
    reason: str


def decide_listed(by_stat: ManifestEntry | None) -> Decision:
    """Before downloading: skip a file whose size and mtime match the latest delivery of its path
    when that delivery is settled, else download."""
    if by_stat is None:
        return Decision("download", "new or changed: no entry with this size and mtime")
    if by_stat.status in SETTLED:
        return Decision("skip", f"unchanged since it was {by_stat.status} (same size and mtime)")
    return Decision("download", "an earlier attempt did not finish (entry still pending)")


def decide_downloaded(by_content: ManifestEntry | None) -> Decision:
    """After downloading: process unless this very content (same SHA-256) is the latest delivery of
    its path and settled."""
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


@dataclass(frozen=True, slots=True)
class Refusal:
    """A listed file that will not be processed as delivered; the caller records ``reason`` in the
    manifest (``refused``) and the quarantine, so the agency sees it and a later run does not retry it."""

    remote: RemoteFile
    reason: str
    sha256: str
    """Of the bytes refused; empty when the file was never downloaded (its name was refused)."""


DeferralKind = Literal["settling", "gone", "unreadable", "changing"]
"""Why a file waits: modified within the settle time or gone since the listing (the usual end of an
upload, nothing wrong), the server will not let us read it, or it changed while it was read (written
in place)."""


@dataclass(frozen=True, slots=True)
class Deferral:
    """A file left for a later run; nothing is recorded about it in the manifest. The caller shows
    the agency's problems (every kind but ``settling``) to stewards and the agency."""

    remote: RemoteFile
    reason: str
    kind: DeferralKind = "settling"


Outcome = Delivery | Refusal | Deferral


def new_deliveries(
    reader: SftpReader,
    manifest: FileManifest,
    *,
    source: str,
    directory: str,
    pattern: str,
    dest_dir: Path,
    settle_seconds: float = 0.0,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[Outcome]:
    """Yield, oldest first, what to do with each file in ``directory`` the manifest has not settled.

    - :class:`Refusal`: a name that is not a plain file name (never downloaded: nothing is written
      outside ``dest_dir``), a file larger than ``max_decompressed_bytes`` (never downloaded), or a
      ``.gz`` that is truncated, not gzip, has trailing garbage or expands past it. One bad file
      never stops the files after it.
    - :class:`Deferral`: modified less than ``settle_seconds`` ago, changed while it was read, or
      the server will not let us read it (permission denied; warned about on every run).
    - :class:`Delivery`: downloaded (to ``dest_dir/<name>``) and to be processed.

    A file whose size and mtime match its path's latest settled delivery is not downloaded; a
    downloaded copy that is not yielded as a delivery is deleted. The caller records each delivery
    and refusal in the manifest in the same transaction as its rows. Raises the reader's connection
    and login errors.
    """
    for remote in reader.list_files(directory, pattern):
        listed = decide_listed(
            manifest.find_by_stat(source, printable(remote.path), remote.size, remote.mtime)
        )
        if listed.action == "skip":
            log.debug("%s %s: %s", source, shown(remote.path), listed.reason)
            continue
        bad_name = unsafe_name_reason(remote.name)
        if bad_name is not None:
            yield Refusal(remote, f"remote file name {shown(remote.name)!r} refused: {bad_name}", "")
            continue
        if remote.size > max_decompressed_bytes:
            # Never downloaded: a plain file is read whole into memory, and a .gz this large
            # expands past the ceiling anyway.
            yield Refusal(
                remote,
                f"{shown(remote.path)}: {remote.size} bytes, more than the {max_decompressed_bytes} "
                "a delivery may hold (the configured max_decompressed_bytes); refused unread",
                "",
            )
            continue
        age = (now() - remote.mtime).total_seconds()
        if 0 <= age < settle_seconds:
            # A preserved old mtime (sftp -p, rsync -t) is not "recent" and is taken; a file written
            # in place under it is still caught by the re-stat after the download.
            yield Deferral(
                remote, f"modified {age:.0f} s ago, within the settle time of {settle_seconds:g} s"
            )
            continue
        try:
            file = reader.download(remote, dest_dir)
        except RemoteFileGone as exc:
            yield Deferral(remote, str(exc), "gone")
            continue
        except (RemoteFileChanged, IntegrityError) as exc:
            yield Deferral(remote, str(exc), "changing")
            continue
        except RemoteFileUnreadable as exc:
            # Not settled: making it readable (chmod) changes neither its size nor its mtime.
            log.warning("%s: %s", source, exc)
            yield Deferral(remote, f"{exc}; left for a later run", "unreadable")
            continue
        decision = decide_downloaded(manifest.find_by_content(source, printable(remote.path), file.sha256))
        if decision.action == "skip":
            log.info("%s %s: %s", source, shown(remote.path), decision.reason)
            file.local_path.unlink(missing_ok=True)
            continue
        if remote.name.endswith(".gz"):
            try:
                verify_gzip(file.local_path, label=shown(remote.path), max_bytes=max_decompressed_bytes)
            except (TruncatedGzipError, PayloadRefused) as exc:
                file.local_path.unlink(missing_ok=True)
                yield Refusal(file.remote, str(exc), file.sha256)
                continue
        yield Delivery(file, decision)
