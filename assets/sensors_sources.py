"""Source sensors: a run of ``<source>_update`` when an agency's source has something new.

One sensor per enabled source: an SFTP source's asks for one run per new or changed file in its
directory; an HTTP source's asks for a run when a one-record page past the stored cursor is not empty.
Each tick costs one directory listing or one small page. The sensors decide with small pure functions
(:func:`plan_file_runs`) over what :mod:`sbt_sync.pending` reads.
"""

import hashlib
import json
from collections.abc import Collection, Sequence

import dagster as dg

from assets.keys import DB_WRITE_TAGS
from connectors.sftp import RemoteFile
from sbt_sync import pending
from sbt_sync.ingest.landing import source_cursor
from sbt_sync.resources import ConnectorsResource, DatabaseResource, SbtSettingsResource
from sbt_sync.settings_sources import HttpSource, SftpSource

SOURCE_SENSOR_SECONDS = 30
"""A change is noticed within this (plus a run of about 10-20 s): the freshness target is 60 s. Each tick
costs one small page per HTTP source and one directory listing per SFTP source."""


def file_identity(source: str, file: RemoteFile) -> str:
    """A listed file's identity (:func:`sbt_sync.pending.file_identity`)."""
    return pending.file_identity(source, file.path, file.size, file.mtime)


def plan_file_runs(
    source: str, listed: Sequence[RemoteFile], settled: Collection[str], requested: Collection[str]
) -> tuple[list[str], list[str]]:
    """The identities to request a run for, and the sensor's next cursor.

    ``settled`` are identities the manifest already processed or refused; ``requested`` is the last
    cursor (identities requested and not yet settled). The cursor keeps only listed, unsettled
    identities, so it stays as small as the directory and a settled file drops out of it.
    """
    identities = [file_identity(source, f) for f in listed]
    waiting = [i for i in identities if i not in settled]
    return [i for i in waiting if i not in requested], waiting


def sftp_sensor(name: str, source: SftpSource, job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{name}_new_files",
        description=f"One run per new or changed file in {name}'s SFTP directory {source.directory}.",
        job_name=job_name,
        minimum_interval_seconds=SOURCE_SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def new_files(
        context: dg.SensorEvaluationContext, db: DatabaseResource, connectors: ConnectorsResource
    ) -> dg.SensorResult:
        with connectors.sftp(name) as reader:
            listed = reader.list_files(source.directory, source.pattern)
        requested = set(json.loads(context.cursor)) if context.cursor else set()
        with db.session() as session:
            settled = pending.settled_file_identities(session, name)
        new, waiting = plan_file_runs(name, listed, settled, requested)
        if not new:
            reason = f"{name}: {len(listed)} files listed, none new or changed ({len(waiting)} in progress)"
            return dg.SensorResult(skip_reason=reason, cursor=json.dumps(waiting))
        context.log.info("%s: %d new or changed files: %s", name, len(new), ", ".join(new))
        runs = [dg.RunRequest(run_key=identity, tags=DB_WRITE_TAGS) for identity in new]
        return dg.SensorResult(run_requests=runs, cursor=json.dumps(waiting))

    return new_files


def http_sensor(name: str, job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{name}_changes",
        description=f"A run when {name} has records changed since the stored cursor (one small page).",
        job_name=job_name,
        minimum_interval_seconds=SOURCE_SENSOR_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def changes(
        context: dg.SensorEvaluationContext, db: DatabaseResource, settings: SbtSettingsResource
    ) -> dg.RunRequest | dg.SkipReason:
        with db.session() as session:
            cursor = source_cursor(session, name)
        change = pending.http_source_changes(settings.get(), name, cursor)
        if change is None:
            return dg.SkipReason(f"{name}: nothing changed since cursor {cursor}")
        # One run per (cursor, first changed record): ticks before the run lands ask for nothing more.
        key = f"{name}:{hashlib.sha256(str(cursor).encode()).hexdigest()[:16]}:{change}"
        context.log.info("%s: changes since cursor %s; requesting a run", name, cursor)
        return dg.RunRequest(run_key=key, tags=DB_WRITE_TAGS)

    return changes


def source_sensor(name: str, source: HttpSource | SftpSource, job_name: str) -> dg.SensorDefinition | None:
    """The sensor watching ``source``, or None for an HTTP source with no increments to poll."""
    if isinstance(source, SftpSource):
        return sftp_sensor(name, source, job_name)
    if source.increment != "none":
        return http_sensor(name, job_name)
    return None
