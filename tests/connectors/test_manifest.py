"""The manifest decision: a re-delivered file with new content is processed, an unchanged one is not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.sftp import ManifestEntry, decide_downloaded, decide_listed
from connectors.sftp.manifest import Status

MTIME = datetime(2024, 11, 27, 8, 0, tzinfo=UTC)


def entry(status: Status) -> ManifestEntry:
    return ManifestEntry("kemendagri", "/kemendagri/a.csv", 10, MTIME, "ab" * 32, status)


@pytest.mark.parametrize(
    ("by_stat", "action"),
    [
        (None, "download"),  # never seen with this size and mtime: new or re-delivered
        (entry("processed"), "skip"),  # same size and mtime as a processed file: unchanged
        (entry("refused"), "skip"),  # refused files wait for a corrected delivery
        (entry("pending"), "download"),  # an earlier run crashed before finishing it
    ],
)
def test_decide_listed_skips_only_settled_unchanged_files(by_stat: ManifestEntry | None, action: str) -> None:
    assert decide_listed(by_stat).action == action


@pytest.mark.parametrize(
    ("by_content", "action"),
    [
        (None, "process"),  # new content (a correction under the same name lands here)
        (entry("processed"), "skip"),  # touched but identical bytes
        (entry("refused"), "skip"),
        (entry("pending"), "process"),
    ],
)
def test_decide_downloaded_processes_new_content_only(by_content: ManifestEntry | None, action: str) -> None:
    decision = decide_downloaded(by_content)
    assert decision.action == action
    assert decision.reason
