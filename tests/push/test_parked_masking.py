"""sync/siasn_flags publishes ``parked_sample`` as Dagster metadata, and the pusher's log lines reach
every run's event log (dagster.yaml's python_logs): SIASN's refusal text, which may name the person,
is masked in both, while the outbox row keeps it whole for the stewards. DESIGN.md: "Logs and
metadata never hold NIPs, names or birth dates in clear"."""

from __future__ import annotations

import logging
import re

import pytest

from connectors.siasn import PermanentPushError
from sbt_sync.db.engine import Database
from sbt_sync.push import Pusher, PushReport
from tests.enforce.rows import nip
from tests.push.helpers import outbox_rows, queue_blocks
from tests.push.test_pusher_units import FakeSiasn


def _parked_with(database: Database, caplog: pytest.LogCaptureFixture, written: str) -> PushReport:
    """One block queued for ``nip(1)``, refused by SIASN with a message naming the NIP as ``written``
    and parked by a push run (log captured at INFO); returns the run's report."""
    queue_blocks(database, [nip(1)])
    key = outbox_rows(database)[0].idempotency_key
    refusal = PermanentPushError(
        "no",
        status=422,
        siasn_message=f"PNS dengan NIP {written} sedang dalam proses pensiun",
        nip=nip(1),
        action="blokir",
        idempotency_key=key,
    )
    caplog.set_level(logging.INFO)
    report = Pusher(database, FakeSiasn(failures={key: [refusal]})).run()
    assert report.parked == 1
    return report


def test_parked_sample_metadata_masks_a_nip_siasn_names_in_its_refusal(
    migrated_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    report = _parked_with(migrated_database, caplog, nip(1))
    # report.parked_sample is what assets/sync.py:siasn_flags stores as the "parked_sample" metadata
    assert not [line for line in report.parked_sample if re.search(r"\d{18}", line)], report.parked_sample
    # the same text goes to the sbt_sync logger, which dagster.yaml routes into every run's event log
    assert not [r.getMessage() for r in caplog.records if re.search(r"\d{18}", r.getMessage())]
    assert nip(1) in (outbox_rows(migrated_database)[0].last_error or "")


@pytest.mark.parametrize(
    "printed", ["19800101 200501 1 001", "19800101.200501.1.001", "19800101-200501-1-001"]
)
def test_a_nip_siasn_prints_in_groups_is_masked_in_the_log_and_metadata_too(
    migrated_database: Database, caplog: pytest.LogCaptureFixture, printed: str
) -> None:
    """SIASN's people print a NIP in its groups (birth date, TMT, gender, serial), as letters do."""
    report = _parked_with(migrated_database, caplog, printed)
    shown = " ".join([*report.parked_sample, *(r.getMessage() for r in caplog.records)])
    assert "dalam proses pensiun" in shown and printed not in shown and "19800101" not in shown, shown
    assert printed in (outbox_rows(migrated_database)[0].last_error or "")  # the stewards see it whole
