"""The paginators and auth strategies against the sandbox's agency simulators, over TLS."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from connectors.errors import AuthenticationError
from connectors.http import (
    CursorPaginator,
    LinkHeaderPaginator,
    OAuth2ClientCredentialsAuth,
    Page,
    PageNumberPaginator,
    SiasnTokenAuth,
)
from connectors.http.paging import Paginator
from connectors.retry import RetryPolicy
from sbt_sync.sandbox.runtime import Sandbox
from tests.connectors.helpers_sandbox import (
    RECORDS_PER_SOURCE,
    T0,
    bawaslu_auth,
    http_client,
    siasn_credentials,
    wasdal_credentials,
)

pytestmark = pytest.mark.integration


def keys(pages: list[Page], field: str) -> list[str]:
    return [str(item[field]) for page in pages for item in page.items]


def publish(box: Sandbox, source: str, key: str, field: str) -> None:
    """Move the clock a minute on and publish a new record version there (an increment)."""
    box.clock.set(box.clock.now() + timedelta(minutes=1), frozen=True)
    box.sources[source].add(key, {field: key, "nip": None}, box.clock.now())


def run(paginator: Paginator, cursor: str | None) -> tuple[list[Page], str | None]:
    pages = list(paginator.pages(cursor))
    assert pages[-1].last and not any(page.last for page in pages[:-1])
    return pages, pages[-1].cursor


def test_page_number_paging_lists_everything_then_only_the_increment(sandbox: Sandbox) -> None:
    url = sandbox.endpoints.bawaslu_url
    paginator = PageNumberPaginator(http_client(sandbox), url, auth=bawaslu_auth(sandbox), page_size=2)
    pages, cursor = run(paginator, None)
    assert [len(page.items) for page in pages] == [2, 2, 1]
    assert keys(pages, "nomor_register") == [f"REG-{n:03d}" for n in range(RECORDS_PER_SOURCE)]
    assert cursor is not None and cursor.startswith("2024-11-27T15:00:00")  # the snapshot, WIB
    publish(sandbox, "bawaslu", "REG-100", "nomor_register")
    pages, _ = run(paginator, cursor)
    assert keys(pages, "nomor_register") == ["REG-100"]


def test_page_number_paging_resumes_mid_listing_in_the_same_snapshot(sandbox: Sandbox) -> None:
    url = sandbox.endpoints.bawaslu_url
    paginator = PageNumberPaginator(http_client(sandbox), url, auth=bawaslu_auth(sandbox), page_size=2)
    first = next(iter(paginator.pages(None)))
    # A record published after page 1 must not shift the pages of the interrupted run...
    publish(sandbox, "bawaslu", "REG-100", "nomor_register")
    rest, cursor = run(paginator, first.cursor)
    assert keys([first, *rest], "nomor_register") == [f"REG-{n:03d}" for n in range(RECORDS_PER_SOURCE)]
    # ...and arrives with the next increment.
    pages, _ = run(paginator, cursor)
    assert keys(pages, "nomor_register") == ["REG-100"]


def test_cursor_paging_persists_the_sync_cursor_and_resumes_with_the_increment(sandbox: Sandbox) -> None:
    auth = OAuth2ClientCredentialsAuth(wasdal_credentials(sandbox))
    paginator = CursorPaginator(
        http_client(sandbox), sandbox.endpoints.bkn_wasdal_url, auth=auth, page_size=2
    )
    pages, cursor = run(paginator, None)
    assert keys(pages, "id") == [f"bkn_wasdal-{n:03d}" for n in range(RECORDS_PER_SOURCE)]
    pages, same = run(paginator, cursor)
    assert keys(pages, "id") == [] and same == cursor  # nothing new: the cursor stays put
    publish(sandbox, "bkn_wasdal", "bkn_wasdal-100", "id")
    pages, _ = run(paginator, cursor)
    assert keys(pages, "id") == ["bkn_wasdal-100"]


def test_link_header_paging_with_siasn_tokens_follows_next_links(sandbox: Sandbox) -> None:
    auth = SiasnTokenAuth(siasn_credentials(sandbox, idis=True))
    paginator = LinkHeaderPaginator(http_client(sandbox), sandbox.endpoints.idis_url, auth=auth, page_size=2)
    pages, cursor = run(paginator, None)
    assert keys(pages, "id") == [f"idis-{n:03d}" for n in range(RECORDS_PER_SOURCE)]
    assert pages[0].cursor is not None and '"at":"https://' in pages[0].cursor  # resume at the next link
    assert cursor == T0.isoformat()
    publish(sandbox, "idis", "idis-100", "id")
    pages, _ = run(paginator, cursor)
    assert keys(pages, "id") == ["idis-100"]


@pytest.mark.xdist_group("serial")  # bounds a wait in seconds: runs alone (tests/support/scheduling.py)
def test_expired_tokens_are_renewed_once_on_401(sandbox: Sandbox) -> None:
    auth = SiasnTokenAuth(siasn_credentials(sandbox, idis=True))
    http = http_client(sandbox)
    http.request("GET", sandbox.endpoints.idis_url, auth=auth)  # both tokens fetched and cached
    time.sleep(1.1)
    sandbox.faults.set("idis", token_ttl_seconds=1)  # the server now expires tokens older than 1 s
    assert http.request("GET", sandbox.endpoints.idis_url, auth=auth).status == 200
    assert http.stats.snapshot() == {"token_refresh": 1}


def test_a_401_that_survives_fresh_tokens_is_an_authentication_error(sandbox: Sandbox) -> None:
    sandbox.faults.set("idis", token_ttl_seconds=0)  # tokens are born expired
    http = http_client(sandbox)
    with pytest.raises(AuthenticationError, match="HTTP 401"):
        http.request(
            "GET", sandbox.endpoints.idis_url, auth=SiasnTokenAuth(siasn_credentials(sandbox, idis=True))
        )
    assert http.stats.snapshot() == {"token_refresh": 1}  # renewed once, not in a loop


def test_agency_faults_are_absorbed_by_retries(sandbox: Sandbox) -> None:
    sandbox.faults.set(
        "bawaslu", error_5xx_rate=0.3, truncate_rate=0.3, throttle_rate=0.2, retry_after_seconds=0
    )
    http = http_client(sandbox, retry=RetryPolicy(max_attempts=10, initial_backoff=0.001, max_backoff=0.01))
    paginator = PageNumberPaginator(
        http, sandbox.endpoints.bawaslu_url, auth=bawaslu_auth(sandbox), page_size=1
    )
    pages, _ = run(paginator, None)
    assert keys(pages, "nomor_register") == [f"REG-{n:03d}" for n in range(RECORDS_PER_SOURCE)]
    assert http.stats.retries > 0
