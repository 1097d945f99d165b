"""The facts a data protection impact assessment (UU 27/2022 Pasal 34) needs, from the live
configuration and the database (``sbt-sync pdp dpia``); rendering is :mod:`sbt_sync.pdp.dpia_render`.

Two identity-precision figures:

- on the deployment's own decisions: of the identity conflicts a steward decided by naming an ASN, the
  share where the steward chose the candidate the machine ranked first (the machine's proposal), and
  the machine's own links a steward later reassigned (``assign_person`` corrections of a row the
  machine had linked by name or NIP);
- against a sandbox ground truth, when one is given (the demo's): exactly the figures of ``sbt-sync
  quality --truth`` (:func:`sbt_sync.reconcile.quality.measure`, called here, not recomputed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sbt_sync.console.roles import ROLE_PERMISSIONS
from sbt_sync.db.engine import Database
from sbt_sync.db.models import (
    AsnRegistryEntry,
    AuditEntry,
    BlockState,
    Case,
    CaseLink,
    Conflict,
    ImutFinding,
    IngestBatch,
    LinkCorrection,
    OutboxEntry,
    PushApproval,
    StagedRecord,
    StewardDecision,
    SyncRun,
    User,
)
from sbt_sync.db.models.access import PersonalDataAccess
from sbt_sync.db.models.golden import IDENTITY_CONFLICT_KINDS
from sbt_sync.db.models.letters import Letter, PicAddress
from sbt_sync.pdp.access import KEY_FILE
from sbt_sync.reconcile.quality import Quality, measure
from sbt_sync.settings import Settings
from sbt_sync.settings_sources import HttpSource
from sbt_sync.states.conflicts import ConflictStatus
from sbt_sync.states.outbox import ApprovalStatus, OutboxState

MACHINE_IDENTITY_RULES = ("nip_exact", "name_match")
"""``staged_records.identity_rule`` values of links the machine made alone."""
RECENT_RUNS = 10


@dataclass
class StewardAgreement:
    """Identity precision measured on the deployment's own steward decisions."""

    decided: int = 0
    """Identity conflicts a steward decided by naming an ASN (the machine had offered candidates)."""
    agreed: int = 0
    """... where the steward chose the machine's first-ranked candidate."""
    machine_links: int = 0
    """Rows whose identity the machine linked alone (by NIP or by name), as they stand."""
    reassigned: int = 0
    """Rows a steward moved to another person (``assign_person`` corrections in force)."""

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decided if self.decided else None


@dataclass
class DpiaFacts:
    generated_at: datetime
    environment: str
    config_path: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    volumes: dict[str, int] = field(default_factory=dict)
    identity: dict[str, float] = field(default_factory=dict)
    survivorship: dict[str, list[str]] = field(default_factory=dict)
    link_rules: dict[str, int] = field(default_factory=dict)
    identity_rules: dict[str, int] = field(default_factory=dict)
    steward: StewardAgreement = field(default_factory=StewardAgreement)
    quality: Quality | None = None
    truth_path: str | None = None
    enforcement: dict[str, Any] = field(default_factory=dict)
    automation: dict[str, int] = field(default_factory=dict)
    recipients: dict[str, Any] = field(default_factory=dict)
    retention: dict[str, int] = field(default_factory=dict)
    pdp: dict[str, Any] = field(default_factory=dict)
    """``sbt.yaml``'s ``pdp`` section: where the access log's key comes from (never the key) and the
    unusual-read threshold."""
    security: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def gather_dpia(settings: Settings, database: Database, *, truth: Path | None = None) -> DpiaFacts:
    """The DPIA's facts now; ``truth`` (a sandbox's truth folder) adds ``sbt-sync quality``'s figures."""
    facts = DpiaFacts(
        generated_at=datetime.now(UTC),
        environment=settings.environment,
        config_path=str(settings.config_path),
    )
    facts.sources = _sources(settings)
    facts.identity = settings.identity.model_dump()
    facts.survivorship = settings.survivorship.model_dump()
    facts.enforcement = {
        **settings.enforcement.model_dump(exclude={"guard"}),
        "guard_max_changes": settings.enforcement.guard.max_changes,
        "guard_max_percent": settings.enforcement.guard.max_percent,
        "notify_mode": settings.notify.mode,
    }
    facts.retention = settings.retention.model_dump()
    facts.pdp = {
        "access_key_env": settings.pdp.access_key_env,
        "access_key_file": None if settings.pdp.access_key_env else str(settings.resolve_path(KEY_FILE)),
        "unusual_distinct_asn_per_day": settings.pdp.unusual_distinct_asn_per_day,
    }
    with database.session() as session:
        facts.volumes = _volumes(session)
        facts.link_rules = _grouped(session, CaseLink.rule, CaseLink.unlinked_at.is_(None))
        facts.identity_rules = _grouped(
            session, StagedRecord.identity_rule, StagedRecord.withdrawn.is_(False)
        )
        facts.steward = _steward_agreement(session)
        facts.automation = _automation(session)
        facts.recipients = _recipients(session, settings)
        facts.security = _security(session, settings)
        facts.runs = _recent_runs(session)
    if truth is not None:
        facts.quality = measure(database, truth)
        facts.truth_path = str(truth)
    return facts


