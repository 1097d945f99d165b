"""Helpers for the browser tests: the console served by uvicorn on a loopback port, Debian's Chromium
driven by Playwright (no browser download; headless, ``--no-sandbox`` when running as root), and the
login form filled as a person does."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SBT_TEST_ARTIFACTS", REPO_ROOT / "var" / "test-artifacts")) / "console"


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def fill_login(page: Any, username: str, password: str) -> None:
    """Fill the login form the page shows (by its labels, as a person reads them) and press Masuk."""
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def log_in(page: Any, base: str, username: str, password: str) -> Any:
    """Open the login page, log in, and wait for the dashboard the console lands on; returns ``page``."""
    page.goto(f"{base}/login")
    fill_login(page, username, password)
    page.wait_for_url(f"{base}/")
    return page
