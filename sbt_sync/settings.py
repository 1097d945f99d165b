"""The deployment's configuration: ``sbt.yaml`` parsed into one typed, validated settings object.

This is the one module that decides the environment. ``SBT_CONFIG`` names the file (default
``./sbt.yaml``) and ``SBT_DATABASE_URL`` overrides ``database.url``; both are read when
:func:`load_settings` is called, never at import time. Secrets never appear in the file: a field ending
in ``_env`` holds the *name* of the environment variable that carries the secret, and
:meth:`Settings.check_secrets` fails, naming the key and the file, when one is not set.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sbt_sync.errors import ConfigError
from sbt_sync.settings_sources import UNION_TAGS, EnvVarName, SiasnTokenRefs, SourceSettings

CONFIG_ENV = "SBT_CONFIG"
DATABASE_URL_ENV = "SBT_DATABASE_URL"
DEFAULT_CONFIG_NAME = "sbt.yaml"


class Strict(BaseModel):
    """Base for every settings section: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


DATABASE_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg2")


class DatabaseSettings(Strict):
    url: str = "sqlite:///var/sbt.db"
    """SQLAlchemy URL; a relative SQLite path is relative to the project folder (sbt.yaml's folder)."""
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _readable_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        # The URL may hold a password: the messages never repeat it.
        try:
            parsed = make_url(value)
            parsed.port  # noqa: B018  # a port that is not a number fails here
        except (ArgumentError, ValueError):
            raise ValueError(
                "not a database URL (dialect+driver://user@host:port/name, or sqlite:///path)"
            ) from None
        if parsed.drivername not in DATABASE_DRIVERS:
            raise ValueError(
                f"unsupported database {parsed.drivername!r}; one of {', '.join(DATABASE_DRIVERS)}"
            )
        return value


class IdentitySettings(Strict):
    auto_accept: float = Field(0.92, ge=0, le=1)
    """Score at or above which a single candidate links automatically."""
    min_candidate: float = Field(0.70, ge=0, le=1)
    """Candidates scoring below this are not shown to stewards."""
    name_mismatch: float = Field(0.80, ge=0, le=1)
    """A valid NIP whose reported name scores below this against the registry opens a conflict."""


class SurvivorshipSettings(Strict):
    """Ranked sources per field group; recency breaks ties within one source rank."""

    incident: list[str] = ["bawaslu", "kemenpanrb"]
    recommendation: list[str] = ["bkn_wasdal", "kasn"]
    sanction: list[str] = ["idis", "kemendagri"]


class GuardSettings(Strict):
    max_changes: int = Field(50, ge=0)
    """A run changing more block flags than this waits for a steward's approval."""
    max_percent: float = Field(10.0, ge=0, le=100)
    """... or more than this percentage of the currently blocked NIPs."""


MAX_WINDOW_DAYS = 3650
"""The longest enforcement window ``sbt.yaml`` accepts (ten years): far beyond any policy, and far
enough below what a date can hold that no sum of windows overflows (every run failed then)."""


class EnforcementSettings(Strict):
    follow_up_days: int = Field(10, ge=1, le=MAX_WINDOW_DAYS)
    """PPK follow-up window from the recommendation date (DOMAIN.md: "10 hari")."""
    peringatan_after_days: int = Field(0, ge=0, le=MAX_WINDOW_DAYS)
    teguran_after_days: int = Field(7, ge=0, le=MAX_WINDOW_DAYS)
    pemblokiran_after_days: int = Field(7, ge=0, le=MAX_WINDOW_DAYS)
    peringatan_dini_days_before: int | None = Field(None, ge=1, le=MAX_WINDOW_DAYS)
    """The early warning (peringatan dini) falls this many days before the PPK deadline, for every
    recommendation still open then; None (the default): no early warning. At most ``follow_up_days``:
    a warning cannot come before the recommendation it is about."""
    guard: GuardSettings = GuardSettings()

    @model_validator(mode="after")
    def _early_warning_after_the_recommendation(self) -> EnforcementSettings:
        early = self.peringatan_dini_days_before
        if early is not None and early > self.follow_up_days:
            raise ValueError(
                f"peringatan_dini_days_before ({early}) is more than follow_up_days ({self.follow_up_days}):"
                " the early warning would fall before the recommendation it warns about"
            )
        return self


class PushSettings(Strict):
    concurrency: int = Field(4, ge=1, le=64)
    rate_per_second: float = Field(10.0, gt=0)
    max_attempts: int = Field(8, ge=1)
    timeout_seconds: float = Field(30.0, gt=0)
    cycle_budget_seconds: float = Field(600.0, gt=0)
    """How long a cycle's push (``sync/siasn_flags``) and its readback (``sync/siasn_readback``) each
    go on calling SIASN: past it no row or NIP is started nor retried (a call under way ends with the
    client's short retries), and rows not acknowledged stay pending, with their keys, for the next
    cycle. A throttling or failing SIASN then delays only the push, not the steps after it (letters,
    reports). ``sbt-sync push run`` has no budget."""


