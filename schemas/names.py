"""Name normalisation for identity matching: titles, punctuation, case and spacing removed.

Indonesian names carry academic and religious titles before and after the name ("Dr. H. Ahmad Fauzi,
S.Pd., M.Si."); matching must ignore them, and SIASN keeps them apart (gelarDepan, gelarBelakang).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Titles written before the name (lower-case, without dots).
FRONT_TITLES = frozenset(
    {"dr", "drs", "dra", "ir", "prof", "h", "hj", "kh", "hc", "drg", "dt", "ns", "apt", "tn", "ny", "r", "rr"}
)
# Titles written after the name, compared with dots and spaces removed (S.Pd. -> spd).
BACK_TITLES = frozenset(
    {
        "sh", "se", "st", "sp", "spd", "spdi", "ssos", "sip", "skom", "sag", "sthi", "shi", "sked", "sfarm",
        "ssi", "ssit", "sstp", "stp", "skm", "skep", "sgz", "spsi", "sikom", "sos", "sak", "sm", "sam", "spt",
        "ssn", "ahmd", "amd", "amdkeb", "amdkep", "amk", "amg", "mm", "msi", "mpd", "mh", "mkes", "mt",
        "mkom", "map", "mag", "msc", "ma", "mba", "mpdi", "mhum", "mkn", "mtp", "mp", "mab", "me", "mip",
        "phd", "spog", "spa", "sppd", "sprad", "spb", "mars", "mmr", "mpa", "mpp", "dea", "cpa", "ak", "ca",
    }
)  # fmt: skip

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

    Back titles follow the first comma ("Ahmad, S.Pd., M.Si."); front titles are leading tokens that
    are known titles ("Dr. H. Ahmad"). The bare name keeps the source's spelling.
    """
    text = _SPACES.sub(" ", raw.replace("\u00a0", " ")).strip()
    head, _, tail = text.partition(",")
    back = [t.strip() for t in tail.split(",") if t.strip()]
    tokens = head.split(" ")
    front: list[str] = []
    while len(tokens) > 1 and _title_key(tokens[0]) in FRONT_TITLES:
        front.append(tokens.pop(0))
    # Back titles written without a comma ("Ahmad S.Pd").
    while len(tokens) > 1 and "." in tokens[-1] and _title_key(tokens[-1]) in BACK_TITLES:
        back.insert(0, tokens.pop())
    return front, " ".join(tokens), back


def normalise_name(raw: str | None) -> str:
    """The name as matching compares it: no titles, no punctuation, upper case, single spaces."""
    if not raw:
        return ""
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
    return title_keys(*front, *back)


def _title_key(token: str) -> str:
    return _fold(token).replace(".", "").replace(" ", "").strip()
