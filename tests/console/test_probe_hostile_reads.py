"""Every answer that shows an ASN's personal data to a person records the read (UU 27/2022), writes
included (acceptance probe, both backends).

The API's writes answer with what they changed: a claimed or assigned conflict carries its case key,
which names the ASN's NIP; a quarantined row carries the value the source sent (here a NIP). The
person who made the call has read that NIP, and the access log must say so, as it does for the
reads of the same objects.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from sbt_sync.db.models import Case, PersonalDataAccess, PersonalDataAccessNip, QuarantinedRow
from sbt_sync.pdp.access import access_key, nip_hash
from tests.console.conftest import NIP_A, World

KEY_A = f"PILKADA2024|reg:REG-A|{NIP_A}"
"""Case A's key as reconciliation writes it: election, register and the ASN's NIP."""


def _writes(world: World) -> dict[str, tuple[str, dict[str, Any], str]]:
    """What the call is, its path, body and the kind of read it records."""
    a, row = world.ids["conflict_a"], world.ids["quarantine_a"]
    ignore = {"status": "ignored", "reason": "r"}
    return {
        "claim": (f"/api/v1/conflicts/{a}/claim", {}, "conflict"),
        "assign": (f"/api/v1/conflicts/{a}/assign", {"assignee": "steward"}, "conflict"),
        "release": (f"/api/v1/conflicts/{a}/assign", {"assignee": None}, "conflict"),
        "quarantine": (f"/api/v1/quarantine/{row}/status", ignore, "quarantine"),
    }


@pytest.mark.parametrize("what", ["claim", "assign", "release", "quarantine"])
def test_an_api_write_whose_answer_names_an_asn_records_the_read(world: World, what: str) -> None:
    with world.database.session() as session:
        session.execute(update(Case).where(Case.id == world.ids["case_a"]).values(case_key=KEY_A))
        session.execute(
            update(QuarantinedRow).where(QuarantinedRow.id == world.ids["quarantine_a"]).values(value=NIP_A)
        )
        before = session.scalar(select(PersonalDataAccess.id).order_by(PersonalDataAccess.id.desc()).limit(1))
    path, body, kind = _writes(world)[what]
    headers = {"Authorization": f"Bearer {world.tokens['steward']}"}
    answer = world.client().post(path, json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert NIP_A in answer.text  # the answer shows the NIP ...
    with world.database.session() as session:
        reads = list(session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.id > (before or 0))))
        assert [(r.who, r.channel, r.kind) for r in reads] == [("steward", "api", kind)]
        hashes = set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == reads[0].id)
            )
        )
    assert hashes == {nip_hash(access_key(world.settings), NIP_A)}  # ... and the read of it is recorded
