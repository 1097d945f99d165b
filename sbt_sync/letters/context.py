"""What a letter's template is given: the context every letter renders from, drafted letters and the
template check's probe letters alike (:mod:`sbt_sync.letters.facts`)."""

from __future__ import annotations

from typing import Any

from sbt_sync.letters.model import LetterPlan, tanggal
from sbt_sync.notify.message import STEP_TITLES
from sbt_sync.settings import Settings

HAL = {
    "peringatan_dini": "Peringatan Dini Tindak Lanjut Rekomendasi Pelanggaran Netralitas ASN",
    "peringatan": "Peringatan atas Tindak Lanjut Rekomendasi Pelanggaran Netralitas ASN",
    "teguran": "Teguran atas Tindak Lanjut Rekomendasi Pelanggaran Netralitas ASN",
    "pemberitahuan": "Pemberitahuan Pengendalian Dilanjutkan atas Rekomendasi Pelanggaran Netralitas ASN",
}
SIFAT = {
    "peringatan_dini": "Penting",
    "peringatan": "Segera",
    "teguran": "Sangat Segera",
    "pemberitahuan": "Sangat Segera",
}


def letter_context(
    settings: Settings, plan: LetterPlan, number: str, follows: str | None = None
) -> dict[str, Any]:
    """What a template is given (JSON-ready: stored with the letter). ``follows``: the numbers of the
    same day's earlier letters to the PPK for the step, which a follow-up letter names."""
    cfg = settings.notify.letters
    warned = sorted({c.warned_by for c in plan.cases if c.warned_by})
    return {
        "number": number,
        "step": plan.step,
        "step_title": STEP_TITLES[plan.step],
        "hal": HAL[plan.step],
        "sifat": SIFAT[plan.step],
        "city": cfg.city,
        "tanggal": tanggal(plan.letter_day),
        "instansi_id": plan.instansi_id,
        "instansi_name": plan.instansi_name,
        "signatory_name": cfg.signatory_name,
        "signatory_title": cfg.signatory_title,
        "follows": follows,
        "peringatan_letters": warned,
        "every_case_warned": all(c.warned_by for c in plan.cases),
        "inherited": [
            {"nip": c.nip, "name": c.name, "steps": list(c.inherited)} for c in plan.cases if c.inherited
        ],
        "resumed": [
            {"nip": c.nip, "name": c.name, "recommendation_no": c.recommendation_no, "why": c.resumed}
            for c in plan.cases
            if c.resumed
        ],
        "cases": [
            {
                "case_key": c.case_key,
                "nip": c.nip,
                "name": c.name,
                "recommendation_no": c.recommendation_no,
                "recommendation_date": tanggal(c.recommendation_date),
                "issuer": c.issuer,
                "sanction": c.sanction,
                "deadline": tanggal(c.deadline),
                "next_step": c.next_step,
                "warned_by": c.warned_by or "-",
            }
            for c in plan.cases
        ],
    }
