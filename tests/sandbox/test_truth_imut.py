"""Reading the I-MUT truth: findings count from the instant their action version is served."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sbt_sync.errors import SbtError
from sbt_sync.sandbox.generate.truth_imut import expected_imut_findings, imut_actions

WIB = timezone(timedelta(hours=7))


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_expected_findings_are_those_available_at_as_of(tmp_path: Path) -> None:
    rows = [
        {"action_id": "A", "rule": "pasal_71_2", "available_at": "2024-05-01T09:00:00+07:00"},
        {"action_id": "A", "rule": "reporting_7_working_days", "available_at": "2024-05-20T00:00:00+07:00"},
        {"action_id": "B", "rule": "pasal_162_3", "available_at": "2025-03-01T09:00:00+07:00"},
    ]
    _write(tmp_path, "imut_findings.jsonl", rows)
    # exactly at the instant: available (the sandbox serves versions whose available_at is not after now)
    as_of = datetime(2024, 5, 20, tzinfo=WIB)
    assert expected_imut_findings(tmp_path, as_of) == {("A", "pasal_71_2"), ("A", "reporting_7_working_days")}
    assert expected_imut_findings(tmp_path, as_of - timedelta(seconds=1)) == {("A", "pasal_71_2")}
    assert len(expected_imut_findings(tmp_path, datetime(2026, 1, 1, tzinfo=WIB))) == 3


def test_actions_filter_by_instant_and_naive_as_of_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "imut_actions.jsonl", [{"action_id": "A", "available_at": "2024-05-01T09:00:00+07:00"}])
    assert imut_actions(tmp_path, datetime(2024, 4, 30, tzinfo=WIB)) == []
    assert [r["action_id"] for r in imut_actions(tmp_path)] == ["A"]
    with pytest.raises(ValueError):
        imut_actions(tmp_path, datetime(2024, 5, 1))  # noqa: DTZ001 (naive on purpose)


def test_missing_or_broken_truth_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(SbtError, match=r"imut_findings\.jsonl"):
        expected_imut_findings(tmp_path, datetime(2024, 5, 1, tzinfo=WIB))
    (tmp_path / "imut_findings.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(SbtError, match=":1:"):
        expected_imut_findings(tmp_path, datetime(2024, 5, 1, tzinfo=WIB))
