"""The sandbox's kept keys (``var/console-secret``, ``var/pdp-access-key``) are made once even when
several processes start at the same moment (``dagster dev``'s daemon and webserver, the console).

Both used to be written through one fixed temporary name and renamed: two processes starting together
overwrote each other's key (one signed sessions the other refused, NIP hashes stopped matching) or
failed on the other's vanished temporary file. Two real processes start together, round after round,
each on a fresh project folder: both must end with the same key, in a file of mode 0600, with no
temporary file left behind.
"""

from __future__ import annotations

import multiprocessing
import shutil
import stat
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path
from queue import Queue

import pytest

from sbt_sync.console.security import SECRET_FILE, session_secret
from sbt_sync.pdp.access import KEY_FILE, access_key
from sbt_sync.settings import Settings, load_settings
from tests.conftest import REPO_ROOT

ROUNDS = 40
KEEPERS: dict[str, tuple[str, Callable[[Settings], object]]] = {
    "console session key": (SECRET_FILE, session_secret),
    "pdp access key": (KEY_FILE, access_key),
}


def _racer(kind: str, folders: list[str], start: Barrier, out: Queue[tuple[int, str]]) -> None:
    """One process: in each round, wait for the other, then ask for the key at the same moment."""
    keeper = KEEPERS[kind][1]
    settings = [load_settings(Path(folder) / "sbt.yaml", env={}) for folder in folders]
    for round_no, each in enumerate(settings):
        start.wait(timeout=30)
        try:
            out.put((round_no, repr(keeper(each))))
        except Exception as exc:  # the old writer lost its temporary file to the other process
            out.put((round_no, f"error: {type(exc).__name__}"))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", KEEPERS)
def test_two_processes_starting_together_end_with_one_key_in_a_private_file(
    kind: str, tmp_path: Path
) -> None:
    folders: list[str] = []
    for round_no in range(ROUNDS):
        made = tmp_path / f"round-{round_no}"
        made.mkdir()
        shutil.copy(REPO_ROOT / "sbt.yaml", made / "sbt.yaml")
        folders.append(str(made))
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    out: Queue[tuple[int, str]] = context.Queue()  # type: ignore[assignment]
    racers = [context.Process(target=_racer, args=(kind, folders, start, out)) for _ in range(2)]
    for racer in racers:
        racer.start()
    answers: dict[int, list[str]] = {}
    for _ in range(2 * ROUNDS):
        round_no, key = out.get(timeout=60)
        answers.setdefault(round_no, []).append(key)
    for racer in racers:
        racer.join(timeout=30)
        assert racer.exitcode == 0
    relative = KEEPERS[kind][0]
    for round_no, folder in enumerate(folders):
        first, second = answers[round_no]
        assert not first.startswith("error") and first == second, (round_no, first, second)
        kept = Path(folder) / relative
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert sorted(path.name for path in kept.parent.iterdir()) == [kept.name]  # no temporary left
