"""The demo: generate an election's worth of sandbox data, serve it on loopback, and run full cycles
through Dagster while the sandbox clock moves from the start of the scenario to its as-of instant,
past the PPK deadlines: ingestion, reconciliation, enforcement, letters to PPKs, the SIASN push and the
recap.

The ground truth describes the scenario at ``as_of``, so the last cycle runs there and the demo ends by
comparing SIASN's block flags with it. When a cycle's block-flag changes exceed the change guard (a
first load changes many at once), the demo approves them as a steward would (``sbt-sync push approve``)
and says so, then pushes.

Letters go to each instansi's PIC address from the sandbox data (loaded before the first cycle, as
``sbt-sync pic add`` would) through the sandbox's mail server; the last cycle is then run once more at
the same instant, which must send nothing new. :mod:`sbt_sync.demo_mail` counts the letters from the
outbox and at the server.

Everything stays under the project folder: the sandbox data and state in ``var/sandbox``, a derived
configuration pointing at the running sandbox in ``var/demo/sbt.yaml``, the product database and
Dagster's storage as ``sbt.yaml`` and ``dagster.yaml`` say.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, select

from sbt_sync.db import migrate
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    Case,
    Conflict,
    PushApproval,
    QuarantinedRow,
    RawRecord,
    StagedRecord,
)
from sbt_sync.demo_mail import (
    MailCheck,
    check_mail,
    load_pic_addresses,
    outbox_size,
    read_pic_file,
    sent_message_ids,
)
from sbt_sync.errors import SbtError
from sbt_sync.ingest.connections import siasn_client
from sbt_sync.push import Pusher, PushOptions
from sbt_sync.push.admin import approve, reject
from sbt_sync.reconcile.quality import Quality, measure
from sbt_sync.reports.recap import Recap, build_recap
from sbt_sync.sandbox.generate import GENERATOR_VERSION, generate_sandbox
from sbt_sync.sandbox.generate.config import PIC_FILE, WIB, demo_cycles
from sbt_sync.sandbox.runtime import Sandbox
from sbt_sync.sandbox.wiring import sandbox_config, sandbox_secrets, scoped_environment
from sbt_sync.settings import Settings, load_settings
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.states.outbox import ApprovalStatus

log = logging.getLogger(__name__)

Scale = Literal["small", "election", "national"]


@dataclass
class CycleReport:
    clock: str
    run_id: str
    success: bool
    materialized: int
    mail_sent: int = 0
    """Messages the sandbox's mail server received during the cycle."""


@dataclass
class SiasnCheck:
    """SIASN's block flags after the last cycle against the ground truth's at ``as_of``."""

    blocked: int = 0
    expected: int = 0
    missing: int = 0
    """NIPs the truth blocks that SIASN does not."""
    extra: int = 0
    """NIPs SIASN blocks that the truth does not."""
    changes_applied: int = 0
    keys_replayed: int = 0

    @property
    def equal(self) -> bool:
        return self.missing == 0 and self.extra == 0


@dataclass
class DemoReport:
    data_dir: Path
    config_path: Path
    database: str
    cycles: list[CycleReport] = field(default_factory=list)
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    registry: int = 0
    truth_quarantine: int = 0
    cases: int = 0
    open_conflicts: dict[str, int] = field(default_factory=dict)
    approvals: list[str] = field(default_factory=list)
    quality: Quality | None = None
    siasn: SiasnCheck = field(default_factory=SiasnCheck)
    recap: Recap | None = None
    as_of: str = ""
    repeat: CycleReport | None = None
    """The last cycle run again at the same instant (it must send nothing new)."""
    pics_added: int = 0
    mail: MailCheck = field(default_factory=MailCheck)


