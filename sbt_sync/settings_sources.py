"""Settings of one data source in ``sbt.yaml``: protocol, auth, paging, format and thresholds.

Sources are configuration, not code: adding a seventh agency with an existing protocol is a new entry
here plus a Pandera model in ``schemas/``. Secrets are environment-variable names (``*_env`` keys).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.http.client import DEFAULT_MAX_BODY_BYTES
from connectors.sftp.reader import DEFAULT_LIST_TIMEOUT, DEFAULT_MIN_TRANSFER_RATE
from connectors.sftp.transfer import DEFAULT_MAX_DECOMPRESSED_BYTES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


EnvVarName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]


class ApiKeyAuth(_Strict):
    type: Literal["api_key"]
    header: str = "X-API-Key"
    key_env: EnvVarName


class OAuth2ClientCredentialsAuth(_Strict):
    type: Literal["oauth2_client_credentials"]
    token_url: str
    client_id_env: EnvVarName
    client_secret_env: EnvVarName
    scope: str | None = None


class SiasnTokenRefs(_Strict):
    """SIASN's two tokens: the API gateway's (client credentials) and the SSO's (password grant).

    One set of fields for both places that name them: an HTTP source reading SIASN (``auth: {type:
    siasn_tokens}``) and the ``siasn:`` section (registry, push, readback)."""

    gateway_token_url: str
    sso_token_url: str
    consumer_key_env: EnvVarName
    consumer_secret_env: EnvVarName
    username_env: EnvVarName
    password_env: EnvVarName
    sso_client_id: str = "sbt-sync"
    """The Keycloak client the operator account logs in through."""


class SiasnTokensAuth(SiasnTokenRefs):
    """An HTTP source authenticated with SIASN's two tokens."""

    type: Literal["siasn_tokens"]


HttpAuth = Annotated[ApiKeyAuth | OAuth2ClientCredentialsAuth | SiasnTokensAuth, Field(discriminator="type")]


class Paging(_Strict):
    style: Literal["page_number", "cursor", "link_header", "offset"]
    page_size: int = Field(200, ge=1, le=10_000)
    max_pages: int = Field(10_000, ge=1)
    """Pages one run fetches at most; the rest of a longer listing comes in the next run (the cursor
    is kept after every landed batch), so a server that never says "last page" cannot hold a run."""


class HttpSource(_Strict):
    kind: Literal["http"]
    description: str = ""
    agency: str | None = None
    """The body that owns the source (``bkn``, ``bawaslu``, ...); its agency viewers see its records."""
    base_url: str
    path: str
    auth: HttpAuth
    paging: Paging
    increment: Literal["updated_since", "cursor", "none"] = "updated_since"
    ca_bundle: str | None = None
    """PEM bundle used to verify TLS (relative to the project folder); None uses the system store."""
    connect_timeout_seconds: float = Field(5.0, gt=0)
    read_timeout_seconds: float = Field(30.0, gt=0)
    total_timeout_seconds: float = Field(120.0, gt=0)
    """One attempt's whole exchange, from connecting to the answer's last byte: a server that drips
    its answer a byte at a time never trips the read timeout, which bounds each wait for a byte."""
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024)
    """The largest answer, once unpacked (Content-Encoding), read from the source: a longer one (a
    compression bomb, an endless body) is dropped and the run fails naming the request."""
    max_attempts: int = Field(6, ge=1)
    quarantine_threshold: float = Field(0.05, ge=0, le=1)
    """The source's blocking check fails when more than this share of a batch is quarantined."""
    quarantine_min_records: int = Field(50, ge=1)
    """A ratio over fewer records than this says little; smaller batches are judged cumulatively."""
    schema_drift_min_rows: int = Field(20, ge=1)
    """The schema-drift check judges a run's absent columns once it validated this many rows."""
    schema_drift_chance: float = Field(1e-6, gt=0, lt=1)
    """A column the source's earlier rows carried fails the check when its absence from every row of a
    run is less likely than this by chance (:mod:`sbt_sync.ingest.drift`)."""
    enabled: bool = True


class CsvFormat(_Strict):
    delimiter: str = Field(",", min_length=1, max_length=1)
    encodings: list[str] = ["utf-8-sig", "cp1252"]
    """Tried in order; the first that decodes the whole file wins. Field formats (dates, codes) are
    the feed's Pandera contract in ``schemas/feeds``, not configuration."""


class SftpSource(_Strict):
    kind: Literal["sftp"]
    description: str = ""
    agency: str | None = None
    host: str
    port: int = Field(22, ge=1, le=65535)
    username: str
    private_key_path_env: EnvVarName
    """Environment variable holding the path of the client's private key file."""
    known_hosts: str
    """known_hosts file pinning the server's host key (relative to the project folder)."""
    directory: str
    pattern: str = "*"
    in_progress_suffixes: list[str] = [".part", ".tmp", ".filepart"]
    format: Literal["csv", "jsonl_gz"]
    csv: CsvFormat = CsvFormat()
    connect_timeout_seconds: float = Field(10.0, gt=0)
    list_timeout_seconds: float = Field(DEFAULT_LIST_TIMEOUT, gt=0)
    """One attempt at listing the directory, all its pages together: a server that answers the
    listing slowly forever fails the source's run (naming the server) instead of holding it."""
    min_transfer_rate: float = Field(DEFAULT_MIN_TRANSFER_RATE, ge=1)
    """Bytes per second a download must average: an attempt is given up after the read timeout plus
    the file's size at this rate, so a server trickling a byte per read cannot hold the run."""
    max_attempts: int = Field(5, ge=1)
    settle_seconds: float = Field(60.0, ge=0)
    """A file modified less recently than this is left for a later run (it may still be written in
    place); a file whose size or mtime changes while it is read is left too, whatever its age."""
    max_decompressed_bytes: int = Field(DEFAULT_MAX_DECOMPRESSED_BYTES, ge=1)
    """A ``.gz`` file expanding past this many bytes is refused (a decompression bomb), and so is a
    file larger than this as delivered, unread (a CSV is read whole into memory)."""
    quarantine_threshold: float = Field(0.05, ge=0, le=1)
    quarantine_min_records: int = Field(50, ge=1)
    schema_drift_min_rows: int = Field(20, ge=1)
    schema_drift_chance: float = Field(1e-6, gt=0, lt=1)
    enabled: bool = True


SourceSettings = Annotated[HttpSource | SftpSource, Field(discriminator="kind")]

# Pydantic puts the chosen member's tag into an error's location; messages leave it out so they name
# the key as written in sbt.yaml.
UNION_TAGS: frozenset[str] = frozenset(
    {"http", "sftp", "api_key", "oauth2_client_credentials", "siasn_tokens"}
)
