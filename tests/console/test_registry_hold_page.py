"""A case held because SIASN cannot vouch for its ASN's registry row reads, on the case page, in the
console's words (both backends): SIASN no longer knows the NIP, or sent a kedudukan code we do not know."""

from __future__ import annotations

from typing import Any

import pytest

from sbt_sync.console.holds import HoldPart, parse_hold
from sbt_sync.ingest.registry import doubt_words, lookup_registry
from tests.console.test_link_pages import Desk, desk  # noqa: F401  (a fixture)
from tests.reconcile.test_database_property import NIP_A, project_settings  # noqa: F401  (a fixture)
from tests.support.registry import registry_item

pytestmark = pytest.mark.integration

UNKNOWN_CODE = registry_item(NIP_A, "BUDI SANTOSO") | {"kedudukanPnsId": "15", "kedudukanPnsNama": "?"}


def test_parse_hold_reads_the_registry_clauses() -> None:
    nip, code = doubt_words("not_found"), doubt_words("unknown_kedudukan:15")
    assert parse_hold(f"{nip}; {code}") == [
        HoldPart("registry_nip", nip),
        HoldPart("registry_kedudukan", code, code="15"),
    ]


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (None, "SIASN tidak lagi mengenal NIP ASN kasus ini"),
        (UNKNOWN_CODE, "SIASN mengirim kode kedudukan yang tidak dikenal (15)"),
    ],
    ids=["404", "unknown-kedudukan"],
)
def test_the_case_page_says_why_siasn_holds_the_case(
    desk: Desk,  # noqa: F811
    answer: dict[str, Any] | None,
    words: str,
) -> None:
    lookup_registry(desk.database, lambda nip: answer, [NIP_A])
    desk.reconcile(1)
    steward = desk.login("steward")
    page = steward.get(f"/cases/{desk.case_of(desk.recommendation)}").text
    assert "Mengapa kasus ini ditahan" in page and words in page
    assert "registry:" not in page  # the reconciliation's English is rendered in words
