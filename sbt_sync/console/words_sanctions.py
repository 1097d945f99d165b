"""The console's words for sanction versions (objections, keberatan): Indonesian first, then English."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "sanctions.title": ("Versi hukuman", "Sanction versions"),
    "sanctions.hint": (
        "Hukuman dapat direvisi setelah keberatan; yang berlaku adalah keputusan dengan tanggal terakhir.",
        "A sanction can be revised after an objection; the one in force is the latest decision.",
    ),
    "sanctions.seq": ("Versi", "Version"),
    "sanctions.sanction": ("Hukuman", "Sanction"),
    "sanctions.letter": ("Nomor surat keputusan", "Decision letter no."),
    "sanctions.date": ("Tanggal keputusan", "Decision date"),
    "sanctions.source": ("Sumber", "Source"),
    "sanctions.in_force": ("berlaku", "in force"),
    "sanctions.annulled": ("Dibatalkan setelah keberatan", "Annulled on objection"),
    "sanctions.pending": ("menunggu rekonsiliasi berikutnya", "waiting for the next reconciliation"),
    "sanctions.source.idis": ("I'DIS", "I'DIS"),
    "sanctions.source.kemendagri": ("Kemendagri", "Kemendagri"),
    "sanctions.source.steward": ("Steward", "Steward"),
    "sanctions.none": ("Belum ada hukuman tercatat.", "No sanction recorded yet."),
    "recap.revised": ("Direvisi setelah keberatan", "Revised after objection"),
    "field.sanction_since": ("Hukuman berlaku sejak", "Sanction in force since"),
    "field.sanction_annulled_on": ("Hukuman dibatalkan pada", "Sanction annulled on"),
    "rule.sanction_in_force": ("versi hukuman yang berlaku", "sanction version in force"),
    "action.sanction.revise": ("Revisi hukuman dicatat", "Sanction revision recorded"),
}