def _recent_runs(session: Session) -> list[dict[str, Any]]:
    """The last runs that landed data (Dagster run ids of the ingest batches), newest first: when they
    started, how many sources and records they fetched, and the job when ``sync_runs`` knows it."""
    rows = session.execute(
        select(
            IngestBatch.run_id,
            func.min(IngestBatch.started_at),
            func.count(func.distinct(IngestBatch.source)),
            func.coalesce(func.sum(IngestBatch.fetched), 0),
        )
        .where(IngestBatch.run_id.is_not(None))
        .group_by(IngestBatch.run_id)
        .order_by(func.min(IngestBatch.started_at).desc())
        .limit(RECENT_RUNS)
    ).tuples()
    runs: list[dict[str, Any]] = [
        {"run_id": run_id, "started_at": at, "sources": int(n), "fetched": int(fetched), "job": None}
        for run_id, at, n, fetched in rows
    ]
    jobs = dict(
        session.execute(
            select(SyncRun.run_id, SyncRun.job).where(SyncRun.run_id.in_([r["run_id"] for r in runs]))
        )
        .tuples()
        .all()
    )
    for run in runs:
        run["job"] = jobs.get(run["run_id"])
    return runs


def _sources(settings: Settings) -> list[dict[str, Any]]:
    rows = []
    for name, source in sorted(settings.sources.items()):
        if isinstance(source, HttpSource):
            where, secure = source.base_url, source.base_url.startswith("https://")
        else:
            where, secure = f"sftp://{source.host}:{source.port}", True
        rows.append(
            {
                "name": name,
                "agency": settings.source_agency(name),
                "kind": source.kind,
                "description": source.description or "",
                "endpoint": where,
                "encrypted": secure,
            }
        )
    if settings.siasn is not None:
        rows.append(
            {
                "name": "siasn",
                "agency": "bkn",
                "kind": "http",
                "description": "Registri ASN SIASN (rujukan identitas)",
                "endpoint": settings.siasn.base_url,
                "encrypted": settings.siasn.base_url.startswith("https://"),
            }
        )
    return rows


def _grouped(session: Session, column: Any, *where: Any) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).tuples()
    return {str(key): int(n) for key, n in sorted(rows, key=lambda r: str(r[0]))}


