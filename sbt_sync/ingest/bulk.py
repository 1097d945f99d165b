"""Bulk writes for ingestion: PostgreSQL ``COPY`` where the session runs on psycopg2, SQLAlchemy Core
``INSERT`` everywhere else (SQLite, the embedded default).

Both write the same rows inside the caller's transaction, so a rollback undoes either. ``COPY`` skips
SQLAlchemy's per-row parameter processing and PostgreSQL's per-statement parsing, which were most of
the cost of landing and staging 100,000 rows (benchmarks/README.md).
"""

from __future__ import annotations

import io
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, insert, text
from sqlalchemy.orm import QueryableAttribute, Session

from sbt_sync.db.engine import Database

_NULL = "\\N"
_COPY_READ_SIZE = 1 << 20
"""Characters psycopg2 reads from the COPY buffer per call (its default, 8 KiB, is hundreds of calls
per batch)."""


def copy_supported(session: Session) -> bool:
    """True when ``session`` talks to PostgreSQL through psycopg2 (``copy_expert``)."""
    dialect = session.get_bind().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg2"


def _escape(value: str) -> str:
    # COPY's text format: backslash first, then the three characters that end a field or a row.
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _field(value: Any) -> str:
    if value is None:
        return _NULL
    if value.__class__ is str:
        return _escape(value)
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone first")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _escape(_json_text(value))
    return _escape(str(value))


def _json_text(value: Any) -> str:
    """JSON text for a json/jsonb column: orjson (several times faster), or ``json.dumps`` for what
    orjson refuses (integers beyond 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def _column_text(values: list[Any]) -> list[str]:
    """One column's values as COPY text fields; whole-column fast paths for the common shapes (one
    value throughout, plain strings, integers), ``_field`` per value otherwise."""
    kinds: set[type] | frozenset[type] = set(map(type, values))
    first = values[0]
    if len(kinds) == 1 and first.__class__ in _CONSTANT_TYPES and values.count(first) == len(values):
        return [_field(first)] * len(values)
    if kinds <= _JSON_TYPES and dict in kinds:
        values = [None if value is None else _json_text(value) for value in values]
        kinds = _TEXT_TYPES
    if kinds <= _TEXT_TYPES:
        texts = [_NULL if value is None else value for value in values]
        joined = "".join([value for value in values if value is not None])
        if any(special in joined for special in _SPECIAL):
            return [_NULL if value is None else _escape(value) for value in values]
        return texts
    if kinds <= _INT_TYPES:
        return [_NULL if value is None else str(value) for value in values]
    if kinds <= _DATE_TYPES:  # dates only: ISO text, as ``_field`` writes them
        return [_NULL if value is None else value.isoformat() for value in values]
    if kinds <= _DATETIME_TYPES and all(value is None or value.tzinfo is not None for value in values):
        return [_NULL if value is None else value.isoformat() for value in values]
    return [_field(value) for value in values]


_CONSTANT_TYPES: frozenset[type] = frozenset({str, int, bool, datetime, date, type(None)})
_TEXT_TYPES: frozenset[type] = frozenset({str, type(None)})
_INT_TYPES: frozenset[type] = frozenset({int, type(None)})
_JSON_TYPES: frozenset[type] = frozenset({dict, type(None)})
_DATE_TYPES: frozenset[type] = frozenset({date, type(None)})
_DATETIME_TYPES: frozenset[type] = frozenset({datetime, type(None)})
_SPECIAL = ("\\", "\t", "\n", "\r")


def copy_columns(session: Session, table: Table, columns: Mapping[str, list[Any]]) -> int:
    """``COPY table (columns) FROM STDIN`` of column-wise values (equal-length lists) on the
    session's own connection and transaction; returns the number of rows sent."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return 0
    texts = [_column_text(columns[name]) for name in names]
    buffer = io.StringIO("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n")
    preparer = session.get_bind().dialect.identifier_preparer
    statement = "COPY {} ({}) FROM STDIN".format(
        preparer.format_table(table), ", ".join(preparer.quote(name) for name in names)
    )
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()  # psycopg2's cursor: copy_expert is not in the DB-API protocol
    try:
        cursor.copy_expert(statement, buffer, size=_COPY_READ_SIZE)
    finally:
        cursor.close()
    return count


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) with ``COPY`` on PostgreSQL, else one Core
    executemany ``INSERT``."""
    if not rows:
        return
    if copy_supported(session):
        insert_columns(session, table, {name: [row[name] for row in rows] for name in rows[0]})
    else:
        session.execute(insert(table), list(rows))


def insert_columns(session: Session, table: Table, columns: dict[str, list[Any]]) -> None:
    """``insert_rows`` of rows given column-wise (equal-length lists): no dict per row for ``COPY``."""
    count = len(next(iter(columns.values()), []))
    if not count:
        return
    if not copy_supported(session):
        names = list(columns)
        rows = zip(*columns.values(), strict=True)
        session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])
        return
    # COPY knows only server defaults; the models' Python-side defaults (status "open", created_at
    # now) are filled in here as an INSERT would, one value for the whole batch.
    for name, value in _python_defaults(table, set(columns)).items():
        columns[name] = [value] * count
    copy_columns(session, table, columns)


def _python_defaults(table: Table, given: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or column.primary_key or default is None:
            continue
        if getattr(default, "is_scalar", False):
            values[column.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            values[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return values


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh values of ``table``'s ``id`` sequence (PostgreSQL), for rows about to be
    copied with their ids so that dependent rows can reference them in the same ``COPY`` round."""
    sequence = session.execute(
        text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
    ).scalar_one()
    return list(
        session.execute(
            text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)"),
            {"sequence": sequence, "n": count},
        ).scalars()
    )


def ensure_statistics(database: Database, *tables: Table) -> None:
    """``ANALYZE`` each of ``tables`` that PostgreSQL has never analyzed, in its own transaction.

    A table created empty has no planner statistics until autovacuum reaches it (a minute after the
    changes at best), so the statements of a first load are planned as if it held a few hundred rows:
    ``source = :s AND record_key = ANY(:keys)`` becomes a scan of every row of the source, once per
    batch, which grows with the load (quadratic in total). One sample of the first batch is enough:
    the planner scales it to the table's current size. A no-op elsewhere and once analyzed.
    """
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect() as connection:
        for table in tables:
            # reltuples is -1 until the first ANALYZE or VACUUM (PostgreSQL 14 and later; 0 before).
            tuples = connection.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"),
                {"table": table.name},
            ).scalar()
            if tuples is not None and tuples <= 0:
                preparer = connection.dialect.identifier_preparer
                connection.execute(text(f"ANALYZE {preparer.format_table(table)}"))
        connection.commit()


def one_of(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Collection[Any]
) -> ColumnElement[bool]:
    """``column IN values`` for thousands of values: on PostgreSQL ``= ANY(array)``, one bound
    parameter, instead of one expanded parameter per value (SQLAlchemy coerces each one)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)
