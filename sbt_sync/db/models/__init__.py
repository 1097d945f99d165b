"""Every table of the product database; importing this module registers them on ``Base.metadata``."""

import sbt_sync.db.models.letters  # noqa: F401  (registers the letters and mail outbox tables)
from sbt_sync.db.base import Base
from sbt_sync.db.models.access import PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.db.models.enforcement import (
    BlockState,
    CaseAnnulment,
    ControlAction,
    OutboxEntry,
    PushApproval,
    SiasnObservation,
)
from sbt_sync.db.models.golden import (
    Case,
    CaseLink,
    Conflict,
    FieldProvenance,
    LinkCorrection,
    StewardDecision,
)
from sbt_sync.db.models.imut import ImutEvaluation, ImutFinding, ImutFindingDecision
from sbt_sync.db.models.ingest import (
    IngestBatch,
    QuarantinedRow,
    RawRecord,
    RawRecordVersion,
    SftpFile,
    SourceCursor,
    SourceHold,
    StagedRecord,
)
from sbt_sync.db.models.people import ApiToken, AuditEntry, User
from sbt_sync.db.models.registry import AsnRegistryEntry
from sbt_sync.db.models.runs import RuleDigest, SyncRun
from sbt_sync.db.models.sanctions import SanctionVersion
from sbt_sync.db.models.sessions import ConsoleSession

__all__ = [
    "ApiToken",
    "AsnRegistryEntry",
    "AuditEntry",
    "Base",
    "BlockState",
    "Case",
    "CaseAnnulment",
    "CaseLink",
    "Conflict",
    "ConsoleSession",
    "ControlAction",
    "FieldProvenance",
    "ImutEvaluation",
    "ImutFinding",
    "ImutFindingDecision",
    "IngestBatch",
    "LinkCorrection",
    "OutboxEntry",
    "PersonalDataAccess",
    "PersonalDataAccessNip",
    "PushApproval",
    "QuarantinedRow",
    "RawRecord",
    "RawRecordVersion",
    "RuleDigest",
    "SanctionVersion",
    "SftpFile",
    "SiasnObservation",
    "SourceCursor",
    "SourceHold",
    "StagedRecord",
    "StewardDecision",
    "SyncRun",
    "User",
]
