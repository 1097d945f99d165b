"""Two ingest foreign keys checked once per statement on PostgreSQL, not once per row (issue 16 item 6).

``staged_records.raw_record_id -> raw_records.id`` (ON DELETE CASCADE) and
``raw_records.last_batch_id -> ingest_batches.id`` were checked by PostgreSQL's referential-integrity
triggers: one ``SELECT 1 ... FOR KEY SHARE`` through SPI for every row a COPY writes, which was about
a quarter of PostgreSQL's CPU on a first load (executor start-up per row, perf on the ingest
benchmark). Here each becomes a set of triggers with the same guarantees, checking a whole statement
at once:

- a statement that inserts staged rows (raw records) locks the raw records (ingest batches) they name
  ``FOR KEY SHARE`` in one statement and fails with ``foreign_key_violation`` unless every one exists,
  as the key did (the lock keeps a concurrent delete out until commit, as the key's did);
- changing a row's reference (rare: nothing in sbt-sync does) is checked row by row, and only for a
  row whose reference changed (a ``WHEN`` clause: an update leaving it alone costs nothing);
- deleting raw records deletes their staged rows (the cascade), in the same statement, under READ
  COMMITTED (every sbt-sync transaction; another isolation level is refused, since its snapshot could
  miss a staged row committed meanwhile, which the key's own cascade would have caught); deleting an
  ingest batch a raw record names, or changing a referenced id, fails (``NO ACTION``);
- ``TRUNCATE raw_records`` / ``ingest_batches`` empties what the key would have emptied with it
  (staged rows; raw records and their staged rows), as ``TRUNCATE ... CASCADE`` did (a plain
  ``TRUNCATE`` of either is still refused by the other keys that name them).

SQLite keeps the declared keys: its per-row check is an index probe in process, and it is not the
load target. The models keep declaring both keys (the ORM's joins, SQLite's schema); schema comparison
skips them (``migrate.STATEMENT_CHECKED_KEYS``). No row changes.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGED_KEY = "fk_staged_records_raw_record_id_raw_records"
BATCH_KEY = "fk_raw_records_last_batch_id_ingest_batches"


def _parent_checks(name: str, child: str, column: str, parent: str, new_rows: str, key: str) -> str:
    """Two functions checking ``child.column -> parent.id`` as the key ``key`` did: ``{name}_inserted``
    for a statement's new rows (transition table ``new_rows``: the parents named, locked ``FOR KEY
    SHARE`` in one query, must all exist) and ``{name}_changed`` for one row whose reference changed."""
    violation = f"'insert or update on table \"{child}\" violates foreign key constraint \"%\"', '{key}'"
    return f"""
CREATE FUNCTION {name}_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT {column}) INTO wanted FROM {new_rows};
    PERFORM 1 FROM {parent} p WHERE p.id IN (SELECT {column} FROM {new_rows}) FOR KEY SHARE OF p;
    GET DIAGNOSTICS found = ROW_COUNT;
    IF found < wanted THEN
        RAISE EXCEPTION {violation}
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('%s of %s rows named are not present in table "{parent}".',
                                  wanted - found, wanted);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION {name}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM {parent} p WHERE p.id = NEW.{column} FOR KEY SHARE OF p;
    IF NOT FOUND THEN
        RAISE EXCEPTION {violation}
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key ({column})=(%s) is not present in table "{parent}".', NEW.{column});
    END IF;
    RETURN NEW;
END $$;
"""  # noqa: S608 - this migration's own table and column names


_CASCADES = """
CREATE FUNCTION sbt_raw_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Under READ COMMITTED this DELETE sees staged rows committed up to now (a writer that named a
    -- deleted raw record held it FOR KEY SHARE until its commit, so the delete waited for it). A
    -- transaction snapshot would miss them, so other isolation levels are refused, not half-cascaded.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'deleting raw records cascades to staged_records only under READ COMMITTED (this transaction: %)',
            current_setting('transaction_isolation')
            USING ERRCODE = 'serialization_failure';
    END IF;
    DELETE FROM staged_records s WHERE s.raw_record_id IN (SELECT id FROM sbt_old_raw);
    RETURN NULL;
END $$;

CREATE FUNCTION sbt_referenced_id_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'update on table "%" changes id %, which other rows reference', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'foreign_key_violation';
END $$;

CREATE FUNCTION sbt_batch_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
BEGIN
    SELECT r.last_batch_id INTO used FROM raw_records r
     WHERE r.last_batch_id IN (SELECT id FROM sbt_old_batches) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "ingest_batches" violates foreign key constraint "%" on table "raw_records"',
            'fk_raw_records_last_batch_id_ingest_batches'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "raw_records".', used);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION sbt_raw_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE staged_records CASCADE;
    RETURN NULL;
