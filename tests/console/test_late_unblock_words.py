"""The unblock a run records for a block whose end became known only after it (a sanction or an
annulment dated before the block day, reported late; a recommendation corrected to not proven) reads
in words in the console's Indonesian, like every other step reason: it showed the policy's English."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from sbt_sync.console.labels_history import control_reason
from sbt_sync.enforce.history import again_reason
from sbt_sync.enforce.policy import plan_enforcement
from sbt_sync.settings import EnforcementSettings
from sbt_sync.states.control import ControlAction
from tests.enforce.builders import case

AS_OF = date(2025, 1, 10)
BLOCKED = case(block_recorded=True)  # the builders' block day is 2024-12-25
SANCTIONED = replace(
    BLOCKED, status="dijatuhi_hukuman", sanction_recorded=True, sanction_on=date(2024, 12, 20)
)


def _unblock_reason(facts: object) -> str:
    (outcome,) = plan_enforcement([facts], EnforcementSettings(), AS_OF).outcomes  # type: ignore[list-item]
    (step,) = [s for s in outcome.steps if s.action == ControlAction.BUKA_BLOKIR]
    return step.reason


@pytest.mark.parametrize(
    ("facts", "indonesian", "english"),
    [
        (
            SANCTIONED,
            "Buka blokir: hukuman tercatat pada 2024-12-20, baru diketahui setelah pemblokiran diterapkan",
            "sanction recorded on 2024-12-20, known only after the block",
        ),
        (
            replace(BLOCKED, annulled=True, annulled_on=date(2024, 12, 22)),
            "Buka blokir: rekomendasi dibatalkan pada 2024-12-22, baru diketahui setelah pemblokiran",
            "recommendation annulled on 2024-12-22, known only after the block",
        ),
        (
            replace(BLOCKED, verification_result="tidak_terbukti"),
            "Buka blokir: rekomendasi tidak lagi terbukti (hasil verifikasi kini: Tidak terbukti)",
            "recommendation no longer proven (result now tidak_terbukti)",
        ),
        (
            replace(BLOCKED, verification_result=None),
            "Buka blokir: rekomendasi tidak lagi terbukti (hasil verifikasi kini: belum ada)",
            "recommendation no longer proven (result now unknown)",
        ),
    ],
)  # fmt: skip
def test_a_late_unblock_reads_in_words(facts: object, indonesian: str, english: str) -> None:
    reason = _unblock_reason(facts)
    assert english in reason
    assert control_reason(reason, "en") == reason
    shown = control_reason(reason, "id")
    assert shown.startswith(indonesian), shown
    for english_word in ("sanction", "recommendation", "known only", "reported", "result now"):
        assert english_word not in shown


@pytest.mark.parametrize(
    ("facts", "english", "indonesian"),
    [
        (
            replace(case(), held=True, hold_reason="identity dispute"),
            "held (never blocked) until a steward decides: identity dispute",
            "Ditahan (tidak diblokir) sampai steward memutuskan",
        ),
        (  # blocked first, then a record joined it naming someone else: the hold lifts that block
            replace(BLOCKED, held=True, hold_reason="identity dispute"),
            "held (its block lifted) until a steward decides: identity dispute",
            "Ditahan (blokir atas kasus ini dibuka) sampai steward memutuskan",
        ),
    ],
)  # fmt: skip
def test_a_hold_says_whether_it_lifted_a_block_the_case_had(
    facts: object, english: str, indonesian: str
) -> None:
    """A case held after it was blocked is no longer blocked on (SIASN is unblocked unless another case
    of the NIP blocks it): its hold step must not say it was never blocked."""
    (outcome,) = plan_enforcement([facts], EnforcementSettings(), AS_OF).outcomes  # type: ignore[list-item]
    (step,) = outcome.steps
    assert (step.action, step.reason) == (ControlAction.HOLD, english)
    assert not outcome.blocking
    assert control_reason(step.reason, "id").startswith(indonesian)


def test_a_block_after_an_unblock_reads_in_words() -> None:
    """The second block of a case (recorded as the next cycle, :mod:`sbt_sync.enforce.history`) says
    in the console's Indonesian that it came back after its unblock, and why."""
    (outcome,) = plan_enforcement([case()], EnforcementSettings(), AS_OF).outcomes
    (block,) = [s for s in outcome.steps if s.action == ControlAction.PEMBLOKIRAN]
    reason = again_reason(block.reason)
    assert control_reason(reason, "en") == reason
    shown = control_reason(reason, "id")
    assert (
        shown == "Diblokir lagi setelah blokirnya dibuka: Belum ada hukuman tercatat 7 hari setelah teguran"
    )


@pytest.mark.parametrize(
    ("why", "indonesian"),
    [
        (
            "identity disputed: idis idis-4#0: names another ASN, not the case's ASN",
            "Rekaman idis-4 dari I'DIS (hukuman disiplin, BKN) menyebut ASN lain, bukan ASN kasus ini",
        ),
        (
            "identity disputed: kasn kasn-2#1: names nobody in the registry, not the case's ASN",
            "Rekaman kasn-2#1 dari Rekomendasi KASN menyebut orang yang tidak ada di registri",
        ),
        (
            "identity disputed: bkn_wasdal WAS-1#0: identity conflict 7 (unresolved, 0 candidate(s)) is open",
            "Identitas rekaman WAS-1 dari Rekomendasi Wasdal BKN diperselisihkan: konflik identitas tidak "
            "ditemukan (0 kandidat) masih terbuka: Konflik #7",
        ),
        (
            "open critical_field conflict critical|PILKADA-2024|reg:9|sanction_imposed",
            "Konflik kolom kritis masih terbuka.",
        ),
    ],
)  # fmt: skip
def test_a_hold_step_says_why_in_words_not_the_reconciliation_s_clauses(why: str, indonesian: str) -> None:
    """The hold reason the reconciliation stores (its English clauses, a record by its source's key)
    is said in the console's words on the timeline's hold step, as the case's hold card says it."""
    facts = replace(BLOCKED, held=True, hold_reason=why)
    (outcome,) = plan_enforcement([facts], EnforcementSettings(), AS_OF).outcomes
    (step,) = outcome.steps
    shown = control_reason(step.reason, "id")
    assert shown.startswith("Ditahan (blokir atas kasus ini dibuka) sampai steward memutuskan: " + indonesian)
    english = control_reason(step.reason, "en")
    assert english.startswith("Held (its block lifted) until a steward decides: "), english
    machine_words = ("identity disputed", "names ", "conflict ", "critical_field", "#0", "idis idis")
    for machine in machine_words:
        assert machine not in shown, (machine, shown)
    for machine in ("identity disputed", "critical_field", "#0", "idis idis", "candidate(s)"):
        assert machine not in english, (machine, english)
