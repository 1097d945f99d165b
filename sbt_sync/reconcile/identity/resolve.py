"""Identity resolution: which registry ASN a source row names (DESIGN.md, "The golden dataset": Identity).

A pure function of a query, the registry candidates a search found and the thresholds of ``sbt.yaml``;
no database, no clock. The same inputs in any order give the same decision.

Score. Names are compared after ``normalise_name`` (titles, punctuation, case and spacing removed) and
a small alias table ("Moh.", "Muh." mean Muhammad, and "M." as the first token), with rapidfuzz's
Indel similarity (``ratio``) of the names as written (two swapped letters counting as one edit) and
of their sorted tokens (``token_sort_ratio``, discounted by ``REORDERED``), and of the name with its
first token moved last (the surname written first, "SIREGAR BUDI" for "BUDI SIREGAR", discounted by
``ROTATED``), the best of the three; a middle initial is compared with the name it fits spelt out,
discounted by ``INITIAL`` (``name_similarity``). It forgives reordered tokens and a one-letter typo
(about 0.95 on a 20-letter name) but, unlike ``WRatio`` or ``token_set_ratio``, never rates a name
that is only a part of another ("AHMAD" against "AHMAD FAUZI") as a full match; Jaro-Winkler rewards
shared prefixes, and Indonesian names share first names (Muhammad, Siti, Nur) far too often for that.
The name score is then scaled down when the instansi, birth date or gender disagree, nudged up when a
birth date recovered from a partial NIP agrees, and scaled down when nothing but the name supports it.
Titles written with the name ("Dr. H. ..., S.Pd.") that the candidate's registry gelar (SIASN's
gelarDepan, gelarBelakang) do not hold scale it down a little: enough to rank the namesake who holds
them first, never enough to pick one namesake over another of the same instansi (``TITLE_PENALTY``).

Partial NIPs. A malformed NIP is never repaired into a NIP, but the digits it still carries are
evidence (``nip_pattern``): a float-mangled one keeps its first 14 digits (Excel keeps 15 significant
digits and may round the 15th), a truncated one its prefix, one with an impossible birth date its year
and everything after the date. A candidate whose NIP agrees with the appointment digits (TMT, digits
9-14) gets a second nudge; one that contradicts them, or the birth year, is scaled down.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from sbt_sync.settings import IdentitySettings
from sbt_sync.states.conflicts import ConflictKind
from schemas.names import normalise_name, written_title_keys
from schemas.nip import (
    INVISIBLE,
    MAX_BIRTH_YEAR,
    MIN_BIRTH_YEAR,
    NIP_LAYOUT,
    NipError,
    birth_date_hint,
    parse_nip,
)

Outcome = Literal["linked", "conflict", "unresolved"]
Rule = Literal["nip_exact", "name_match", "name_mismatch", "ambiguous_match", "weak_match", "no_candidate"]

INSTANSI_PENALTY = 0.85
"""A namesake in another instansi stays a candidate but cannot reach auto-accept on the name alone."""
BIRTH_DATE_PENALTY = 0.70
BIRTH_DATE_BONUS = 0.05
GENDER_PENALTY = 0.80
UNCORROBORATED = 0.90
"""No instansi and no birth date: a name alone never links automatically at national scale."""
TITLE_PENALTY = 0.97
"""Titles written with the name that the candidate's registry gelar lack. It ranks the namesake who
holds them first for a steward but, being smaller than ``margin``, never decides between namesakes of
one instansi on its own: titles change (a new degree) and the registry lags."""
REORDERED = 0.94
"""The same tokens in another order than the surname first: forgiven, but ``margin`` below the name as
written, so a namesake whose name reads the same way leads."""
ROTATED = 0.95
"""The surname written first ("SUTANTO WAHYUNI MAYA" for "WAHYUNI MAYA SUTANTO"): the name with its
first token moved last, compared as written (a typo then weighs as it does in the name as written,
not as the token sort reorders it). Still ``margin`` below a namesake whose name reads the way the row
writes it ("BUDI SIREGAR" leads "SIREGAR BUDI" for a row "Budi Siregar"), as with ``REORDERED``."""
INITIAL = 0.96
"""An initial read as the name it fits ("BUDI M SANTOSO" as "BUDI MULYADI SANTOSO"): below the
auto-accept margin of a name that writes the initial as the row does, and every name it fits ties,
so an initial never picks one of several namesakes it fits."""
APPOINTMENT_BONUS = 0.05
APPOINTMENT_PENALTY = 0.85
"""A partial NIP whose appointment digits (TMT) another ASN's NIP contradicts: probably not them."""
MAX_CANDIDATES = 5
"""Candidates a steward is offered, best first; more only when they tie with the last one kept."""
MAX_TIED_CANDIDATES = 500
"""A cut inside a tie would choose among namesakes by NIP order (luck): every candidate scoring the
same as the fifth is offered too, up to this many in all. A name alone is held by up to a few
hundred ASN nationally; the console pages and filters them (birth date, instansi, Kanreg), and when
even this cap cuts a tie the conflict says how many tied (``IdentityDecision.tied``) so the steward
knows to search the registry."""