def _volumes(session: Session) -> dict[str, int]:
    return {
        "registry": _count(session, select(func.count()).select_from(AsnRegistryEntry)),
        "staged_records": _count(session, select(func.count()).select_from(StagedRecord)),
        "cases": _count(session, select(func.count()).select_from(Case)),
        "identity_conflicts_open": _count(
            session,
            select(func.count()).where(
                Conflict.kind.in_(IDENTITY_CONFLICT_KINDS), Conflict.status == ConflictStatus.OPEN
            ),
        ),
        "imut_findings_open": _count(session, select(func.count()).where(ImutFinding.status == "open")),
    }


def _steward_agreement(session: Session) -> StewardAgreement:
    found = StewardAgreement()
    rows = session.execute(
        select(StewardDecision.decision, Conflict.candidates)
        .join(Conflict, Conflict.id == StewardDecision.conflict_id)
        .where(Conflict.kind.in_(IDENTITY_CONFLICT_KINDS))
        .order_by(StewardDecision.id)
    ).tuples()
    for decision, candidates in rows:
        chosen = (decision or {}).get("nip")
        if not chosen or not candidates:
            continue
        found.decided += 1
        found.agreed += str(candidates[0].get("nip")) == str(chosen)
    found.machine_links = _count(
        session,
        select(func.count()).where(
            StagedRecord.identity_rule.in_(MACHINE_IDENTITY_RULES), StagedRecord.withdrawn.is_(False)
        ),
    )
    found.reassigned = _count(
        session,
        select(func.count()).where(LinkCorrection.kind == "assign_person", LinkCorrection.status == "active"),
    )
    return found


def _automation(session: Session) -> dict[str, int]:
    return {
        "cases_held": _count(session, select(func.count()).where(Case.held.is_(True))),
        "blocked_now": _count(session, select(func.count()).where(BlockState.blocked.is_(True))),
        "guard_waiting": _count(
            session, select(func.count()).where(PushApproval.status == ApprovalStatus.WAITING)
        ),
        "guard_approved": _count(
            session, select(func.count()).where(PushApproval.status == ApprovalStatus.APPROVED)
        ),
        "guard_rejected": _count(
            session, select(func.count()).where(PushApproval.status == ApprovalStatus.REJECTED)
        ),
        "steward_decisions": _count(session, select(func.count()).select_from(StewardDecision)),
        "link_corrections": _count(session, select(func.count()).select_from(LinkCorrection)),
    }


def _recipients(session: Session, settings: Settings) -> dict[str, Any]:
    agencies = sorted({settings.source_agency(name) for name in settings.sources})
    return {
        "siasn_endpoint": settings.siasn.base_url if settings.siasn else None,
        "siasn_pushes_acked": _count(
            session, select(func.count()).where(OutboxEntry.state == OutboxState.ACKED)
        ),
        "agencies": agencies,
        "agency_viewers": _grouped(session, User.agency, User.role == "agency_viewer", User.active.is_(True)),
        "letters": _grouped(session, Letter.step),
        "pic_instansi": _count(session, select(func.count(func.distinct(PicAddress.instansi_id)))),
        "mail_host": settings.notify.host,
        "letters_nip_display": settings.notify.letters.nip_display,
    }


def _security(session: Session, settings: Settings) -> dict[str, Any]:
    console = settings.console
    return {
        "roles": sorted(ROLE_PERMISSIONS),
        "users_by_role": _grouped(session, User.role, User.active.is_(True)),
        "session_idle_minutes": console.session_idle_minutes,
        "session_max_hours": console.session_max_hours,
        "login_attempts_per_minute": console.login_attempts_per_minute,
        "secure_cookies": (
            console.secure_cookies
            if console.secure_cookies is not None
            else settings.environment == "production"
        ),
        "oidc": console.oidc is not None,
        "mail_starttls": settings.notify.starttls,
        "audit_entries": _count(session, select(func.count()).select_from(AuditEntry)),
        "access_log_entries": _access_log_count(session),
        "database": "postgresql" if settings.database_url.startswith("postgresql") else "sqlite",
    }


def _access_log_count(session: Session) -> int:
    return _count(session, select(func.count()).select_from(PersonalDataAccess))
