"""The raw limit: a plain ``requests`` loop over the same pages, each page COPYed into one table.

No retries, no hashing, no validation: the floor the other two stand on. The table keeps what a landing
table must (the key as primary key, the record verbatim as jsonb), and the load commits once at the end.
"""

from __future__ import annotations

import csv
import io
import json
import os
from time import perf_counter

import psycopg2  # no stubs in the dev dependencies
import requests

from benchmarks.ingest.pgcpu import PostgresMeter, database_of
from benchmarks.ingest.spec import Outcome, RunSpec, cpu_seconds, rss_mb

TABLE_DDL = "CREATE TABLE raw_bkn_wasdal (id text PRIMARY KEY, payload jsonb NOT NULL)"
COPY = "COPY raw_bkn_wasdal (id, payload) FROM STDIN WITH (FORMAT csv)"
TIMEOUT = (5.0, 60.0)


def run(spec: RunSpec) -> Outcome:
    client = (os.environ[spec.client_id_env], os.environ[spec.client_secret_env])
    connection = psycopg2.connect(spec.database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute(TABLE_DDL)
    before = rss_mb()

    postgres = PostgresMeter(database_of(spec.database_url)).start()
    cpu_before = cpu_seconds()
    started = perf_counter()
    fetching = copying = 0.0
    rows = pages = 0
    with requests.Session() as http, connection, connection.cursor() as cursor:
        http.trust_env = False  # as our client: REQUESTS_CA_BUNDLE would override verify
        http.verify = spec.ca_bundle
        token = http.post(
            spec.token_url, data={"grant_type": "client_credentials"}, auth=client, timeout=TIMEOUT
        )
        token.raise_for_status()
        http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        params: dict[str, str | int] = {"limit": spec.page_size}
        while True:
            mark = perf_counter()
            response = http.get(spec.records_url, params=params, timeout=TIMEOUT)
            response.raise_for_status()
            body = json.loads(response.content)
            fetched = perf_counter()
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for item in body["items"]:
                writer.writerow((item["id"], json.dumps(item, ensure_ascii=False, separators=(",", ":"))))
            buffer.seek(0)
            cursor.copy_expert(COPY, buffer)
            rows += len(body["items"])
            pages += 1
            fetching, copying = fetching + fetched - mark, copying + perf_counter() - fetched
            if not body.get("next_cursor"):
                break
            params["cursor"] = body["next_cursor"]
    finished = perf_counter()  # the connection block committed
    client_cpu = cpu_seconds() - cpu_before
    postgres_cpu = postgres.stop()

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM raw_bkn_wasdal")
        stored = cursor.fetchone()
    connection.close()
    return Outcome(
        client_cpu_seconds=client_cpu - postgres_cpu.sampler,
        postgres_cpu_seconds=postgres_cpu.backends,
        postgres_background_cpu_seconds=postgres_cpu.background,
        rows=rows,
        seconds=finished - started,
        rss_before_mb=before,
        phases={"fetch": fetching, "copy": copying},
        checks={"pages": pages, "table_rows": stored[0] if stored else 0},
    )
