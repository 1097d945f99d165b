"""What every source generator shares: the truth book it reports into and name/NIP noise helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.config import iso
from sbt_sync.sandbox.generate.registry import Registry

_ABBREV = {"Muhammad": ("M.", "Moh.", "Muh."), "Abdul": ("Abd.",), "Siti": ("St.",)}
_ACCENT = str.maketrans({"e": "é"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact a source publishes about a case, in one version of one record or file.

    At an instant, the versions of a ``(source, key)`` that count are those sharing its latest ``at``.
    """

    source: str
    key: str
    at: datetime
    case_id: str
    kind: str  # reported / rekomendasi / sanksi
    values: tuple[tuple[str, Any], ...]


@dataclass
class Book:
    """Everything the ground truth needs from the source generators."""

    source_rows: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    case_records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def row(
        self,
        *,
        source: str,
        key: str,
        row: int | None,
        content: str | None,
        written: Any,
        true_nip: str | None,
        case_id: str | None,
        at: datetime,
        quarantined: bool = False,
        name_nip: str | None = None,
        unregistered: bool = False,
        named_other: bool = False,
    ) -> None:
        """Record the true NIP behind one source row (or record).

        ``quarantined``: the whole row is rejected (a row whose NIP alone is rejected is not: it stays a
        row of ``case_id``, its person found by name);
        ``name_nip``: the registry ASN whose name the row writes, when that is not its true person;
        ``unregistered``: the row names a person no registry row holds (``true_nip`` is then None);
        ``named_other``: the row names another ASN (``true_nip``) than the case it joins by number.
        """
        self.source_rows.append(
            {
                "source": source,
                "key": key,
                "row": row,
                "content": content,
                "nip_as_written": written,
                "true_nip": true_nip,
                "name_nip": name_nip,
                "unregistered": unregistered,
                "case_id": case_id,
                "available_at": iso(at),
                "quarantined": quarantined,
            }
            | ({"named_other": True} if named_other else {})
        )
        if case_id is not None and not quarantined:
            refs = self.case_records.setdefault(case_id, [])
            ref = {"source": source, "key": key, "row": row}
            if ref not in refs:
                refs.append(ref)

    def bad(
        self,
        *,
        source: str,
        key: str,
        row: int | None,
        content: str | None,
        field_name: str,
        value: Any,
        reason: str,
        at: datetime,
    ) -> None:
        """Record a value no correct system may accept: with it the whole row, unless it is the row's NIP
        (float-mangled, impossible birth date), whose row is booked not ``quarantined`` in ``row``."""
        self.quarantine.append(
            {
                "source": source,
                "key": key,
                "row": row,
                "content": content,
                "field": field_name,
                "value": value,
                "reason": reason,
                "available_at": iso(at),
            }
        )

    def fact(self, source: str, key: str, at: datetime, case_id: str, kind: str, **values: Any) -> None:
        self.evidence.append(Evidence(source, key, at, case_id, kind, tuple(sorted(values.items()))))


def pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One key of ``weights`` drawn by weight."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def written_nip(rng: np.random.Generator, nip: str, styles: dict[str, float]) -> tuple[str | None, str]:
    """(NIP as written, style) with the style drawn from ``styles`` (valid or normalisable styles only)."""
    style = pick(rng, styles)
    return nipmod.render(nip, style), style  # type: ignore[arg-type]


def typo(rng: np.random.Generator, name: str) -> str:
    """One-letter slip inside a word of four letters or more (swap, drop or double)."""
    words = name.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long_words:
        return name
    i = long_words[int(rng.integers(len(long_words)))]
    w = words[i]
    j = int(rng.integers(1, len(w) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def source_name(
    rng: np.random.Generator,
    reg: Registry,
    row: int,
    *,
    titles: float,
    upper: float,
    slips: float,
    accents: bool = False,
) -> str:
    """The ASN's name as a source writes it: titles inside the name, capitals, abbreviations, typos.

    ``slips`` (typos and abbreviations) must be 0 where the row has no usable NIP: then only variants
    that normalisation removes are allowed, so identity resolution stays decidable.
    """
    name = reg.nama(row)
    if slips and rng.random() < slips:
        first = name.split(" ")[0]
        if first in _ABBREV and rng.random() < 0.6:
            options = _ABBREV[first]
            name = options[int(rng.integers(len(options)))] + name[len(first) :]
        else:
            name = typo(rng, name)
    if accents and rng.random() < 0.5:
        name = name.translate(_ACCENT)
    if rng.random() < titles:
        depan, belakang = reg.gelar(row)
        name = " ".join(p for p in (depan, name) if p)
        if belakang:
            name = f"{name}, {belakang}"
    if rng.random() < upper:
        name = name.upper()
    return name


def hex_id(rng: np.random.Generator) -> str:
    return rng.bytes(16).hex().upper()
