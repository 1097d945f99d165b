"""What the harness hands a contender's process, and what the process hands back (JSON both ways)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Contender = Literal["ours", "splink"]
CONTENDERS: tuple[Contender, ...] = ("ours", "splink")
Task = Literal["resolve", "train"]


@dataclass(frozen=True, slots=True)
class RunSpec:
    contender: Contender
    task: Task
    rows_path: str
    """The rows to resolve (or, for ``train``, Splink's training rows), ``rows.Row`` as JSON Lines."""
    result_path: str
    database_url: str | None = None
    """ours: the benchmark database, registry loaded."""
    registry_csv: str | None = None
    """splink: the prepared registry (``registry.Prepared.splink_csv``)."""
    instansi_csv: str | None = None
    """splink: the sandbox's instansi list, to map a written instansi name to its id."""
    registry_size: int = 0
    model_path: str | None = None
    """splink: the trained model, written by ``train`` and read by ``resolve``."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """ours: sbt.yaml's ``identity`` block (``IdentitySettings`` fields)."""
    seed: int = 7
    profile_path: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        return cls(**json.loads(text))


@dataclass(slots=True)
class Outcome:
    """One run: ``seconds`` is the timed part only (``phases`` splits it; untimed setup is listed apart).

    ``links`` holds, per row id, ``[nip or None, score or None]``: ours, the linked NIP (None unless
    linked); Splink, its best candidate whatever the probability (the threshold is chosen afterwards).
    """

    rows: int
    seconds: float
    rss_before_mb: float
    phases: dict[str, float] = field(default_factory=dict)
    setup_seconds: dict[str, float] = field(default_factory=dict)
    links: dict[str, list[Any]] = field(default_factory=dict)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per row id, what a steward would be shown, gathered after the clock stops: ours, ``outcome``,
    ``rule`` and the ranked ``candidates`` (``[nip, score]``), and for a row not linked to its true
    person a ``diagnosis`` (``ours.diagnose``); Splink, its ``candidates``: the best five pairs kept."""
    checks: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Outcome:
        return cls(**json.loads(path.read_text(encoding="utf-8")))