# Spellings of a name that denote it wherever they stand; applied token by token to both sides.
_ALIASES = {
    **dict.fromkeys(
        ("MOH", "MOCH", "MOHD", "MUH", "MUHD", "MHD", "MOHAMAD", "MOHAMMAD", "MOHAMMED", "MOCHAMAD",
         "MOCHAMMAD", "MUHAMAD", "MUHAMMED", "MUHAMMAT", "MOHAMED"),
        "MUHAMMAD",
    ),
    "ABD": "ABDUL",
}  # fmt: skip
# Short forms that mean a first name only where they stand first ("ST" ends names as a title, S.T.;
# "M." first is Muhammad by convention, but "Budi M. Santoso" is as likely Mulyadi as Muhammad).
_FIRST_ALIASES = {"ST": "SITI", "M": "MUHAMMAD"}
_INSTANSI_ABBREVIATIONS = {
    "PEMKAB": "PEMERINTAH KABUPATEN",
    "PEMKOT": "PEMERINTAH KOTA",
    "PEMPROV": "PEMERINTAH PROVINSI",
    "PEMPROP": "PEMERINTAH PROVINSI",
    "PEMDA": "PEMERINTAH DAERAH",
    "KAB": "KABUPATEN",
    "PROV": "PROVINSI",
    "KEMEN": "KEMENTERIAN",
}
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_INVISIBLE_GONE = str.maketrans("", "", INVISIBLE)
_NIP_SCIENTIFIC = re.compile(r"^(\d)[.,](\d+)[eE]\+?(\d+)$")
_NIP_FLOAT_TAIL = re.compile(r"^(\d+)[.,]0+$")
_NIP_LENGTH = 18
_FLOAT_KEPT = 14
"""Digits of a float-mangled NIP that survive: 15 significant digits are kept, the last one rounded."""
_APPOINTMENT = slice(8, 14)


@dataclass(frozen=True, slots=True)
class IdentityQuery:
    """What a source row says about its person; ``instansi`` as written (a name, or an instansi id)."""

    nip: str | None
    """A valid, normalised NIP, or None."""
    nip_raw: str | None
    name: str | None
    birth_date: date | None = None
    """From a valid NIP, or recovered from a partial one (``birth_date_hint``); used for scoring."""
    instansi: str | None = None
    gender: Literal["M", "F"] | None = None
    nip_pattern: str | None = None
    """The NIP's 18 digits as far as they hold: all of a valid one's (a valid NIP nobody holds is
    most often a slip in the serial), a malformed one's survivors with ``?`` for the lost ones."""
    titles: frozenset[str] = frozenset()
    """The academic and religious titles written around the name (``schemas.names.title_keys``)."""

    @property
    def nip_tail(self) -> str | None:
        """Digits 9-18 (appointment, gender, serial) when all survive: a registry lookup key."""
        tail = self.nip_pattern[8:] if self.nip_pattern else None
        return tail if tail and "?" not in tail else None

    @property
    def birth_year(self) -> int | None:
        """The birth year a partial NIP still shows, when its full birth date does not survive."""
        head = self.nip_pattern[:4] if self.nip_pattern else ""
        return int(head) if head.isdigit() and MIN_BIRTH_YEAR <= int(head) <= MAX_BIRTH_YEAR else None


