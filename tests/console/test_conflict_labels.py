"""The facts of a conflict page are labelled alike: every label starts with a capital letter, the
"reopened" one too (it was the queue badge's lower-case word), in both languages."""

from __future__ import annotations

import re

from sqlalchemy import update

from sbt_sync.db.models import Conflict
from tests.console.conftest import World


def test_every_fact_label_of_a_reopened_conflict_is_capitalised_in_both_languages(world: World) -> None:
    conflict_id = world.ids["conflict_a"]
    with world.database.session() as session:
        session.execute(
            update(Conflict)
            .where(Conflict.id == conflict_id)
            .values(reopened_reason="reopened by a steward on 2026-11-21: salah pilih")
        )
    steward = world.login("steward")
    for lang, reopened in (("id", "Dibuka kembali"), ("en", "Reopened")):
        page = steward.get(f"/conflicts/{conflict_id}?lang={lang}").text
        facts = page[page.index('<dl class="facts">') : page.index("</dl>")]
        labels = re.findall(r"<dt>([^<]*)</dt>", facts)
        assert reopened in labels, labels
        assert all(label[:1].isupper() or not label[:1].isalpha() for label in labels), labels