def prepare_data(
    settings: Settings, *, seed: int, scale: Scale, progress: Callable[[str], None] | None = None
) -> Path:
    """Sandbox data for ``(seed, scale)`` under var/sandbox, generated once and reused; generated
    again when another generator version wrote it (its ground truth may follow other rules) or it
    predates the PIC addresses file."""
    data_dir = settings.resolve_path(f"var/sandbox/data-{scale}-{seed}")
    written_by = _generator_version(data_dir / "manifest.json")
    if written_by is None or not (data_dir / PIC_FILE).exists():
        if progress is not None:
            progress(f"generating the {scale} scenario (once)")
        generate_sandbox(seed=seed, scale=scale, out=data_dir, progress=progress)
    elif written_by != GENERATOR_VERSION:
        if progress is not None:
            progress(
                f"generating the {scale} scenario again: {data_dir} was written by generator "
                f"{written_by}, this is {GENERATOR_VERSION}"
            )
        generate_sandbox(seed=seed, scale=scale, out=data_dir, progress=progress)
    return data_dir


def _generator_version(manifest: Path) -> str | None:
    """The generator version a data folder's manifest names; None when there is no readable manifest."""
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("generator_version", ""))
    except (OSError, ValueError, AttributeError):
        return None


def _instants(manifest: dict[str, Any]) -> list[tuple[str, datetime]]:
    """The cycles' sandbox instants (the schedule the truth's recap is computed over)."""
    clock = manifest["clock"]
    return demo_cycles(datetime.fromisoformat(clock["start"]), datetime.fromisoformat(clock["as_of"]))


DEMO_APPROVAL_REASON = "demo: initial load of the scenario"
DEMO_EMPTY_REASON = "demo: a later cycle replaced every change it held"


def _approve_and_push(database: Database, config_path: Path, report: DemoReport) -> None:
    """Approve what the change guard held back (as a steward would) and push it."""
    with database.session() as session:
        waiting = session.scalars(
            select(PushApproval.id).where(PushApproval.status == ApprovalStatus.WAITING)
        ).all()
    if not waiting:
        return
    for approval_id in waiting:
        try:
            with database.session() as session:
                result = approve(session, approval_id, reason=DEMO_APPROVAL_REASON, actor="demo")
        except SbtError as exc:
            if exc.code != "approval_empty":
                raise
            # A later cycle replaced every change it held: nothing to approve; closed, as a steward would.
            with database.session() as session:
                reject(session, approval_id, reason=DEMO_EMPTY_REASON, actor="demo")
            report.approvals.append(f"approval {approval_id}: nothing left to approve, closed")
            continue
        report.approvals.append(f"approval {approval_id}: {result.get('released', 0)} changes released")
    demo_settings = load_settings(config_path)
    client = siasn_client(demo_settings)
    try:
        Pusher(database, client, PushOptions.from_settings(demo_settings.push)).run(recover=True)
    finally:
        client.close()


