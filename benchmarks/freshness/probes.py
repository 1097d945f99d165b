"""The two probes. Each publishes one change at a source the way the agency would, then polls where the
change must end up (SIASN's block ledger; the product's ``staged_records``) until it is there."""

from __future__ import annotations

import itertools
import json
import logging
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import dagster as dg
from sqlalchemy import func, select

from benchmarks.freshness.project import Deployment, active_runs, tail
from sbt_sync.db.models import AsnRegistryEntry, BlockState, Case, StagedRecord
from sbt_sync.sandbox.http.control_client import ControlClient
from sbt_sync.sandbox.http.siasn_blocks import BLOCKED
from sbt_sync.sandbox.sftp.tree import DEFAULT_TEMP_NAME_WINDOW
from schemas.feeds import FEEDS
from schemas.reference import sanction_codes

log = logging.getLogger(__name__)

Probe = Literal["sanction_to_unblock", "sftp_file_to_staged"]
TARGET_JOBS: dict[Probe, str] = {
    "sanction_to_unblock": "idis_update",
    "sftp_file_to_staged": "kemendagri_update",
}
SENSORS: dict[Probe, str] = {
    "sanction_to_unblock": "idis_changes",
    "sftp_file_to_staged": "kemendagri_new_files",
}
POLL_SECONDS = 0.5
PROBE_TIMEOUT_SECONDS = 600
KEMENDAGRI_COLUMNS = [c for c in FEEDS["kemendagri"].model.to_schema().columns if c != "item_no"]


@dataclass(frozen=True)
class BlockedCase:
    nip: str
    name: str
    case_id: int
    recommendation_no: str
    sanction: str
    instansi_id: str | None


