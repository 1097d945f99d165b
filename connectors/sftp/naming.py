"""Remote file names as local ones: a name an SFTP server lists is data, never a path to follow.

A server (hostile, or an agency's misconfigured one) can list any string as a file name: an absolute
path, ``../`` or ``..\\`` segments, a Windows drive, a NUL, bytes that are not UTF-8 (read with
``surrogateescape``, so one such name does not stop the listing of every other file). Joining such a
name onto the download folder would write (and later delete) a file elsewhere, so a name is either a
plain file name, used as it is, or refused with a reason the caller records. Nothing is "cleaned up"
into a different name: two hostile names could clean up into one, and the agency must see the name it
actually sent.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from connectors.errors import SftpError

MAX_NAME_BYTES = 200
"""The longest name taken. Local filesystems accept 255 bytes, but a download is first written under
``.<name>.<8 hex>.partial`` (18 bytes more), so a longer name failed every attempt as if the
connection had dropped and stopped the run; and the rows of a file are keyed ``<name>#<row>`` in a
255-character column, where a longer name would leave no room to tell its rows apart."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_SHOWN = re.compile(r"[\x00-\x1f\x7f\udc80-\udcff]")
"""Control characters, and the bytes of a name that is not UTF-8 (as ``surrogateescape`` reads them)."""
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeName(SftpError):
    """A listed name that is not a plain file name; nothing is downloaded under it."""


def printable(text: str) -> str:
    """``text`` with control characters (NUL included) and bytes that are not UTF-8 as ``\\xNN``:
    storable in any text column and readable in the console, and the same string every time for the
    same name."""
    return _NOT_SHOWN.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)


_HIDDEN_CATEGORIES = frozenset({"Cf", "Zl", "Zp"})
"""Format characters (bidi overrides, embeddings, isolates and marks; zero-width spaces and joiners;
the BOM; the soft hyphen; tags) and the line and paragraph separators: they reorder the text around
them, or show nothing, wherever the text is displayed."""
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters that show nothing."""


def shown(text: str) -> str:
    """``text`` as it may be displayed or logged: :func:`printable`, and every character that would
    reorder or hide part of it (U+202E makes ``laporan_<U+202E>csv.exe`` read "laporan_exe.vsc")
    as a backslash, ``u`` and four hex digits (``U`` and eight past the BMP), so a steward, an
    agency and a log reader see what the name holds. Only for display: names are stored and
    compared as :func:`printable` gives them."""
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
        if unicodedata.category(c) in _HIDDEN_CATEGORIES or c in _BLANK_LETTERS
        else c
        for c in printable(text)
    )


def unsafe_name_reason(name: str) -> str | None:
    """Why ``name`` cannot be used as a local file name inside the download folder, or None."""
    if not name or name in {".", ".."}:
        return "the name is empty, '.' or '..'"
    if "/" in name or "\\" in name:
        return "the name contains a path separator ('/' or '\\'), so it could point outside the folder"
    if _DRIVE.match(name):
        return "the name starts with a drive letter"
    if name.startswith(".."):
        return "the name starts with '..'"
    if _has_surrogate(name):
        return "the name is not UTF-8 (bytes of another encoding, e.g. cp1252)"
    if _CONTROL.search(name):
        return "the name contains a control character (NUL, line break, ...)"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"the name is longer than {MAX_NAME_BYTES} bytes"
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def local_path(dest_dir: Path, name: str) -> Path:
    """Where ``name`` is stored inside ``dest_dir``; :class:`UnsafeName` for any name that is not a
    plain file name, and (belt and braces) for any result that does not sit directly in ``dest_dir``."""
    reason = unsafe_name_reason(name)
    if reason is not None:
        raise UnsafeName(f"remote file name {shown(name)!r} refused: {reason}")
    path = dest_dir / name
    if path.resolve().parent != dest_dir.resolve():
        raise UnsafeName(f"remote file name {shown(name)!r} refused: it resolves outside {dest_dir}")
    return path
