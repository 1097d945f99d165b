"""How pytest-xdist hands this suite's tests to its workers (``--dist loadgroup``, tests/conftest.py).

- A test's unit of work is its module: a worker runs every test of a module, so the module's costly
  module-scoped fixtures (a running sandbox, an election-scale cycle) are built once, on one worker.
  (Plain loadgroup hands unmarked tests out one by one; plain loadscope ignores groups.)
- A test marked ``@pytest.mark.xdist_group("<name>")`` runs on the one worker that runs its group.
- The group :data:`SERIAL` runs last and alone: it is handed to a worker only once every other test
  has finished and the other workers are idle. It is for tests that bound how long something takes
  (a wait cut at a deadline, a retry that must come after the server's second and not much later):
  on a machine whose every core runs a test they would measure the other worker's load, not the code.

xdist 3.8 tells the controller a test's group by appending ``@<group>`` to the test's node id, which
pytest 9.2's structured node ids no longer allow (pytest-xdist issue 1386: the groups are silently
ignored). So each worker writes the groups it collected to a file next to the run's other temporary
files (:func:`write_groups`), before it reports its collection; the controller's scheduler reads them
when every worker has reported (:meth:`ModuleOrGroupScheduling.schedule`).
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


def _groups_file(token: str, worker: str) -> Path:
    return Path(tempfile.gettempdir()) / f"sbt-xdist-groups-{token}-{worker}.json"


def group_of(item: pytest.Item) -> str | None:
    """The group of ``item`` (its ``xdist_group`` marks' names, as xdist joins them); None if unmarked."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    return "_".join(sorted(names)) or None


def write_groups(token: str, worker: str, items: Iterable[pytest.Item]) -> None:
    """In a worker: the groups of its collected ``items`` by node id, for the controller."""
    groups = {item.nodeid: group for item in items if (group := group_of(item)) is not None}
    path = _groups_file(token, worker)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(groups), encoding="utf-8")
    partial.replace(path)


def read_groups(token: str) -> dict[str, str]:
    """In the controller: the groups the workers wrote (each wrote the same collection); the files
    are removed."""
    groups: dict[str, str] = {}
    for path in Path(tempfile.gettempdir()).glob(_groups_file(token, "*").name):
        groups.update(json.loads(path.read_text(encoding="utf-8")))
        path.unlink(missing_ok=True)
    return groups


class ModuleOrGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    def __init__(self, config: pytest.Config, log: Any, token: str) -> None:
        super().__init__(config, log)
        self._token = token
        self._groups: dict[str, str] = {}

    def schedule(self) -> None:
        if self.collection is None:  # the first call: every worker has reported its collection
            self._groups = read_groups(self._token)
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.rfind("@") > nodeid.rfind("]"):  # a pytest whose node ids xdist can still suffix
            return nodeid.rsplit("@", 1)[1]
        return self._groups.get(nodeid) or nodeid.split("::", 1)[0]

    def _others_idle(self, node: Any) -> bool:
        others = [work for other, work in self.assigned_work.items() if other is not node]
        return not any(self._pending_of(work) for work in others)

    def _assign_work_unit(self, node: Any) -> None:
        """The first unit waiting other than :data:`SERIAL`. When only that one waits, every other
        worker is told to finish (a worker keeps its last test until it gets more work or is told to
        finish, so waiting for it to go idle alone would wait forever), and ``node`` gets the unit once
        they have run all they had; until then it gets nothing (see :meth:`mark_test_complete`)."""
        scope = next((scope for scope in self.workqueue if scope != SERIAL), None)
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
