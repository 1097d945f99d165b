"""Identity conflicts a correct system must raise on source rows available at an instant.

- ``name_mismatch``: the row carries a valid NIP of a registered ASN who is not the person meant (the
  name belongs to someone else entirely).
- ``ambiguous_match``: the row has no NIP and the registry holds two or more ASN in the row's instansi
  whose normalised name equals the row's normalised name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from sbt_sync.sandbox.generate import names
from sbt_sync.sandbox.generate.registry import Registry


def _digits(written: Any) -> str | None:
    if not isinstance(written, str):
        return None
    cleaned = written.strip().lstrip("'").replace(" ", "").replace(".", "")
    return cleaned if len(cleaned) == 18 and cleaned.isdigit() else None


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
            if (
                sr["quarantined"]
                or sr["true_nip"] is None
                or datetime.fromisoformat(sr["available_at"]) > instant
            ):
                continue
            ident = (sr["source"], sr["key"], sr["row"])
            if ident in seen:
                continue
            true_row = self.row_of(sr["true_nip"])
            assert true_row is not None
            written = _digits(sr["nip_as_written"])
            base = {
                "kind": "identity",
                "case_id": sr["case_id"],
                "field": "nip",
                "source": sr["source"],
                "key": sr["key"],
                "row": sr["row"],
                "sources": [sr["source"], "siasn"],
            }
            if written is not None and written != sr["true_nip"]:
                other = self.row_of(written)
                if other is not None and names.normalise_name(self.reg.nama(other)) != names.normalise_name(
                    self.reg.nama(true_row)
                ):
                    seen.add(ident)
                    out.append(base | {"reason": "name_mismatch", "candidates": [written, sr["true_nip"]]})
            elif sr["nip_as_written"] is None:
                rows = self.namesakes(true_row)
                if len(rows) > 1:
                    seen.add(ident)
                    out.append(
                        base
                        | {"reason": "ambiguous_match", "candidates": [self.reg.nip_str(r) for r in rows]}
                    )
        return out
