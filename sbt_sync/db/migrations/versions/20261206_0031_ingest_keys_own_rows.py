"""The per-statement ingest key checks (migration 0029) lock only parents another transaction wrote.

Migration 0029 checks ``staged_records.raw_record_id -> raw_records`` and ``raw_records.last_batch_id ->
ingest_batches`` once per statement: the parents a statement names are locked ``FOR KEY SHARE`` in one
query, and all must exist. Two costs remained on a first load (``benchmarks/ingest``, PostgreSQL's
side):

- Locking a row writes it: every raw record a batch had just inserted or updated was locked again by
  the staged rows naming it, one heap write and one WAL record per row, about a third of the
  ``COPY staged_records`` statement. A row this transaction inserted or updated (its ``xmin`` is this
  transaction's id) needs no lock: no other transaction can see an inserted row before this one
  commits, and an updated row is locked by the update itself until then (a concurrent delete waits,
  then deletes the new version and cascades to the staged rows, committed by then). Such a parent is
  now only counted; every other parent (written by another transaction, or in a subtransaction of this
  one) is still locked ``FOR KEY SHARE``, as the key did.
- ``p.id IN (SELECT ... FROM new_rows)`` under ``FOR KEY SHARE`` made the planner carry each new row
  whole (payload, fields) through a hash aggregate, which spilled to disk: the distinct parent ids are
  now gathered first, as an array of integers.

The refusal (``foreign_key_violation`` when a named parent does not exist), the cascade, ``NO ACTION``
and ``TRUNCATE`` are unchanged (``tests/ingest/test_ingest_keys.py``, including a concurrent delete of a
raw record this transaction updated or another one wrote). SQLite keeps its declared keys; no row
changes.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps meaning what it meant when it was written.
_CHECKS = (
    # (function, child, column, parent, transition table, key)
    (
        "sbt_staged_raw_inserted",
        "staged_records",
        "raw_record_id",
        "raw_records",
        "sbt_new_staged",
        "fk_staged_records_raw_record_id_raw_records",
    ),
    (
        "sbt_raw_batch_inserted",
        "raw_records",
        "last_batch_id",
        "ingest_batches",
        "sbt_new_raw",
        "fk_raw_records_last_batch_id_ingest_batches",
    ),
)


def _violation(child: str, key: str) -> str:
    return f"'insert or update on table \"{child}\" violates foreign key constraint \"%\"', '{key}'"


def _own_rows_unlocked(name: str, child: str, column: str, parent: str, new_rows: str, key: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint[];
    own bigint;
    others bigint[];
    locked bigint := 0;
BEGIN
    SELECT array_agg(DISTINCT {column}) FILTER (WHERE {column} IS NOT NULL) INTO wanted FROM {new_rows};
    IF wanted IS NULL THEN
        RETURN NULL;
    END IF;
    -- Parents this transaction inserted or updated need no lock (the migration's docstring).
    SELECT count(*) FILTER (WHERE p.xmin = pg_current_xact_id()::xid),
           array_agg(p.id) FILTER (WHERE p.xmin <> pg_current_xact_id()::xid)
      INTO own, others
      FROM {parent} p WHERE p.id = ANY (wanted);
    IF others IS NOT NULL THEN
        PERFORM 1 FROM {parent} p WHERE p.id = ANY (others) FOR KEY SHARE OF p;
        GET DIAGNOSTICS locked = ROW_COUNT;
    END IF;
    IF own + locked < cardinality(wanted) THEN
        RAISE EXCEPTION {_violation(child, key)}
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('%s of %s rows named are not present in table "{parent}".',
                                  cardinality(wanted) - own - locked, cardinality(wanted));
    END IF;
    RETURN NULL;
END $$;
"""  # noqa: S608 - this migration's own table and column names


def _all_locked(name: str, child: str, column: str, parent: str, new_rows: str, key: str) -> str:
    """Migration 0029's function, for the downgrade."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT {column}) INTO wanted FROM {new_rows};
    PERFORM 1 FROM {parent} p WHERE p.id IN (SELECT {column} FROM {new_rows}) FOR KEY SHARE OF p;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < wanted THEN
        RAISE EXCEPTION {_violation(child, key)}
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('%s of %s rows named are not present in table "{parent}".',
                                  wanted - found, wanted);
    END IF;
    RETURN NULL;
END $$;
"""  # noqa: S608 - this migration's own table and column names


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for check in _CHECKS:
        op.execute(_own_rows_unlocked(*check))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for check in _CHECKS:
        op.execute(_all_locked(*check))
