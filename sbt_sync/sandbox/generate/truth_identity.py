"""Identity conflicts a correct system must raise on source rows available at an instant.

- ``name_mismatch``: the row carries a valid NIP of a registered ASN whose name is not the one written
  (the written NIP belongs to someone else, or the row writes another registry ASN's name);
- ``ambiguous_match``: the row has no usable NIP (none, or one rejected as float-mangled or with an
  impossible birth date) and the registry holds two or more ASN in the row's instansi whose normalised
  name equals the row's normalised name and whom the digits a rejected NIP still shows (its birth date
  or year and TMT) do not rule out;
- ``unresolved``: the row names a person (a NIP or a name) the registry does not hold at all.

Beside them, a row naming another registered ASN than its case's (its NIP and name that ASN's, so no
identity conflict) that joins the case by number is a case conflict ``named_other``
(:meth:`IdentityTruth.named_other`), and holds the case too.

``conflict_kind`` is the conflict kind sbt-sync stores for each: ``name_mismatch``, ``identity`` and
``unresolved``. A row with such a conflict has no usable NIP, so it can only join its case by a number
it shares with another of the case's rows (register or recommendation number); when it does, it holds
the case. A Bawaslu finding shares the register number with a BKN Wasdal recommendation (KASN's files
carry none); a complaint (KemenPAN-RB) carries neither number and stays outside the case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate import nip as nipmod
from sbt_sync.sandbox.generate.registry import Registry

NUMBERS = {
    "bawaslu": frozenset({"register"}),
    "bkn_wasdal": frozenset({"register", "recommendation"}),
    "kasn": frozenset({"recommendation"}),
    "idis": frozenset({"recommendation"}),
    "kemendagri": frozenset({"recommendation"}),
    "kemenpanrb": frozenset(),
}
"""The case numbers each source's rows carry (nomor register Bawaslu, nomor rekomendasi)."""


def _digits(written: Any) -> str | None:
    if not isinstance(written, str):
        return None
    cleaned = written.strip().lstrip("'").replace(" ", "").replace(".", "")
    return cleaned if len(cleaned) == 18 and cleaned.isdigit() else None


def _usable(written: Any) -> str | None:
    """The NIP a row writes when a correct system accepts it as one; None for a float-mangled NIP or
    one with an impossible birth date (rejected, never repaired: the row is resolved by name)."""
    digits = _digits(written)
    if digits is None:
        return None
    try:
        nipmod.parse(digits)
    except ValueError:
        return None
    return digits


def _surviving(written: Any, true_nip: str) -> Callable[[str], bool]:
    """Which registry NIPs the digits of a rejected NIP still allow, as identity resolution reads them
    (``sbt_sync.reconcile.identity.resolve``, "Partial NIPs"): a float-mangled NIP keeps its first 14
    digits (birth date and TMT), one with an impossible birth date its birth year and TMT (digits 9-14).
    A missing NIP allows everyone."""
    if written is None:
        return lambda nip: True
    if isinstance(written, float) or "e" in str(written).lower():
        return lambda nip: nip[:14] == true_nip[:14]
    return lambda nip: nip[:4] == true_nip[:4] and nip[8:14] == true_nip[8:14]