def run_demo(
    settings: Settings,
    *,
    seed: int,
    scale: Scale,
    run_cycle: Callable[[Path, date], tuple[str, bool, int]],
    progress: Callable[[str], None],
) -> DemoReport:
    """Serve the sandbox and run a full cycle at the scenario's start, midway and at its as-of instant,
    then the last one again (letters: nothing new may be sent).

    ``run_cycle(config_path, as_of)`` runs one full Dagster cycle deciding enforcement for the day
    ``as_of`` and returns ``(run id, success, number of materializations)``. Raises :class:`SbtError`
    when a cycle fails.
    """
    data_dir = prepare_data(settings, seed=seed, scale=scale, progress=progress)
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    database = Database(settings.database_url)
    migrate.upgrade(database)
    demo_dir = settings.resolve_path("var/demo")
    demo_dir.mkdir(parents=True, exist_ok=True)
    config_path = demo_dir / "sbt.yaml"
    report = DemoReport(data_dir=data_dir, config_path=config_path, database=settings.database_url)
    base: dict[str, Any] = yaml.safe_load(settings.config_path.read_text(encoding="utf-8"))
    base.setdefault("database", {})["url"] = settings.database_url
    zone = ZoneInfo(settings.schedule.timezone)
    pics = read_pic_file(data_dir)
    report.pics_added = load_pic_addresses(database, pics)
    sent_before = sent_message_ids(database)
    with Sandbox(data_dir, state_dir=settings.resolve_path("var/sandbox/state")) as sandbox:
        config = sandbox_config(base, sandbox.endpoints)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

        def cycle(instant: datetime, announce: str) -> CycleReport:
            sandbox.clock.set(instant, frozen=True)
            progress(announce)
            received = len(sandbox.mailbox.messages())
            run_id, success, count = run_cycle(config_path, instant.astimezone(zone).date())
            if not success:
                raise SbtError(f"the Dagster run {run_id} failed ({announce}); see `make dagster-dev`")
            _approve_and_push(database, config_path, report)
            mail_sent = len(sandbox.mailbox.messages()) - received
            return CycleReport(instant.isoformat(), run_id, success, count, mail_sent)

        with scoped_environment(sandbox_secrets(config, sandbox.credentials, sandbox.endpoints)):
            instants = _instants(manifest)
            for label, instant in instants:
                report.cycles.append(
                    cycle(instant, f"cycle at sandbox clock {instant.isoformat()} ({label})")
                )
            label, instant = instants[-1]
            rows_before = outbox_size(database)
            again = f"the {label} cycle again at {instant.isoformat()}, which must send nothing new"
            report.repeat = cycle(instant, again)
            repeat_new_letters = outbox_size(database) - rows_before
            report.as_of = manifest["clock"]["as_of"]
            assert sandbox.ledger is not None
            report.siasn = _compare_siasn(sandbox.ledger.snapshot(), data_dir)
    report.mail = check_mail(database, sandbox.mailbox.messages(), sent_before=sent_before, pics=pics)
    report.mail.repeat_sent = report.repeat.mail_sent
    report.mail.repeat_new_letters = repeat_new_letters
    _summarise(database, report, data_dir)
    report.quality = measure(database, data_dir / "truth")
    # Counted at the sandbox's as_of, the day the last cycle decided for (the truth's recap day).
    day = datetime.fromisoformat(report.as_of).astimezone(WIB).date() if report.as_of else None
    report.recap = build_recap(database, as_of=day)
    database.dispose()
    return report


def _compare_siasn(snapshot: dict[str, Any], data_dir: Path) -> SiasnCheck:
    truth = json.loads((data_dir / "truth" / "enforcement.json").read_text(encoding="utf-8"))
    expected = {n["nip"] for n in truth["nips"] if n["blocked"]}
    blocked = {nip for nip, state in snapshot["blocks"].items() if state["status"] == "DIBLOKIR"}
    keys = snapshot["keys"].values()
    return SiasnCheck(
        blocked=len(blocked),
        expected=len(expected),
        missing=len(expected - blocked),
        extra=len(blocked - expected),
        changes_applied=sum(1 for k in keys if k["changed"]),
        keys_replayed=sum(int(k["replays"]) for k in keys),
    )


def _summarise(database: Database, report: DemoReport, data_dir: Path) -> None:
    with database.session() as session:
        for model, column in ((RawRecord, "raw"), (StagedRecord, "staged")):
            for source, count in session.execute(select(model.source, func.count()).group_by(model.source)):
                report.per_source.setdefault(source, {})[column] = count
        open_rows = select(QuarantinedRow.source, func.count()).where(QuarantinedRow.status == "open")
        for source, count in session.execute(open_rows.group_by(QuarantinedRow.source)):
            report.per_source.setdefault(source, {})["quarantined"] = count
        report.registry = session.scalar(select(func.count()).select_from(AsnRegistryEntry)) or 0
        report.cases = session.scalar(select(func.count()).select_from(Case)) or 0
        open_conflicts = select(Conflict.kind, func.count()).where(Conflict.status == ConflictStatus.OPEN)
        report.open_conflicts = dict(session.execute(open_conflicts.group_by(Conflict.kind)).tuples().all())
    truth = data_dir / "truth" / "quarantine.jsonl"
    if truth.exists():  # the rows published by the last cycle's instant
        as_of = datetime.fromisoformat(report.as_of) if report.as_of else None
        rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line]
        report.truth_quarantine = sum(
            1 for r in rows if as_of is None or datetime.fromisoformat(r["available_at"]) <= as_of
        )
