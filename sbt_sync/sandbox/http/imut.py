"""I-MUT simulator: personnel actions decided by PPKs, SIASN-style two tokens, ``Link`` paging.

``GET /apiimut/1.0/tindakan-kepegawaian`` as described in :mod:`sbt_sync.sandbox.http.siasn_listing`
(the same query parameters, envelope and paging as I'DIS). One record per action (DATA_FORMAT.md,
``http/imut.jsonl``); a later version of an action (an approval arriving, a report date filled in)
is served again with a newer ``updatedAt`` and reaches ``updatedSince`` clients.
"""

from __future__ import annotations

from sbt_sync.sandbox.http.siasn_listing import SiasnListingSimulator

RECORDS_PATH = "/apiimut/1.0/tindakan-kepegawaian"


class ImutSimulator(SiasnListingSimulator):
    endpoint = "imut"
    records_path = RECORDS_PATH