class SiasnSettings(SiasnTokenRefs):
    """The SIASN API: its two tokens' references (every secret an environment-variable name), then
    what the registry mirror, the push and the readback need."""

    base_url: str
    ca_bundle: str | None = None
    registry_page_size: int = Field(5000, ge=1)
    registry_changed_since: bool = True
    """This SIASN lists the registry rows changed since an instant (``/pns/list?updatedSince=``): every
    cycle reads them. False: only the full refresh (``registry_full_refresh_cron``) reads the registry."""
    registry_full_refresh_cron: str = "0 2 * * *"
    """When the ``registry_refresh`` job re-reads the whole registry (in ``schedule.timezone``): daily
    by default; never inside a cycle."""
    registry_changes_overlap_minutes: int = Field(10, ge=0)
    """Each changed-since pass starts this long before the latest ``updatedAt`` read (late commits)."""
    registry_lookup_concurrency: int = Field(4, ge=1, le=32)
    """Per-NIP registry lookups in flight at once, each cycle (ASN in an open or held case, or blocked)."""


class ScheduleSettings(Strict):
    full_cycle_minutes: int = Field(60, ge=1)
    timezone: str = "Asia/Jakarta"
    start_running: bool = True
    """Whether the schedules (full cycle, registry refresh, retention purge) run from the daemon's first
    start. False leaves them stopped until someone turns them on in Dagster's UI or CLI
    (``dagster schedule start``): a standby instance, a rehearsal, or a test that must not meet the
    hourly cycle. Sensors are unaffected. Dagster remembers a schedule turned on or off by hand."""


class OidcSettings(Strict):
    """Optional single sign-on for the console through an OpenID Connect provider (SIASN's SSO is
    Keycloak): the authorization-code flow with PKCE; the account must exist (``users add --sso-only``)."""

    issuer: str
    """The realm's issuer URL, e.g. https://sso-siasn.bkn.go.id/auth/realms/public-siasn."""
    client_id: str
    client_secret_env: EnvVarName | None = None
    """For a confidential client; a public client relies on PKCE alone."""
    ca_bundle: str | None = None
    label: str = "SSO SIASN"
    username_claim: str = "preferred_username"


class ConsoleSettings(Strict):
    """The steward console (`sbt-sync steward serve`) and its JSON API."""

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    secret_key_env: EnvVarName | None = None
    """Environment variable holding the key that signs session cookies; required in production. In
    the sandbox, without one, a random key is made once and kept in ``var/console-secret``."""
    secure_cookies: bool | None = None
    """Send cookies only over HTTPS; default: on in production, off in the sandbox (plain loopback)."""
    session_idle_minutes: int = Field(30, ge=1)
    session_max_hours: int = Field(12, ge=1)
    login_attempts_per_minute: int = Field(9, ge=1)
    """Wrong passwords allowed per account in a minute; the next is refused and the account locked for
    a minute. A client address gets ten times as many over all accounts before it is slowed, and then
    only for the accounts it has failed on (``console.security.LoginThrottle``)."""
    trusted_proxies: list[str] = []
    """Reverse proxies (IP addresses or CIDR networks) in front of the console: only a request whose
    direct peer is one of them has its ``X-Forwarded-For`` believed. Empty: the header is ignored."""
    default_language: Literal["id", "en"] = "id"
    write_wait_seconds: float = Field(20, gt=0)
    """How long a console request waits for another writer holding the embedded SQLite database (an
    enforcement or reconciliation run) before it answers that the database is busy and to try again."""
    oidc: OidcSettings | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        """Each entry as ``ipaddress`` normalises it; a host name or a network with host bits set is
        refused (a typo there would trust, or fail to trust, the wrong machines)."""
        networks = []
        for entry in value:
            try:
                networks.append(str(ipaddress.ip_network(entry.strip())))
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network ({exc})") from None
        return networks


class ImutSettings(Strict):
    """The I-MUT rules' data files and SIASN lookups (issue 17)."""

    election_calendar_path: str | None = None
    """The election calendar a deployment edits (default: schemas/reference/election_calendar.csv)."""
    working_day_overrides_path: str | None = None
    """Working-day corrections to the ``holidays`` package (default: the packaged overrides file)."""
    siasn_lookups_per_run: int = Field(200, ge=0)
    """NIPs with an I-MUT action that the product never pushed, whose block state one run asks SIASN
    (``GET /pemblokiran/{nip}``); each is asked once, the rest wait for the next run."""


