"""Reading the I-MUT ground truth: which findings a correct sbt-sync holds at an instant.

``truth/imut_findings.jsonl`` (written by :mod:`sbt_sync.sandbox.generate.sources.imut`) has one line
per expected finding: ``action_id``, ``rule`` (a :class:`sbt_sync.imut.model.Rule` value),
``disposition``, ``available_at`` (the instant the action version that makes it true is served, or the
instant a reporting deadline passed), ``nip`` and ``category``. The truth is what the generator
planted, never what :mod:`sbt_sync.imut.rules` computes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sbt_sync.errors import SbtError

FINDINGS_FILE = "imut_findings.jsonl"
ACTIONS_FILE = "imut_actions.jsonl"


def _lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SbtError(f"{path}: cannot read the I-MUT truth ({exc})") from exc
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(dict(json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise SbtError(f"{path}:{number}: not a JSON object ({exc})") from exc
    return out


def _instant(path: Path, row: dict[str, Any]) -> datetime:
    try:
        value = datetime.fromisoformat(str(row["available_at"]))
    except (KeyError, ValueError) as exc:
        raise SbtError(f"{path}: bad available_at in {row.get('action_id')!r} ({exc})") from exc
    if value.tzinfo is None:
        raise SbtError(f"{path}: available_at of {row.get('action_id')!r} has no UTC offset")
    return value


def imut_findings(truth_folder: Path, as_of: datetime) -> list[dict[str, Any]]:
    """Every truth finding line available at ``as_of`` (aware), in file order.

    Raises :class:`SbtError` when the file is missing or a line is malformed, and ``ValueError`` for a
    naive ``as_of``.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a UTC offset")
    path = Path(truth_folder) / FINDINGS_FILE
    return [row for row in _lines(path) if _instant(path, row) <= as_of]


def expected_imut_findings(truth_folder: Path, as_of: datetime) -> set[tuple[str, str]]:
    """``(action_id, rule)`` of every finding a correct system holds at ``as_of``.

    A finding counts once the action version that makes it true is available at ``as_of`` (for a
    never-reported action: once its reporting deadline has passed too). Errors as :func:`imut_findings`.
    """
    return {(str(row["action_id"]), str(row["rule"])) for row in imut_findings(truth_folder, as_of)}


def imut_actions(truth_folder: Path, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every line of ``imut_actions.jsonl`` (one per action id), only those available at ``as_of`` when
    given. Errors as :func:`imut_findings`."""
    path = Path(truth_folder) / ACTIONS_FILE
    rows = _lines(path)
    if as_of is None:
        return rows
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a UTC offset")
    return [row for row in rows if _instant(path, row) <= as_of]
