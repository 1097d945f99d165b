"""The console's words for a person's own record (subject access, issue 20 item 2): each key maps to its
(Indonesian, English) text, merged into :data:`sbt_sync.console.i18n.MESSAGES`."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "nav.pdp_subject": ("Data subjek", "Subject access"),
    "pdp.subject.title": ("Rekaman data pribadi seorang ASN", "A person's own record"),
    "pdp.subject.hint": (
        "Menghasilkan seluruh data yang disimpan tentang satu ASN (UU 27/2022, hak akses subjek data): "
        "rekaman sumber sebagaimana diterima, tautan dan aturannya, nilai emas beserta asalnya, keputusan "
        "steward, langkah pengendalian dan surat, pengiriman ke SIASN beserta tanda terimanya, temuan I-MUT, "
        "dan jejak pemrosesan. Permintaan ini tercatat di log akses beserta tujuannya.",
        "Produces everything held about one ASN (UU 27/2022, the data subject's right of access): source "
        "records as received, links and their rules, golden values with provenance, steward decisions, "
        "control steps and letters, pushes to SIASN with acknowledgements, I-MUT findings, and the "
        "processing trail. The request is recorded in the access log with its purpose.",
    ),
    "pdp.subject.nip": ("NIP", "NIP"),
    "pdp.subject.purpose": ("Tujuan permintaan", "Purpose of the request"),
    "pdp.subject.format": ("Format", "Format"),
    "pdp.subject.submit": ("Buat rekaman", "Produce the record"),
    "pdp.subject.invalid_nip": ("NIP tidak sah (harus 18 digit).", "Not a valid NIP (18 digits expected)."),
    "pdp.subject.purpose_required": ("Tujuan permintaan wajib diisi.", "The purpose is required."),
}