class IdentityTruth:
    """Looks up NIPs and namesakes in the registry (sorted NIPs; names composed per instansi on demand)."""

    def __init__(self, reg: Registry, by_inst: list[np.ndarray]) -> None:
        self.reg, self.by_inst = reg, by_inst
        self.order = np.argsort(reg.nip, kind="stable")
        self.sorted_nips = reg.nip[self.order]
        self._names: dict[int, np.ndarray] = {}

    def row_of(self, nip: str) -> int | None:
        value = np.int64(int(nip))
        pos = int(np.searchsorted(self.sorted_nips, value))
        if pos < len(self.sorted_nips) and self.sorted_nips[pos] == value:
            return int(self.order[pos])
        return None

    def namesakes(self, row: int) -> list[int]:
        """Rows of the same instansi whose full name (without titles) equals this row's."""
        inst = int(self.reg.instansi[row])
        if inst not in self._names:
            rows = self.by_inst[inst]
            self._names[inst] = names.compose(self.reg.g1[rows], self.reg.g2[rows], self.reg.fam[rows])
        target = self.reg.nama(row)
        rows = self.by_inst[inst]
        return sorted(int(r) for r in rows[self._names[inst] == target])

    def conflicts(self, source_rows: list[dict[str, Any]], instant: datetime) -> list[dict[str, Any]]:
        """Identity conflicts for non-quarantined rows available at ``instant``, in row order."""
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str, Any]] = set()
        for sr in source_rows:
            if sr["quarantined"] or datetime.fromisoformat(sr["available_at"]) > instant:
                continue
            ident = (sr["source"], sr["key"], sr["row"])
            if ident in seen:
                continue
            found = self._conflict(sr)
            if found is not None:
                seen.add(ident)
                out.append(
                    {
                        "kind": "identity",
                        "case_id": sr["case_id"],
                        "field": "nip",
                        "source": sr["source"],
                        "key": sr["key"],
                        "row": sr["row"],
                        "sources": [sr["source"], "siasn"],
                    }
                    | found
                )
        return out

    def _conflict(self, sr: dict[str, Any]) -> dict[str, Any] | None:
        """``reason``, ``conflict_kind`` and ``candidates`` of the row's identity conflict, or None."""
        if sr.get("unregistered"):
            return {"reason": "unresolved", "conflict_kind": "unresolved", "candidates": []}
        if sr["true_nip"] is None:
            return None  # names nobody ("oknum ASN"): nothing to resolve
        true_row = self.row_of(sr["true_nip"])
        assert true_row is not None
        written = _usable(sr["nip_as_written"])
        mismatch = {"reason": "name_mismatch", "conflict_kind": "name_mismatch"}
        if written is not None and written != sr["true_nip"]:
            other = self.row_of(written)
            if other is not None and names.normalise_name(self.reg.nama(other)) != names.normalise_name(
                self.reg.nama(true_row)
            ):
                return mismatch | {"candidates": [written, sr["true_nip"]]}
        elif written is not None and sr.get("name_nip"):
            # the right NIP, another registry ASN's name: the holder first, then whose name it is
            return mismatch | {"candidates": [written, sr["name_nip"]]}
        elif written is None:
            # No NIP, or one rejected (float-mangled, impossible birth date): the name decides among
            # the namesakes the digits a rejected NIP still shows do not rule out.
            kept = _surviving(sr["nip_as_written"], sr["true_nip"])
            rows = [r for r in self.namesakes(true_row) if kept(self.reg.nip_str(r))]
            if len(rows) > 1:
                return {
                    "reason": "ambiguous_match",
                    "conflict_kind": "identity",
                    "candidates": [self.reg.nip_str(r) for r in rows],
                }
        return None

    def disputed_cases(self, source_rows: list[dict[str, Any]], instant: datetime) -> dict[str, list[str]]:
        """Case id -> the reasons of the identity conflicts on rows that join it by a number they share
        with another of its rows available at ``instant`` (module docstring), and ``named_other`` for
        each row naming another ASN that joins it so (:meth:`named_other`)."""
        available = _available(source_rows, instant)
        out: dict[str, list[str]] = {}
        for conflict in self.conflicts(source_rows, instant):
            case_id = conflict["case_id"]
            if case_id is not None and _joins(conflict, available.get(case_id, [])):
                out.setdefault(case_id, []).append(conflict["reason"])
        for conflict in self.named_other(source_rows, instant):
            out.setdefault(conflict["case_id"], []).append("named_other")
        return out

    def named_other(self, source_rows: list[dict[str, Any]], instant: datetime) -> list[dict[str, Any]]:
        """The case conflicts ``named_other`` sbt-sync must raise at ``instant``: a row that names
        another registered ASN than its case's (``named_other`` rows, their NIP and name that ASN's)
        and joins the case by a number it shares with another of the case's rows. It holds the case
        until a steward keeps it there or moves it (DESIGN.md, "Identity disputes hold")."""
        available = _available(source_rows, instant)
        out: list[dict[str, Any]] = []
        for sr in source_rows:
            if not sr.get("named_other") or sr["case_id"] is None:
                continue
            me = (sr["source"], sr["key"], sr["row"])
            if me in available.get(sr["case_id"], []) and _joins(sr, available[sr["case_id"]]):
                out.append(
                    {
                        "kind": "named_other",
                        "case_id": sr["case_id"],
                        "field": "link",
                        "source": sr["source"],
                        "key": sr["key"],
                        "row": sr["row"],
                        "sources": [sr["source"]],
                        "values": {sr["source"]: sr["true_nip"]},
                    }
                )
        return out


def _available(source_rows: list[dict[str, Any]], instant: datetime) -> dict[str, list[tuple[str, str, Any]]]:
    """Case id -> (source, key, row) of its rows published by ``instant`` and not quarantined."""
    available: dict[str, list[tuple[str, str, Any]]] = {}
    for sr in source_rows:
        published = datetime.fromisoformat(sr["available_at"]) <= instant
        if sr["case_id"] is not None and not sr["quarantined"] and published:
            available.setdefault(sr["case_id"], []).append((sr["source"], sr["key"], sr["row"]))
    return available


def _joins(row: dict[str, Any], others: list[tuple[str, str, Any]]) -> bool:
    """Whether ``row`` shares a case number with one of ``others`` (its case's available rows)."""
    me = (row["source"], row["key"], row["row"])
    shared = {kind for other in others if other != me for kind in NUMBERS[other[0]]}
    return bool(NUMBERS[row["source"]] & shared)