@dataclass
class Sample:
    probe: Probe
    number: int
    subject: str
    """What changed (a masked NIP, a file name)."""
    published_at: str
    seconds: float
    """From the change being visible at the source to it being seen where it must end up."""
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Dagster runs created while the sample was open: job, trigger, created/started/ended offsets."""
    requested_s: float | None = None
    """When the sensor requested the run that delivered the change (the wait for a sensor tick)."""
    request_to_effect_s: float | None = None
    """From that request to the change being seen (queue, run start, the run's steps)."""

    def __post_init__(self) -> None:
        sensor = SENSORS[self.probe]
        delivering = [r for r in self.runs if r["job"] == TARGET_JOBS[self.probe] and r["trigger"] == sensor]
        if delivering:
            self.requested_s = delivering[0]["created_s"]
            self.request_to_effect_s = round(self.seconds - delivering[0]["created_s"], 2)


def _dmy(day: datetime) -> str:
    return day.strftime("%d-%m-%Y")


def _mask(nip: str) -> str:
    return nip[:8] + "*" * (len(nip) - 12) + nip[-4:]


def blocked_cases(deployment: Deployment, count: int) -> list[BlockedCase]:
    """``count`` NIPs that SIASN shows blocked because of exactly one case with a recommendation."""
    ledger = deployment.sandbox.ledger
    assert ledger is not None
    in_siasn = {nip for nip, state in ledger.snapshot()["blocks"].items() if state["status"] == BLOCKED}
    found: list[BlockedCase] = []
    with deployment.database.session() as session:
        rows = session.execute(
            select(BlockState.nip, BlockState.case_ids)
            .where(BlockState.blocked.is_(True))
            .order_by(BlockState.nip)
        ).tuples()
        for nip, case_ids in rows:
            if nip not in in_siasn or len(case_ids) != 1:
                continue
            case = session.get(Case, case_ids[0])
            entry = session.get(AsnRegistryEntry, nip)
            if case is None or entry is None or not case.recommendation_no:
                continue
            sanction = case.recommended_sanction or "2"
            found.append(
                BlockedCase(nip, entry.name, case.id, case.recommendation_no, sanction, case.instansi_id)
            )
    if len(found) < count:
        raise RuntimeError(f"only {len(found)} NIPs are blocked in SIASN by one case; {count} needed")
    return found[:count]


def _other_asn(deployment: Deployment, count: int, skip: int) -> list[tuple[str, str]]:
    with deployment.database.session() as session:
        return list(
            session.execute(
                select(AsnRegistryEntry.nip, AsnRegistryEntry.name)
                .order_by(AsnRegistryEntry.nip)
                .offset(skip)
                .limit(count)
            ).tuples()
        )


def _runs_since(instance: dg.DagsterInstance, since: datetime, until: datetime) -> list[dict[str, Any]]:
    records = instance.get_run_records(filters=dg.RunsFilter(created_after=since - timedelta(seconds=1)))
    out: list[dict[str, Any]] = []
    for record in sorted(records, key=lambda r: r.create_timestamp):
        created = record.create_timestamp
        if created > until:
            continue
        tags = record.dagster_run.tags
        trigger = tags.get("dagster/sensor_name") or tags.get("dagster/schedule_name") or "manual"

        def offset(stamp: float | None) -> float | None:
            return None if stamp is None else round(stamp - since.timestamp(), 2)

        out.append(
            {
                "job": record.dagster_run.job_name,
                "trigger": trigger,
                "status": record.dagster_run.status.value,
                "created_s": round(created.timestamp() - since.timestamp(), 2),
                "started_s": offset(record.start_time),
                "ended_s": offset(record.end_time),
            }
        )
    return out


def _wait(deployment: Deployment, done: Any, what: str) -> float:
    """Poll ``done()`` until true; seconds since the call. Raises if the daemon dies or time runs out."""
    started = time.monotonic()
    while not done():
        elapsed = time.monotonic() - started
        if elapsed > PROBE_TIMEOUT_SECONDS:
            raise RuntimeError(f"{what}: not seen after {PROBE_TIMEOUT_SECONDS} s")
        failed = [
            r.job_name
            for r in deployment.instance.get_runs(
                filters=dg.RunsFilter(
                    statuses=[dg.DagsterRunStatus.FAILURE], created_after=deployment.started
                )
            )
        ]
        if failed:
            raise RuntimeError(f"{what}: run(s) failed: {failed}; " + tail(deployment.home / "daemon.log"))
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def sanction_to_unblock(deployment: Deployment, number: int, target: BlockedCase) -> Sample:
    """Publish an I'DIS sanction for ``target``'s case; seconds until SIASN shows the NIP unblocked."""
    ledger = deployment.sandbox.ledger
    assert ledger is not None
    now = deployment.sandbox.clock.now()
    names = {str(code.id): code.nama for code in sanction_codes()}
    record = {
        "id": uuid.uuid4().hex,
        "nipBaru": target.nip,
        "nama": target.name,
        "nomorSk": f"800/BENCH-{number}/{now:%Y}",
        "tanggalSk": _dmy(now),
        "jenisHukumanId": target.sanction,
        "jenisHukumanNama": names.get(target.sanction),
        "tmtHukuman": _dmy(now),
        "nomorRekomendasi": target.recommendation_no,
        "instansiId": target.instansi_id,
        "updatedAt": now.isoformat(),
    }
    control = ControlClient(deployment.sandbox.endpoints.control_url)
    wall = datetime.now(UTC)
    control.post("idis/records", {"record": record})

    def unblocked() -> bool:
        state = ledger.snapshot()["blocks"].get(target.nip)
        return state is not None and state["status"] != BLOCKED

    seconds = _wait(deployment, unblocked, f"unblock of {_mask(target.nip)}")
    runs = _runs_since(deployment.instance, wall, datetime.now(UTC))
    return Sample("sanction_to_unblock", number, _mask(target.nip), wall.isoformat(), round(seconds, 2), runs)


def sftp_file_to_staged(deployment: Deployment, number: int, rows: int) -> Sample:
    """Deliver a new kemendagri CSV (past its upload window); seconds until all its rows are staged."""
    now = deployment.sandbox.clock.now()
    people = _other_asn(deployment, rows, skip=number * rows)
    keys = [f"BENCH-FRESH/{number}/{i}/{uuid.uuid4().hex[:6]}" for i in range(rows)]
    lines = [",".join(KEMENDAGRI_COLUMNS)]
    for key, (nip, name) in zip(keys, people, strict=True):
        cells = {"nomor_rekomendasi": key, "nip": nip, "nama": name, "pemda": "Kab. Bogor"}
        cells |= {"status_tindak_lanjut": "dalam_proses", "tanggal_laporan": _dmy(now)}
        lines.append(",".join(cells.get(column, "") for column in KEMENDAGRI_COLUMNS))
    content = ("\r\n".join(lines) + "\r\n").encode()
    deployment.deliveries += 1
    name = f"tindak_lanjut_2099{number:02d}{deployment.deliveries:02d}.csv"
    relative = f"sftp/files/kemendagri/bench{deployment.deliveries:04d}__{name}"
    (deployment.data_dir / relative).write_bytes(content)
    delivery = {
        "source": "kemendagri",
        "name": name,
        # Landed just past the upload window, so it is listed under its final name from now on.
        "available_at": (now - DEFAULT_TEMP_NAME_WINDOW - timedelta(seconds=1)).isoformat(),
        "content": relative,
        "sha256": "0" * 64,
        "replaces": None,
    }
    wall = datetime.now(UTC)
    with (deployment.data_dir / "sftp" / "deliveries.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(delivery) + "\n")

    def staged() -> bool:
        with deployment.database.session() as session:
            found = session.scalar(
                select(func.count())
                .select_from(StagedRecord)
                .where(StagedRecord.source == "kemendagri", StagedRecord.recommendation_no.in_(keys))
            )
        return found == rows

    seconds = _wait(deployment, staged, f"staged rows of {name}")
    runs = _runs_since(deployment.instance, wall, datetime.now(UTC))
    return Sample("sftp_file_to_staged", number, name, wall.isoformat(), round(seconds, 2), runs)


def tick_intervals(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Per watched sensor: how many ticks the daemon recorded and the median seconds between them."""
    out: dict[str, dict[str, Any]] = {}
    for name in SENSORS.values():
        states = [s for s in deployment.instance.all_instigator_state() if s.instigator_name == name]
        stamps = sorted(
            tick.timestamp
            for state in states
            for tick in deployment.instance.get_ticks(
                state.instigator_origin_id, state.selector_id, limit=1000
            )
        )
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        out[name] = {
            "ticks": len(stamps),
            "median_interval_seconds": round(statistics.median(gaps), 1) if gaps else None,
            "max_interval_seconds": round(max(gaps), 1) if gaps else None,
        }
    return out


def wait_idle(deployment: Deployment) -> None:
    """Until no run is queued or running (the run that delivered a sample may still be finishing)."""
    deadline = time.monotonic() + PROBE_TIMEOUT_SECONDS
    while active_runs(deployment.instance):
        if time.monotonic() > deadline:
            raise RuntimeError("runs still active after the probe timeout")
        time.sleep(1)
