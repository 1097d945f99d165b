"""The letters assets in Dagster: enforcement decides, ``enforcement/letters`` drafts one letter per
PPK and step, ``sync/letters_mail`` delivers them to a loopback SMTP server; a second run sends nothing."""

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from sqlalchemy import insert

from assets.enforcement import block_state
from assets.letters import letters, letters_mail
from sbt_sync.db.engine import Database
from sbt_sync.db.models import AsnRegistryEntry
from sbt_sync.ingest.registry import registry_row
from sbt_sync.resources import DatabaseResource, SbtSettingsResource
from tests.enforce.rows import add_case, nip
from tests.notify.helpers import add_pics
from tests.notify.mailserver import PASSWORD, USERNAME, MailServer
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

RUN_CONFIG = {"ops": {"enforcement__block_state": {"config": {"as_of": "2024-12-12"}}}}


@pytest.fixture
def resources(
    migrated_database: Database, mail_server: MailServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    config = {
        "notify": {
            "host": "127.0.0.1",
            "port": mail_server.port,
            "username_env": "SBT_SMTP_USERNAME",
            "password_env": "SBT_SMTP_PASSWORD",
            "ca_bundle": str(mail_server.cert),
        }
    }
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("SBT_SMTP_USERNAME", USERNAME)
    monkeypatch.setenv("SBT_SMTP_PASSWORD", PASSWORD)
    settings = SbtSettingsResource(config_path=str(path))
    url = migrated_database.engine.url.render_as_string(hide_password=False)
    return {"settings": settings, "db": DatabaseResource(settings=settings, url=url)}


def test_a_cycle_drafts_one_letter_per_ppk_and_mails_it_once(
    migrated_database: Database, mail_server: MailServer, resources: dict[str, Any]
) -> None:
    with migrated_database.session() as session:
        people = [(1, "Sampang"), (2, "Sampang"), (3, "Bangkalan")]
        rows = [registry_row(registry_item(nip(i), f"ASN NOMOR {i}", where)) for i, where in people]
        session.execute(insert(AsnRegistryEntry), rows)
        for i, _ in people:
            add_case(session, f"CASE-{i}", nip(i))  # recommended 2024-12-01: peringatan 12-11
    add_pics(migrated_database, "ID-Sampang", "pic@sampang.go.id")
    add_pics(migrated_database, "ID-Bangkalan", "pic@bangkalan.go.id")

    first = dg.materialize([block_state, letters, letters_mail], resources=resources, run_config=RUN_CONFIG)
    second = dg.materialize([block_state, letters, letters_mail], resources=resources, run_config=RUN_CONFIG)

    assert first.success and second.success
    drafted = first.asset_materializations_for_node("enforcement__letters")[0].metadata
    assert drafted["letters"] == dg.IntMetadataValue(2) and drafted["cases"] == dg.IntMetadataValue(3)
    mailed = first.asset_materializations_for_node("sync__letters_mail")[0].metadata
    assert mailed["sent"] == dg.IntMetadataValue(2) and mailed["lost_claims"] == dg.IntMetadataValue(0)
    again = second.asset_materializations_for_node("sync__letters_mail")[0].metadata
    assert again["claimed"] == dg.IntMetadataValue(0)
    assert sorted(r.recipients[0] for r in mail_server.handler.received) == [
        "pic@bangkalan.go.id",
        "pic@sampang.go.id",
    ]
    assert set(mail_server.handler.counts().values()) == {1}
