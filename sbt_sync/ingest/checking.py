"""Validating chunks of landed records, in this process or in one worker process.

Validation, building the canonical staged records and hashing them need no database and hold the GIL
for most of staging's time, while the writes that follow wait mostly on the database. A worker
process (forked from multiprocessing's fork server, which imports the checking code once) checks the
next chunks on the machine's other core while this process writes the current one. Only plain values
cross the process boundary: the raw rows' ids, keys and payload text go out, the failures and the
staged rows' column values come back.
The worker never touches the database, so the one-transaction-per-chunk writes stay in the caller.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, fields
from datetime import date, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, NamedTuple

import orjson

from connectors.http.jsonbody import UNREADABLE_KEY, unreadable_values
from sbt_sync.ingest.collector import freeze_inherited, paused_gc
from sbt_sync.ingest.landing import json_content_of
from sbt_sync.ingest.validate import Failure, RecordInput, ValidationOutcome, validate
from schemas.feeds import FeedSpec, Staged

_LONG_DIGITS = re.compile(r"\d{19}")
log = logging.getLogger(__name__)
AHEAD = 2
"""Chunks handed to the worker before the first result is taken: one checked while one is sent."""


class RawInput(NamedTuple):
    """What validation needs of one landed raw record (a named tuple: it pickles as cheaply as a
    tuple, where a slotted dataclass costs a ``fields()`` walk per instance each way)."""

    id: int
    key: str
    payload: str
    """The payload as stored (canonical JSON text)."""
    version: int
    origin: str | None
    source_updated_at: datetime | None


class StagedValues(NamedTuple):
    """A staged row as it would be written (``staged_at`` is set by the writer)."""

    raw_id: int
    item_no: int
    content_hash: str
    values: dict[str, Any]
    record: Staged
    """The staged record hashed: a row stored with a legacy hash is compared through it
    (:func:`same_staged`)."""


@dataclass
class CheckedChunk:
    outcome: ValidationOutcome
    """Failures, drift and row count; ``outcome.staged`` is left empty (``staged`` has the rows)."""
    staged: list[StagedValues]


# ``json.dumps(data, sort_keys=True, default=str)``: the C encoder ``JSONEncoder.encode`` builds per
# call, built once (without the circular-reference check: a staged record holds no cycle).
_HASH_ENCODER = (
    c_make_encoder(None, str, encode_basestring_ascii, None, ": ", ", ", True, False, True)
    if c_make_encoder is not None  # CPython's _json accelerator; absent elsewhere
    else None
)
_HASH_FALLBACK = json.JSONEncoder(sort_keys=True, default=str)
_DATED_FIELDS = tuple(f.name for f in fields(Staged) if "date" in str(f.type))
"""``Staged``'s fields typed as a date or an instant (``birth_date``, ``source_updated_at``)."""
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), dict, list})


STAGED_HASH_PREFIX = "s2:"
"""Marks a staged hash of the current text (orjson, session 23). A stored hash without it is of the
earlier text (:func:`legacy_staged_hash`), which :func:`same_staged` still recognises."""
_HASH_CHARS = 64 - len(STAGED_HASH_PREFIX)
"""Hex digits of the SHA-256 kept (244 bits): the prefix and they fill ``content_hash``'s 64."""
_HASH_OPTIONS = orjson.OPT_SORT_KEYS


def staged_hash(staged: Staged) -> str:
    """The staged record's content hash: ``s2:`` and the SHA-256 of its fields as JSON with sorted
    keys (orjson; dates and instants as ISO text, anything else not JSON through ``str``).

    A stored hash that differs re-stages the row, clears its resolved identity and reopens the
    steward corrections based on it (``reconcile.corrections``), so the text is fixed: changing it
    needs a new prefix, and :func:`same_staged` keeping every older form equal to its record. orjson
    refuses an integer beyond 64 bits and a lone surrogate; such a record hashes the
    stdlib's text of it (the legacy text), still under the prefix.
    """
    try:
        text = orjson.dumps(vars(staged), option=_HASH_OPTIONS, default=str)
    except (orjson.JSONEncodeError, TypeError):
        text = _legacy_text(staged).encode("utf-8", "surrogatepass")
    return STAGED_HASH_PREFIX + hashlib.sha256(text).hexdigest()[:_HASH_CHARS]


