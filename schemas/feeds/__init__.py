"""The feed contracts, one per source: ``FEEDS[name]`` is the source's :class:`FeedSpec`.

A seventh agency with an existing protocol is a new entry in ``sbt.yaml`` plus a module here.
"""

from __future__ import annotations

from schemas.feeds import bawaslu, bkn_wasdal, idis, kasn, kemendagri, kemenpanrb
from schemas.feeds.base import FeedSpec, Row, Staged

FEEDS: dict[str, FeedSpec] = {
    module.FEED.source: module.FEED for module in (bawaslu, bkn_wasdal, idis, kasn, kemendagri, kemenpanrb)
}

__all__ = ["FEEDS", "FeedSpec", "Row", "Staged"]
