"""A read of a letter (its PDF, by CLI or console) is recorded under the NIPs the letter names, as it
was drafted: a case whose NIP was corrected since, or whose step was lettered again elsewhere, still
leaves the person named in the letter with that read in his subject-access trail (UU 27/2022)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from sbt_sync.db.models import Case, PersonalDataAccess, PersonalDataAccessNip
from sbt_sync.db.models.letters import Letter
from sbt_sync.pdp.access import access_key, letter_nips, nip_hash
from sbt_sync.settings import load_settings
from tests.enforce.rows import add_case

NAMED = "198001012005011001"
"""The NIP the letter was drafted with."""
CORRECTED = "198001012005011002"
"""The case's NIP after a correction (the registry reported the first one wrong)."""
PERINGATAN_DAY = "2024-12-11"


def test_a_letter_pdf_read_is_recorded_under_the_nips_the_letter_names(
    migrated_database: Database, project_dir: Path, tmp_path: Path
) -> None:
    with migrated_database.session() as session:
        add_case(session, "CASE-NAMED", NAMED).instansi_id = "A1"
    runner = CliRunner(env={"SBT_DATABASE_URL": migrated_database.url})
    config = ["--config", str(project_dir / "sbt.yaml")]
    for command in (["enforce", "run"], ["letters", "draft"]):
        done = runner.invoke(app, [*config, *command, "--as-of", PERINGATAN_DAY])
        assert done.exit_code == 0, done.output
    with migrated_database.session() as session:
        (number,) = session.scalars(select(Letter.number)).all()
        session.execute(update(Case).values(nip=CORRECTED))  # the NIP is corrected after drafting

    read = runner.invoke(app, [*config, "letters", "pdf", number, "--out", str(tmp_path / "l.pdf")])
    assert read.exit_code == 0, read.output

    settings = load_settings(project_dir / "sbt.yaml", env={"SBT_DATABASE_URL": migrated_database.url})
    key = access_key(settings)
    with migrated_database.session() as session:
        (access,) = session.scalars(
            select(PersonalDataAccess).where(PersonalDataAccess.target == "sbt-sync letters pdf")
        ).all()
        hashes = set(
            session.scalars(
                select(PersonalDataAccessNip.nip_hash).where(PersonalDataAccessNip.access_id == access.id)
            )
        )
        letter_id = session.scalar(select(Letter.id))
        assert letter_id is not None
        named = letter_nips(session, letter_id)
    assert hashes == {nip_hash(key, NAMED)}  # the person the PDF names, not today's NIP of the case
    assert named == [NAMED]