def legacy_staged_hash(staged: Staged) -> str:
    """The staged hash stored before session 23: the SHA-256 of the stdlib encoder's text (sorted
    keys, ``default=str``, top-level dates as ISO text). Never written any more; rows staged then
    keep it until their content changes."""
    return hashlib.sha256(_legacy_text(staged).encode()).hexdigest()


def same_staged(stored: str, staged: Staged, digest: str) -> bool:
    """True when the stored hash ``stored`` is ``staged``'s: its current hash ``digest``, or, for a
    row staged before the current text, the legacy hash of the same record (left as stored: the
    steward corrections based on the row name it)."""
    if stored == digest:
        return True
    return not stored.startswith(STAGED_HASH_PREFIX) and stored == legacy_staged_hash(staged)


def _legacy_text(staged: Staged) -> str:
    # A shallow copy (``vars``, not dataclasses.asdict, which deep-copies every record); top-level
    # dates and instants as ISO text, nested values through ``default=str``. The fields typed as
    # dates are converted by name; any other top-level value that is not plain JSON takes the
    # general path, so the text is the same either way.
    data = vars(staged).copy()
    for name in _DATED_FIELDS:
        value = data[name]
        if isinstance(value, date):
            data[name] = value.isoformat()
    if not _PLAIN_TYPES.issuperset(map(type, data.values())):
        data = {name: value.isoformat() if isinstance(value, date) else value for name, value in data.items()}
    return "".join(_HASH_ENCODER(data, 0)) if _HASH_ENCODER else _HASH_FALLBACK.encode(data)


def staged_values(staged: Staged, raw: RawInput, digest: str) -> dict[str, Any]:
    """The staged row's column values (``staged_at`` is set when it is written)."""
    return {
        "raw_version": raw.version,
        "content_hash": digest,
        "nip": staged.nip,
        "nip_raw": staged.nip_raw[:64] if staged.nip_raw else None,
        "name": staged.name,
        "name_normalised": staged.name_normalised,
        "birth_date": staged.birth_date,
        "instansi": staged.instansi,
        "event_code": staged.event_code,
        "register_no": staged.register_no,
        "recommendation_no": staged.recommendation_no,
        "source_updated_at": staged.source_updated_at or raw.source_updated_at,
        "fields": {"record_type": staged.record_type, **staged.fields},
        "withdrawn": False,
        "needs_reconcile": True,
    }


def _loads(text: str) -> Any:
    """The stored payload parsed, the same values as ``json.loads`` gives.

    orjson is several times faster. It refuses NaN, infinities and lone surrogates (those go through
    ``json.loads``), and silently turns an integer beyond 64 bits into a float, so a payload with a
    run of 19 or more digits anywhere (a long number, or a string that merely looks like one) is
    parsed by ``json.loads`` too.
    """
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def check_chunk(feed: FeedSpec, raws: list[RawInput]) -> CheckedChunk:
    """Validate ``raws`` (lazily: every failure of every row) and build the staged rows that pass."""
    with paused_gc():
        return _checked(feed, raws, [_loads(raw.payload) for raw in raws])


class Delivered(NamedTuple):
    """One record as a connector delivered it, before landing: what ``check_delivery`` needs."""

    key: str
    payload: Any
    origin: str | None


class CheckedDelivery(NamedTuple):
    contents: list[tuple[str, str]]
    """``content_of`` each payload: the canonical text landing stores and its hash, in order."""
    checked: CheckedChunk
    """The validation, with each record's position in the delivery as its id (``RawInput.id``,
    ``Failure.ref``, ``StagedValues.raw_id``) and ``raw_version`` 0: the caller maps both to the
    landed record (``staging.current_versions``)."""


def check_delivery(feed: FeedSpec, records: list[Delivered]) -> CheckedDelivery:
    """Canonical text, hash and validation of records not landed yet.

    Validating the payloads as delivered is validating what landing stores: the canonical text is
    the same JSON value (keys sorted, separators compact), which ``check_chunk`` would parse back.
    """
    with paused_gc():
        contents = [json_content_of(record.payload) for record in records]
        raws = [
            RawInput(position, record.key, text, 0, record.origin, None)
            for position, (record, (text, _)) in enumerate(zip(records, contents, strict=True))
        ]
        return CheckedDelivery(contents, _checked(feed, raws, [record.payload for record in records]))


