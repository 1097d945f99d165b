"""What every feed contract provides: its Pandera model, how a source record becomes rows, and how a
validated row becomes the canonical staged record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandera.pandas as pa

from schemas.checks import valid_nip
from schemas.names import normalise_name

Row = dict[str, Any]


@dataclass(frozen=True)
class Staged:
    """The canonical staged record (columns of ``staged_records``; the rest goes to ``fields``)."""

    item_no: int
    record_type: str
    nip: str | None
    nip_raw: str | None
    name: str | None
    name_normalised: str | None
    birth_date: date | None
    instansi: str | None
    event_code: str | None
    register_no: str | None
    recommendation_no: str | None
    source_updated_at: datetime | None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedSpec:
    source: str
    model: type[pa.DataFrameModel]
    key_column: str
    """The column whose value identifies a source record across deliveries."""
    rows: Callable[[Mapping[str, Any]], list[Row]]
    """One source record (a payload) as one or more rows of the model's columns, each with ``item_no``."""
    to_staged: Callable[[Row], Staged]
    item_prefix: str | None = None
    """Columns starting with this belong to one item of the record; a failure elsewhere rejects the
    whole record (every item)."""


def single_row(payload: Mapping[str, Any]) -> list[Row]:
    return [{**payload, "item_no": 0}]


def identity(nip_value: object, name: object) -> tuple[str | None, str | None, date | None, str | None]:
    """``(nip, nip_raw, birth_date, name_normalised)`` of an already validated row."""
    parsed = valid_nip(nip_value)
    raw = None if nip_value is None else str(nip_value)
    return (
        parsed.value if parsed else None,
        raw,
        parsed.birth_date if parsed else None,
        normalise_name(str(name)) if name else None,
    )
