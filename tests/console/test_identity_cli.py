"""The CLI face of the steward's identity work, on both backends: the queue names the case an identity
conflict's row joined, a registry search compares each person with the row, and bulk "top" leaves
tied and disagreeing rows open, saying why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sbt_sync.cli import app
from sbt_sync.db.engine import Database
from tests.console.identity_world import FAUZI_CAMAT, RINA, TRI, seed_identity_world

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(
    migrated_database: Database, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], dict[str, int]]:
    monkeypatch.setenv("SBT_DATABASE_URL", migrated_database.url)
    return ["--config", str(project_dir / "sbt.yaml")], seed_identity_world(migrated_database)


def test_the_queue_names_the_case_an_unresolved_rows_conflict_joined(
    cli: tuple[list[str], dict[str, int]],
) -> None:
    config, ids = cli
    listed = CliRunner().invoke(app, [*config, "conflicts", "list", "--kind", "unresolved", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)["conflicts"]
    assert (row["id"], row["case_key"], row["kanreg"]) == (ids["unresolved"], "PILKADA-2024|rec:R-1", "II")
    text = CliRunner().invoke(app, [*config, "conflicts", "list", "--kanreg", "II", "--kind", "unresolved"])
    assert "PILKADA-2024|rec:R-1 (Kanreg II)" in text.output


def test_a_steward_finds_a_misspelt_name_from_the_cli_and_links_it(
    cli: tuple[list[str], dict[str, int]],
) -> None:
    config, ids = cli
    runner = CliRunner()
    found = runner.invoke(
        app,
        [*config, "conflicts", "search", "--name", "Tri Wijyaa", "--instansi", "Sampang",
         "--conflict", str(ids["unresolved"]), "--json"],
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    first = json.loads(found.output)[0]
    assert (first["nip"], first["name"], first["matches"]["name"], first["matches"]["instansi"]) == (
        TRI, "Tri Wijaya, S.Sos.", True, True,
    )  # fmt: skip
    text = runner.invoke(app, [*config, "conflicts", "search", "--nip", "19850412"])
    assert TRI in text.output and "Analis Kepegawaian" in text.output
    read = runner.invoke(app, [*config, "conflicts", "show", str(ids["unresolved"]), "--json"])
    basis = json.loads(read.output)["basis_hash"]
    done = runner.invoke(
        app,
        [*config, "conflicts", "resolve", str(ids["unresolved"]), "--value", TRI, "--reason", "salah ketik",
         "--by", "siti", "--basis", basis],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    empty = runner.invoke(app, [*config, "conflicts", "search", "--instansi", "Sampang"])
    assert empty.exit_code != 0 and "give a name" in str(empty.exception)


def test_bulk_top_from_the_cli_leaves_ties_and_disagreements_open_and_says_why(
    cli: tuple[list[str], dict[str, int]],
) -> None:
    config, ids = cli
    runner = CliRunner()
    shown = runner.invoke(app, [*config, "conflicts", "show", str(ids["tie"])])
    assert f"{FAUZI_CAMAT} 1.00 TIE" in shown.output and "position Camat Sreseh =" in shown.output
    wanted = [str(ids[k]) for k in ("tie", "disagrees", "clean")]
    ran = runner.invoke(
        app,
        [
            *config,
            "conflicts",
            "bulk-resolve",
            *wanted,
            "--answer",
            "top",
            "--reason",
            "daftar",
            "--by",
            "siti",
        ],
    )
    assert ran.exit_code == 0, ran.output
    assert "1 conflicts resolved by siti; 2 left open" in ran.output
    assert f"conflict {ids['tie']}: 2 candidates tie on the top score" in ran.output
    assert f"conflict {ids['disagrees']}: the top candidate differs from the row on position" in ran.output
    again = runner.invoke(app, [*config, "conflicts", "show", str(ids["clean"]), "--json"])
    assert json.loads(again.output)["decisions"][0]["decision"] == {"nip": RINA}
