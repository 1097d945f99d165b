"""Who may do what: the four roles, their permissions, and an agency viewer's scope.

One table, read by the web routes, the API and the role test (tests/console/test_roles.py), so the
rules are written once. An agency viewer sees only records of the sources their agency owns
(``sources.<name>.agency`` in sbt.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Permission = Literal[
    "dashboard.view",
    "conflicts.view",
    "conflicts.act",
    "cases.view",
    "cases.act",
    "quarantine.view",
    "quarantine.act",
    "push.view",
    "push.act",
    "audit.view",
    "feed.view",
    "imut.view",
    "imut.act",
    "letters.view",
    "letters.act",
    "compliance.view",
    "compliance.kemendagri",
    "pic.view",
    "pic.act",
    "access_log.view",
    "access_log.alerts",
    "pdp.subject",
]

_READ: frozenset[Permission] = frozenset(
    {"dashboard.view", "conflicts.view", "cases.view", "quarantine.view", "push.view", "audit.view"}
)
# Letters to PPKs, the compliance report and PIC addresses are BKN's (web_letters, web_compliance):
# stewards act on letters (release, retry), only admins change PIC addresses, auditors read.
_BKN_READ: frozenset[Permission] = frozenset(
    {"letters.view", "compliance.view", "compliance.kemendagri", "pic.view"}
)
# Who read personal data (web_access): the oversight of every reader, stewards included, so admins and the
# read-only auditors see it, not stewards nor agency viewers; unusual access is flagged to admins.
# pdp.subject: a person's whole record across every agency (web_pdp, UU 27/2022 subject access): admins.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    # cases.act: correct the crosswalk (move, assign, split, merge, undo), :mod:`web_links`.
    # imut.act: investigate, confirm or dismiss an I-MUT finding, :mod:`web_imut`.
    "admin": _READ | _BKN_READ | {"conflicts.act", "cases.act", "quarantine.act", "push.act", "feed.view",
                                  "imut.view", "imut.act", "letters.act", "pic.act", "access_log.view",
                                  "access_log.alerts", "pdp.subject"},
    "steward": _READ | _BKN_READ | {"conflicts.act", "cases.act", "quarantine.act", "push.act", "feed.view",
                                    "imut.view", "imut.act", "letters.act"},
    # Read-only over everything, the audit log included; SIASN's pull account is an auditor.
    "auditor": _READ | _BKN_READ | {"feed.view", "imut.view", "access_log.view"},
    # imut.view, compliance.kemendagri: only the agencies :func:`sbt_sync.steward.scope.imut_visible`
    # and :func:`sbt_sync.steward.scope.kemendagri_list_visible` name (Kemendagri).
    "agency_viewer": frozenset(
        {"dashboard.view", "conflicts.view", "cases.view", "quarantine.view", "imut.view",
         "compliance.kemendagri"}
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the routes see them."""

    id: int
    username: str
    display_name: str
    role: str
    agency: str | None
    sources: tuple[str, ...] | None
    """The sources this user may see; None means all (every role but agency viewer)."""
    channel: Literal["console", "api"] = "console"

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())

    def sees_source(self, source: str | None) -> bool:
        return self.sources is None or (source is not None and source in self.sources)
