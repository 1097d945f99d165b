"""Reads of personal data are recorded (UU 27/2022): one API for every face, and the access log's queries.

Every console page, API route and CLI command that shows or exports an ASN's personal data calls
:func:`record_read` once (through :func:`sbt_sync.console.web_access.record` or :func:`record_cli_read`,
each a short transaction of its own after the read): one INSERT of the read, one batched INSERT of the
NIPs it showed as keyed hashes (:func:`nip_hash`: HMAC-SHA256 under the deployment's key, so the log is
not a copy of the data, and a subject's reads are found by hashing their NIP with the same key).

The log is append-only (triggers, migration 0013); :func:`purge_access_log` is the one sanctioned
deletion, for retention. :func:`unusual_readers` is the unusual-access rule: a person whose reads in one
day showed more distinct ASN than ``pdp.unusual_distinct_asn_per_day``.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from sbt_sync.db.base import utcnow
from sbt_sync.db.engine import Database
from sbt_sync.db.models.access import CHANNELS, PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.db.models.golden import Case
from sbt_sync.db.models.letters import Letter, LetterItem
from sbt_sync.errors import ConfigError
from sbt_sync.private_files import kept_random_key
from sbt_sync.settings import Settings
from schemas.nip import NipError, clean_nip

KEY_FILE = "var/pdp-access-key"
"""Where the sandbox keeps its generated key when ``pdp.access_key_env`` is not set."""

KINDS = (
    "case",
    "conflict",
    "source_record",
    "search",
    "quarantine",
    "export",
    "imut_finding",
    "letter",
    "subject_report",
    "access_log",
    "asn",
    "audit",
    "feed",
)
"""What a read showed: a case, a conflict, a source record (raw or staged), search results, quarantined
rows, a bulk export (or download), an I-MUT finding, a letter, a subject access report, the access log
itself, an ASN's block state or registry entry (the push monitor), the audit log (its entries may name
an ASN), the SIASN block-change feed."""

NOT_UNUSUAL = ("feed",)
"""Kinds the unusual-access rule does not count: the block-change feed is SIASN's scheduled pull of every
change (recorded as a disclosure to the recipient, but flagging it daily would teach admins to ignore
the flag)."""

WHO_KIND_OF_CHANNEL = {"console": "user", "api": "token", "cli": "os_user"}
_NIP_IN_TEXT = re.compile(r"(?<!\d)\d{18}(?!\d)")
_NIP_SEPARATORS = re.compile(r"[\s.\-]")
NIP_WRITTEN = re.compile(r"(?<!\d)\d{8}[\s.\-]?\d{6}[\s.\-]?\d[\s.\-]?\d{3}(?!\d)")
"""A NIP in text a person typed: whole, or as it is printed (``19800101 200501 1 001``, dots or dashes)."""
_TARGET_LENGTH = 255


def access_key(settings: Settings) -> bytes:
    """The key NIPs are hashed with: ``pdp.access_key_env``'s variable, required in production; the
    sandbox without one makes a random key once and keeps it in ``var/pdp-access-key`` (mode 0600)."""
    var = settings.pdp.access_key_env
    if var:
        return settings.secret(var).encode()
    if settings.environment == "production":
        raise ConfigError(
            f"{settings.config_path}: pdp.access_key_env is required in production "
            "(the environment variable holding the key the access log hashes NIPs with)"
        )
    return kept_random_key(settings.resolve_path(KEY_FILE)).encode()


def nip_hash(key: bytes, nip: str) -> str:
    """The hex HMAC-SHA256 of ``nip`` under ``key``: what the log stores for an ASN. A NIP as a source
    wrote it (Excel's leading apostrophe, spaces, dots, dashes, underscores, slashes) is read as
    :func:`~schemas.nip.clean_nip` reads it first, so it hashes as the NIP does."""
    text = str(nip)
    try:
        cleaned = clean_nip(text)
    except NipError:
        cleaned = None
    return hmac.new(key, (cleaned or _NIP_SEPARATORS.sub("", text)).encode(), hashlib.sha256).hexdigest()


def nips_in(*values: Any, _depth: int = 0) -> set[str]:
    """Every NIP a page's data shows: 18-digit runs in the strings of ``values`` (walked through
    mappings, sequences and dataclasses), and strings that are a NIP as a source wrote it (what
    :func:`~schemas.nip.clean_nip` accepts: spaces, dots, dashes, a leading apostrophe, ...).

    For call sites whose data is a structure of rows (a conflict side by side, a finding, a letter):
    what the page renders is what it read, so the record names every ASN the page could show.
    """
    found: set[str] = set()
    for value in values:
        if isinstance(value, str):
            found.update(_NIP_IN_TEXT.findall(value))
            try:
                whole = clean_nip(value)
            except NipError:
                whole = None
            if whole:
                found.add(whole)
        elif _depth >= 8 or value is None or isinstance(value, (bool, int, float, bytes)):
            continue
        elif isinstance(value, Mapping):
            found |= nips_in(*value.values(), _depth=_depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            found |= nips_in(*value, _depth=_depth + 1)
        elif is_dataclass(value) and not isinstance(value, type):
            found |= nips_in(*(getattr(value, f.name) for f in fields(value)), _depth=_depth + 1)
    return found


def _scrub(value: Any, key: bytes) -> Any:
    """``value`` with every NIP in its strings (18 digits, whole or printed with separators) replaced by
    ``nip:<hash>``."""
    if isinstance(value, str):
        return NIP_WRITTEN.sub(lambda m: "nip:" + nip_hash(key, m.group(0)), value)
    if isinstance(value, Mapping):
        return {str(k): _scrub(v, key) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v, key) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _scrub(str(value), key)


@dataclass(frozen=True)
class Reader:
    """Who reads: the account (or OS user), the face, and for the API the token's name."""

    who: str
    channel: str
    token_name: str | None = None
    client_address: str | None = None


