"""Words for a source held by its blocking check (schema drift or too many quarantined rows), shown on
the quarantine page (:mod:`sbt_sync.console.web_ops`): Indonesian first, English second."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "srchold.title": ("Sumber ditahan: {source}", "Source held: {source}"),
    "srchold.drift": (
        "Sumber ditahan: kolom {columns} tidak lagi dikirim sejak {since}; {waiting} perubahan menunggu.",
        "Source held: column {columns} no longer sent since {since}; {waiting} change(s) waiting.",
    ),
    "srchold.ratio": (
        "Sumber ditahan: {ratio}% baris batch terakhirnya masuk karantina (ambang {threshold}%) sejak "
        "{since}; {waiting} perubahan menunggu.",
        "Source held: {ratio}% of its last batch's rows were quarantined (threshold {threshold}%) since "
        "{since}; {waiting} change(s) waiting.",
    ),
    "srchold.other": (
        "Sumber ditahan oleh pemeriksaannya sejak {since}; {waiting} perubahan menunggu.",
        "Source held by its check since {since}; {waiting} change(s) waiting.",
    ),
    "srchold.why": (
        "Selama ditahan, perubahan dari sumber ini tidak direkonsiliasi: tidak ada blokir atau buka blokir "
        "yang bertumpu padanya. Penahanan berakhir sendiri bila pemeriksaan berikutnya lolos.",
        "While it is held, this source's changes are not reconciled: no block or unblock rests on them. "
        "The hold ends by itself when the next check passes.",
    ),
    "srchold.release_drift": (
        "Bila sumber memang berhenti mengirim kolom itu, steward melepas penahanan (tercatat di log audit) "
        "dengan perintah:",
        "If the source really stopped sending the column, a steward releases the hold (audited) with the "
        "command:",
    ),
    "srchold.release": (
        "Setelah sumbernya diperiksa, steward dapat melepas penahanan (tercatat di log audit) dengan "
        "perintah:",
        "Once the source is checked, a steward may release the hold (audited) with the command:",
    ),
    "srchold.columns_and": (" dan ", " and "),
}