class LetterSettings(Strict):
    """Letters to PPKs (peringatan dini, peringatan, teguran): templates, numbering, what they show."""

    templates_dir: str | None = None
    """A folder of Jinja2 HTML templates, one per step (``peringatan_dini.html``, ...), relative to
    sbt.yaml; None: the defaults shipped in ``sbt_sync/letters/templates`` (copy them to edit)."""
    number_pattern: str = "{seq:04d}/B-AK.02.02/SD/F/{year}"
    """Letter numbers; ``{seq}`` counts per year (never reused), ``{year}`` and ``{month}`` are the
    letter's."""
    nip_display: Literal["full", "middle", "last4"] = "middle"
    """How a letter shows NIPs: in full, the first and last four digits, or the last four."""
    backfill_days: int = Field(14, ge=0)
    """A control step due more than this many days before the letter's day gets no letter (a first
    run over years of history does not mail them all)."""
    city: str = "Jakarta"
    signatory_name: str = "Deputi Bidang Pengawasan dan Pengendalian"
    signatory_title: str = "a.n. Kepala Badan Kepegawaian Negara"

    @field_validator("number_pattern")
    @classmethod
    def _pattern_formats(cls, value: str) -> str:
        if "{seq" not in value:
            raise ValueError("must contain {seq} (e.g. {seq:04d})")
        if "{year" not in value:  # {seq} restarts each year: without the year numbers would repeat
            raise ValueError("must contain {year} ({seq} restarts each year, so numbers would repeat)")
        try:
            value.format(seq=1, year=2026, month=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"does not format with seq, year and month: {exc}") from None
        return value


class NotifySettings(Strict):
    """Letters and their delivery by mail (SMTP with STARTTLS) to each instansi's PIC addresses."""

    host: str | None = None
    """The SMTP server; None: letters are drafted and queued, and wait until one is configured."""
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    """Upgrade with STARTTLS and refuse a server that does not offer it."""
    username_env: EnvVarName | None = None
    password_env: EnvVarName | None = None
    from_address: str = "netralitas@bkn.go.id"
    from_name: str = "Badan Kepegawaian Negara"
    ca_bundle: str | None = None
    """CA certificates to verify the server with (default: the system's)."""
    timeout_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(8, ge=1)
    """Tries of one letter over all runs before it is parked for stewards."""
    mode: Literal["automatic", "reviewed"] = "automatic"
    """``reviewed``: a drafted letter waits (held) until a steward releases it."""
    letters: LetterSettings = LetterSettings()


class RetentionSettings(Strict):
    """How long each kind of personal data is kept (UU 27/2022: processing ends, and data is destroyed,
    when its purpose is served); ``sbt-sync pdp purge`` removes what passed its time, never what an
    open case or a standing block still needs (:mod:`sbt_sync.pdp.retention`)."""

    raw_payload_days: int = Field(730, ge=1)
    """Earlier contents of a source record (``raw_record_versions``), and the payload of a record no
    staged row uses (a row refused by validation), are removed this many days after they were seen."""
    quarantine_days: int = Field(365, ge=1)
    """Quarantined rows a steward or a later delivery settled (not ``open``) are removed this many days
    after they were quarantined; open ones stay until settled."""
    closed_case_days: int = Field(1825, ge=1)
    """A closed case (tidak terbukti, dibatalkan, ditolak, ASN berhenti, dijatuhi hukuman) unchanged for
    this long is removed with its source records, links, provenance, conflicts and decisions."""
    access_log_days: int = Field(730, ge=1)
    """Records of who read personal data are kept this long."""
    downloads_days: int = Field(7, ge=1)
    """Files left in ``var/downloads`` (SFTP deliveries not landed) are removed after this many days."""


class PdpSettings(Strict):
    """Reads of personal data (UU 27/2022): the access log's key and the unusual-access rule."""

    access_key_env: EnvVarName | None = None
    """Environment variable holding the key the access log hashes NIPs with (HMAC-SHA256); required in
    production, and never to be changed (reads hashed under an old key are no longer found by NIP). In
    the sandbox, without one, a random key is made once and kept in ``var/pdp-access-key``."""
    unusual_distinct_asn_per_day: int = Field(200, ge=1, le=10_000_000)
    """A person whose reads in one day (``schedule.timezone``) show more distinct ASN than this is
    flagged to admins on the dashboard and the access-log page."""


