"""What every feed contract provides: its Pandera model, how a source record becomes rows, and how a
validated row becomes the canonical staged record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandera.pandas as pa

from schemas.checks import parse_dmy, parse_instant, text_or_none, valid_nip
from schemas.names import normalise_name
from schemas.nip import NipError

Row = dict[str, Any]


class FeedModel(pa.DataFrameModel):
    """Base of every feed contract: columns it does not know are dropped (validation reports them as
    drift) and values are coerced to the column types. Every feed's rows carry ``item_no``."""

    class Config:
        strict = "filter"
        coerce = True


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
    updated_at_key: str | None = None
    """The payload's field holding the source's own time of the record's last change (an
    ``updatedAt``): it orders a record's versions (:attr:`versions_by_updated_at`). None where the
    feed's date dates something else (a complaint's date) or the source has none (a file's rows are
    dated by the file)."""

    @property
    def versions_by_updated_at(self) -> bool:
        """``source_updated_at`` is the source's own time of the record's last change, so a version
        older than the one staged is a stale re-delivery (a lagging replica, a restored backup, a
        page repeating a record as it stood before) and must not replace it."""
        return self.updated_at_key is not None


def single_row(payload: Mapping[str, Any]) -> list[Row]:
    return [{**payload, "item_no": 0}]


def text(row: Row, column: str) -> str | None:
    """The cell stripped, or None when it is missing or blank."""
    return text_or_none(row.get(column))


def dmy_as_iso(row: Row, column: str) -> str | None:
    """A validated dd-mm-yyyy cell as ISO text (yyyy-mm-dd), or None when it is missing."""
    parsed = parse_dmy(row.get(column))
    return parsed.isoformat() if parsed else None


def staged(
    row: Row,
    *,
    record_type: str,
    nip_column: str,
    name_column: str,
    instansi_column: str,
    updated_at_column: str | None = None,
    event_code: str | None = None,
    register_no: str | None = None,
    recommendation_no: str | None = None,
    fields: dict[str, Any],
) -> Staged:
    """The staged record of an already validated row: what every feed does alike, from its columns.

    The NIP column gives ``nip`` (canonical, reusing the check's parse), ``nip_raw`` (as written)
    and ``birth_date``; the name column ``name`` and ``name_normalised``; ``updated_at_column`` (an
    ISO instant with offset) ``source_updated_at``. The rest is the feed's own.
    """
    nip_value, name_value = row.get(nip_column), row.get(name_column)
    try:
        parsed = valid_nip(nip_value)
    except NipError:
        # Rejected by the contract and kept for identity resolution: never repaired into a NIP.
        parsed = None
    return Staged(
        item_no=int(row["item_no"]),
        record_type=record_type,
        nip=parsed.value if parsed else None,
        nip_raw=None if nip_value is None else str(nip_value),
        name=text_or_none(name_value),
        name_normalised=normalise_name(str(name_value)) if name_value else None,
        birth_date=parsed.birth_date if parsed else None,
        instansi=text(row, instansi_column),
        event_code=event_code,
        register_no=register_no,
        recommendation_no=recommendation_no,
        source_updated_at=parse_instant(row.get(updated_at_column)) if updated_at_column else None,
        fields=fields,
    )
