"""Name normalisation for identity matching: titles, punctuation, case and spacing removed.

Indonesian names carry academic and religious titles before and after the name ("Dr. H. Ahmad Fauzi,
S.Pd., M.Si."); matching must ignore them, and SIASN keeps them apart (gelarDepan, gelarBelakang).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import lru_cache

# Forms of address reports write before a name ("Sdr. Ahmad", "Ibu Siti"): stripped like a title,
# but no title a registry gelar could hold.
FORMS_OF_ADDRESS = frozenset({"sdr", "sdri", "sdra", "saudara", "saudari", "bpk", "bapak", "ibu"})
# Titles written before the name (lower-case, without dots).
FRONT_TITLES = frozenset(
    {
        "dr", "drs", "dra", "ir", "prof", "h", "hj", "kh", "hc", "drg", "drh", "bd", "dt", "ns", "apt", "tn",
        "ny", "r", "rr",
    }
) | FORMS_OF_ADDRESS  # fmt: skip
# Titles written after the name, compared with dots and spaces removed (S.Pd. -> spd).
BACK_TITLES = frozenset(
    {
        "sh", "se", "st", "sp", "spd", "spdi", "ssos", "sip", "skom", "sag", "sthi", "shi", "sked", "sfarm",
        "ssi", "ssit", "sstp", "stp", "skm", "skep", "sgz", "spsi", "sikom", "sos", "sak", "sm", "sam", "spt",
        "ssn", "ahmd", "amd", "amdkeb", "amdkep", "amk", "amg", "mm", "msi", "mpd", "mh", "mkes", "mt",
        "mkom", "map", "mag", "msc", "ma", "mba", "mpdi", "mhum", "mkn", "mtp", "mp", "mab", "me", "mip",
        "phd", "spog", "spa", "sppd", "sprad", "spb", "mars", "mmr", "mpa", "mpp", "dea", "cpa", "ak", "ca",
        # Further degrees ASN commonly carry (Sarjana Sastra, Akuntansi, Kehutanan, Perikanan, Teologi,
        # Ahli Madya, specialist physicians, ...): a title missing here is read as a surname written
        # first and moved in front of the name, and a registered NIP then looks like someone else's.
        "ss", "shum", "sfil", "sds", "sth", "mth", "shut", "mhut", "spi", "mpi", "sei", "mei", "sakun",
        "mak", "macc", "msos", "mmpd", "spdsd", "sik", "str", "mkm", "mph", "mked", "skg", "mpsi",
        "bsc", "ba", "meng", "msn", "mds", "mi", "amdkes", "amdkom", "amdfarm", "amdgz", "amdak", "amdt",
        "amdtek", "amdpar", "amdpk", "spjp", "spm", "spn", "spkk", "spp", "span", "spu", "spot", "spkj",
        "spf", "sppk", "spthtkl", "spthtbkl", "sprm", "spbs", "spbp", "spkfr", "spem", "spgk", "spmk",
        "ipp", "ipm", "ipu",
    }
)  # fmt: skip

# Back titles that are also given names: after a comma they are titles only when written with dots.
_ALSO_GIVEN_NAMES = frozenset({"dea", "sam", "mars", "meng", "mi", "ba", "ss"})
# Titles read only after a comma ("S.Kep., Ns.", "S.Farm., Apt.", "Budi, dr."): written without one
# they may be a name's last token, and ``normalise_name`` of such names must not change.
_BACK_ONLY_AFTER_COMMA = frozenset(
    {
        "ns", "apt", "dr", "drs", "dra", "ir", "prof", "drh", "skes", "skeb", "sst", "strkes", "strkeb",
        "strkep", "skepns", "lc", "mkep", "mkeb", "mfarm", "ners",
    }
)  # fmt: skip

NORMALISER_VERSION = 1
"""Bump when a change to this module's code (not its word lists, which :func:`rules_digest` reads)
changes what ``normalise_name`` returns for some name. Stored normalisations (the registry mirror's,
the staged rows') are recomputed by the next reconciliation when the digest moves
(``sbt_sync.reconcile.rules``)."""

_REMARK = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NON_LETTER = re.compile(r"[^a-z\s]")
_TITLE_SEPARATORS = re.compile(r"[,\s]+")
_SPACES = re.compile(r"\s+")


def _fold(text: str) -> str:
    """Lower-case ASCII: accents and other marks removed."""
    if text.isascii():  # NFKD leaves ASCII as it is, and it has no combining marks
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def split_titles(raw: str) -> tuple[list[str], str, list[str]]:
    """``(front titles, bare name, back titles)`` of a name as a source wrote it.

    Back titles are the comma-separated parts at the end that are all known titles ("Ahmad, S.Pd.,
    M.Si."); a part after a comma that is not a title is the name written surname first ("Santoso,
    Budi"), and the bare name puts it back in the order the registry writes it ("Budi Santoso").
    Front titles are leading tokens that are known titles, spaced or not ("Dr. H. Ahmad",
    "Dr.H.Ahmad"). The bare name keeps the source's spelling.
    """
    text = _SPACES.sub(" ", raw.replace("\u00a0", " ")).strip()
    # A remark in brackets ("Ahmad Fauzi (Camat Sampang)") is no part of the name, unless it is all
    # that is written.
    text = _SPACES.sub(" ", _REMARK.sub(" ", text)).strip() or text
    parts = [part.strip() for part in text.split(",")]
    back: list[str] = []
    while len(parts) > 1 and (not parts[-1] or _is_back_title(parts[-1])):
        tail = parts.pop()
        back[:0] = [tail] if tail else []
    # What is left before the last comma is the surname: "Santoso, Budi Agus" is "Budi Agus Santoso".
    named = [part for part in parts if part]
    tokens = " ".join(named[1:] + named[:1]).split(" ")
    front: list[str] = []
    while tokens:  # a lone token is a name, never stripped to nothing
        # A dot inside the token joins titles ("Dr.H." is Dr. and H., not drh.): split below.
        whole = "." not in tokens[0].rstrip(".")
        if len(tokens) > 1 and whole and _title_key(tokens[0]) in FRONT_TITLES:
            front.append(tokens.pop(0))
            continue
        joined, rest = _split_joined_front_titles(tokens[0])
        if not joined or not (rest or len(tokens) > 1):
            break
        front += joined
        if rest:  # "Hj.Siti": the name starts inside the token
            tokens[0] = rest
            break
        tokens.pop(0)  # "Dr.H. Ahmad"
    # Back titles written without a comma ("Ahmad S.Pd").
    while len(tokens) > 1 and "." in tokens[-1] and _title_key(tokens[-1]) in BACK_TITLES:
        back.insert(0, tokens.pop())
    return front, " ".join(tokens), back


def _is_back_title(part: str) -> bool:
    """Whether a comma-separated part is back titles only: "S.Pd.", "S. Pd", "SE", "S.Pd M.Si".

    A dotless word that is also a given name ("Dea", "Sam") is a title only written with dots."""
    key = _title_key(part)
    if "." not in part and key in _ALSO_GIVEN_NAMES:
        return False
    if key in BACK_TITLES or key in _BACK_ONLY_AFTER_COMMA:
        return True
    words = part.split(" ")
    return len(words) > 1 and all(_is_back_title(word) for word in words)


def _split_joined_front_titles(token: str) -> tuple[list[str], str]:
    """Front titles written without a space ("Dr.H.Ahmad" is "Dr.", "H." and "Ahmad"; "Dr.H." is two
    titles and no name): the titles and the rest of the token; no titles when it does not start with
    a known title followed by a dot."""
    pieces = token.split(".")
    titles: list[str] = []
    while len(pieces) > 1 and _title_key(pieces[0]) in FRONT_TITLES:
        titles.append(pieces.pop(0) + ".")
    rest = ".".join(pieces)
    return titles, rest if _title_key(rest) else ""


_PLAIN_NAME = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
"""ASCII letters in words one space apart: most names as sources write them."""


NORMALISED_CHARS = 255
"""The longest a normalised name is kept: the width of the ``name_normalised`` columns. A name that
fits its own column can normalise longer (U+FB03 folds to "FFI", "ß" upper-cases to "SS")."""


def normalise_name(raw: str | None) -> str:
    """The name as matching compares it: no titles, no punctuation, upper case, single spaces; at most
    :data:`NORMALISED_CHARS` characters."""
    if not raw:
        return ""
    if _PLAIN_NAME.fullmatch(raw) and (" " not in raw or raw[: raw.index(" ")].lower() not in FRONT_TITLES):
        # No comma, dot or title in front: split_titles takes nothing off, and nothing is left to
        # fold or remove (the same text as below, at a fifth of the cost; property-tested).
        return raw.upper()[:NORMALISED_CHARS]
    return _normalised(raw)[:NORMALISED_CHARS]


def _normalised(raw: str) -> str:
    _, bare, _ = split_titles(raw)
    folded = _NON_LETTER.sub(" ", _fold(bare).replace("'", ""))
    return _SPACES.sub(" ", folded).strip().upper()


@lru_cache(maxsize=4_096)
def title_keys(*titles: str | None) -> frozenset[str]:
    """Titles as compared ("Dr. H." and "S.Pd., M.Pd." give dr, h, spd, mpd): registry gelar fields
    or the titles ``split_titles`` found in a written name."""
    keys = (_title_key(part) for title in titles for part in _TITLE_SEPARATORS.split(title or ""))
    return frozenset(key for key in keys if key)


def written_title_keys(raw: str | None) -> frozenset[str]:
    """The titles a source wrote around a name ("Dr. H. Ahmad, S.Pd." gives dr, h, spd)."""
    if not raw:
        return frozenset()
    front, _, back = split_titles(raw)
    return title_keys(*front, *back) - FORMS_OF_ADDRESS


_CONSULTANT = re.compile(r"(?:\(k\)|-k[a-z]*)$")
"""A specialist who is also a consultant writes "(K)" or the subspecialty after a dash, its code
starting with K for Konsultan ("Sp.JP(K)", "Sp.PD-KGEH")."""


def _title_key(token: str) -> str:
    return _CONSULTANT.sub("", _fold(token).replace(".", "").replace(" ", "").strip())


@lru_cache(maxsize=1)
def rules_digest() -> str:
    """A digest of everything that decides ``normalise_name``'s result: the word lists, the patterns
    and :data:`NORMALISER_VERSION`. Stored beside the normalisations it produced, it tells when they
    are stale (a title added to a list changes it with no one having to remember)."""
    parts = {
        "version": NORMALISER_VERSION,
        "forms_of_address": sorted(FORMS_OF_ADDRESS),
        "front": sorted(FRONT_TITLES),
        "back": sorted(BACK_TITLES),
        "also_given_names": sorted(_ALSO_GIVEN_NAMES),
        "back_only_after_comma": sorted(_BACK_ONLY_AFTER_COMMA),
        "patterns": [
            p.pattern for p in (_REMARK, _NON_LETTER, _TITLE_SEPARATORS, _SPACES, _PLAIN_NAME, _CONSULTANT)
        ],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
