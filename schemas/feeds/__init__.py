"""The feed contracts, one per source: ``FEEDS[name]`` is the source's :class:`FeedSpec`.

A seventh agency with an existing protocol is a new entry in ``sbt.yaml`` plus a module here.
"""

from __future__ import annotations

from schemas.feeds import bawaslu, bkn_wasdal, idis, imut, kasn, kemendagri, kemenpanrb
from schemas.feeds.base import FeedSpec, Row, Staged

FEEDS: dict[str, FeedSpec] = {
    module.FEED.source: module.FEED
    for module in (bawaslu, bkn_wasdal, idis, imut, kasn, kemendagri, kemenpanrb)
}
CASELESS_SOURCES = frozenset({imut.FEED.source})
"""Sources whose records are no neutrality records (I-MUT's personnel actions): they land, validate,
quarantine and stage like every source, but case linking and identity resolution never read them."""

__all__ = ["CASELESS_SOURCES", "FEEDS", "FeedSpec", "Row", "Staged"]
