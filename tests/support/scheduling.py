"""How pytest-xdist hands this suite's tests to its workers (``--dist loadgroup``, tests/conftest.py).

- A test's unit of work is its module: a worker runs every test of a module, so the module's costly
  module-scoped fixtures (a running sandbox, an election-scale cycle) are built once, on one worker.
  (Plain loadgroup hands unmarked tests out one by one; plain loadscope ignores groups.)
- A test marked ``@pytest.mark.xdist_group("<name>")`` runs on the one worker that runs its group.
- Units with a test marked ``slow`` are handed out first, the rest largest first (xdist's order).
- The group :data:`SERIAL` runs last and alone: it is handed to a worker only once every other test
  has finished and the other workers are idle. It is for tests that bound how long something takes
  (a wait cut at a deadline, a retry that must come after the server's second and not much later):
  on a machine whose every core runs a test they would measure the other worker's load, not the code.

xdist 3.8 tells the controller a test's group by appending ``@<group>`` to the test's node id, which
pytest 9.2's structured node ids no longer allow (pytest-xdist issue 1386: the groups are silently
ignored). So each worker writes the groups it collected to a file next to the run's other temporary
files (:func:`write_notes`, with the tests marked ``slow``), before it reports its collection; the
controller's scheduler reads them when every worker has reported (:meth:`ModuleOrGroupScheduling.schedule`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]  # xdist has no types

SERIAL = "serial"
"""The group that runs alone, after every other test."""


def _notes_file(token: str, worker: str) -> Path:
    return Path(tempfile.gettempdir()) / f"sbt-xdist-collection-{token}-{worker}.json"


def group_of(item: pytest.Item) -> str | None:
    """The group of ``item`` (its ``xdist_group`` marks' names, as xdist joins them); None if unmarked."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(names)) or None


def write_notes(token: str, worker: str, items: Iterable[pytest.Item]) -> None:
    """In a worker: the groups of its collected ``items`` by node id, and the node ids marked ``slow``,
    for the controller."""
    items = list(items)
    notes = {
        "groups": {item.nodeid: group for item in items if (group := group_of(item)) is not None},
        "slow": [item.nodeid for item in items if item.get_closest_marker("slow") is not None],
    }
    path = _notes_file(token, worker)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(notes), encoding="utf-8")
    partial.replace(path)


def read_notes(token: str) -> tuple[dict[str, str], set[str]]:
    """In the controller: the groups and slow tests the workers wrote (each wrote the same collection);
    the files are removed."""
    groups: dict[str, str] = {}
    slow: set[str] = set()
    for path in Path(tempfile.gettempdir()).glob(_notes_file(token, "*").name):
        notes = json.loads(path.read_text(encoding="utf-8"))
        groups.update(notes["groups"])
        slow.update(notes["slow"])
        path.unlink(missing_ok=True)
    return groups, slow


def remove_notes(token: str) -> None:
    """What a worker wrote after the controller read the notes (a worker started after one crashed)."""
    for path in Path(tempfile.gettempdir()).glob(_notes_file(token, "*").name):
        path.unlink(missing_ok=True)


class ModuleOrGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    def __init__(self, config: pytest.Config, log: Any, token: str) -> None:
        super().__init__(config, log)
        self._token = token
        self._groups: dict[str, str] = {}
        self._slow_scopes: set[str] = set()

    def schedule(self) -> None:
        if self.collection is None:  # the first call: every worker has reported its collection
            self._groups, slow = read_notes(self._token)
            self._slow_scopes = {self._split_scope(nodeid) for nodeid in slow}
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.rfind("@") > nodeid.rfind("]"):  # a pytest whose node ids xdist can still suffix
            return nodeid.rsplit("@", 1)[1]
        return self._groups.get(nodeid) or nodeid.split("::", 1)[0]

    def _others_idle(self, node: Any) -> bool:
        others = [work for other, work in self.assigned_work.items() if other is not node]
        return not any(self._pending_of(work) for work in others)

    def _assign_work_unit(self, node: Any) -> None:
        """The first unit waiting other than :data:`SERIAL`, those with a slow test first.

        When only :data:`SERIAL` waits, every other worker is told to finish (a worker keeps its last
        test until it gets more work or is told to finish, so waiting for it to go idle alone would
        wait forever), and ``node`` gets the unit once they have run all they had; until then it gets
        nothing (see :meth:`mark_test_complete`)."""
        waiting = [scope for scope in self.workqueue if scope != SERIAL]
        # Units with a test marked slow first (the election-scale runs, the browser journeys), so no
        # worker starts one of them while the other has nothing left to do.
        scope = next((s for s in waiting if s in self._slow_scopes), waiting[0] if waiting else None)
        if scope is None:
            if SERIAL not in self.workqueue:
                return
            for other in self.assigned_work:
                if other is not node and not other.shutting_down:
                    other.shutdown()
            if not self._others_idle(node):
                return
            scope = SERIAL
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        worker_collection = self.registered_collections[node]
        node.send_runtest_some(
            [worker_collection.index(nodeid) for nodeid, completed in work_unit.items() if not completed]
        )

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        """As xdist's, and when :data:`SERIAL` is all that waits, each finished test of a worker told to
        finish may be the one the remaining worker waits for."""
        super().mark_test_complete(node, item_index, duration)
        if list(self.workqueue) == [SERIAL]:
            for candidate in list(self.assigned_work):
                if not candidate.shutting_down and SERIAL in self.workqueue:
                    self._assign_work_unit(candidate)
