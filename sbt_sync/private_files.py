"""A random key the sandbox makes once and keeps in a private file (the console's session key, the
access log's NIP-hashing key), shared by every process that starts at the same time.

Several processes start together (``dagster dev``'s daemon and webserver, the console, a CLI command);
each that finds no file makes a key. Writing a fixed temporary name and renaming it let two of them
overwrite each other's key: sessions signed by one were refused by the other, and NIP hashes stopped
matching. Here each writes its own uniquely named file (mode 0600) and links it to the final name,
which fails if the name exists: the first link wins, and every other process reads the winner's key.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

_KEY_BYTES = 48
_WAIT_SECONDS = 5.0
"""How long a process that lost the race waits for the winner's bytes (only where links are not
supported and the final name is created empty first)."""


def kept_random_key(path: Path) -> str:
    """The key kept in ``path``, made (mode 0600, directories as needed) by the first process to get
    there; every process, whoever made it, gets the same key."""
    key = _read(path)
    if key:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(_KEY_BYTES)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(made)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(name, path)  # whole, at once, and only if nobody was first
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: create the name exclusively instead
            _create_exclusively(path, made)
    finally:
        Path(name).unlink()
    return _wait_for(path)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def _create_exclusively(path: Path, key: str) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as out:
        out.write(key)


def _wait_for(path: Path) -> str:
    """The key in ``path``, waiting for its bytes while another process is still writing them."""
    deadline = time.monotonic() + _WAIT_SECONDS
    while not (key := _read(path)) and time.monotonic() < deadline:
        time.sleep(0.01)
    if not key:
        raise OSError(f"{path} stayed empty: the process that made it did not finish writing it")
    return key