class Settings(Strict):
    """Everything a deployment configures, with the file it came from."""

    environment: Literal["sandbox", "production"] = "sandbox"
    database: DatabaseSettings = DatabaseSettings()
    sources: dict[str, SourceSettings] = {}
    siasn: SiasnSettings | None = None
    identity: IdentitySettings = IdentitySettings()
    survivorship: SurvivorshipSettings = SurvivorshipSettings()
    enforcement: EnforcementSettings = EnforcementSettings()
    push: PushSettings = PushSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    console: ConsoleSettings = ConsoleSettings()
    imut: ImutSettings = ImutSettings()
    notify: NotifySettings = NotifySettings()
    retention: RetentionSettings = RetentionSettings()
    pdp: PdpSettings = PdpSettings()

    # Filled by load_settings, not by the file.
    config_path: Path = Field(default=Path(DEFAULT_CONFIG_NAME), exclude=True)

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: dict[str, SourceSettings]) -> dict[str, SourceSettings]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"source name {name!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _survivorship_names_known(self) -> Settings:
        if not self.sources:
            return self
        for group in ("incident", "recommendation", "sanction"):
            for name in getattr(self.survivorship, group):
                if name not in self.sources:
                    raise ValueError(f"survivorship.{group} names unknown source {name!r}")
        return self

    def source_agency(self, source: str) -> str:
        """The body that owns ``source`` (its ``agency`` key; the source's own name when unset)."""
        config = self.sources.get(source)
        return (config.agency if config is not None else None) or source

    def agency_sources(self, agency: str) -> list[str]:
        """The configured sources an agency owns (what its viewers may see)."""
        return sorted(name for name in self.sources if self.source_agency(name) == agency)

    @property
    def project_dir(self) -> Path:
        """The folder holding sbt.yaml; relative paths in the file are relative to it."""
        return self.config_path.resolve().parent

    def resolve_path(self, path: str | Path) -> Path:
        """``path`` made absolute against the project folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.project_dir / p

    @property
    def database_url(self) -> str:
        """The product database URL, a relative SQLite path made absolute against the project folder."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return prefix + str(self.resolve_path(url[len(prefix) :]))
        return url

    def secret_refs(self) -> Iterator[tuple[str, str]]:
        """Every ``(dotted.key, ENV_VAR_NAME)`` pair the configuration references."""
        yield from _walk_env_refs(self.model_dump(exclude={"config_path"}), "")

    def secret(self, var: str, env: Mapping[str, str] | None = None) -> str:
        """The value of the secret environment variable ``var``, read now (at run time).

        Raises :class:`ConfigError` naming the key that references it and the file when it is unset.
        """
        environ = os.environ if env is None else env
        value = environ.get(var)
        if not value:
            keys = [key for key, name in self.secret_refs() if name == var] or ["(not referenced)"]
            raise ConfigError(
                f"{self.config_path}: {keys[0]}: environment variable {var} is not set (a required secret)"
            )
        return value

    def check_secrets(self, env: Mapping[str, str] | None = None) -> None:
        """Raise :class:`ConfigError` naming the first referenced secret that is not set."""
        environ = os.environ if env is None else env
        for key, var in self.secret_refs():
            if not environ.get(var):
                raise ConfigError(
                    f"{self.config_path}: {key}: environment variable {var} is not set (a required secret)"
                )


def _walk_env_refs(node: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key.endswith("_env") and isinstance(value, str):
                yield path, value
            else:
                yield from _walk_env_refs(value, path)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_env_refs(value, f"{prefix}[{i}]")


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    return Path(environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def load_settings(path: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Parse and validate ``sbt.yaml``.

    ``path`` wins over ``$SBT_CONFIG``, which wins over ``./sbt.yaml``; ``$SBT_DATABASE_URL`` overrides
    ``database.url``. Raises :class:`ConfigError` with a one-line message naming the file and the key
    for a missing file, bad YAML, an unknown key or a wrong type. Secrets are checked separately with
    :meth:`Settings.check_secrets`, because some commands (help, migrations) need none.
    """
    environ = os.environ if env is None else env
    config_path = Path(path) if path is not None else default_config_path(environ)
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{config_path}: configuration file not found (set {CONFIG_ENV} or --config)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{config_path}:{where} invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: the top level must be a mapping of settings")
    if environ.get(DATABASE_URL_ENV):
        raw = {**raw, "database": {**(raw.get("database") or {}), "url": environ[DATABASE_URL_ENV]}}
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        described = describe_validation_error(exc)
        if environ.get(DATABASE_URL_ENV) and described.startswith("database.url:"):
            described = DATABASE_URL_ENV + described.removeprefix("database.url")
        raise ConfigError(f"{config_path}: {described}") from None
    return settings.model_copy(update={"config_path": config_path})


def describe_validation_error(exc: ValidationError) -> str:
    """The first validation error as ``dotted.key: what is wrong`` (plus how many more)."""
    errors = exc.errors()
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"] if str(part) not in UNION_TAGS)
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    else:
        message = first["msg"]
        # Never echo what was written under a secret's key: it may be the secret itself.
        shown = "input" in first and first["type"] not in {"value_error", "assertion_error"}
        if shown and not key.endswith("_env"):
            message += f" (got {first['input']!r})"
    more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
    return f"{key or '(top level)'}: {message}{more}"