def make_query(*, nip_raw: str | None, name: str | None, instansi: str | None) -> IdentityQuery:
    """The query for a row as written: a valid NIP also gives birth date and gender; a partial or
    malformed one still gives the digits that survive (``nip_pattern``) and the birth date among them."""
    try:
        parsed = parse_nip(nip_raw)
    except NipError:
        parsed = None
    if parsed is None:
        pattern = nip_pattern(nip_raw)
        birth = birth_date_hint(nip_raw) or _pattern_birth_date(pattern)
        return IdentityQuery(
            None, nip_raw, name, birth, instansi, nip_pattern=pattern, titles=written_title_keys(name)
        )
    return IdentityQuery(
        parsed.value,
        nip_raw,
        name,
        parsed.birth_date,
        instansi,
        parsed.gender,
        nip_pattern=parsed.value,
        titles=written_title_keys(name),
    )


def nip_pattern(raw: str | None) -> str | None:
    """The 18 digits a malformed NIP still vouches for, ``?`` where a digit is lost; None if too few.

    "1.98001012005011e+17" gives "19800101200501????" (Excel kept 15 significant digits and rounded
    the 15th); "19800101 2005" gives "198001012005??????"; "198013012005011001" (month 13) gives
    "1980????2005011001". Evidence for scoring and blocking only: never a NIP.
    """
    if not raw:
        return None
    text = raw.translate(_INVISIBLE_GONE).strip().lstrip("'`\u2018\u2019").strip()
    scientific = _NIP_SCIENTIFIC.match(text)
    tail = _NIP_FLOAT_TAIL.match(text)
    if scientific:
        lead, rest, exponent = scientific.groups()
        if int(exponent) != _NIP_LENGTH - 1:
            return None
        digits = (lead + rest)[:_FLOAT_KEPT]
    elif tail:
        if len(tail.group(1)) != _NIP_LENGTH:
            return None
        digits = tail.group(1)[:_FLOAT_KEPT]
    else:
        digits = NIP_LAYOUT.sub("", text)
        if not digits.isdigit() or not digits.isascii() or not 8 <= len(digits) <= _NIP_LENGTH:
            return None
        if len(digits) == _NIP_LENGTH and _pattern_birth_date(digits) is None:
            digits = digits[:4] + "????" + digits[8:]  # the year may hold; month and day do not
    return digits.ljust(_NIP_LENGTH, "?")


def _pattern_birth_date(pattern: str | None) -> date | None:
    head = pattern[:8] if pattern else ""
    if not head.isdigit():
        return None
    try:
        found = date(int(head[:4]), int(head[4:6]), int(head[6:8]))
    except ValueError:
        return None
    return found if MIN_BIRTH_YEAR <= found.year <= MAX_BIRTH_YEAR else None


def appointment_agrees(pattern: str | None, nip: str) -> bool | None:
    """Whether a partial NIP's appointment digits (TMT, digits 9-14) are ``nip``'s; None if any is lost."""
    digits = pattern[_APPOINTMENT] if pattern else ""
    if len(digits) != _APPOINTMENT.stop - _APPOINTMENT.start or "?" in digits:
        return None
    return digits == nip[_APPOINTMENT]


@dataclass(frozen=True, slots=True)
class RegistryCandidate:
    """One ``asn_registry`` row, as much of it as scoring needs."""

    nip: str
    name_normalised: str
    birth_date: date | None
    gender: str | None
    instansi_id: str
    instansi_name: str
    titles: frozenset[str] = frozenset()
    """The registry's gelar (front and back) as ``schemas.names.title_keys`` compares them."""


@dataclass(frozen=True, slots=True)
class ScoredCandidate:
    nip: str
    score: float


@dataclass(frozen=True, slots=True)
class IdentityThresholds:
    auto_accept: float = 0.92
    min_candidate: float = 0.70
    name_mismatch: float = 0.80
    margin: float = 0.05
    """How far the best candidate must lead the next one to link automatically."""

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> IdentityThresholds:
        return cls(settings.auto_accept, settings.min_candidate, settings.name_mismatch)


