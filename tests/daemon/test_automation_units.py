"""Pure decisions of the automation: cron strings from the cycle interval, which delivered files to
request a run for, the steward and push run keys, and the freshness policies."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from assets.freshness import push_policy, source_policy
from assets.schedule import cycle_crons
from assets.sensors_sources import file_identity, plan_file_runs
from assets.sensors_steward import push_run_key, steward_run_key
from connectors.sftp import RemoteFile
from sbt_sync.errors import ConfigError
from sbt_sync.pending import DuePushes
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize(
    ("minutes", "crons"),
    [
        (1, ["* * * * *"]),
        (15, ["*/15 * * * *"]),  # divides an hour
        (60, ["0 * * * *"]),  # the committed sbt.yaml
        (180, ["0 */3 * * *"]),  # whole hours
        (1440, ["0 0 * * *"]),  # once a day
        (90, ["0 0,3,6,9,12,15,18,21 * * *", "30 1,4,7,10,13,16,19,22 * * *"]),  # neither: per minute
    ],
)
def test_cycle_crons_fire_every_interval_from_midnight(minutes: int, crons: list[str]) -> None:
    assert cycle_crons(minutes) == crons


@pytest.mark.parametrize("minutes", [0, 7, 100, 2880])
def test_cycle_crons_refuse_an_interval_that_does_not_divide_a_day(minutes: int) -> None:
    with pytest.raises(ConfigError, match="full_cycle_minutes"):
        cycle_crons(minutes)


def _file(name: str, size: int, day: int) -> RemoteFile:
    return RemoteFile(f"/kemendagri/{name}", name, size, datetime(2025, 3, day, tzinfo=UTC))


A, B = _file("a.csv", 10, 1), _file("b.csv", 20, 2)
A_CORRECTED = _file("a.csv", 12, 3)


@pytest.mark.parametrize(
    ("listed", "settled", "requested", "new", "cursor"),
    [
        # nothing processed, nothing requested: one request per file
        ([A, B], set(), set(), [A, B], [A, B]),
        # requested on an earlier tick and not yet processed: not requested again
        ([A, B], set(), {A}, [B], [A, B]),
        # processed: neither requested nor kept in the cursor
        ([A, B], {A}, {A, B}, [], [B]),
        # a corrected re-delivery under the same name is a new identity
        ([A_CORRECTED, B], {A, B}, set(), [A_CORRECTED], [A_CORRECTED]),
        # a file gone from the directory drops out of the cursor
        ([B], set(), {A, B}, [], [B]),
    ],
)
def test_plan_file_runs(
    listed: list[RemoteFile],
    settled: set[RemoteFile],
    requested: set[RemoteFile],
    new: list[RemoteFile],
    cursor: list[RemoteFile],
) -> None:
    def ids(files: list[RemoteFile] | set[RemoteFile]) -> list[str]:
        return [file_identity("kemendagri", f) for f in files]

    planned = plan_file_runs("kemendagri", listed, set(ids(settled)), set(ids(requested)))
    assert planned == (ids(new), ids(cursor))


def test_steward_run_key_names_the_newest_decision_and_approval() -> None:
    assert steward_run_key(None, None) is None
    assert steward_run_key(7, None) == "steward:decision-7:approval-0"
    assert steward_run_key(None, 3) == "steward:decision-0:approval-3"
    assert steward_run_key(None, None, 5) == "steward:decision-0:approval-0:correction-5"
    assert steward_run_key(None, None, None, 4) == "steward:decision-0:approval-0:sanction-4"


def test_push_run_key_changes_when_a_row_is_rescheduled() -> None:
    due = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert push_run_key(DuePushes(0, None, None)) is None
    first = push_run_key(DuePushes(2, 9, due))
    assert first == f"push:9:2:{due.isoformat()}"
    # The same rows, one failed again and due later: a new key, so the daemon runs it again.
    assert push_run_key(DuePushes(2, 9, due + timedelta(minutes=5))) not in (None, first)


@pytest.mark.parametrize(
    ("minutes", "source_warn", "source_fail", "push_fail"),
    [
        (60, timedelta(hours=2), timedelta(hours=4), timedelta(hours=2)),  # the committed sbt.yaml
        (15, timedelta(minutes=30), timedelta(hours=1), timedelta(minutes=30)),
    ],
)
def test_freshness_policies_tolerate_one_missed_cycle(
    minutes: int, source_warn: timedelta, source_fail: timedelta, push_fail: timedelta
) -> None:
    committed = load_settings(REPO_ROOT / "sbt.yaml", env={})
    settings = committed.model_copy(
        update={"schedule": committed.schedule.model_copy(update={"full_cycle_minutes": minutes})}
    )
    assert source_policy(settings) == dg.FreshnessPolicy.time_window(
        fail_window=source_fail, warn_window=source_warn
    )
    assert push_policy(settings) == dg.FreshnessPolicy.time_window(fail_window=push_fail)
