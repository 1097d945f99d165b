"""The steward's journey is tried on (both backends): the small sandbox election after one real cycle.

:func:`cycled_world` generates the sandbox (seed 3, small), serves it, points a copy of ``sbt.yaml`` at
it and runs one full Dagster cycle in-process on the sandbox's day, as ``sbt-sync demo`` does. The
cycle opens the conflicts its sources disagree on; :func:`sanction_targets` picks, from the database
it left, the ASN whose case carries an open conflict on the imposed sanction (I'DIS and Kemendagri
name different jenisHukuman codes) and whose registry entry has titles, the person a steward goes
looking for by name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry, Case, Conflict, SyncRun
from sbt_sync.definitions import run_full_cycle
from sbt_sync.sandbox.generate import generate_sandbox
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import Settings, load_settings
from schemas import reference

SANCTION_FIELDS = ("sanction_code", "sanction_imposed")
"""The golden fields a conflict on the imposed sanction is about."""


@dataclass(frozen=True)
class Cycled:
    """A database after one full cycle, with the settings that ran it."""

    settings: Settings
    database: Database
    config_path: Path


@contextmanager
def cycled_world(tmp_path: Path, database_url: str, project_dir: Path) -> Iterator[Cycled]:
    """The small election after one full cycle on ``database_url`` (see the module)."""
    data_dir = tmp_path / "data"
    generate_sandbox(seed=3, scale="small", out=data_dir)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    as_of = datetime.fromisoformat(manifest["clock"]["as_of"])
    with Sandbox(data_dir, state_dir=tmp_path / "sandbox-state") as sandbox:
        base = yaml.safe_load((project_dir / "sbt.yaml").read_text())
        base["database"]["url"] = database_url
        config = sandbox_config(base, sandbox.endpoints)
        config_path = project_dir / "sbt.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        with scoped_environment(sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)):
            sandbox.clock.set(as_of, frozen=True)
            database = Database(database_url)
            migrate.upgrade(database)
            day = as_of.astimezone(ZoneInfo("Asia/Jakarta")).date()
            result = run_full_cycle(config_path=config_path, project_dir=project_dir, as_of=day)
            assert result.success, "the full cycle failed"
            with database.session() as session:  # the in-process run's end is in the run ledger
                ledger = session.scalars(select(SyncRun).where(SyncRun.run_id == result.run_id)).one()
                assert (ledger.job, ledger.status, ledger.as_of) == ("full_cycle", "succeeded", day)
            try:
                yield Cycled(load_settings(config_path), database, config_path)
            finally:
                database.dispose()


@dataclass(frozen=True)
class Target:
    """An ASN a steward looks for: her registry name (titles included), her case and its sanction
    conflict, with the jenisHukuman codes its candidates name."""

    nip: str
    name: str
    front: str
    back: str
    case_id: int
    event_code: str
    conflict_id: int
    codes: tuple[str, ...]


def sanction_targets(database: Database) -> list[Target]:
    """Every ASN with titles whose case has an open conflict on the imposed sanction, its candidates
    naming known jenisHukuman codes; by conflict id."""
    known = {str(c.id) for c in reference.sanction_codes()}
    found: list[Target] = []
    with database.session() as session:
        rows = session.execute(
            select(Conflict, Case.nip, Case.event_code, AsnRegistryEntry)
            .join(Case, Case.id == Conflict.case_id)
            .join(AsnRegistryEntry, AsnRegistryEntry.nip == Case.nip)
            .where(Conflict.status == "open", Conflict.field.in_(SANCTION_FIELDS))
            .order_by(Conflict.id)
        ).tuples()
        for conflict, nip, event, entry in rows:
            codes = tuple(str(c.get("value")) for c in conflict.candidates or [] if isinstance(c, dict))
            front, back = (entry.front_title or "").strip(), (entry.back_title or "").strip()
            if (
                nip is None
                or event is None
                or len(codes) < 2
                or not set(codes) <= known
                or not (front or back)
            ):
                continue
            case_id = conflict.case_id or 0
            found.append(Target(nip, entry.name, front, back, case_id, event, conflict.id, codes))
    return found