_SUSPECT = (f'"{UNREADABLE_KEY}"', "NaN", "Infinity", "\\ud", "\\u0000")
"""Text that every payload holding a value unreadable_values reports contains, as stored (a lone
surrogate and a NUL are stored escaped: ``landing.content_of``)."""
_MARKER, _NAN, _INFINITY, _SURROGATE, _NUL = _SUSPECT
_PATH_SHOWN = 120


def unreadable_failures(raw: RawInput, payload: Any) -> list[Failure]:
    """A quarantine entry for each value of ``payload`` that could not be kept as sent (a marker left
    by the HTTP reader, NaN, a lone surrogate, a NUL), naming the record's page and the field."""
    text = raw.payload
    # Four searches in line, not a generator per record (nearly every record has none of them).
    if (
        _MARKER not in text
        and _NAN not in text
        and _INFINITY not in text
        and _SURROGATE not in text
        and _NUL not in text
    ):
        return []
    where = f"{raw.origin}: " if raw.origin and raw.origin.startswith("page ") else ""
    failures = []
    for path, why in unreadable_values(payload):
        shown = path if len(path) <= _PATH_SHOWN else path[:_PATH_SHOWN] + "..."
        reason = f"{where}{shown}: {why}"
        failures.append(Failure(raw.id, raw.key, None, shown[:128], "json_value", None, reason))
    return failures


def _checked(feed: FeedSpec, raws: list[RawInput], payloads: list[Any]) -> CheckedChunk:
    # A record holding a value that could not be read as sent is quarantined whole: validating the
    # rest of it would stage a record with a hole where the unreadable value was.
    unreadable: list[Failure] = []
    readable: list[RecordInput] = []
    for raw, payload in zip(raws, payloads, strict=True):
        found = unreadable_failures(raw, payload)
        if found:
            unreadable += found
        else:
            readable.append(RecordInput(raw.id, raw.key, payload))
    outcome = validate(feed, readable)
    outcome.failures += unreadable
    by_id = {raw.id: raw for raw in raws}
    staged = []
    for ref, record in outcome.staged:
        digest = staged_hash(record)
        values = staged_values(record, by_id[ref], digest)
        staged.append(StagedValues(ref, record.item_no, digest, values, record))
    outcome.staged = []
    return CheckedChunk(outcome, staged)


# The worker's feed: set once by the pool's initializer (its arguments are pickled to the worker, so a
# feed must be importable by name: every feed of ``schemas.feeds`` is).
_WORKER_FEED: FeedSpec | None = None


_PARENT_POLL_SECONDS = 1.0
_START_METHOD = "forkserver"
_PRELOAD = ["sbt_sync.ingest.checking", "schemas.feeds"]
"""Imported once by the fork server, so each worker forked from it starts with them loaded."""


def _die_with(owner: int) -> None:
    """End this worker within a second of process ``owner`` (the run that started the pool) ending,
    however it ends (a run killed at its timeout included): an orphan would otherwise wait for work
    forever (its queue never closes: it holds both ends itself).

    The worker's parent is the fork server, which exits when the owner does; a thread polls both, not
    Linux's ``PR_SET_PDEATHSIG``, which fires when the parent *thread* that forked ends.
    """
    server = os.getppid()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def watch() -> None:
        while os.getppid() == server and alive(owner):
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(feed: FeedSpec, owner: int) -> None:
    global _WORKER_FEED
    _die_with(owner)
    _WORKER_FEED = feed
    freeze_inherited()


def _check_in_worker(raws: list[RawInput]) -> CheckedChunk:
    assert _WORKER_FEED is not None, "worker not initialised"
    return check_chunk(_WORKER_FEED, raws)


def _check_delivery_in_worker(records: list[Delivered]) -> CheckedDelivery:
    assert _WORKER_FEED is not None, "worker not initialised"
    return check_delivery(_WORKER_FEED, records)


def can_start_worker() -> bool:
    return _START_METHOD in multiprocessing.get_all_start_methods()