@dataclass(frozen=True, slots=True)
class IdentityDecision:
    outcome: Outcome
    rule: Rule
    nip: str | None
    """The linked NIP; None unless ``outcome`` is ``linked``."""
    score: float | None
    candidates: tuple[ScoredCandidate, ...] = ()
    """Best first (score, then NIP); for a name mismatch the written NIP's holder comes first."""
    conflict: ConflictKind | None = None
    reason: str = ""
    tied: int = 0
    """When :data:`MAX_TIED_CANDIDATES` cut a tie: how many candidates share the score of the last one
    offered (those offered and those left out); 0 when every tied candidate is offered."""


IDENTITY_RULES_VERSION = 1
"""Bump when a change to this module changes an identity result for the same inputs (a score, a rule,
a threshold's use): the next reconciliation then re-resolves every staged row once
(``sbt_sync.reconcile.rules``). The thresholds in ``sbt.yaml`` and the name rules are digested on their
own."""


PLACEHOLDER_NAME_WORDS = frozenset(
    {"OKNUM", "ASN", "PNS", "PPPK", "PEGAWAI", "APARATUR", "SIPIL", "NEGARA", "TIDAK", "DIKETAHUI",
     "DISEBUTKAN", "ANONIM", "NN", "N", "A", "X", "TANPA", "NAMA", "SEORANG", "SALAH", "SATU"}
)  # fmt: skip
"""Words that stand for a person without naming one ("oknum ASN", "PNS tidak disebutkan", "NN"):
a complaint that an unnamed civil servant campaigned names nobody whom a steward could find."""


def names_someone(name: str | None) -> bool:
    """Whether a written name is more than a stand-in for "some civil servant"
    (:data:`PLACEHOLDER_NAME_WORDS`): "N/A", "NN", "oknum PNS" name nobody, and cannot disagree
    with a NIP's holder."""
    return any(word not in PLACEHOLDER_NAME_WORDS for word in normalise_name(name).split())


@lru_cache(maxsize=1 << 18)
def canonical_name(name: str | None) -> str:
    """``normalise_name`` with aliases unified ("MOH. RIZKI" -> "MUHAMMAD RIZKI", "M. RIZKI" too, but
    a single letter after the first token stays an initial: "BUDI M SANTOSO").

    Cached: a national search scores the same registry names (and namesakes) over and over.
    """
    tokens = normalise_name(name).split()
    if tokens and tokens[0] in _FIRST_ALIASES:
        tokens[0] = _FIRST_ALIASES[tokens[0]]
    return " ".join(_ALIASES.get(token, token) for token in tokens)


def has_initial(canonical: str) -> bool:
    """Whether a canonical name holds a middle initial (a single letter between its first and last
    tokens: "BUDI M SANTOSO"; a first one may be a name, as Bali's "I" in "I GEDE PUTRA", and a last
    one leaves too little of the name to fit any surname it abbreviates)."""
    return bool(_initials(canonical.split()))


def name_similarity(left: str | None, right: str | None) -> float:
    """0..1 similarity of a written name (``left``) and a registry name (raw or normalised); 0 when
    either is empty.

    A middle initial on either side ("BUDI M SANTOSO") stands for any name starting with its letter at
    the same place: compared with that name spelt out, discounted by ``INITIAL``, so every namesake it
    fits ties ("BUDI MUHAMMAD SANTOSO", "BUDI MULYADI SANTOSO") and none links over another. Names whose
    middle initials differ are discounted by ``INITIAL`` too: a single letter is a short edit but a
    whole name ("BUDI M SANTOSO" is not simply "BUDI SANTOSO")."""
    a, b = canonical_name(left), canonical_name(right)
    if not a or not b:
        return 0.0
    best = _similarity(a, b)
    if _initials(a.split()) != _initials(b.split()):
        best *= INITIAL
    spelt = _spell_out_initials(a, b)
    if spelt is not None:
        best = max(best, INITIAL * _similarity(*spelt))
    return best / 100.0


def _initials(tokens: list[str]) -> list[tuple[int, str]]:
    """Single letters between the first and the last token, with their place."""
    return [(i, token) for i, token in enumerate(tokens[1:-1], start=1) if len(token) == 1]


