"""One I-MUT evaluation over the database, with the deployment's calendars: what the
``golden/imut_findings`` asset and ``sbt-sync imut evaluate`` call."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from connectors.siasn import SiasnApi
from sbt_sync.db.engine import Database
from sbt_sync.db.statistics import refresh_statistics
from sbt_sync.imut.elections import ElectionCalendar, load_election_calendar
from sbt_sync.imut.findings_write import FindingStats
from sbt_sync.imut.store import evaluate_findings
from sbt_sync.imut.workdays import WorkingDayCalendar, load_working_days
from sbt_sync.settings import Settings


def calendars(settings: Settings) -> tuple[ElectionCalendar, WorkingDayCalendar]:
    """The election calendar and working days from the files ``imut`` names (default: packaged)."""
    imut = settings.imut
    elections = load_election_calendar(
        settings.resolve_path(imut.election_calendar_path) if imut.election_calendar_path else None
    )
    overrides = imut.working_day_overrides_path
    workdays = load_working_days(settings.resolve_path(overrides) if overrides else None)
    return elections, workdays


def today(settings: Settings) -> date:
    """Today in the deployment's schedule timezone (WIB by default)."""
    return datetime.now(ZoneInfo(settings.schedule.timezone)).date()


def evaluate_database(
    database: Database,
    settings: Settings,
    *,
    as_of: date | None = None,
    siasn: SiasnApi | None = None,
    full: bool = False,
) -> FindingStats:
    """Evaluate the staged I-MUT actions (what changed, or all: :mod:`sbt_sync.imut.store`) and update
    the findings, in one transaction. On SQLite it takes the database's write lock before its first
    read (``session(write=True)``): a console request writing between its reads and its first write
    would otherwise fail the evaluation 'database is locked'; it waits for the evaluation instead.
    Tables whose planner statistics are behind are analyzed first (:func:`refresh_statistics`)."""
    elections, workdays = calendars(settings)
    refresh_statistics(database)
    with database.session(write=True) as session:
        return evaluate_findings(
            session,
            elections=elections,
            workdays=workdays,
            as_of=as_of or today(settings),
            siasn=siasn,
            siasn_lookups=settings.imut.siasn_lookups_per_run if siasn is not None else 0,
            full=full,
        )
