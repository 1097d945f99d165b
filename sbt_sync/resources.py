"""Dagster resources: the seams between assets and the outside world.

Each resource is a small ``ConfigurableResource`` with a narrow surface. Nothing here reads the
environment at import time: the settings file and ``SBT_DATABASE_URL`` are read when a run sets the
resource up, and secrets are read from the environment variables sbt.yaml names (its ``*_env`` keys)
only when a client is built for a run (``ConnectorsResource``), never stored in a resource's config.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy.orm import Session

from connectors.http import HttpClient, Paginator
from connectors.retry import RetryPolicy
from connectors.sftp import SftpReader
from connectors.siasn import SiasnClient
from sbt_sync.db.engine import Database
from sbt_sync.ingest import connections
from sbt_sync.settings import Settings, load_settings


class SbtSettingsResource(dg.ConfigurableResource):
    """The deployment's ``sbt.yaml`` (default: ``$SBT_CONFIG``, then ``./sbt.yaml``)."""

    config_path: str | None = None

    _settings: Settings | None = PrivateAttr(default=None)

    def get(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings


class DatabaseResource(dg.ConfigurableResource):
    """The product database; the URL comes from the settings unless given here."""

    settings: dg.ResourceDependency[SbtSettingsResource]
    url: str | None = None
    """Overrides the settings' URL (tests point it at a throwaway database)."""

    _database: Database | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        cfg = self.settings.get()
        self._database = Database(self.url or cfg.database_url, echo=cfg.database.echo)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError("DatabaseResource used outside a Dagster run (setup_for_execution not called)")
        return self._database

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error."""
        with self.database.session() as session:
            yield session


class ConnectorsResource(dg.ConfigurableResource):
    """Clients for the agencies' systems and SIASN, built per run from sbt.yaml.

    Secrets are read from the environment variables that sbt.yaml names when a client is built (run
    time), never when the definitions load.
    """

    settings: dg.ResourceDependency[SbtSettingsResource]

    def http(self, source: str) -> tuple[HttpClient, Paginator]:
        return connections.http_source(self.settings.get(), source)

    def sftp(self, source: str) -> SftpReader:
        return connections.sftp_reader(self.settings.get(), source)

    def siasn(self, *, retry: RetryPolicy | None = None) -> SiasnClient:
        """The SIASN client; ``retry`` overrides its inner retries (a cycle's push bounds them)."""
        return connections.siasn_client(self.settings.get(), retry=retry)