def _spell_out_initials(a: str, b: str) -> tuple[str, str] | None:
    """``a`` and ``b`` with each middle initial replaced by the other side's token at the same place
    when that token starts with it; None when the names differ in length or no initial fits."""
    left, right = a.split(), b.split()
    if len(left) != len(right):
        return None
    changed = False
    for i in range(1, len(left) - 1):
        x, y = left[i], right[i]
        if len(x) == 1 and len(y) > 1 and y[0] == x:
            left[i], changed = y, True
        elif len(y) == 1 and len(x) > 1 and x[0] == y:
            right[i], changed = x, True
    return (" ".join(left), " ".join(right)) if changed else None


def _similarity(a: str, b: str) -> float:
    """0..100: the best of the names as written, token-sorted and surname turned back (module docstring)."""
    as_written = _ratio(a, b)
    # Sorting tokens before a typo in a first token can reorder them ("AAMLIA AKBAR" against
    # "AKBAR AMALIA"), so the name as written is compared as well and the better score kept.
    best = max(as_written, REORDERED * fuzz.token_sort_ratio(a, b, processor=None))
    if as_written < 100 and " " in a and " " in b:
        best = max(best, ROTATED * _ratio(_surname_last(a), b))  # the row wrote the surname first
    return best


def _ratio(a: str, b: str) -> float:
    """Indel similarity (0..100) with two swapped adjacent letters counted as one edit."""
    score = fuzz.ratio(a, b, processor=None)
    if score < 100 and _one_transposition(a, b):
        # Indel counts two swapped letters as two edits; a slip of the fingers is one.
        score = 100.0 * (1 - 1 / (len(a) + len(b)))
    return score


def _surname_last(name: str) -> str:
    """A name written surname first, turned back: its first token moved to the end."""
    first, _, rest = name.partition(" ")
    return f"{rest} {first}"


