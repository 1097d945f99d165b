"""I-MUT personnel actions over HTTP: one record per action (SK), versions as approvals and reports arrive.

Every action carries the category it was planted as and the findings that category makes true, by
construction (``imut_plants``); nothing here asks :mod:`sbt_sync.imut.rules`. The feed lines go to
``http/imut.jsonl``, the truth to ``truth/imut_actions.jsonl`` and ``truth/imut_findings.jsonl``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sbt_sync.imut.model import ActionKind, Disposition, Rule
from sbt_sync.sandbox.generate.config import CLOCK_START, WIB, dmy, iso
from sbt_sync.sandbox.generate.imut_posts import Official, Post
from sbt_sync.sandbox.generate.writer import jsonl

SOURCE = "imut"

Line = tuple[datetime, str, dict[str, Any]]


@dataclass
class Action:
    """One planted personnel action: its facts, its served versions and the findings it makes true.

    ``versions`` are ``(instant, changes)``: the record as first served is the action's facts with the
    first changes applied, each later version applies its changes on top (an approval arriving, a report
    date filled in, a corrected reason). ``findings`` are ``(rule, disposition, available_at)``.
    """

    action_id: str
    category: str
    nip: str
    nama: str
    kind: ActionKind
    instansi_id: str
    official: Official
    decided: date
    tmt: date
    before: Post | None
    after: Post | None
    alasan: str | None
    nomor_sk: str
    approval: tuple[str, date] | None = None
    reported: date | None = None
    versions: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    findings: list[tuple[Rule, Disposition, datetime]] = field(default_factory=list)

    def serve(self, at: datetime, **changes: Any) -> None:
        """Add a version served at ``at`` (never before the clock starts, always after the last one)."""
        at = max(at, CLOCK_START)
        if self.versions and at <= self.versions[-1][0]:
            raise ValueError(f"version of {self.action_id} at {at} is not after the previous one")
        self.versions.append((at, changes))

    def expect(self, rule: Rule, available_at: datetime | None = None) -> None:
        """A finding this action makes true from ``available_at`` (default: its first version)."""
        disposition = Disposition.INVESTIGATE if rule == Rule.POSSIBLE_RETALIATION else Disposition.BREACH
        self.findings.append((rule, disposition, available_at or self.versions[0][0]))

    @property
    def first_at(self) -> datetime:
        return self.versions[0][0]

    def base_record(self) -> dict[str, Any]:
        before, after, official = self.before, self.after, self.official
        return {
            "id": self.action_id,
            "nipBaru": self.nip,
            "nama": self.nama,
            "jenisTindakan": self.kind.value,
            "jabatanLama": before.jabatan if before else None,
            "kelasJabatanLama": before.klass.value if before else None,
            "unitKerjaLama": before.unit if before else None,
            "jabatanBaru": after.jabatan if after else None,
            "kelasJabatanBaru": after.klass.value if after else None,
            "unitKerjaBaru": after.unit if after else None,
            "instansiId": self.instansi_id,
            "pejabatPenetapNama": official.nama,
            "pejabatPenetapPeran": official.role.value,
            "pejabatPenetapWilayah": official.wilayah,
            "pejabatPenetapInstansiId": official.instansi_id,
            "nomorSk": self.nomor_sk,
            "tanggalSk": dmy(self.decided),
            "tmt": dmy(self.tmt),
            "alasan": self.alasan,
            "persetujuanMendagriNomor": self.approval[0] if self.approval else None,
            "persetujuanMendagriTanggal": dmy(self.approval[1]) if self.approval else None,
            "tanggalLaporKemendagri": dmy(self.reported) if self.reported else None,
            "updatedAt": None,
        }

    def lines(self) -> list[Line]:
        """The feed lines of every version, each a full record with its own ``updatedAt``."""
        record = self.base_record()
        out: list[Line] = []
        for at, changes in self.versions:
            record = record | changes | {"updatedAt": iso(at.astimezone(WIB))}
            out.append((at, self.action_id, record))
        return out


def approval_changes(approval: tuple[str, date] | None) -> dict[str, Any]:
    """The wire fields of a Mendagri approval (both null when there is none)."""
    return {
        "persetujuanMendagriNomor": approval[0] if approval else None,
        "persetujuanMendagriTanggal": dmy(approval[1]) if approval else None,
    }


def report_changes(reported: date | None) -> dict[str, Any]:
    return {"tanggalLaporKemendagri": dmy(reported) if reported else None}


def truth_files(actions: list[Action]) -> tuple[bytes, bytes]:
    """``imut_actions.jsonl`` and ``imut_findings.jsonl`` (sorted keys; ordered by instant and id)."""
    ordered = sorted(actions, key=lambda a: (a.first_at, a.action_id))
    action_rows = [
        {
            "action_id": a.action_id,
            "category": a.category,
            "available_at": iso(a.first_at.astimezone(WIB)),
            "nip": a.nip,
            "instansi_id": a.instansi_id,
            "jenis_tindakan": a.kind.value,
            "tanggal_sk": a.decided.isoformat(),
            "versions": len(a.versions),
            "rules": sorted(rule.value for rule, _, _ in a.findings),
        }
        for a in ordered
    ]
    finding_rows = sorted(
        (
            {
                "action_id": a.action_id,
                "rule": rule.value,
                "disposition": disposition.value,
                "available_at": iso(at.astimezone(WIB)),
                "nip": a.nip,
                "category": a.category,
            }
            for a in actions
            for rule, disposition, at in a.findings
        ),
        key=lambda row: (row["available_at"], row["action_id"], row["rule"]),
    )
    return jsonl(action_rows, sort_keys=True), jsonl(finding_rows, sort_keys=True)
