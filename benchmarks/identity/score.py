"""Precision and recall of accepted links against the truth, and Splink's best-F1 threshold.

precision = correct links / links made; recall = correct links / rows whose true person is in the
registry (rows with a true NIP). A link to anyone else, or any link for an outsider, is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.identity.rows import Row


@dataclass(frozen=True, slots=True)
class Score:
    links: int
    correct: int
    expected: int

    @property
    def precision(self) -> float:
        return self.correct / self.links if self.links else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "links": self.links,
            "correct_links": self.correct,
            "rows_with_true_person": self.expected,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def score(rows: Sequence[Row], links: Mapping[str, list[Any]], threshold: float | None = None) -> Score:
    """Links made (``[nip, score]`` per row id; with ``threshold``, only those scoring at least it)."""
    made = correct = 0
    for row in rows:
        nip, value = links.get(str(row.id), [None, None])
        if nip is None or (threshold is not None and (value is None or value < threshold)):
            continue
        made += 1
        correct += nip == row.true_nip
    return Score(made, correct, sum(row.true_nip is not None for row in rows))


def _kind(row: Row) -> str:
    return "source" if row.origin.startswith("source:") else row.origin


def by_origin(
    rows: Sequence[Row], links: Mapping[str, list[Any]], threshold: float | None = None
) -> dict[str, Any]:
    """The score per kind of row: source rows, each NIP degradation, outsiders."""
    out = {}
    for kind in sorted({_kind(row) for row in rows}):
        subset = [row for row in rows if _kind(row) == kind]
        out[kind] = {"rows": len(subset), **score(subset, links, threshold).as_dict()}
    return out


def operating_points(rows: Sequence[Row], links: Mapping[str, list[Any]]) -> list[tuple[float, Score]]:
    """Every acceptance threshold on the links' scores with the score it gives, highest first.

    One pass over the links sorted by score, best first: accepting every link down to a score is
    one candidate threshold.
    """
    truth = {str(row.id): row.true_nip for row in rows}
    expected = sum(nip is not None for nip in truth.values())
    ranked = sorted(
        (
            (float(value), nip == truth[key])
            for key, (nip, value) in links.items()
            if nip and value is not None
        ),
        key=lambda pair: -pair[0],
    )
    points = []
    made = correct = 0
    for i, (value, right) in enumerate(ranked):
        made, correct = made + 1, correct + right
        if i + 1 < len(ranked) and ranked[i + 1][0] == value:
            continue  # a threshold accepts every link of the same score
        points.append((value, Score(made, correct, expected)))
    return points


def best_threshold(rows: Sequence[Row], links: Mapping[str, list[Any]]) -> tuple[float, Score]:
    """The acceptance threshold on the links' scores that maximises F1 (on ties, the higher one)."""
    expected = sum(row.true_nip is not None for row in rows)
    best = (1.0, Score(0, 0, expected))
    for value, candidate in operating_points(rows, links):
        if candidate.f1 > best[1].f1:
            best = (value, candidate)
    return best


def at_precision(points: Sequence[tuple[float, Score]], precision: float) -> dict[str, Any] | None:
    """The threshold with the most recall whose precision is at least ``precision`` (None if none)."""
    eligible = [(value, s) for value, s in points if s.links and s.precision >= precision]
    if not eligible:
        return None
    value, best = max(eligible, key=lambda point: (point[1].recall, point[0]))
    return {"threshold": value, **best.as_dict()}


def at_recall(points: Sequence[tuple[float, Score]], recall: float) -> dict[str, Any] | None:
    """The threshold with the best precision whose recall is at least ``recall`` (None if none)."""
    eligible = [(value, s) for value, s in points if s.recall >= recall]
    if not eligible:
        return None
    value, best = max(eligible, key=lambda point: (point[1].precision, point[0]))
    return {"threshold": value, **best.as_dict()}