def _one_transposition(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two adjacent letters swapped (and nothing else)."""
    return len(a) == len(b) and OSA.distance(a, b) == 1 and sorted(a) == sorted(b)


@lru_cache(maxsize=1 << 12)
def normalise_instansi(text: str | None) -> str:
    """An instansi name or id as compared: upper case ASCII, abbreviations expanded, single spaces."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    tokens = _NON_ALNUM.sub(" ", folded).split()
    return " ".join(_INSTANSI_ABBREVIATIONS.get(token, token) for token in tokens)


def instansi_agrees(written: str | None, candidate: RegistryCandidate) -> bool | None:
    """Whether the written instansi (name or id) is the candidate's; None when nothing is written."""
    key = normalise_instansi(written)
    if not key:
        return None
    return key in (normalise_instansi(candidate.instansi_id), normalise_instansi(candidate.instansi_name))


def score_candidate(query: IdentityQuery, candidate: RegistryCandidate) -> float:
    """0..1: the name similarity adjusted by instansi, birth date and gender (module docstring)."""
    score = name_similarity(query.name, candidate.name_normalised)
    agrees = instansi_agrees(query.instansi, candidate)
    if agrees is False:
        score *= INSTANSI_PENALTY
    compared = agrees is not None
    if query.birth_date is not None and candidate.birth_date is not None:
        compared = True
        if query.birth_date == candidate.birth_date:
            score = min(1.0, score + BIRTH_DATE_BONUS)
        else:
            score *= BIRTH_DATE_PENALTY
    elif (
        query.birth_year is not None
        and candidate.birth_date is not None
        and query.birth_year != candidate.birth_date.year
    ):
        compared = True
        score *= BIRTH_DATE_PENALTY
    appointment = appointment_agrees(query.nip_pattern, candidate.nip)
    if appointment is not None:
        compared = True
        score = min(1.0, score + APPOINTMENT_BONUS) if appointment else score * APPOINTMENT_PENALTY
    if not compared:
        score *= UNCORROBORATED
    if query.titles and not query.titles <= candidate.titles:
        score *= TITLE_PENALTY
    if query.gender and candidate.gender and query.gender != candidate.gender:
        score *= GENDER_PENALTY
    return round(score, 4)


def rank(
    query: IdentityQuery, candidates: Iterable[RegistryCandidate], floor: float
) -> tuple[ScoredCandidate, ...]:
    """Candidates scoring at least ``floor``, best first; ties ordered by NIP so input order is moot."""
    scored = {c.nip: ScoredCandidate(c.nip, score_candidate(query, c)) for c in candidates}
    kept = [s for s in scored.values() if s.score >= floor]
    return tuple(sorted(kept, key=lambda s: (-s.score, s.nip)))


def offered(ranked: tuple[ScoredCandidate, ...]) -> tuple[ScoredCandidate, ...]:
    """The candidates a steward sees: the best :data:`MAX_CANDIDATES`, and every one tied with the last
    of them (up to :data:`MAX_TIED_CANDIDATES` in all), so the cut never falls inside a tie below it."""
    if len(ranked) <= MAX_CANDIDATES:
        return ranked
    last = ranked[MAX_CANDIDATES - 1].score
    tied = [c for c in ranked[MAX_CANDIDATES:MAX_TIED_CANDIDATES] if c.score == last]
    return ranked[:MAX_CANDIDATES] + tuple(tied)


def tied_at_cut(ranked: tuple[ScoredCandidate, ...], shown: tuple[ScoredCandidate, ...]) -> int:
    """How many of ``ranked`` share the score of the last of ``shown`` when the cap left some of them
    out; 0 when the cut fell between scores."""
    if not shown or len(shown) >= len(ranked) or ranked[len(shown)].score != shown[-1].score:
        return 0
    return sum(1 for c in ranked if c.score == shown[-1].score)


def resolve(
    query: IdentityQuery, candidates: Iterable[RegistryCandidate], thresholds: IdentityThresholds
) -> IdentityDecision:
    """The identity of ``query`` among ``candidates`` (which must include the holder of ``query.nip``).

    A registered NIP links unless its holder's name scores below ``name_mismatch`` (then a
    ``name_mismatch`` conflict offers the holder and the best other candidate). Otherwise one
    candidate at or above ``auto_accept`` and ``margin`` ahead of the next links; any other candidate
    at or above ``min_candidate`` makes an ``identity`` conflict; none leaves the row unresolved.
    """
    pool = {c.nip: c for c in candidates}
    holder = pool.get(query.nip) if query.nip else None
    if holder is not None:
        if not names_someone(query.name):
            return IdentityDecision("linked", "nip_exact", holder.nip, None, reason="registered NIP, no name")
        similarity = round(name_similarity(query.name, holder.name_normalised), 4)
        if similarity >= thresholds.name_mismatch:
            return IdentityDecision("linked", "nip_exact", holder.nip, similarity, reason="registered NIP")
        # The written NIP belongs to someone else: its birth date and gender say nothing of this person.
        anonymous = replace(query, nip=None, birth_date=None, gender=None, nip_pattern=None)
        others = [c for c in pool.values() if c.nip != holder.nip]
        best = rank(anonymous, others, thresholds.min_candidate)[:1]
        return IdentityDecision(
            "conflict",
            "name_mismatch",
            None,
            similarity,
            (ScoredCandidate(holder.nip, similarity), *best),
            ConflictKind.NAME_MISMATCH,
            f"the registered holder's name scores {similarity:.2f} < {thresholds.name_mismatch:.2f}",
        )
    ranked = rank(query, pool.values(), thresholds.min_candidate)
    if not ranked:
        return IdentityDecision("unresolved", "no_candidate", None, None, reason="no registry candidate")
    top, runner_up = ranked[0].score, ranked[1].score if len(ranked) > 1 else 0.0
    shown = offered(ranked)
    if top >= thresholds.auto_accept and top - runner_up >= thresholds.margin:
        return IdentityDecision("linked", "name_match", ranked[0].nip, top, shown)
    ambiguous = len(ranked) > 1 and top - runner_up < thresholds.margin
    return IdentityDecision(
        "conflict",
        "ambiguous_match" if ambiguous else "weak_match",
        None,
        top,
        shown,
        ConflictKind.IDENTITY,
        f"{len(ranked)} candidates, best {top:.2f}"
        + (" with namesakes" if ambiguous else f" (auto-accept {thresholds.auto_accept:.2f})"),
        tied=tied_at_cut(ranked, shown),
    )
