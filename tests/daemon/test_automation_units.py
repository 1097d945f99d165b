"""Pure decisions of the automation: cron strings from the cycle interval, which delivered files to
request a run for, and the steward run key."""

from datetime import UTC, datetime

import pytest

from assets.automation import cycle_crons, file_identity, plan_file_runs, steward_run_key
from connectors.sftp import RemoteFile
from sbt_sync.errors import ConfigError


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