def record_read(
    session: Session,
    who: Reader | str,
    channel: str | None,
    kind: str,
    nips: Iterable[str | None],
    purpose: str | None = None,
    rows: int | None = None,
    filter: Mapping[str, Any] | None = None,
    *,
    key: bytes,
    target: str | None = None,
    at: datetime | None = None,
) -> int:
    """Record one read of personal data in ``session`` (committed with it); returns the record's id.

    ``who`` is a :class:`Reader` or a name (then ``channel`` says the face); ``nips`` the ASN the read
    showed (duplicates and empty values dropped; stored as keyed hashes only); ``purpose`` why, where the
    screen asks; ``rows`` and ``filter`` for a bulk export; ``target`` which object or screen. Any NIP in
    ``target`` or ``filter`` is replaced by its hash.
    """
    reader = who if isinstance(who, Reader) else Reader(who=who, channel=channel or "")
    face = channel or reader.channel
    if face not in CHANNELS:
        raise ValueError(f"unknown channel {face!r} (one of {', '.join(CHANNELS)})")
    if kind not in KINDS:
        raise ValueError(f"unknown kind of read {kind!r} (one of {', '.join(KINDS)})")
    hashes = sorted({nip_hash(key, nip) for nip in nips if nip and str(nip).strip()})
    scrubbed_target = _scrub(target, key)[:_TARGET_LENGTH] if target else None
    access_id = session.execute(
        insert(PersonalDataAccess)
        .values(
            accessed_at=at or utcnow(),
            who=reader.who[:128],
            who_kind=WHO_KIND_OF_CHANNEL[face],
            token_name=reader.token_name,
            channel=face,
            kind=kind,
            target=scrubbed_target,
            nip_count=len(hashes),
            purpose=_scrub((purpose or "").strip(), key) or None,
            rows=rows,
            filter=_scrub({k: v for k, v in filter.items() if v is not None}, key)
            if filter is not None
            else None,
            client_address=reader.client_address,
        )
        .returning(PersonalDataAccess.id)
    ).scalar_one()
    if hashes:
        session.execute(
            insert(PersonalDataAccessNip), [{"access_id": access_id, "nip_hash": h} for h in hashes]
        )
    return access_id


