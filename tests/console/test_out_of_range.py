"""Ids and days a URL or a form can carry but no table holds are refused in words, never a server error,
on both backends (PostgreSQL raises on an integer beyond 32 bits; a day near year 1 or 9999 overflows
when its bounds are taken to UTC)."""

from __future__ import annotations

import pytest

from sbt_sync.console.web import ID_MAX
from tests.console.conftest import World, csrf_of

BIG = "9" * 25
JUST_OVER = str(ID_MAX + 1)


@pytest.mark.parametrize(
    "path",
    [
        f"/cases/{BIG}",
        f"/cases/{JUST_OVER}",
        f"/cases/{BIG}/correct",
        f"/cases/{BIG}/correct/preview",
        f"/conflicts/{BIG}",
        f"/imut/{BIG}",
        f"/letters/{BIG}",
        f"/letters/{BIG}/pdf",
        f"/audit?entry={BIG}",
        f"/audit.csv?entry={BIG}",
        f"/conflicts?case_id={BIG}",
        f"/cases/1/correct?record={BIG}",
        "/cases/0",  # ids start at 1
    ],
)
def test_an_id_no_table_can_hold_is_a_bad_request_page(world: World, path: str) -> None:
    answer = world.login("admin").get(path)
    assert answer.status_code == 400
    assert "Isian formulir tidak valid." in answer.text  # the console's own page, in Indonesian


def test_the_largest_id_a_table_holds_is_simply_not_found(world: World) -> None:
    admin = world.login("admin")
    for path in (f"/cases/{ID_MAX}", f"/conflicts/{ID_MAX}", f"/imut/{ID_MAX}", f"/letters/{ID_MAX}"):
        assert admin.get(path).status_code == 404, path


def test_an_out_of_range_id_in_a_form_is_refused_before_any_write(world: World) -> None:
    admin = world.login("admin")
    token = csrf_of(admin, "/conflicts")
    posts = {
        f"/conflicts/{BIG}/resolve": {"value": "H1", "reason": "uji"},
        f"/conflicts/{BIG}/claim": {},
        f"/quarantine/{BIG}/status": {"status": "ignored", "reason": "uji"},
        "/conflicts/bulk": {"reason": "uji", "choice": "top", "ids": BIG},
    }
    for path, form in posts.items():
        assert admin.post(path, data={**form, "csrf_token": token}).status_code == 400, path


@pytest.mark.parametrize(
    ("path", "said"),
    [
        (
            "/audit?since=0001-01-01",
            "Tanggal di luar rentang yang dapat dicari (dari 1900-01-01 sampai 2999-12-31).",
        ),
        ("/audit?until=9999-12-31", "Tanggal di luar rentang"),
        ("/audit.xlsx?until=9999-12-31", "Tanggal di luar rentang"),
        ("/audit.csv?since=0001-01-01", "Tanggal di luar rentang"),
        ("/admin/access-log?day=9999-12-31", "Tanggal di luar rentang"),
        ("/admin/access-log?day=0001-01-01", "Tanggal di luar rentang"),
        ("/audit?since=31-12-2026", "Tanggal tidak valid: tulis sebagai TTTT-BB-HH"),
        ("/admin/access-log?day=2026-02-30", "Tanggal tidak valid"),
    ],
)
def test_a_day_out_of_range_or_not_a_date_is_a_bad_request_in_words(
    world: World, path: str, said: str
) -> None:
    answer = world.login("admin").get(path)
    assert answer.status_code == 400 and said in answer.text


def test_the_range_message_speaks_english_when_asked(world: World) -> None:
    admin = world.login("admin")
    admin.get("/lang/en")
    answer = admin.get("/audit?since=0001-01-01")
    assert answer.status_code == 400
    assert "The date is outside the range that can be searched (1900-01-01 to 2999-12-31)." in answer.text
