"""dlt: its REST API source over the same pages (OAuth2 client credentials, cursor paging, the sandbox's
CA), merged on ``id`` into its own dataset in the same PostgreSQL server, with dlt's defaults otherwise.

Timed: building the source and ``pipeline.run`` (extract, normalize, load, including the first run's
table creation and the merge from dlt's staging dataset).
"""

from __future__ import annotations

import os
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

from benchmarks.ingest.pgcpu import PostgresMeter, database_of
from benchmarks.ingest.spec import SOURCE, Outcome, RunSpec, cpu_seconds, rss_mb

RESOURCE = "rekomendasi"


def _source(spec: RunSpec) -> Any:
    from dlt.sources.helpers.requests import Session
    from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
    from dlt.sources.rest_api import rest_api_source

    session = Session()
    session.trust_env = False  # as our client: REQUESTS_CA_BUNDLE would override verify
    session.verify = spec.ca_bundle
    parts = urlsplit(spec.records_url)
    auth = OAuth2ClientCredentials(
        access_token_url=spec.token_url,
        client_id=os.environ[spec.client_id_env],
        client_secret=os.environ[spec.client_secret_env],
        session=session,
    )
    return rest_api_source(
        {
            "client": {
                "base_url": f"{parts.scheme}://{parts.netloc}",
                "auth": auth,
                "paginator": {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"},
                "session": session,
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": RESOURCE,
                    "endpoint": {
                        "path": parts.path,
                        "params": {"limit": spec.page_size},
                        "data_selector": "items",
                    },
                }
            ],
        }
    )


def _with_password(url: str) -> str:
    """dlt refuses PostgreSQL credentials without a password; a trust-auth server ignores any."""
    parts = urlsplit(url)
    if parts.password is not None or parts.username is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:unused@{host}").geturl()


def run(spec: RunSpec) -> Outcome:
    import dlt

    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{SOURCE}",
        destination=dlt.destinations.postgres(credentials=_with_password(spec.database_url)),
        dataset_name=SOURCE,
        pipelines_dir=spec.workdir,
    )
    before = rss_mb()

    with PostgresMeter(database_of(spec.database_url)) as postgres:
        cpu_before = cpu_seconds()
        started = perf_counter()
        pipeline.run(_source(spec))
        finished = perf_counter()
        client_cpu = cpu_seconds() - cpu_before

    phases: dict[str, float] = {}
    trace = pipeline.last_trace
    for step in trace.steps if trace else []:
        if step.finished_at is not None and step.step != "run":  # run spans the three
            phases[step.step] = (step.finished_at - step.started_at).total_seconds()
    with pipeline.sql_client() as client:
        table = client.make_qualified_table_name(RESOURCE)  # quoted by dlt
        stored = client.execute_sql(f"SELECT count(*) FROM {table}")  # noqa: S608
    rows = int(stored[0][0]) if stored else 0
    return Outcome(
        client_cpu_seconds=client_cpu - postgres.result.sampler,
        postgres_cpu_seconds=postgres.result.backends,
        postgres_background_cpu_seconds=postgres.result.background,
        rows=rows,
        seconds=finished - started,
        rss_before_mb=before,
        phases=phases,
        checks={"table_rows": rows},
    )
