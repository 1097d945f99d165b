"""Due dates against the deployment's clock and zone: a conflict is due *today* from midnight to
midnight in ``schedule.timezone`` (WIB by default), and *overdue* from the next midnight on, so a steward
in Jakarta and the server in UTC agree on what is late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DueState = Literal["overdue", "today"]


@dataclass(frozen=True)
class Today:
    """The deployment's day at one instant (``now`` is aware)."""

    now: datetime
    zone: ZoneInfo

    @property
    def date(self) -> date:
        return self.now.astimezone(self.zone).date()

    def bounds(self) -> tuple[datetime, datetime]:
        """Today's first instant and tomorrow's, in the deployment's zone (aware)."""
        start = datetime.combine(self.date, time.min, self.zone)
        end = datetime.combine(self.date + timedelta(days=1), time.min, self.zone)
        return start, end

    def state(self, due_at: datetime | None) -> DueState | None:
        """``overdue`` when the due day (in the zone) has passed, ``today`` on it, else None."""
        if due_at is None:
            return None
        due_day = due_at.astimezone(self.zone).date()
        if due_day < self.date:
            return "overdue"
        return "today" if due_day == self.date else None
