"""``python -m benchmarks.pdp_access``: what recording a read costs the case page (issue 20, item 1).

The console runs in this process under uvicorn on loopback, on a scratch database (SQLite by default,
``--database-url`` for another, e.g. PostgreSQL), with one case of ``--records`` linked source records.
A signed-in steward's browser session (``requests``) asks ``GET /cases/{id}`` over HTTP. Two variants of
the same server, interleaved in rounds (``recorded``, ``unrecorded``, ``recorded``, ...), ``--requests``
requests a round, ``--rounds`` rounds:

- **recorded**: the page as shipped: one access record per view (:func:`sbt_sync.console.web_access.record`).
- **unrecorded**: the same build with that one call on the case page replaced by a function that does
  nothing (the module attribute ``web_pages.record_read``, swapped between rounds, never mid-request).
  There is deliberately no setting that turns recording off in the product.

Reports the median (and p90) time per request of each variant over all requests, their difference, the
median time of one :func:`sbt_sync.pdp.access.record_read` call alone, and the load average before and
after (the machine is shared: timings move with it). Writes ``benchmarks/results/pdp_access-<date>.json``
and ``pdp_access-latest.json`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
import uvicorn

from benchmarks.ingest.report import machine
from sbt_sync.console import web_pages
from sbt_sync.console.app import create_app
from sbt_sync.console.users import add_user
from sbt_sync.db import migrate
from sbt_sync.db.engine import Database, redact_url
from sbt_sync.db.models import Case, CaseLink, RawRecord, StagedRecord
from sbt_sync.pdp.access import access_key, record_read
from sbt_sync.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark password, long enough"
NIP = "198001012005011001"
CALL_SITE = "record_read"
"""The case page's one recording call (``web_pages.record_read``): the unrecorded variant swaps it."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pdp_access", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rounds", type=int, default=6, help="rounds per variant, interleaved (6)")
    parser.add_argument("--requests", type=int, default=40, help="requests per round (40)")
    parser.add_argument("--records", type=int, default=6, help="source records linked to the case (6)")
    parser.add_argument(
        "--database-url", default=None, help="a scratch database (default: a temporary SQLite)"
    )
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--no-write", action="store_true", help="print only; leave benchmarks/results alone")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.requests < 1 or args.records < 1:
        parser.error("--rounds, --requests and --records must be positive")
    return args


