"""Lazy validation of landed records against their feed's Pandera contract.

Every failing value becomes a quarantine entry naming the column, the check and the value; the rows
that pass become canonical staged records. Bad rows never stop good rows. Schema drift (columns the
contract does not know, or columns the delivery lacks) is reported, not fatal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from sbt_sync.db.models import StagedRecord
from schemas.checks import (
    dmy_date_reason,
    instant_reason,
    is_blank,
    iso_date_reason,
    nip_reason,
    remembering_nips,
    text_or_none,
)
from schemas.feeds import FeedSpec, Row, Staged


@dataclass(frozen=True, slots=True)
class RecordInput:
    """One landed record to validate."""

    ref: int
    """The caller's handle (the raw record id)."""
    key: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Failure:
    ref: int
    key: str
    item_no: int | None
    """The item within the record (e.g. one reported person); None when the whole record fails."""
    column: str | None
    check: str
    value: str | None
    reason: str
    staged: bool = False
    """The row was staged all the same: only its NIP was rejected (float-mangled, impossible), and a
    row without a usable NIP goes to identity resolution (DESIGN.md, "Identity"), like one whose
    source left the NIP out. The entry tells the source's agency which NIP to fix; it costs no row."""


REJECTED_NIP = "acceptable_nip"
"""The check whose failure rejects a NIP but not its row."""