def letter_nips(session: Session, letter_id: int) -> list[str]:
    """The NIPs of the people a letter to a PPK names (its pages show them masked; its PDF may not),
    as it was drafted: a case's NIP corrected since, or its step lettered again elsewhere, does not
    change whom the letter names. A letter drafted before it kept them (migration 0032) falls back to
    its cases' NIPs of now."""
    kept = session.scalar(select(Letter.nips).where(Letter.id == letter_id))
    if kept is not None:
        return [nip for nip in kept if nip]
    return [
        nip
        for nip in session.scalars(
            select(Case.nip)
            .join(LetterItem, LetterItem.case_id == Case.id)
            .where(LetterItem.letter_id == letter_id)
        )
        if nip
    ]


def os_user() -> str:
    """Who runs the CLI: the OS account (``getpass``), or ``uid <n>`` where the account has no name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def record_cli_read(
    settings: Settings,
    database: Database,
    kind: str,
    nips: Iterable[str | None],
    *,
    target: str,
    rows: int | None = None,
    filter: Mapping[str, Any] | None = None,
) -> None:
    """Record a CLI command's read by the OS user running it, in its own short transaction (``target``:
    the command, e.g. ``sbt-sync conflicts show``; never its arguments, which may hold a name)."""
    with database.session() as session:
        record_read(
            session, os_user(), "cli", kind, nips, None, rows, filter, key=access_key(settings), target=target
        )


# -- reading the log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessFilter:
    """What the access-log page and ``sbt-sync pdp access`` filter on (all optional)."""

    who: str | None = None
    day: date | None = None
    """One day in ``timezone``."""
    since: datetime | None = None
    channel: str | None = None
    kind: str | None = None
    nip_hash: str | None = None
    timezone: str = "UTC"

    def as_dict(self) -> dict[str, Any]:
        """The filter as it is recorded with the read of the log (a NIP only as its hash)."""
        values = {
            "who": self.who,
            "day": self.day.isoformat() if self.day else None,
            "since": self.since.isoformat() if self.since else None,
            "channel": self.channel,
            "kind": self.kind,
            "nip_hash": self.nip_hash,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class AccessRow:
    """One record of the log, as the page and the CLI show it."""

    id: int
    accessed_at: datetime
    who: str
    who_kind: str
    token_name: str | None
    channel: str
    kind: str
    target: str | None
    nip_count: int
    purpose: str | None
    rows: int | None
    filter: dict[str, Any] | None
    client_address: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "accessed_at": self.accessed_at.isoformat(),
            "who": self.who,
            "who_kind": self.who_kind,
            "token_name": self.token_name,
            "channel": self.channel,
            "kind": self.kind,
            "target": self.target,
            "nip_count": self.nip_count,
            "purpose": self.purpose,
            "rows": self.rows,
            "filter": self.filter,
            "client_address": self.client_address,
        }


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``day`` in ``timezone``, in UTC."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def list_reads(
    session: Session, where: AccessFilter, *, limit: int = 500, offset: int = 0
) -> list[AccessRow]:
    """The records matching ``where``, newest first (at most ``limit``)."""
    query = select(PersonalDataAccess)
    if where.who:
        query = query.where(PersonalDataAccess.who == where.who)
    if where.channel:
        query = query.where(PersonalDataAccess.channel == where.channel)
    if where.kind:
        query = query.where(PersonalDataAccess.kind == where.kind)
    if where.day:
        start, end = day_bounds(where.day, where.timezone)
        query = query.where(PersonalDataAccess.accessed_at >= start, PersonalDataAccess.accessed_at < end)
    if where.since:
        query = query.where(PersonalDataAccess.accessed_at >= where.since)
    if where.nip_hash:
        query = query.where(
            PersonalDataAccess.id.in_(
                select(PersonalDataAccessNip.access_id).where(
                    PersonalDataAccessNip.nip_hash == where.nip_hash
                )
            )
        )
    query = query.order_by(PersonalDataAccess.accessed_at.desc(), PersonalDataAccess.id.desc())
    return [_row(r) for r in session.scalars(query.limit(limit).offset(offset))]


def _row(r: PersonalDataAccess) -> AccessRow:
    return AccessRow(
        id=r.id, accessed_at=r.accessed_at, who=r.who, who_kind=r.who_kind, token_name=r.token_name,
        channel=r.channel, kind=r.kind, target=r.target, nip_count=r.nip_count, purpose=r.purpose,
        rows=r.rows, filter=r.filter, client_address=r.client_address,
    )  # fmt: skip


def reads_of(session: Session, nip: str, *, key: bytes) -> list[dict[str, Any]]:
    """Who viewed one ASN's data (for the subject access report): every record showing ``nip``, oldest
    first, as plain values."""
    where = AccessFilter(nip_hash=nip_hash(key, nip))
    rows = list_reads(session, where, limit=1_000_000)
    return [row.as_dict() for row in reversed(rows)]


@dataclass(frozen=True)
class UnusualReader:
    """A person whose reads in one day showed more distinct ASN than the threshold."""

    who: str
    day: date
    distinct_asn: int
    reads: int
    threshold: int


def unusual_readers(
    session: Session, days: Sequence[date], *, threshold: int, timezone: str
) -> list[UnusualReader]:
    """For each of ``days`` (in ``timezone``), everyone whose reads showed more than ``threshold``
    distinct ASN that day (console, API and CLI together; :data:`NOT_UNUSUAL` kinds not counted), most
    distinct first."""
    found: list[UnusualReader] = []
    for day in days:
        start, end = day_bounds(day, timezone)
        in_day = (
            PersonalDataAccess.accessed_at >= start,
            PersonalDataAccess.accessed_at < end,
            PersonalDataAccess.kind.not_in(NOT_UNUSUAL),
        )
        distinct = dict(
            session.execute(
                select(PersonalDataAccess.who, func.count(func.distinct(PersonalDataAccessNip.nip_hash)))
                .join(PersonalDataAccessNip, PersonalDataAccessNip.access_id == PersonalDataAccess.id)
                .where(*in_day)
                .group_by(PersonalDataAccess.who)
                .having(func.count(func.distinct(PersonalDataAccessNip.nip_hash)) > threshold)
            )
            .tuples()
            .all()
        )
        if not distinct:
            continue
        reads = dict(
            session.execute(
                select(PersonalDataAccess.who, func.count())
                .where(*in_day, PersonalDataAccess.who.in_(distinct))
                .group_by(PersonalDataAccess.who)
            )
            .tuples()
            .all()
        )
        found += [
            UnusualReader(who=who, day=day, distinct_asn=n, reads=reads.get(who, 0), threshold=threshold)
            for who, n in distinct.items()
        ]
    return sorted(found, key=lambda u: (-u.distinct_asn, u.day, u.who))


def local_today(timezone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(timezone)).date()


# -- the one sanctioned deletion ---------------------------------------------------------------------

_SQLITE_DELETE_TRIGGERS = {
    table: (
        f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
    )
    for table in ("personal_data_access", "personal_data_access_nips")
}
"""As migration 0013 creates them (kept equal to it: a test compares ``sqlite_master`` after a purge)."""


def purge_access_log(session: Session, before: datetime, dry_run: bool = False) -> int:
    """Delete the records made before ``before`` (retention): the only path by which the log shrinks.

    Returns how many records went (or, with ``dry_run``, would go). Runs in ``session``'s transaction:
    on PostgreSQL it sets ``sbt.access_log_purge`` for this transaction only, which the append-only
    trigger lets DELETE through for; on SQLite it drops the DELETE triggers, deletes, and creates them
    again before the transaction ends (no other connection sees them missing). The caller audits the
    purge (counts, never contents).
    """
    if before.tzinfo is None:
        raise ValueError("naive datetime given as the purge cutoff; attach a timezone first")
    old = select(PersonalDataAccess.id).where(PersonalDataAccess.accessed_at < before)
    count = session.execute(select(func.count()).select_from(old.subquery())).scalar_one()
    if dry_run or not count:
        return int(count)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT set_config('sbt.access_log_purge', 'on', true)"))
    elif dialect == "sqlite":
        for table in _SQLITE_DELETE_TRIGGERS:
            session.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only_delete"))
    session.execute(delete(PersonalDataAccessNip).where(PersonalDataAccessNip.access_id.in_(old)))
    session.execute(delete(PersonalDataAccess).where(PersonalDataAccess.accessed_at < before))
    if dialect == "postgresql":
        session.execute(text("SELECT set_config('sbt.access_log_purge', 'off', true)"))
    elif dialect == "sqlite":
        for create in _SQLITE_DELETE_TRIGGERS.values():
            session.execute(text(create))
    return int(count)