def _settings(folder: Path, url: str) -> Settings:
    config = folder / "sbt.yaml"
    config.write_text((REPO_ROOT / "sbt.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return load_settings(config, env={"SBT_DATABASE_URL": url})


def _seed(database: Database, settings: Settings, records: int) -> int:
    add_user(database, settings, username="steward", password=PASSWORD, role="steward", actor="benchmark")
    with database.session() as session:
        case = Case(
            case_key="BENCH-1", nip=NIP, event_code="PILKADA2024", status="menunggu_tindak_lanjut_ppk",
            kanreg_id="I", content_hash="c", golden={"verification_result": "terbukti"},
            recommendation_date=date(2026, 10, 1),
        )  # fmt: skip
        session.add(case)
        session.flush()
        for n in range(records):
            raw = RawRecord(source="bawaslu", record_key=f"REG-{n}", content_hash=f"h{n}", payload="{}")
            session.add(raw)
            session.flush()
            staged = StagedRecord(
                source="bawaslu", record_key=f"REG-{n}", raw_record_id=raw.id, raw_version=1,
                content_hash=f"s{n}", nip=NIP, nip_raw=NIP, name="ASN Contoh", instansi="Pemkab Contoh",
            )  # fmt: skip
            session.add(staged)
            session.flush()
            session.add(
                CaseLink(
                    case_id=case.id,
                    staged_record_id=staged.id,
                    source="bawaslu",
                    record_key=f"REG-{n}",
                    rule="nip_event",
                )
            )
        return case.id


@contextmanager
def _server(settings: Settings, database: Database) -> Iterator[str]:
    config = uvicorn.Config(
        create_app(settings, database), host="127.0.0.1", port=0, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _signed_in(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    answer = browser.post(
        f"{base}/login",
        data={"username": "steward", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"login failed: {answer.status_code}")
    return browser


def _round(browser: requests.Session, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = browser.get(url, timeout=30)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200 or NIP not in answer.text:
            raise RuntimeError(f"the case page answered {answer.status_code}")
    return times


def _nothing(*_args: Any, **_kwargs: Any) -> None:
    """The unrecorded variant's stand-in for the case page's one ``record_read`` call."""


def _record_alone(database: Database, settings: Settings, count: int) -> list[float]:
    key = access_key(settings)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with database.session() as session:
            record_read(session, "steward", "console", "case", [NIP] * 6, key=key, target="/cases/1")
        times.append(time.perf_counter() - started)
    return times


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    load_before = [round(v, 2) for v in os.getloadavg()]
    started = datetime.now(UTC)
    shipped: Callable[..., None] = getattr(web_pages, CALL_SITE)
    samples: dict[str, list[float]] = {"recorded": [], "unrecorded": []}
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sbt-pdp-bench-") as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder / 'sbt.db'}"
        database = Database(url)
        migrate.upgrade(database)
        settings = _settings(folder, url)
        case_id = _seed(database, settings, args.records)
        try:
            with _server(settings, database) as base:
                browser = _signed_in(base)
                page = f"{base}/cases/{case_id}"
                _round(browser, page, 10)  # warm up (templates compiled, connections pooled)
                for number in range(args.rounds):
                    for variant in ("recorded", "unrecorded"):
                        setattr(web_pages, CALL_SITE, shipped if variant == "recorded" else _nothing)
                        times = _round(browser, page, args.requests)
                        samples[variant] += times
                        rounds.append({"round": number + 1, "variant": variant, **_ms(times)})
                setattr(web_pages, CALL_SITE, shipped)
            alone = _record_alone(database, settings, args.rounds * args.requests)
        finally:
            setattr(web_pages, CALL_SITE, shipped)
            database.dispose()
    load_after = [round(v, 2) for v in os.getloadavg()]
    recorded, unrecorded = _ms(samples["recorded"]), _ms(samples["unrecorded"])
    result = {
        "suite": "pdp_access",
        "started_at": started.isoformat(),
        "database": redact_url(url).split(":", 1)[0] if args.database_url else "sqlite (temporary file)",
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "parameters": {"rounds": args.rounds, "requests_per_round": args.requests, "records": args.records},
        "method": "GET /cases/{id} over HTTP (uvicorn on loopback, a signed-in steward), the shipped page "
        "vs the same build with its one record_read call replaced by a no-op, interleaved rounds",
        "case_page": {"recorded": recorded, "unrecorded": unrecorded},
        "difference_median_ms": round(recorded["median_ms"] - unrecorded["median_ms"], 3),
        "record_read_alone": _ms(alone),
        "rounds": rounds,
    }
    per_variant = len(samples["recorded"])
    print(f"case page over HTTP, {per_variant} requests per variant, load {load_before} -> {load_after}")
    print(f"{'variant':<12} {'median ms':>10} {'p90 ms':>10} {'mean ms':>10}")
    for name, figures in (("recorded", recorded), ("unrecorded", unrecorded), ("record alone", _ms(alone))):
        print(
            f"{name:<12} {figures['median_ms']:>10.2f} {figures['p90_ms']:>10.2f} {figures['mean_ms']:>10.2f}"
        )
    print(f"difference of the medians: {result['difference_median_ms']:+.2f} ms")
    if not args.no_write:
        args.results.mkdir(parents=True, exist_ok=True)
        text = json.dumps(result, indent=2) + "\n"
        (args.results / f"pdp_access-{started.date().isoformat()}.json").write_text(text, encoding="utf-8")
        (args.results / "pdp_access-latest.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
