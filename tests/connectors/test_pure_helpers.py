"""Table-driven tests of the connectors' pure helpers: headers, backoff, masking, cursors, names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.http import parse_link_header, parse_retry_after
from connectors.http.paging_since import SinceState
from connectors.redact import mask_nip, mask_nips, safe_url
from connectors.retry import RetryPolicy, backoff_delay
from connectors.sftp import is_in_progress

NOW = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),  # no header: our own backoff
        ("", None),
        ("120", 120.0),  # delay-seconds
        (" 3 ", 3.0),  # surrounding whitespace is tolerated
        ("0", 0.0),
        ("-5", None),  # negative is not delay-seconds; ignore rather than guess
        ("1.5", None),  # RFC 9110 allows only whole seconds
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),  # an HTTP date 30 s ahead
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # a date in the past means now
        ("Wednesday, 21-Oct-15 07:28:10 GMT", 10.0),  # obsolete RFC 850 form
        ("soon", None),  # garbage
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, {}),
        ('<https://h/x?offset=2>; rel="next"', {"next": "https://h/x?offset=2"}),
        ("<https://h/x?p=2>; rel=next", {"next": "https://h/x?p=2"}),  # unquoted rel
        (
            '<https://h/?p=1>; rel="prev", <https://h/?p=3>; rel="next"',
            {"prev": "https://h/?p=1", "next": "https://h/?p=3"},
        ),
        ('<https://h/?p=9>; rel="next last"', {"next": "https://h/?p=9", "last": "https://h/?p=9"}),
        ('<https://h/?a=1,2>; title="x, y"; rel="NEXT"', {"next": "https://h/?a=1,2"}),  # commas inside
        ('<https://h/?p=2>; type="json"', {}),  # no rel at all
        ("garbage", {}),
    ],
)
def test_parse_link_header_maps_relations_to_targets(header: str | None, expected: dict[str, str]) -> None:
    assert parse_link_header(header) == expected


POLICY = RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=10.0, jitter=0.5)


@pytest.mark.parametrize(
    ("attempt", "rand", "retry_after", "expected"),
    [
        (1, 0.0, None, 1.0),  # first retry: the initial backoff
        (3, 0.0, None, 4.0),  # doubles each attempt
        (10, 0.0, None, 10.0),  # capped at max_backoff
        (3, 0.999999, None, 2.000002),  # jitter shortens by up to half
        (2, 0.5, 7.0, 7.0),  # Retry-After replaces the backoff
        (2, 0.5, -1.0, 0.0),  # never a negative sleep
    ],
)
def test_backoff_delay_is_exponential_capped_and_jittered(
    attempt: int, rand: float, retry_after: float | None, expected: float
) -> None:
    delay = backoff_delay(attempt, POLICY, retry_after=retry_after, rand=lambda: rand)
    assert delay == pytest.approx(expected)


def test_retry_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198001012005011001", "**************1001"),
        ("NIP 198001012005011001 and 199003032015031003.", "NIP **************1001 and **************1003."),
        ("1980010120050110019", "1980010120050110019"),  # 19 digits: not a NIP, left alone
        ("no nip here", "no nip here"),
    ],
)
def test_mask_nips_keeps_only_the_last_four_digits(text: str, expected: str) -> None:
    assert mask_nips(text) == expected


def test_mask_nip_hides_short_values_entirely() -> None:
    assert mask_nip("198001012005011001") == "**************1001"
    assert mask_nip("123") == "***"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/api?page=2", "https://h/api?page=2"),
        ("https://h/api?api_key=s3cret&page=2", "https://h/api?api_key=***&page=2"),  # secret masked
        ("https://user:pw@h:8443/x?access_token=abc", "https://h:8443/x?access_token=***"),  # userinfo gone
        ("https://h/pns/data-utama/198001012005011001", "https://h/pns/data-utama/**************1001"),
    ],
)
def test_safe_url_removes_secrets_and_nips(url: str, expected: str) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize(
    ("cursor", "state"),
    [
        (None, SinceState()),
        ("2024-11-27T15:00:00+07:00", SinceState(since="2024-11-27T15:00:00+07:00")),  # between runs
        (
            '{"since":null,"until":"2024-11-27T15:00:00+07:00","at":3}',
            SinceState(None, "2024-11-27T15:00:00+07:00", 3),
        ),
    ],
)
def test_since_cursor_round_trips(cursor: str | None, state: SinceState) -> None:
    assert SinceState.parse(cursor) == state
    assert state.dump() == cursor


def test_finished_since_cursor_is_the_snapshot_instant() -> None:
    assert (
        SinceState("2024-01-01T00:00:00+00:00", "2024-11-27T08:00:00+00:00").dump()
        == "2024-11-27T08:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tindak_lanjut_20241127.csv", False),
        ("tindak_lanjut_20241127.csv.part", True),
        ("data.CSV.TMP", True),  # suffixes compare case-insensitively
        ("upload.filepart", True),
        (".tindak_lanjut_20241127.csv", True),  # hidden upload names
        ("partial_report.csv", False),  # "part" inside a name is not a suffix
    ],
)
def test_in_progress_names_are_recognised(name: str, expected: bool) -> None:
    assert is_in_progress(name, (".part", ".tmp", ".filepart")) is expected
