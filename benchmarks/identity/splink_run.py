"""Splink 4 on DuckDB, the comparison contender: the same rows against the same registry.

Both sides get the same standardisation before linking (a Splink user would write the same): names
through ``canonical_name`` (titles, punctuation, case, "M."/"Moh." for Muhammad), NIP parsing for the
birth date and gender a valid or partial NIP gives, and the written instansi (a name or an id) mapped
to the registry's instansi id. The registry side of that is done once, in ``registry.prepare_registry``.

Model: ``link_only`` between the rows and the registry; prediction blocking on birth date, the exact
name, instansi with the first or the last name token, and first with last token; comparisons on the
name (exact with term frequencies, Jaro-Winkler of the name as written or with sorted tokens), birth
date, instansi and gender. ``train`` estimates u by random sampling of the registry and m by EM on
Splink's own training rows (degraded like the measured rows, other people), blocked once on birth date
and once on instansi plus first token; the prior is one true match per row in the registry. It saves
the model; ``resolve`` loads it, predicts, and keeps each row's best candidate.
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from benchmarks.identity.rows import Row, read_rows
from benchmarks.identity.spec import Outcome, RunSpec
from benchmarks.ingest.spec import rss_mb
from sbt_sync.reconcile.identity.resolve import MAX_CANDIDATES, canonical_name, make_query, normalise_instansi

FLOOR_PROBABILITY = 0.001
"""Pairs below this are not kept by ``predict``; the acceptance threshold is chosen afterwards."""
U_MAX_PAIRS = 5e6
OFFERED = MAX_CANDIDATES
"""Pairs kept per row, after the clock: the candidates a steward would see, as many as ours shows."""


def _settings(registry_size: int) -> SettingsCreator:
    name_levels: list[Any] = [  # CustomComparison wants list[ComparisonLevelCreator | dict]
        cll.NullLevel("name"),
        cll.ExactMatchLevel("name", term_frequency_adjustments=True),
        *(
            cll.Or(cll.JaroWinklerLevel("name", t), cll.JaroWinklerLevel("name_sorted", t))
            for t in (0.95, 0.9, 0.8)
        ),
        cll.ElseLevel(),
    ]
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1 / registry_size,
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("name"),
            block_on("instansi_id", "first_token"),
            block_on("instansi_id", "last_token"),
            block_on("first_token", "last_token"),
        ],
        comparisons=[
            cl.CustomComparison(name_levels, output_column_name="name"),
            cl.ExactMatch("birth_date"),
            cl.ExactMatch("instansi_id"),
            cl.ExactMatch("gender"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _load_registry(con: duckdb.DuckDBPyConnection, path: str) -> None:
    con.execute(
        "CREATE TABLE registry AS SELECT *, array_to_string(list_sort(string_split(name, ' ')), ' ') "
        "AS name_sorted FROM read_csv(?, header = true, all_varchar = true)",
        [path],
    )


def _query_frame(rows: list[Row], instansi: dict[str, str]) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    for row in rows:
        query = make_query(nip_raw=row.nip_raw, name=row.name, instansi=row.instansi)
        name = canonical_name(row.name)
        tokens: list[str | None] = [*name.split()] or [None]
        records.append(
            {
                "unique_id": f"q{row.id}",
                "name": name or None,
                "first_token": tokens[0],
                "last_token": tokens[-1],
                "birth_date": query.birth_date.isoformat() if query.birth_date else None,
                "gender": query.gender,
                "instansi_id": instansi.get(normalise_instansi(row.instansi)),
                "name_sorted": " ".join(sorted(name.split())) or None,
            }
        )
    return pd.DataFrame.from_records(records).astype("object")


def _instansi_map(con: duckdb.DuckDBPyConnection, instansi_csv: str) -> dict[str, str]:
    """Written instansi (a name or an id, normalised) to its id, from the sandbox's ``instansi.csv``."""
    found: dict[str, str] = {}
    for ident, name in con.execute(
        "SELECT id, nama FROM read_csv(?, header = true, all_varchar = true)", [instansi_csv]
    ).fetchall():
        found[normalise_instansi(name)] = ident
        found[normalise_instansi(ident)] = ident
    return found


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    return con


