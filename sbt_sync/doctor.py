"""``sbt-sync doctor``: checks a deployment from the machine it runs on, one finding per line.

The database is reachable and migrated; every enabled source answers with its credentials (HTTP: one
authenticated one-record page; SFTP: the pinned host key, a login and a listing of the directory);
SIASN issues both tokens and answers one small request. Each check asks the cheapest question, tries
once or twice rather than the connectors' usual retries, and reports what failed as one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from connectors.sftp.hostkeys import load_known_hosts
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url
from sbt_sync.ingest import connections
from sbt_sync.settings import Settings
from sbt_sync.settings_sources import HttpSource, SftpSource

DOCTOR_ATTEMPTS = 2
"""Tries per check: enough to ride out one dropped connection, few enough to answer quickly."""


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.check}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe_settings(settings: Settings, name: str, *, max_attempts: int | None = None) -> Settings:
    """``settings`` with source ``name`` asking for one record per page (and at most
    ``max_attempts`` tries): the cheapest question a source can be asked."""
    source = settings.sources[name]
    update: dict[str, Any] = {}
    if isinstance(source, HttpSource):
        update["paging"] = source.paging.model_copy(update={"page_size": 1})
    if max_attempts is not None:
        update["max_attempts"] = max_attempts
    return settings.model_copy(
        update={"sources": {**settings.sources, name: source.model_copy(update=update)}}
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _check(name: str, probe: Callable[[], str]) -> Finding:
    try:
        return Finding(name, True, probe())
    except Exception as exc:  # every failure is a finding; the doctor itself must not crash
        return Finding(name, False, _one_line(exc))


def check_database(settings: Settings) -> str:
    database = Database(settings.database_url)
    try:
        current, head = migrate.current_revision(database), migrate.head_revision(database)
    finally:
        database.dispose()
    where = redact_url(settings.database_url)
    if current != head:
        raise RuntimeError(
            f"{where} is at schema {current or 'empty'}, head is {head}: run `sbt-sync db upgrade`"
        )
    return f"{where} reachable, schema at head {head}"


def check_http(settings: Settings, name: str) -> str:
    client, paginator = connections.http_source(
        probe_settings(settings, name, max_attempts=DOCTOR_ATTEMPTS), name
    )
    try:
        page = next(iter(paginator.pages(None)), None)
    finally:
        client.close()
    found = len(page.items) if page else 0
    return f"authenticated request answered ({found} record on the first one-record page)"


def known_hosts_pattern(host: str, port: int) -> str:
    """How known_hosts names a server: ``host`` on port 22, ``[host]:port`` elsewhere."""
    return host if port == 22 else f"[{host}]:{port}"


def check_host_key(settings: Settings, source: SftpSource) -> str:
    path = settings.resolve_path(source.known_hosts)
    pattern = known_hosts_pattern(source.host, source.port)
    if load_known_hosts(path).lookup(pattern) is None:
        raise RuntimeError(
            f"no host key pinned for {pattern} in {path}: check the server's fingerprint with the agency "
            "and add it (ssh-keyscan output, verified)"
        )
    return f"{pattern} pinned in {path}"


def check_sftp(settings: Settings, name: str, source: SftpSource) -> str:
    with connections.sftp_reader(
        probe_settings(settings, name, max_attempts=DOCTOR_ATTEMPTS), name
    ) as reader:
        files = reader.list_files(source.directory, source.pattern)
    return f"logged in to {source.host}:{source.port}, {source.directory} lists {len(files)} matching files"


def check_siasn(settings: Settings) -> str:
    assert settings.siasn is not None
    small = settings.model_copy(update={"siasn": settings.siasn.model_copy(update={"registry_page_size": 1})})
    client = connections.siasn_client(
        small, retry=replace(connections.SIASN_RETRY, max_attempts=DOCTOR_ATTEMPTS)
    )
    try:
        next(iter(client.registry_pages()), None)
    finally:
        client.close()
    return "gateway and SSO tokens obtained; the registry answered"


def _sftp_findings(settings: Settings) -> Iterator[Finding]:
    """The host-key pin once per server and known_hosts file (one line naming its sources when it is
    missing), then a login and listing per source of each pinned server."""
    servers: dict[tuple[str, int, Path], list[tuple[str, SftpSource]]] = {}
    for name, source in sorted(settings.sources.items()):
        if source.enabled and isinstance(source, SftpSource):
            key = (source.host, source.port, settings.resolve_path(source.known_hosts))
            servers.setdefault(key, []).append((name, source))
    for (host, port, _), sources in servers.items():
        pin = _check(f"sftp host key {host}:{port}", partial(check_host_key, settings, sources[0][1]))
        if not pin.ok:
            names = ", ".join(name for name, _ in sources)
            yield Finding(pin.check, False, f"{pin.message} (sources {names} not tried)")
            continue
        yield pin
        for name, source in sources:
            yield _check(f"source {name}", partial(check_sftp, settings, name, source))


def check_letter_templates(settings: Settings) -> str:
    """Every letter the deployment's templates can draft carries every fact it must (the check drafting
    makes before writing a letter, made here before a letter is due)."""
    from sbt_sync.db.models.letters import LetterStep
    from sbt_sync.letters.draft import letter_templates
    from sbt_sync.letters.facts import check_templates
    from sbt_sync.letters.render import template_environment

    folder = letter_templates(settings)
    steps = [step.value for step in LetterStep]
    check_templates(template_environment(folder), steps, folder)
    return f"{len(steps)} letters render every fact from {folder}"


def run_doctor(settings: Settings) -> list[Finding]:
    """Every check's finding, in a stable order (database, HTTP sources, SFTP, SIASN, letter
    templates)."""
    findings = [_check("database", partial(check_database, settings))]
    for name, source in sorted(settings.sources.items()):
        if source.enabled and isinstance(source, HttpSource):
            findings.append(_check(f"source {name}", partial(check_http, settings, name)))
    findings += _sftp_findings(settings)
    if settings.siasn is not None:
        findings.append(_check("siasn", partial(check_siasn, settings)))
    findings.append(_check("letter templates", partial(check_letter_templates, settings)))
    return findings
