"""Runs in the run ledger (``sync_runs.status``) and the moves between them.

A run is ``running`` from its first step until Dagster reports it ended; a step that fails makes it
``failed`` at once (a later step cannot make it succeed), and a run Dagster reports successful is
``succeeded``.
"""

from __future__ import annotations

from enum import StrEnum

from sbt_sync.states import check_move, sql_values


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


_R = RunStatus
RUN_MOVES: dict[RunStatus, frozenset[RunStatus]] = {
    _R.RUNNING: frozenset({_R.RUNNING, _R.SUCCEEDED, _R.FAILED}),
    _R.FAILED: frozenset({_R.FAILED}),
    _R.SUCCEEDED: frozenset({_R.SUCCEEDED}),
}
"""Status -> the statuses a run may move to; an ended run stays as it ended."""

RUN_STATUSES_SQL = sql_values(RunStatus)


def check_run_move(old: RunStatus | str, new: RunStatus) -> RunStatus:
    """``new``, when a run may move there from ``old``; otherwise
    :class:`~sbt_sync.states.IllegalTransition`."""
    return check_move("run", RUN_MOVES, old, new)
