"""Downloading one remote file safely: to a temporary name, checked, then renamed into place.

A reader of the destination never sees half a file: bytes go to a hidden ``.partial`` file next to
it, are fsynced, their count and SHA-256 checked, and only then renamed over the destination
(``os.replace`` is atomic within one filesystem). Whether the bytes are a usable payload (a complete
gzip stream within the size ceiling) is :func:`verify_gzip`'s question, asked by the caller: a bad
file is the agency's problem to fix, not a transfer to retry, and must not stop the files after it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paramiko

from connectors.errors import IntegrityError, LocalStorageError, SftpError, TruncatedGzipError

CHUNK_BYTES = 256 * 1024
DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024
"""A ``.gz`` delivery expanding past this is refused (a decompression bomb, or not what the feed is)."""


class PayloadRefused(SftpError):
    """The bytes arrived intact but are not a usable payload (not gzip, trailing garbage, too large)."""


class RemoteFileChanged(SftpError):
    """The file's size or mtime moved between the listing and the end of its download: it is still
    being written. Nothing is kept; a later run takes it once it holds still."""


class RemoteFileGone(RemoteFileChanged):
    """The file was renamed or removed since the listing (an upload finishing under its final name):
    nothing is wrong, the next listing shows what is there now."""


class RemoteFileUnreadable(SftpError):
    """The server lists the file but refuses to let us open it (permission denied): one file the
    agency must fix, not a reason to stop the files after it. Not retried within a run."""


@dataclass(frozen=True, slots=True)
class Received:
    size: int
    sha256: str
    mtime: int
    """The remote mtime (epoch seconds) of the bytes actually received."""


def download_atomically(
    sftp: paramiko.SFTPClient,
    remote_path: str,
    dest: Path,
    *,
    label: str,
    expected_sha256: str | None,
    listed_size: int | None = None,
) -> Received:
    """Copy ``remote_path`` to ``dest``; nothing exists at ``dest`` unless every check passed.

    Raises :class:`IntegrityError` when fewer or more bytes arrived than the server's size (reading
    stops one byte past it), or their SHA-256 is not ``expected_sha256``;
    :class:`RemoteFileChanged` (before reading anything) when the opened file announces another size
    than ``listed_size``; :class:`RemoteFileUnreadable`
    when the server will not open the file for us; :class:`LocalStorageError` when the local disk
    refuses the bytes (no space left); paramiko/OS errors of the transfer itself propagate (the
    caller retries).
    """
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    try:
        try:
            opened = sftp.open(remote_path, "rb")
        except PermissionError as exc:
            raise RemoteFileUnreadable(
                f"{label}: the server refuses to let this account read it ({exc.strerror or exc})"
            ) from exc
        with opened as remote:
            attrs = remote.stat()
            expected = int(attrs.st_size or 0)
            if listed_size is not None and expected != listed_size:
                # Not one byte more than the listing said: the caller judged the file (its size
                # ceiling, its transfer deadline) on that size.
                raise RemoteFileChanged(
                    f"{label}: changed while being read (listed {listed_size} bytes, the opened "
                    f"file has {expected}): still being written, left for a later run"
                )
            # Pipelined reads: one round trip per chunk would make large files crawl over a WAN.
            remote.prefetch(expected)
            digest, received = hashlib.sha256(), 0
            # Owner-only from the first byte (the file holds personal data); the rename keeps the mode.
            # Unbuffered: a write the disk refuses fails here, not again when the file is closed.
            with storing_locally(label, dest):
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                # Never past one byte more than announced: that byte proves "more than announced",
                # and a server whose file never ends must not fill the local disk.
                while received <= expected and (
                    chunk := remote.read(min(CHUNK_BYTES, expected + 1 - received))
                ):
                    with storing_locally(label, dest):
                        _write_all(fd, chunk)
                    digest.update(chunk)
                    received += len(chunk)
                with storing_locally(label, dest):
                    os.fsync(fd)
            finally:
                os.close(fd)
        if received > expected:
            raise IntegrityError(f"{label}: more bytes arrived than the {expected} the server announced")
        if received != expected or partial.stat().st_size != received:
            raise IntegrityError(f"{label}: received {received} bytes, the server announced {expected}")
        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256.lower():
            raise IntegrityError(f"{label}: SHA-256 {sha256} is not the expected {expected_sha256}")
        with storing_locally(label, dest):
            partial.replace(dest)
        return Received(received, sha256, int(attrs.st_mtime or 0))
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def storing_locally(label: str, dest: Path) -> Iterator[None]:
    """Turn a local disk's refusal (no space left, a quota, a read-only folder) into
    :class:`LocalStorageError` naming the download and the folder, so it is never taken for (and
    retried as) a dropped connection."""
    try:
        yield
    except OSError as exc:
        raise LocalStorageError(
            f"{label}: cannot store the download in {dest.parent}: local storage problem "
            f"({exc.strerror or exc}); nothing of the file was kept"
        ) from exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def verify_gzip(path: Path, *, label: str, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES) -> int:
    """Decompress ``path`` to its end, discarding the output (memory stays one chunk); returns the
    decompressed size.

    Raises :class:`TruncatedGzipError` naming ``label`` when the stream ends early, and
    :class:`PayloadRefused` when it is not gzip, is corrupt, has trailing garbage after its last
    member, or expands past ``max_bytes`` (checked as it streams, so a bomb costs ``max_bytes`` of CPU
    and nothing of memory).
    """
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                total += len(chunk)
                if total > max_bytes:
                    raise PayloadRefused(
                        f"{label}: decompresses to more than {max_bytes} bytes (the configured "
                        "max_decompressed_bytes); refused as a possible decompression bomb"
                    )
    except EOFError as exc:
        raise TruncatedGzipError(
            f"{label}: truncated gzip (ends before its end-of-stream marker, after {total} "
            "decompressed bytes)"
        ) from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise PayloadRefused(
            f"{label}: not a valid gzip file, or bytes that are not gzip after its end ({exc})"
        ) from exc
    return total


def open_payload(path: Path) -> io.BufferedIOBase:
    """``path``'s content as a binary stream, decompressed when the name ends in ``.gz``.

    Downloads were verified already, so decompression errors here mean the local file changed.
    """
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")
