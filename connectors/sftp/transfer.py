"""Downloading one remote file safely: to a temporary name, checked, then renamed into place.

A reader of the destination never sees half a file: bytes go to a hidden ``.partial`` file next to
it, are fsynced, their count and SHA-256 checked (and a ``.gz`` fully decompressed once), and only
then renamed over the destination (``os.replace`` is atomic within one filesystem).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

import paramiko

from connectors.errors import IntegrityError, SftpError, TruncatedGzipError

CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Received:
    size: int
    sha256: str
    mtime: int
    """The remote mtime (epoch seconds) of the bytes actually received."""


def download_atomically(
    sftp: paramiko.SFTPClient, remote_path: str, dest: Path, *, label: str, expected_sha256: str | None
) -> Received:
    """Copy ``remote_path`` to ``dest``; nothing exists at ``dest`` unless every check passed.

    Raises :class:`IntegrityError` when fewer or more bytes arrived than the server's size, or their
    SHA-256 is not ``expected_sha256``; :class:`TruncatedGzipError` for a ``.gz`` that does not
    decompress to its end; paramiko/OS errors of the transfer itself propagate (the caller retries).
    """
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    try:
        with sftp.open(remote_path, "rb") as remote:
            attrs = remote.stat()
            expected = int(attrs.st_size or 0)
            # Pipelined reads: one round trip per chunk would make large files crawl over a WAN.
            remote.prefetch(expected)
            digest, received = hashlib.sha256(), 0
            with partial.open("wb") as out:
                while chunk := remote.read(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        if received != expected or partial.stat().st_size != received:
            raise IntegrityError(f"{label}: received {received} bytes, the server announced {expected}")
        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256.lower():
            raise IntegrityError(f"{label}: SHA-256 {sha256} is not the expected {expected_sha256}")
        if dest.name.endswith(".gz"):
            verify_gzip(partial, label=label)
        partial.replace(dest)
        return Received(received, sha256, int(attrs.st_mtime or 0))
    finally:
        partial.unlink(missing_ok=True)


def verify_gzip(path: Path, *, label: str) -> None:
    """Decompress ``path`` to its end, discarding the output.

    Raises :class:`TruncatedGzipError` naming ``label`` when the stream ends early, :class:`SftpError`
    when it is not gzip at all or is corrupt.
    """
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(CHUNK_BYTES):
                pass
    except EOFError as exc:
        raise TruncatedGzipError(f"{label}: truncated gzip (ends before its end-of-stream marker)") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise SftpError(f"{label}: not a valid gzip file ({exc})") from exc


def open_payload(path: Path) -> io.BufferedIOBase:
    """``path``'s content as a binary stream, decompressed when the name ends in ``.gz``.

    Downloads were verified already, so decompression errors here mean the local file changed.
    """
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")
