"""The search memory behind posted searches (:mod:`sbt_sync.console.searches`): ids are per session, the
same terms keep their id, and the bounds forget the least recently used search first."""

from __future__ import annotations

from sbt_sync.console.searches import SearchMemory


def test_an_id_is_its_sessions_and_the_same_terms_keep_their_id() -> None:
    memory = SearchMemory()
    kept = memory.remember("session-a", {"q": "Tri Wijaya"})
    assert memory.recall("session-a", kept) == {"q": "Tri Wijaya"}
    assert memory.recall("session-b", kept) is None  # another browser, or after logging in again
    assert memory.remember("session-a", {"q": "Tri Wijaya"}) == kept  # a reload makes no new id
    assert memory.remember("session-b", {"q": "Tri Wijaya"}) != kept
    assert memory.recall("session-a", "no-such-id-000000") is None


def test_the_bounds_forget_the_least_recently_used_search_first() -> None:
    memory = SearchMemory(per_session=3, total=5)
    first, second, third = (memory.remember("a", {"q": str(n)}) for n in range(3))
    assert memory.recall("a", first) == {"q": "0"}  # used again: now the most recent
    fourth = memory.remember("a", {"q": "3"})  # a fourth: the least recently used (second) goes
    assert memory.recall("a", second) is None
    assert memory.recall("a", first) == {"q": "0"} and memory.recall("a", third) == {"q": "2"}
    # "a" keeps fourth, first, third (in the order last used); three of "b" make 6 > total
    others = [memory.remember("b", {"q": str(n)}) for n in range(3)]
    assert memory.recall("a", fourth) is None  # the least recently used over every session goes
    assert memory.recall("a", first) == {"q": "0"} and all(memory.recall("b", i) for i in others)
    assert memory.remember("a", {"q": "1"}) != second  # a forgotten search gets a new id