@dataclass
class ValidationOutcome:
    staged: list[tuple[int, Staged]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def quarantined_records(self) -> int:
        return len({f.ref for f in self.failures if not f.staged})


_REASONS = {
    "not_nullable": "required value is missing",
    "dmy_date": "not a real date written dd-mm-yyyy",
    "iso_date": "not a real date written yyyy-mm-dd",
    "iso_datetime_with_offset": "not an ISO-8601 instant with a UTC offset",
    "known_violation_form": "unknown violation-form code",
    "known_sanction_code": "unknown jenisHukuman code",
    "known_sanction_name": "unknown sanction name",
}


_DATE_REASONS: dict[str, Callable[[object], str | None]] = {
    "dmy_date": dmy_date_reason,
    "iso_date": iso_date_reason,
    "iso_datetime_with_offset": instant_reason,
}


def _reason(column: str | None, check: str, value: object) -> str:
    if check == "acceptable_nip":
        detail = nip_reason(value) or "invalid NIP"
    elif check in _DATE_REASONS:
        # Names the impossible date or the missing offset, not only the format the check wants.
        detail = (None if is_blank(value) else _DATE_REASONS[check](value)) or _REASONS[check]
    elif check.startswith("isin"):
        detail = f"not one of the allowed values {check[len('isin') :]}"
    elif check.startswith("str_matches"):
        detail = f"does not match the expected pattern {check[len('str_matches') :]}"
    elif check.startswith(TOO_LONG):
        width, text = check[len(TOO_LONG) + 1 : -1], str(value)
        start = text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."
        said = f"{len(text)} characters, longer than the {width} this field may have"
        return f"{column}: {said} (value {start!r})"
    elif check.startswith("coerce_dtype") or check.startswith("dtype"):
        detail = "wrong type"
    elif check == "json_type":
        detail = f"{_JSON_TYPES.get(type(value), type(value).__name__)} where the contract wants one value"
    else:
        detail = _REASONS.get(check, f"failed check {check}")
    shown = "missing" if is_blank(value) else _shown(value) if check == "json_type" else repr(value)
    return f"{column or '(row)'}: {detail} (value {shown})"


def _shown(value: object) -> str | None:
    """The value as quarantined: JSON text for what JSON sent as a list, object or boolean."""
    if isinstance(value, list | dict | bool):
        return json.dumps(value, ensure_ascii=False, default=str)[:500]
    return None if is_blank(value) else str(value)


def _item_level(feed: FeedSpec, column: str | None) -> bool:
    return feed.item_prefix is not None and column is not None and column.startswith(feed.item_prefix)


def validate(feed: FeedSpec, records: Sequence[RecordInput]) -> ValidationOutcome:
    """Validate ``records`` lazily: all failures of all rows are collected, good rows are staged."""
    outcome = ValidationOutcome()
    rows: list[Row] = []
    owners: list[RecordInput] = []
    for record in records:
        for row in feed.rows(record.payload):
            rows.append(row)
            owners.append(record)
    outcome.rows = len(rows)
    if not rows:
        return outcome
    schema = feed.model.to_schema()
    expected = list(schema.columns)
    # An empty or whitespace-only cell is a missing value, so required columns catch it; object
    # dtype keeps a JSON integer column with nulls from turning into floats ("22" -> "22.0").
    cleaned = [_cleaned(row) for row in rows]
    wrong = _wrong_types(schema, cleaned)
    present: set[str] = set().union(*cleaned)
    outcome.unknown_columns = sorted(present - set(expected))
    outcome.missing_columns = [c for c in expected if c not in present]
    # The frame holds the contract's columns only: the contract drops the others anyway (reported as
    # drift above), and a page whose every record names fields of its own would otherwise make a
    # frame of records x fields (1,000 records with 20 such fields each: 20 million cells).
    # Absent columns are empty: a required one then fails per row as a missing value.
    frame = pd.DataFrame(cleaned, columns=expected, dtype=object)
    frame = frame.where(frame.notna(), None)
    with remembering_nips() as nips:
        failed_rows = _failed_rows(schema, frame, len(rows))
        seen: set[Failure] = set()
        for i, (row, clean, owner) in enumerate(zip(rows, cleaned, owners, strict=True)):
            candidate: Staged | None = None
            if i not in wrong and i not in failed_rows:  # nearly every row: nothing to report
                nips.select_row(i)
                candidate = feed.to_staged(clean)
                too_long = _too_long(clean, candidate)
                if not too_long:
                    outcome.staged.append((owner.ref, candidate))
                    continue
                failed_rows[i] = too_long
            typed = wrong.get(i, [])
            problems = typed + [p for p in failed_rows.get(i, []) if p[0] not in {t[0] for t in typed}]
            # A rejected NIP alone costs the row nothing but its NIP: staged without it, the row
            # goes to identity resolution (its name, and the digits the NIP still carries).
            nip_only = bool(problems) and all(check == REJECTED_NIP for _, check, _ in problems)
            if nip_only:  # staged without its NIP, unless a value is too long to store
                nips.select_row(i)
                candidate = feed.to_staged(clean)
                too_long = _too_long(clean, candidate)
                if too_long:
                    problems, nip_only = problems + too_long, False
            for column, check, value in problems:
                shown = _shown(value)
                item = int(row["item_no"]) if _item_level(feed, column) else None
                reason = _reason(column, check, value)
                if nip_only:
                    reason += "; the row was kept without it, for identity resolution by name"
                failure = Failure(owner.ref, owner.key, item, column, check, shown, reason, nip_only)
                # A record-level problem is seen once per item of the record; report it once.
                if failure not in seen:
                    seen.add(failure)
                    outcome.failures.append(failure)
            if problems and not nip_only:
                continue
            # ``clean`` is the row with blanks as None, as the frame saw it (built once, above); the
            # NIP check already parsed its NIP (frame row ``i``), which to_staged reused.
            assert candidate is not None
            outcome.staged.append((owner.ref, candidate))
    return outcome


_WIDTHS: dict[str, int] = {
    name: int(StagedRecord.__table__.c[name].type.length)  # type: ignore[attr-defined]
    for name in ("name", "instansi", "event_code", "register_no", "recommendation_no")
}
"""The staged columns holding a source's text, and their widths: PostgreSQL refuses a longer value
with the whole statement (SQLite would store it), so a record holding one is set aside instead."""
TOO_LONG = "max_length"
_SHOWN_CHARS = 80


def _too_long(clean: Row, staged: Staged) -> list[tuple[str | None, str, object]]:
    """``(column, check, value)`` for each of ``staged``'s texts longer than its column, naming the
    source's column that holds it (the staged field's name when none holds it as it is)."""
    problems: list[tuple[str | None, str, object]] = []
    for name, width in _WIDTHS.items():
        value = getattr(staged, name)
        if value is None or len(value) <= width:
            continue
        column = next(
            (c for c, v in clean.items() if v is not None and text_or_none(v) == value.strip()), None
        )
        sent = value if column is None else clean[column]  # as sent, not stripped
        problems.append((column or name, f"{TOO_LONG}({width})", sent))
    return problems


_JSON_TYPES = {list: "a list", dict: "an object", bool: "a boolean"}
_SCALAR_TYPES = frozenset({str, int, float, type(None)})
"""Exact cell types that are never a JSON list, object or boolean (``bool`` is not ``int`` here)."""


def _cleaned(row: Row) -> Row:
    """``row`` with every blank cell (``is_blank``) as None; a string is tested in line, the
    common case, without a call per cell."""
    return {
        k: v
        if (v.__class__ is str and v.strip())
        or (v.__class__ is not str and v is not None and not is_blank(v))
        else None
        for k, v in row.items()
    }


def _wrong_types(
    schema: pa.DataFrameSchema, cleaned: list[dict[str, Any]]
) -> dict[int, list[tuple[str | None, str, object]]]:
    """``{row position: [(column, "json_type", value)]}`` for contract columns holding a JSON list,
    object or (outside boolean columns) boolean. Coercion would stage their Python text ("['a']",
    "True"); such cells are blanked in ``cleaned`` so the checks run on the rest of the row."""
    scalar = {name for name, column in schema.columns.items() if "bool" not in str(column.dtype).lower()}
    wrong: dict[int, list[tuple[str | None, str, object]]] = {}
    for i, row in enumerate(cleaned):
        if _SCALAR_TYPES.issuperset(map(type, row.values())):
            continue  # only strings, numbers and nulls: nothing to look at (one C pass)
        for name in scalar.intersection(row):
            value = row[name]
            if isinstance(value, list | dict | bool):
                wrong.setdefault(i, []).append((name, "json_type", value))
                row[name] = None
    return wrong


def _failed_rows(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, count: int
) -> dict[int, list[tuple[str | None, str, object]]]:
    """``{row position: [(column, check, failing value)]}`` of a lazy validation of ``frame``."""
    failed_rows: dict[int, list[tuple[str | None, str, object]]] = defaultdict(list)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        for case in errors.failure_cases.to_dict("records"):
            index = case.get("index")
            column = case.get("column")
            check = str(case.get("check"))
            if index is None or (isinstance(index, float) and index != index):
                for i in range(count):  # a frame-level failure concerns every row
                    failed_rows[i].append((column, check, None))
            else:
                failed_rows[int(index)].append((column, check, case.get("failure_case")))
    return failed_rows
