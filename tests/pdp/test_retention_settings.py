"""The retention policy in sbt.yaml: the committed file documents every kind, and a wrong value is an
error at start naming the key and the file (never a purge with a policy nobody wrote)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sbt_sync.errors import ConfigError
from sbt_sync.settings import RetentionSettings, load_settings
from tests.conftest import REPO_ROOT


def test_the_committed_sbt_yaml_sets_every_kind_of_the_policy() -> None:
    written = yaml.safe_load((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"))["retention"]
    assert set(written) == set(RetentionSettings.model_fields)
    assert load_settings(REPO_ROOT / "sbt.yaml").retention == RetentionSettings(**written)


@pytest.mark.parametrize(
    ("retention", "said"),
    [
        ({"closed_case_days": 0}, "retention.closed_case_days"),  # zero would purge what closed today
        ({"access_log_days": -5}, "retention.access_log_days"),
        ({"downloads_days": "seminggu"}, "retention.downloads_days"),
        ({"raw_payloads_days": 30}, "retention.raw_payloads_days: unknown key"),  # a typo is not ignored
    ],
)
def test_a_wrong_retention_value_names_the_key_and_the_file(
    tmp_path: Path, retention: dict[str, object], said: str
) -> None:
    path = tmp_path / "sbt.yaml"
    path.write_text(yaml.safe_dump({"retention": retention}), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env={})
    assert str(path) in str(raised.value) and said in str(raised.value)
