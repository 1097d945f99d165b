"""The feed checks as registered Pandera check methods: named as the quarantine records them, usable
as ``pa.Check.<name>()``, and registered idempotently."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas import checks
from schemas.feeds import FEEDS
from tests.conftest import REPO_ROOT


@pytest.mark.parametrize(
    ("check", "values", "passed"),
    [
        # blanks pass every check: whether a column may be empty is its own nullable setting
        ("acceptable_nip", ["198001012005011001", "1.98010062011112E+17", "  "], [True, False, True]),
        ("dmy_date", ["29-02-2024", "30-02-2024", "2024-02-29"], [True, False, False]),
        ("iso_date", ["2024-02-29", "2023-02-29", "29-02-2024"], [True, False, False]),
        (
            "iso_datetime_with_offset",
            ["2024-02-29T10:00:00+07:00", "2024-02-29T10:00:00", "2024-02-30T10:00:00Z"],
            [True, False, False],
        ),
        ("known_sanction_code", ["1", "999", " "], [True, False, True]),
        ("known_sanction_name", ["teguran lisan", "Hukuman Mati", ""], [True, False, True]),
    ],
)
def test_each_check_is_a_check_method_named_as_the_quarantine_records_it(
    check: str, values: list[str], passed: list[bool]
) -> None:
    method = getattr(pa.Check, check)()
    assert method.name == check
    assert method.error is None  # the failure case names the check by its name alone
    result = method(pd.Series(values, dtype=object))
    assert result.check_output.tolist() == passed


def test_every_feed_uses_only_registered_or_builtin_checks() -> None:
    registered = {check.__name__ for check in checks.REGISTERED_CHECKS}
    used = {
        check.name
        for feed in FEEDS.values()
        for column in feed.model.to_schema().columns.values()
        for check in column.checks
    }
    assert registered <= used  # none registered in vain
    assert used - registered <= {"isin", "str_matches", "greater_than_or_equal_to"}


def test_another_function_under_a_registered_name_is_refused() -> None:
    def acceptable_nip(series: pd.Series) -> pd.Series:
        return series.notna()

    before = pa.Check.REGISTERED_CUSTOM_CHECKS["acceptable_nip"]
    with pytest.raises(ValueError, match=r"pa\.Check\.acceptable_nip is already registered"):
        checks._register(acceptable_nip)
    assert pa.Check.REGISTERED_CUSTOM_CHECKS["acceptable_nip"] is before


def test_registration_survives_a_reload_and_modules_importing_it_again() -> None:
    # In a fresh interpreter: reloading would swap module state under the rest of this test session.
    script = textwrap.dedent(
        """
        import importlib
        import pandas as pd
        import pandera.pandas as pa
        import schemas.checks, schemas.feeds.base, schemas.feeds.kasn
        importlib.reload(schemas.checks)
        importlib.reload(schemas.feeds.kasn)  # builds its model again against the new registration
        frame = pd.DataFrame({"NIP": ["1.98010062011112E+17"]}, dtype=object)
        column = schemas.feeds.kasn.KasnFeed.to_schema().columns["NIP"]
        try:
            pa.DataFrameSchema({"NIP": column}).validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            print(sorted(set(errors.failure_cases["check"])))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['acceptable_nip']"
