"""Table-driven tests of the connectors' pure helpers: headers, backoff, masking, cursors, names."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from tenacity import RetryCallState, Retrying

from connectors.http import parse_link_header, parse_retry_after
from connectors.http.paging_since import SinceState
from connectors.redact import mask_nip, mask_nips, safe_url
from connectors.retry import (
    RetryPolicy,
    RetryStats,
    backoff_delay,
    retrying,
    stop_by_policy,
    wait_retry_after,
)
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
        ("\u00b2", None),  # a superscript two: a digit to str.isdigit, not to RFC 9110
        ("\u0663", None),  # an Arabic-Indic three: likewise
        ("Wed, 21 Oct 2015 07:28:30", 30.0),  # a date without its zone is read as GMT
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


POLICY = RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=10.0, jitter=0.5, max_retry_after=60.0)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 0.0, 1.0),  # first retry: the initial backoff
        (3, 0.0, 4.0),  # doubles each attempt
        (10, 0.0, 10.0),  # capped at max_backoff
        (3, 0.999999, 2.000002),  # jitter shortens by up to half
    ],
)
def test_backoff_delay_is_exponential_capped_and_jittered(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, POLICY, rand=lambda: rand) == pytest.approx(expected)


class Throttled(Exception):
    """A failure carrying the server's wish, as the connector exceptions do."""

    def __init__(self, retry_after: float | str | None) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


def failed_state(exc: BaseException, *, attempt: int = 1, elapsed: float = 0.0) -> RetryCallState:
    """The state tenacity hands a wait or stop after attempt ``attempt`` failed with ``exc``."""
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    assert state.outcome_timestamp is not None
    state.start_time = state.outcome_timestamp - elapsed
    return state


@pytest.mark.parametrize(
    ("retry_after", "attempt", "expected"),
    [
        (None, 1, 1.0),  # the server said nothing: our backoff
        (None, 3, 4.0),
        (7.0, 1, 7.0),  # delay-seconds already parsed by the connector
        ("7", 3, 7.0),  # delay-seconds as the header said it, replacing the longer backoff too
        ("0", 2, 0.0),  # "now" is honoured: no backoff on top
        ("Wed, 21 Oct 2015 07:28:30 GMT", 1, 30.0),  # an HTTP date, 30 s after NOW
        ("Wed, 21 Oct 2015 07:27:00 GMT", 1, 0.0),  # an HTTP date already past: at once
        ("3600", 1, 60.0),  # capped at max_retry_after (the stop ends such a loop anyway)
        ("soon", 1, 1.0),  # malformed: ignored, our backoff instead
        ("-5", 2, 2.0),  # negative: ignored
        ("1.5", 1, 1.0),  # fractional seconds are not delay-seconds
        ("\u00b2", 1, 1.0),  # a superscript two is a digit to str.isdigit, not to RFC 9110
        (-1.0, 1, 1.0),  # a negative number from a connector: ignored too
        (float("nan"), 1, 1.0),
    ],
)
def test_the_wait_honours_retry_after_in_both_forms_and_ignores_nonsense(
    retry_after: float | str | None, attempt: int, expected: float
) -> None:
    wait = wait_retry_after(POLICY, rand=lambda: 0.0, now=lambda: NOW)
    assert wait(failed_state(Throttled(retry_after), attempt=attempt)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("retry_after", "elapsed", "expected"),
    [
        ("7", 0.0, 7.0),
        ("7", 8.0, 2.0),  # the server's wait is cut to end at the deadline
        (None, 9.5, 0.5),  # so is our backoff
        (None, 12.0, 0.0),  # past it: never a negative wait (the stop ends the loop)
    ],
)
def test_the_wait_ends_by_the_deadline(retry_after: str | None, elapsed: float, expected: float) -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=10.0, jitter=0.0, deadline=10.0)
    wait = wait_retry_after(policy, now=lambda: NOW)
    assert wait(failed_state(Throttled(retry_after), attempt=1, elapsed=elapsed)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("retry_after", "attempt", "elapsed", "stops"),
    [
        (None, 1, 0.0, False),
        (None, 6, 0.0, True),  # max_attempts counts the first try
        ("60", 1, 0.0, False),  # exactly the cap: still waited for
        ("61", 1, 0.0, True),  # longer than we wait: give up now, the caller comes back later
        ("Wed, 21 Oct 2015 08:28:00 GMT", 1, 0.0, True),  # an hour away, as an HTTP date
        ("garbage", 1, 0.0, False),  # malformed: not a reason to stop
        (None, 2, 30.0, True),  # the deadline has passed
    ],
)
def test_the_stop_counts_attempts_and_refuses_long_retry_after(
    retry_after: str | None, attempt: int, elapsed: float, stops: bool
) -> None:
    policy = RetryPolicy(max_attempts=6, max_retry_after=60.0, deadline=30.0)
    stop = stop_by_policy(policy, now=lambda: NOW)
    assert stop(failed_state(Throttled(retry_after), attempt=attempt, elapsed=elapsed)) is stops


def test_the_factory_retries_what_it_is_told_counts_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    failures: list[BaseException] = [Throttled("2"), ConnectionError("reset")]
    sleeps: list[float] = []

    def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    stats = RetryStats()
    loop = retrying(
        RetryPolicy(max_attempts=3, initial_backoff=0.5, jitter=0.0),
        retry_on=(Throttled, ConnectionError),
        stats=stats,
        logger=logging.getLogger("tests.retry"),
        reason=lambda exc: type(exc).__name__,
        sleep=sleeps.append,
    )
    with caplog.at_level(logging.WARNING, logger="tests.retry"):
        assert loop(flaky) == "done"
    assert sleeps == [2.0, 1.0]  # the server's 2 s, then the second backoff step
    assert loop.statistics["attempt_number"] == 3
    assert stats.snapshot() == {"Throttled": 1, "ConnectionError": 1}
    assert caplog.messages == [
        "busy; attempt 1 of 3, retrying in 2.00 s",
        "reset; attempt 2 of 3, retrying in 1.00 s",
    ]


def test_the_factory_reraises_what_it_must_not_retry_and_the_last_failure() -> None:
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise PermissionError("no")

    loop = retrying(
        RetryPolicy(max_attempts=3),
        retry_on=lambda exc: isinstance(exc, OSError) and not isinstance(exc, PermissionError),
        sleep=lambda _: None,
    )
    with pytest.raises(PermissionError):
        loop(refused)
    assert len(calls) == 1

    def always_reset() -> None:
        calls.append(1)
        raise ConnectionResetError("reset")

    calls.clear()
    with pytest.raises(ConnectionResetError):
        loop(always_reset)
    assert len(calls) == 3


def test_retry_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)


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
