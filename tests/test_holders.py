"""Holder tokens: a claimer's own token is alive while it runs and gone once it ends, even in a process
that lives on; a process's token is judged by its process; another host's by nothing (its lease)."""

from __future__ import annotations

import subprocess
import sys

from sbt_sync.holders import RUN_MARK, TOKEN_LENGTH, holder_alive, holder_gone, holder_token, holding


def test_a_claimers_token_is_alive_while_it_runs_and_gone_after_though_its_process_lives_on() -> None:
    with holding() as first, holding() as second:
        assert first != second and first.startswith(holder_token() + RUN_MARK)
        assert len(first) <= TOKEN_LENGTH
        assert holder_alive(first) and holder_alive(second) and not holder_gone(first)
    assert holder_gone(first) and not holder_alive(first)
    assert holder_alive(holder_token()) and not holder_gone(holder_token())  # the process still runs


def test_a_token_of_a_process_that_ended_is_gone_run_mark_or_not() -> None:
    code = "from sbt_sync.holders import holder_token, holding\nwith holding() as t: print(t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    marked = out.strip()
    assert holder_gone(marked) and holder_gone(marked.split(RUN_MARK)[0])
    assert holder_gone(None)


def test_another_hosts_token_is_neither_alive_nor_gone_its_lease_decides() -> None:
    for token in ("elsewhere.example:1:5", "elsewhere.example:1:5/0123456789ab", "garbage"):
        assert not holder_alive(token) and not holder_gone(token)
