"""A record key of an SFTP source names the agency's file (``<name>#<row>``): wherever the console
shows one, a bidi override or an invisible character in the name is shown escaped, never as it is
(U+202E would make ``laporan_<RLO>csv.exe.csv#1`` read backwards from there on). Both backends."""

from __future__ import annotations

import pytest

from tests.console.conftest import World, _case

pytestmark = pytest.mark.integration
KEY = "laporan_\u202ecsv.exe\u200b.csv#1"
ESCAPED = "laporan_\\u202ecsv.exe\\u200b.csv#1"
NIP = "198505052010011005"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_record_key_naming_a_file_with_a_bidi_override_is_shown_escaped_on_the_case_page(
    world: World, lang: str
) -> None:
    with world.database.session() as session:
        case, _staged = _case(session, "CASE-RLO", "kemendagri", KEY, NIP, "II")
        session.flush()
        case_id = case.id
    page = world.login("steward").get(f"/cases/{case_id}?lang={lang}").text
    assert ESCAPED in page
    assert "\u202e" not in page and "\u200b" not in page
