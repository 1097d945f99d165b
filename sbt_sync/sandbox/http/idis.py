"""I'DIS simulator: disciplinary sanctions imposed by PPKs, SIASN-style two tokens, ``Link`` paging.

``GET /apiidis/1.0/hukuman-disiplin`` as described in :mod:`sbt_sync.sandbox.http.siasn_listing`.
Records keep I'DIS's dd-mm-yyyy dates.
"""

from __future__ import annotations

from sbt_sync.sandbox.http.siasn_listing import SiasnListingSimulator

RECORDS_PATH = "/apiidis/1.0/hukuman-disiplin"


class IdisSimulator(SiasnListingSimulator):
    endpoint = "idis"
    records_path = RECORDS_PATH
