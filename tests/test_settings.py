"""sbt.yaml parsing: the committed file is valid, and every kind of mistake is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sbt_sync.errors import ConfigError
from sbt_sync.ingest import connections
from sbt_sync.settings import load_settings
from tests.conftest import REPO_ROOT


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _committed() -> dict[str, object]:
    loaded = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_committed_config_declares_the_seven_sources_and_siasn() -> None:
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    assert set(settings.sources) == {
        "bawaslu", "bkn_wasdal", "idis", "imut", "kasn", "kemendagri", "kemenpanrb",
    }  # fmt: skip
    assert {s.kind for s in settings.sources.values()} == {"http", "sftp"}
    assert settings.siasn is not None
    assert settings.enforcement.follow_up_days == 10


def test_relative_sqlite_path_is_resolved_against_the_config_folder(tmp_path: Path) -> None:
    path = _write(tmp_path, {"database": {"url": "sqlite:///var/x.db"}})
    assert load_settings(path, env={}).database_url == f"sqlite:///{tmp_path / 'var/x.db'}"


def test_env_overrides_config_path_and_database_url(tmp_path: Path) -> None:
    path = _write(tmp_path, {"database": {"url": "sqlite:///a.db"}})
    env = {"SBT_CONFIG": str(path), "SBT_DATABASE_URL": "postgresql+psycopg2://u@h/db"}
    settings = load_settings(env=env)
    assert settings.config_path == path
    assert settings.database_url == "postgresql+psycopg2://u@h/db"


def _with(change: dict[str, object]) -> dict[str, object]:
    data = _committed()
    for dotted, value in change.items():
        node: dict[str, object] = data
        *parents, last = dotted.split(".")
        for part in parents:
            child = node[part]
            assert isinstance(child, dict)
            node = child
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a typo in a top-level section's key
        ({"database.urll": "sqlite:///x.db"}, "database.urll: unknown key"),
        # a typo inside a source's tagged union must name the source, not the union tag
        ({"sources.bawaslu.paging.size": 5}, "sources.bawaslu.paging.size: unknown key"),
        # a wrong type
        (
            {"enforcement.follow_up_days": "ten"},
            "enforcement.follow_up_days: Input should be a valid integer",
        ),
        # an out-of-range threshold
        ({"identity.auto_accept": 1.5}, "identity.auto_accept: Input should be less than or equal to 1"),
        # a secret written in place of its variable name
        (
            {"sources.bawaslu.auth.key_env": "s3cr3t-value"},
            "sources.bawaslu.auth.key_env: String should match",
        ),
        # survivorship naming a source that is not configured
        ({"survivorship.sanction": ["idis", "kemendagri", "polri"]}, "unknown source 'polri'"),
    ],
)
def test_bad_config_fails_with_one_line_naming_file_and_key(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    path = _write(tmp_path, _with(change))
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_missing_secret_names_the_key_the_variable_and_the_file() -> None:
    settings = load_settings(REPO_ROOT / "sbt.yaml", env={})
    env = {var: "x" for _, var in settings.secret_refs()}
    settings.check_secrets(env)  # all set: passes
    del env["SBT_SIASN_PASSWORD"]
    with pytest.raises(ConfigError) as info:
        settings.check_secrets(env)
    assert str(info.value) == (
        f"{REPO_ROOT / 'sbt.yaml'}: sources.idis.auth.password_env: "
        "environment variable SBT_SIASN_PASSWORD is not set (a required secret)"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "configuration file not found"),
        ("database: [unclosed", "invalid YAML"),
        ("- just\n- a list\n", "the top level must be a mapping"),
    ],
)
def test_unreadable_config_is_one_clear_line(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "sbt.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_settings(path, env={})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://sbt:hunter2@db:notaport/sbt", "not a database URL"),
        ("not a url at all", "not a database URL"),
        ("mysql+pymysql://sbt:hunter2@db/sbt", "unsupported database 'mysql+pymysql'"),
        ("postgresql+asyncpg://sbt:hunter2@db/sbt", "unsupported database 'postgresql+asyncpg'"),
    ],
)
def test_a_malformed_database_url_names_the_key_and_never_the_password(
    tmp_path: Path, url: str, expected: str
) -> None:
    path = _write(tmp_path, {"database": {"url": url}})
    with pytest.raises(ConfigError) as in_file:
        load_settings(path, env={})
    assert str(in_file.value).startswith(f"{path}: database.url: ") and expected in str(in_file.value)
    with pytest.raises(ConfigError) as in_env:
        load_settings(_write(tmp_path, {}), env={"SBT_DATABASE_URL": url})
    assert ": SBT_DATABASE_URL: " in str(in_env.value) and expected in str(in_env.value)
    assert "hunter2" not in str(in_file.value) + str(in_env.value)


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///var/x.db", "sqlite+pysqlite:///x.db", "postgresql://u:p@h:5433/db"]
)
def test_the_supported_database_urls_load(tmp_path: Path, url: str) -> None:
    load_settings(_write(tmp_path, {"database": {"url": url}}), env={})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # sbt.yaml says nothing: the defaults
        ({}, {"list_timeout": 300.0, "min_transfer_rate": 16384.0}),
        ({"sources.kasn.list_timeout_seconds": 7}, {"list_timeout": 7.0}),
        # a link known to be slow (a regional office's line) may be given longer for its files
        ({"sources.kasn.min_transfer_rate": 2048}, {"min_transfer_rate": 2048.0}),
    ],
)
def test_an_sftp_sources_listing_and_transfer_limits_reach_its_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, object], expected: dict[str, float]
) -> None:
    monkeypatch.setenv("SBT_SFTP_KEY_PATH", str(tmp_path / "key"))
    settings = load_settings(_write(tmp_path, _with(change)), env={})
    reader = connections.sftp_reader(settings, "kasn")
    assert {key: getattr(reader.settings, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("list_timeout_seconds", 0, "Input should be greater than 0"),
        ("list_timeout_seconds", "soon", "Input should be a valid number"),
        # zero would divide by zero; below a byte a second no file arrives within a run
        ("min_transfer_rate", 0, "Input should be greater than or equal to 1"),
        ("min_transfer_rate", -5, "Input should be greater than or equal to 1"),
    ],
)
def test_an_unusable_sftp_limit_is_refused_naming_the_key(
    tmp_path: Path, key: str, value: object, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_write(tmp_path, _with({f"sources.kasn.{key}": value})), env={})
    assert f"sources.kasn.{key}: {expected}" in str(info.value)
