"""The viewer scope holds for every agency, not only the one the scope test's world is drawn around.

In :mod:`tests.console.test_viewer_scope`'s world a Kemendagri viewer owns a row of case X (which also
holds Bawaslu's, BKN Wasdal's and I'DIS's) and case Y. For them Bawaslu's register and record keys,
BKN Wasdal's recommendation numbers, I'DIS's SK and sanction code, and the people of cases W and V
(Bawaslu's and I'DIS's only) are another agency's values. The viewer walks every GET route, the
downloads (recap, quarantine) and the searches (header search, case list, API) for terms that would
find those values: none appears in any answer, while cases X and Y are answered.
"""

from __future__ import annotations

import io
import re
import zipfile

from httpx import Response

from sbt_sync.console.users import add_user, create_token
from tests.console import searching
from tests.console.conftest import PASSWORD
from tests.console.test_viewer_scope import NIP_V, NIP_W, Scene, _urls, scene  # noqa: F401

OTHERS = ("REG-OWN", "BWS-OWN", "FORM-OWN", "SANKSI-OWN", "Q-OWN", "REC-FOREIGN-7788", "SK-FOREIGN-991",
          "H-FOREIGN-21", "WAS-FOREIGN", "IDIS-FOREIGN", "Q-FOREIGN-2", "REC-FOREIGN-W", "SK-FOREIGN-V",
          "H-FOREIGN-V", "Sri Wahyuni", "Rina", NIP_W, NIP_V)  # fmt: skip
DOWNLOADS = ("/recap.csv", "/recap.xlsx", "/quarantine.csv", "/quarantine.xlsx?status=all")
TERMS = (
    "Budi",
    "Santos",
    "PILKADA2024",
    "REG-OWN",
    "REC-FOREIGN",
    "Rina",
    "Sri",
    "KMD",
    "1980",
    "SK-",
    "FOREIGN",
)


def _text(response: Response) -> str:
    """The answer as text (an XLSX's parts unzipped), without the search box's echo of what was typed."""
    if response.content[:2] == b"PK":
        book = zipfile.ZipFile(io.BytesIO(response.content))
        return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return re.sub(r'(name="q" value=")[^"]*"', r'\1"', response.text)


def _without_echo(text: str, term: str) -> str:
    """A results page repeats the term it was asked for ("Hasil untuk «REG-OWN»"): that is not a leak."""
    return text.replace(f"«{term}»", "«»")


def test_a_kemendagri_viewer_sees_no_value_of_another_agencys_record_anywhere(scene: Scene) -> None:  # noqa: F811
    add_user(scene.database, scene.settings, username="kmd", password=PASSWORD, role="agency_viewer",
             agency="kemendagri", actor="test")  # fmt: skip
    token, _ = create_token(scene.database, "kmd", name="test", days=1, actor="test")
    viewer, headers = scene.login("kmd"), {"Authorization": f"Bearer {token}"}
    leaks: list[tuple[str, str]] = []
    answered: set[str] = set()
    for url in [*_urls(scene), *DOWNLOADS]:
        response = viewer.get(url, headers=headers if url.startswith("/api/") else {})
        assert response.status_code < 500, url
        if response.status_code == 200:
            answered.add(url.partition("?")[0])
            leaks += [(url, value) for value in OTHERS if value in _text(response)]
    for term in TERMS:
        answers = {
            f"search {term}": _without_echo(_text(searching.search(viewer, term)), term),
            f"cases {term}": _text(searching.cases(viewer, term)),
            f"api {term}": viewer.post("/api/v1/cases/search", json={"q": term}, headers=headers).text,
        }
        leaks += [(where, value) for where, text in answers.items() for value in OTHERS if value in text]
    assert not leaks, leaks
    ids = scene.ids
    assert {f"/cases/{ids['case_x']}", f"/cases/{ids['case_y']}", "/imut", "/quarantine.csv"} <= answered
    assert f"/cases/{ids['case_w']}" not in answered and f"/cases/{ids['case_v']}" not in answered
