"""What one invocation measured, kept so it can be scored again without running anything.

A run takes minutes of a shared machine and its scratch database is dropped at the end; the record
holds the rows, every contender's outcomes (links, decisions, diagnoses) and the registry facts the
scoring needs (namesake counts), so ``python -m benchmarks.identity --rescore <folder>`` rebuilds the
results, for instance after the scoring itself changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.identity.rows import Row, read_rows, write_rows
from benchmarks.identity.spec import Contender, Outcome

RECORD = "record.json"
ROWS = "rows.jsonl"


@dataclass(slots=True)
class RunRecord:
    settings: dict[str, Any]
    """The invocation's ``--runs``, ``--seed``, ``--scale``, ``--training-rows``."""
    sandbox: str
    from_sources: int
    registry_size: int
    thresholds: dict[str, float]
    started_at: str
    server: dict[str, str]
    """The PostgreSQL server's version and write settings (``postgres_version``)."""
    machine: dict[str, Any]
    versions: dict[str, str | None]
    rows: list[Row] = field(default_factory=list)
    outcomes: dict[Contender, list[Outcome]] = field(default_factory=dict)
    training: Outcome | None = None
    load_phases: dict[str, float] = field(default_factory=dict)
    namesakes_in_instansi: dict[str, int] | None = None
    """Per true NIP, registry rows of its instansi holding its normalised name (itself included)."""
    namesakes_nationally: dict[str, int] | None = None
    """Per true NIP, registry rows anywhere holding its normalised name (itself included)."""
    load_average: dict[str, list[float]] = field(default_factory=dict)
    """``os.getloadavg()`` at the start and after each run: the machine is shared, timings move with it."""

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        write_rows(folder / ROWS, self.rows)
        body = asdict(self)
        del body["rows"]
        (folder / RECORD).write_text(json.dumps(body), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> RunRecord:
        body = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        body["outcomes"] = {name: [Outcome(**run) for run in runs] for name, runs in body["outcomes"].items()}
        if body["training"] is not None:
            body["training"] = Outcome(**body["training"])
        return cls(rows=read_rows(folder / ROWS), **body)