def train(spec: RunSpec) -> Outcome:
    """Estimate the model once on the training rows; save it to ``spec.model_path``."""
    assert spec.registry_csv and spec.instansi_csv and spec.model_path
    con = _connection()
    mark = perf_counter()
    _load_registry(con, spec.registry_csv)
    instansi = _instansi_map(con, spec.instansi_csv)
    loaded = perf_counter() - mark
    rows = read_rows(Path(spec.rows_path))
    before = rss_mb()

    started = perf_counter()
    con.register("training_rows", _query_frame(rows, instansi))
    con.execute("CREATE TABLE queries AS SELECT * FROM training_rows")
    linker = Linker(
        ["queries", "registry"],
        _settings(spec.registry_size),
        db_api=DuckDBAPI(connection=con),
        set_up_basic_logging=False,
        input_table_aliases=["queries", "registry"],
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=spec.seed)
    u_done = perf_counter()
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("instansi_id", "first_token"))
    finished = perf_counter()
    linker.misc.save_model_to_json(spec.model_path, overwrite=True)
    return Outcome(
        rows=len(rows),
        seconds=finished - started,
        rss_before_mb=before,
        phases={"u_random_sampling": u_done - started, "m_expectation_maximisation": finished - u_done},
        setup_seconds={"load_registry_into_duckdb": loaded},
    )


def resolve(spec: RunSpec) -> Outcome:
    """Predict with the saved model and keep each row's best candidate and its match probability."""
    assert spec.registry_csv and spec.instansi_csv and spec.model_path
    con = _connection()
    mark = perf_counter()
    _load_registry(con, spec.registry_csv)
    instansi = _instansi_map(con, spec.instansi_csv)
    loaded = perf_counter() - mark
    rows = read_rows(Path(spec.rows_path))
    before = rss_mb()

    started = perf_counter()
    con.register("rows_frame", _query_frame(rows, instansi))
    con.execute("CREATE TABLE queries AS SELECT * FROM rows_frame")
    linker = Linker(
        ["queries", "registry"],
        spec.model_path,
        db_api=DuckDBAPI(connection=con),
        set_up_basic_logging=False,
        input_table_aliases=["queries", "registry"],
    )
    prepared = perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=FLOOR_PROBABILITY)
    predicted = perf_counter()
    best = con.execute(
        f"""
        WITH pairs AS (
            SELECT CASE WHEN source_dataset_l = 'queries' THEN unique_id_l ELSE unique_id_r END AS query,
                   CASE WHEN source_dataset_l = 'queries' THEN unique_id_r ELSE unique_id_l END AS nip,
                   match_probability
            FROM {predictions.physical_name}
        )
        SELECT query, nip, match_probability, count(*) OVER (PARTITION BY query) AS pairs
        FROM pairs
        QUALIFY row_number() OVER (PARTITION BY query ORDER BY match_probability DESC, nip) = 1
        """  # noqa: S608 - a table name Splink made, not input
    ).fetchall()
    finished = perf_counter()
    pair_count = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchone()  # noqa: S608
    links: dict[str, list[Any]] = {str(row.id): [None, None] for row in rows}
    for query, nip, probability, _ in best:
        links[query[1:]] = [nip, float(probability)]
    offered: dict[str, dict[str, Any]] = {str(row.id): {"candidates": []} for row in rows}
    for query, nip, probability in con.execute(
        f"""
        WITH pairs AS (
            SELECT CASE WHEN source_dataset_l = 'queries' THEN unique_id_l ELSE unique_id_r END AS query,
                   CASE WHEN source_dataset_l = 'queries' THEN unique_id_r ELSE unique_id_l END AS nip,
                   match_probability
            FROM {predictions.physical_name}
        )
        SELECT query, nip, match_probability FROM pairs
        QUALIFY row_number() OVER (PARTITION BY query ORDER BY match_probability DESC, nip) <= {OFFERED}
        ORDER BY query, match_probability DESC, nip
        """  # noqa: S608 - a table name Splink made, not input
    ).fetchall():
        offered[query[1:]]["candidates"].append([nip, float(probability)])
    return Outcome(
        rows=len(rows),
        seconds=finished - started,
        rss_before_mb=before,
        phases={
            "prepare_rows": prepared - started,
            "predict": predicted - prepared,
            "best_per_row": finished - predicted,
        },
        setup_seconds={"load_registry_into_duckdb": loaded},
        links=links,
        decisions=offered,
        checks={"pairs_kept": int(pair_count[0]) if pair_count else 0, "rows_with_a_pair": len(best)},
    )
