"""An agency viewer does not read, even masked, the ASN another agency's record names.

A ``named_other`` conflict is raised when a record joined a case by its number while naming someone
other than the case's ASN; its reopening reason states whom the record names now, the NIP masked to
its last four digits ("kemendagri='**************1007'"). When that record is another agency's
(Kemendagri's in a Bawaslu viewer's case), the reason quotes that record: the scope gate withheld the
full NIP but let the masked one through, on the conflict page, the queue (its badge) and the API. It
now withholds the masked form of every NIP another agency's record carries too, while the viewer's own
records' and the case's own NIP stay readable, masked or not.
"""

from __future__ import annotations

from hashlib import sha256

from sqlalchemy import select, update

from sbt_sync.db.models import Conflict, StagedRecord
from schemas.nip import mask_nip
from tests.console.conftest import T0
from tests.console.test_viewer_scope import KEY_X, NIP, NIP_OTHER, Scene, scene  # noqa: F401

MASKED_OTHER = mask_nip(NIP_OTHER)


def _named_other(walked: Scene) -> int:
    """Case X's Kemendagri row, resolved to another ASN, raised as ``named_other`` and reopened."""
    with walked.database.session() as session:
        session.execute(
            update(StagedRecord)
            .where(StagedRecord.record_key == "KMD-FOREIGN-ROW-4")
            .values(resolved_nip=NIP_OTHER)
        )
        row = session.scalars(
            select(StagedRecord.id).where(StagedRecord.record_key == "KMD-FOREIGN-ROW-4")
        ).one()
        value = {
            "joined_by": "register_no",
            "number": "REG-OWN-0001",
            "case_nip": NIP,
            "named_nip": NIP_OTHER,
        }
        conflict = Conflict(
            conflict_key=f"named_other|{KEY_X}|link|kemendagri:KMD-FOREIGN-ROW-4#0", kind="named_other",
            case_id=walked.ids["case_x"], field="link", basis_hash=sha256(b"named").hexdigest(), opened_at=T0,
            candidates=[{"source": "kemendagri", "value": value, "staged_record_id": row}],
            reopened_reason="the sources changed since the decision of 2026-11-01: now "
            f"kemendagri='{MASKED_OTHER}'",
        )  # fmt: skip
        session.add(conflict)
        session.flush()
        return conflict.id


def test_a_viewer_reads_no_masked_nip_another_agencys_record_names(scene: Scene) -> None:  # noqa: F811
    conflict = _named_other(scene)
    viewer = scene.login("viewer")
    token = {"Authorization": f"Bearer {scene.tokens['viewer']}"}
    case = scene.ids["case_x"]
    for url in (f"/conflicts/{conflict}", f"/conflicts/{conflict}?lang=en", "/conflicts",
                "/conflicts?lang=en", f"/api/v1/conflicts/{conflict}", "/api/v1/conflicts",
                f"/cases/{case}", f"/api/v1/cases/{case}"):  # fmt: skip
        answer = viewer.get(url, headers=token if url.startswith("/api/") else {})
        assert answer.status_code == 200, url
        assert MASKED_OTHER not in answer.text and NIP_OTHER[-4:] + "'" not in answer.text, url
    detail = scene.json(viewer, "viewer", f"/api/v1/conflicts/{conflict}")
    assert detail["summary"]["reopened_reason"] is None and "reopened_reason" in detail["summary"]["withheld"]
    # the case's own NIP, masked or whole, is the viewer's to read
    assert NIP in viewer.get(f"/conflicts/{conflict}").text


def test_a_steward_reads_the_reopening_reason_with_the_masked_nip(scene: Scene) -> None:  # noqa: F811
    conflict = _named_other(scene)
    steward = scene.login("steward")
    assert MASKED_OTHER in steward.get(f"/conflicts/{conflict}").text
    assert (
        MASKED_OTHER
        in scene.json(steward, "steward", f"/api/v1/conflicts/{conflict}")["summary"]["reopened_reason"]
    )
