"""The sandbox's credentials: generated at start unless given, handed to clients by ``up --json``.

I'DIS sits behind the same BKN API gateway and SSO realm as SIASN, so it accepts the same consumer
key/secret and operator account (and tokens issued by either simulator). The mail server takes a
login of its own (``smtp_username``/``smtp_password``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from sbt_sync.errors import SbtError


def _secret() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class SandboxCredentials:
    """Every secret the simulators check. ``repr`` hides the values so they never reach a log."""

    bawaslu_api_key: str
    bkn_wasdal_client_id: str
    bkn_wasdal_client_secret: str
    siasn_consumer_key: str
    siasn_consumer_secret: str
    siasn_sso_client_id: str
    siasn_username: str
    siasn_password: str
    smtp_username: str
    smtp_password: str

    def __repr__(self) -> str:
        return "SandboxCredentials(<hidden>)"

    @classmethod
    def generate(cls, **given: str) -> SandboxCredentials:
        """Fresh random credentials, with any of the fields fixed by ``given``.

        Raises ``SbtError`` on an unknown field name or an empty value.
        """
        names = {f.name for f in fields(cls)}
        unknown = set(given) - names
        if unknown:
            raise SbtError(f"unknown sandbox credential(s): {', '.join(sorted(unknown))}")
        empty = sorted(name for name, value in given.items() if not isinstance(value, str) or not value)
        if empty:
            raise SbtError(f"sandbox credential(s) must be non-empty strings: {', '.join(empty)}")
        values: dict[str, str] = {
            "bawaslu_api_key": _secret(),
            "bkn_wasdal_client_id": "sbt-sync-" + secrets.token_hex(4),
            "bkn_wasdal_client_secret": _secret(),
            "siasn_consumer_key": _secret(),
            "siasn_consumer_secret": _secret(),
            "siasn_sso_client_id": "sbt-sync",
            "siasn_username": "operator-" + secrets.token_hex(4),
            "siasn_password": _secret(),
            "smtp_username": "sbt-mailer-" + secrets.token_hex(4),
            "smtp_password": _secret(),
        }
        values.update(given)
        return cls(**values)

    @classmethod
    def from_file(cls, path: Path) -> SandboxCredentials:
        """Credentials from a JSON object file (any subset of the fields; the rest generated)."""
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SbtError(f"cannot read sandbox credentials from {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise SbtError(f"{path}: expected a JSON object of credential fields")
        return cls.generate(**data)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
