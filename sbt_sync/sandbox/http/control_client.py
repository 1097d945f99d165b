"""A small client for the sandbox control server, used by the ``sbt-sync sandbox ...`` commands.

The control URL comes from ``--control`` or from the state file ``up`` writes
(``<state dir>/state.json``, default ``var/sandbox/state.json`` under the current directory).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sbt_sync.errors import SbtError

DEFAULT_STATE_DIR = Path("var/sandbox")
STATE_FILE_NAME = "state.json"
_TIMEOUT_SECONDS = 10


def read_state(state_dir: Path) -> dict[str, Any]:
    """The JSON a running ``up`` wrote to ``state_dir``; ``SbtError`` if there is none."""
    path = state_dir / STATE_FILE_NAME
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SbtError(
            f"no running sandbox: {path} does not exist (start one with `sbt-sync sandbox up`)"
        ) from None
    except (OSError, ValueError) as exc:
        raise SbtError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("control_url"), str):
        raise SbtError(f"{path} has no control_url")
    return data


def write_state(state_dir: Path, info: dict[str, Any]) -> Path:
    """Write ``info`` (credentials included) as the state file, owner-readable only, atomically."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / STATE_FILE_NAME
    partial = path.with_suffix(".tmp")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2)
    partial.replace(path)
    return path


def remove_state(state_dir: Path, pid: int) -> None:
    """Remove the state file if process ``pid`` wrote it (a newer sandbox's file is left alone)."""
    path = state_dir / STATE_FILE_NAME
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def resolve_control_url(control: str | None, state_dir: Path) -> str:
    """``control`` if given, else the control URL recorded in ``state_dir``'s state file."""
    if control:
        return control.rstrip("/")
    return str(read_state(state_dir)["control_url"]).rstrip("/")


class ControlClient:
    """JSON calls to the control server; every failure becomes an ``SbtError`` naming the URL."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def get(self, path: str) -> Any:
        return self._call("GET", path, None)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call("POST", path, {} if body is None else body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        url = f"{self.url}/_sandbox/{path.lstrip('/')}"
        if not url.startswith(("http://", "https://")):
            raise SbtError(f"control URL must be http(s): {self.url}")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - scheme checked above
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SbtError(f"sandbox control {method} {url}: HTTP {exc.code}: {_error_text(exc)}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SbtError(
                f"sandbox control at {self.url} is not reachable ({reason}); is it running?"
            ) from exc
        except ValueError as exc:
            raise SbtError(f"sandbox control {method} {url}: answer is not JSON") from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason
    return str(body.get("error") or body) if isinstance(body, dict) else str(body)