END $$;

CREATE FUNCTION sbt_batches_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- DELETE, not TRUNCATE: a TRUNCATE here would reach tables the outer one holds open (quarantine).
    DELETE FROM raw_records;
    RETURN NULL;
END $$;
"""
_FUNCTIONS = (
    _parent_checks(
        "sbt_staged_raw", "staged_records", "raw_record_id", "raw_records", "sbt_new_staged", STAGED_KEY
    )
    + _parent_checks(
        "sbt_raw_batch", "raw_records", "last_batch_id", "ingest_batches", "sbt_new_raw", BATCH_KEY
    )
    + _CASCADES
)

_TRIGGERS = """
CREATE TRIGGER sbt_staged_raw_inserted AFTER INSERT ON staged_records
    REFERENCING NEW TABLE AS sbt_new_staged
    FOR EACH STATEMENT EXECUTE FUNCTION sbt_staged_raw_inserted();
CREATE TRIGGER sbt_staged_raw_changed BEFORE UPDATE ON staged_records
    FOR EACH ROW WHEN (NEW.raw_record_id IS DISTINCT FROM OLD.raw_record_id)
    EXECUTE FUNCTION sbt_staged_raw_changed();
CREATE TRIGGER sbt_raw_deleted AFTER DELETE ON raw_records
    REFERENCING OLD TABLE AS sbt_old_raw
    FOR EACH STATEMENT EXECUTE FUNCTION sbt_raw_deleted();
CREATE TRIGGER sbt_raw_id_changed BEFORE UPDATE ON raw_records
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION sbt_referenced_id_changed();
CREATE TRIGGER sbt_raw_truncated BEFORE TRUNCATE ON raw_records
    FOR EACH STATEMENT EXECUTE FUNCTION sbt_raw_truncated();
CREATE TRIGGER sbt_raw_batch_inserted AFTER INSERT ON raw_records
    REFERENCING NEW TABLE AS sbt_new_raw
    FOR EACH STATEMENT EXECUTE FUNCTION sbt_raw_batch_inserted();
CREATE TRIGGER sbt_raw_batch_changed BEFORE UPDATE ON raw_records
    FOR EACH ROW WHEN (NEW.last_batch_id IS NOT NULL AND NEW.last_batch_id IS DISTINCT FROM OLD.last_batch_id)
    EXECUTE FUNCTION sbt_raw_batch_changed();
CREATE TRIGGER sbt_batch_deleted AFTER DELETE ON ingest_batches
    REFERENCING OLD TABLE AS sbt_old_batches
    FOR EACH STATEMENT EXECUTE FUNCTION sbt_batch_deleted();
CREATE TRIGGER sbt_batch_id_changed BEFORE UPDATE ON ingest_batches
    FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION sbt_referenced_id_changed();
CREATE TRIGGER sbt_batches_truncated BEFORE TRUNCATE ON ingest_batches
    FOR EACH STATEMENT EXECUTE FUNCTION sbt_batches_truncated();
"""

TRIGGERS = (
    ("staged_records", "sbt_staged_raw_inserted"),
    ("staged_records", "sbt_staged_raw_changed"),
    ("raw_records", "sbt_raw_deleted"),
    ("raw_records", "sbt_raw_id_changed"),
    ("raw_records", "sbt_raw_truncated"),
    ("raw_records", "sbt_raw_batch_inserted"),
    ("raw_records", "sbt_raw_batch_changed"),
    ("ingest_batches", "sbt_batch_deleted"),
    ("ingest_batches", "sbt_batch_id_changed"),
    ("ingest_batches", "sbt_batches_truncated"),
)
FUNCTIONS = (
    "sbt_staged_raw_inserted",
    "sbt_staged_raw_changed",
    "sbt_raw_deleted",
    "sbt_raw_batch_inserted",
    "sbt_raw_batch_changed",
    "sbt_referenced_id_changed",
    "sbt_batch_deleted",
    "sbt_raw_truncated",
    "sbt_batches_truncated",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(STAGED_KEY, "staged_records", type_="foreignkey")
    op.drop_constraint(BATCH_KEY, "raw_records", type_="foreignkey")
    op.execute(_FUNCTIONS)
    op.execute(_TRIGGERS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.create_foreign_key(BATCH_KEY, "raw_records", "ingest_batches", ["last_batch_id"], ["id"])
    op.create_foreign_key(
        STAGED_KEY, "staged_records", "raw_records", ["raw_record_id"], ["id"], ondelete="CASCADE"
    )