def worker_pool(feed: FeedSpec) -> ProcessPoolExecutor:
    """One worker process that checks for ``feed``; the caller shuts it down, and the worker ends by
    itself if the caller's process dies first.

    The worker is forked from multiprocessing's fork server, a single-threaded process started once
    per run with the checking code preloaded, never from this process: a run has threads (fetching,
    prefetching, Dagster's own) that may hold a lock, an open TLS connection or the database pool at
    the instant of a fork, and a forked child would inherit them half-way.
    """
    context = multiprocessing.get_context(_START_METHOD)
    context.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=_init_worker, initargs=(feed, os.getpid())
    )


class DeliveryChecker:
    """``check_delivery`` for a stream of batches, each started when submitted so that it runs while
    the caller writes the batch before it.

    ``threaded``: in one thread of this process. The batches' records are not copied; the thread
    holds the GIL while it validates, and runs while the writing thread waits on the database and
    the fetching thread on the source. ``parallel``: the first batch in this process, the later
    ones in one worker process (started at the second batch, so a pull of one page starts none) on
    another core: faster when a core is free, but every batch's records and results are pickled
    across (on the ingest benchmark that cost more CPU than the validation it moved). Neither: each
    batch is checked when submitted.
    """

    def __init__(self, feed: FeedSpec, *, parallel: bool, threaded: bool = False) -> None:
        self._feed = feed
        self._parallel = parallel and can_start_worker()
        self._threaded = threaded and not self._parallel
        self._pool: ProcessPoolExecutor | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._submitted = 0

    def submit(self, records: list[Delivered]) -> Future[CheckedDelivery]:
        self._submitted += 1
        if self._parallel and self._submitted > 1:
            if self._pool is None:
                self._pool = worker_pool(self._feed)
            return self._pool.submit(_check_delivery_in_worker, records)
        if self._threaded:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="validate")
            return self._thread.submit(check_delivery, self._feed, records)
        done: Future[CheckedDelivery] = Future()
        try:
            done.set_result(check_delivery(self._feed, records))
        except Exception as exc:  # raised where the result is taken, as a worker's would be
            done.set_exception(exc)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._thread is not None:
            self._thread.shutdown(wait=True, cancel_futures=True)
            self._thread = None


def checked_chunks(
    feed: FeedSpec, chunks: Iterable[list[RawInput]], *, parallel: Callable[[list[RawInput]], bool]
) -> Iterator[tuple[list[RawInput], CheckedChunk]]:
    """``(chunk, its check)`` for each of ``chunks``, in order.

    A worker process is started when ``parallel(first chunk)`` says the work is worth one and the
    platform has a fork server; it checks the chunks after the first, while the first is checked
    here. Otherwise every chunk is checked here. A worker's error is raised here, at its chunk, after
    every chunk before it. A worker that dies or cannot start (``BrokenProcessPool``) costs no chunk:
    its chunks and the rest are checked here, and a warning says so.
    """
    iterator = iter(chunks)
    first = next(iterator, None)
    if first is None:
        return
    if not parallel(first) or not can_start_worker():
        yield first, check_chunk(feed, first)
        for chunk in iterator:
            yield chunk, check_chunk(feed, chunk)
        return
    pool: ProcessPoolExecutor | None = worker_pool(feed)
    try:
        pending: deque[tuple[list[RawInput], Future[CheckedChunk] | None]] = deque()

        def lost() -> None:
            nonlocal pool
            if pool is not None:
                log.warning("the validation worker stopped; checking the rest in this process")
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None

        def sent(chunk: list[RawInput]) -> Future[CheckedChunk] | None:
            if pool is not None:
                try:
                    return pool.submit(_check_in_worker, chunk)
                except BrokenProcessPool:
                    lost()
            return None

        def taken(chunk: list[RawInput], future: Future[CheckedChunk] | None) -> CheckedChunk:
            if future is not None:
                try:
                    return future.result()
                except BrokenProcessPool:
                    lost()
            return check_chunk(feed, chunk)

        # The first chunk is checked here, while the worker starts (a second or more under load: the
        # fork server imports the checking code first) and checks the next.
        pending.append((first, None))
        for chunk in iterator:
            pending.append((chunk, sent(chunk)))
            if len(pending) >= AHEAD:
                done, future = pending.popleft()
                yield done, taken(done, future)
        while pending:
            done, future = pending.popleft()
            yield done, taken(done, future)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
