"""The console's words for the personal-data access log and the unusual-access flag (issue 20, items 1
and 6): each key maps to its (Indonesian, English) text, merged into :data:`sbt_sync.console.i18n.MESSAGES`.

``access.kind.<kind>`` names what a read showed (:data:`sbt_sync.pdp.access.KINDS`), ``access.channel.<c>``
the face it came through.
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "nav.access_log": ("Log akses", "Access log"),
    "access.title": ("Log akses data pribadi", "Personal data access log"),
    "access.hint": (
        "Setiap kali seseorang melihat atau mengunduh data pribadi ASN (konsol, API, CLI) tercatat di sini: "
        "siapa, kapan, lewat mana, apa, dan untuk apa. NIP disimpan sebagai hash berkunci, bukan NIP itu "
        "sendiri (UU 27/2022). Membuka halaman ini juga tercatat.",
        "Every time someone views or downloads an ASN's personal data (console, API, CLI) it is recorded "
        "here: who, when, through which channel, what, and why. NIPs are kept as keyed hashes, never the "
        "NIP itself (UU 27/2022). Opening this page is recorded too.",
    ),
    "access.reads_title": ("Catatan akses", "Reads"),
    "access.who": ("Pengguna", "User"),
    "access.day": ("Tanggal", "Day"),
    "access.channel": ("Saluran", "Channel"),
    "access.kind": ("Yang dilihat", "What was read"),
    "access.any": ("semua", "any"),
    "access.target": ("Objek", "Object"),
    "access.distinct_asn": ("Jumlah ASN", "ASN shown"),
    "access.reads": ("Jumlah akses", "Reads"),
    "access.purpose": ("Keperluan", "Purpose"),
    "access.export": ("Unduhan", "Export"),
    "access.rows": ("{rows} baris", "{rows} rows"),
    "access.token": ("token", "token"),
    "access.nip": ("Cari menurut NIP", "Find by NIP"),
    "access.nip_submit": ("Cari", "Find"),
    "access.nip_hint": (
        "NIP di-hash dengan kunci deployment lalu dicocokkan; NIP tidak disimpan dan tidak masuk URL.",
        "The NIP is hashed with the deployment's key and matched; it is not stored and never in a URL.",
    ),
    "access.nip_shown": (
        "Menampilkan akses yang memperlihatkan ASN dengan NIP yang dimasukkan.",
        "Showing the reads that showed the ASN with the NIP entered.",
    ),
    "access.show_all": ("Tampilkan semua", "Show all"),
    "access.show_reads": ("Lihat aksesnya", "See the reads"),
    "access.unusual_title": ("Akses tidak biasa", "Unusual access"),
    "access.unusual_rule": (
        "Pengguna yang dalam satu hari melihat data lebih dari {threshold} ASN berbeda (konsol, API dan "
        "CLI dijumlahkan; pdp.unusual_distinct_asn_per_day di sbt.yaml), {days} hari terakhir.",
        "Users whose reads in one day showed more than {threshold} distinct ASN (console, API and CLI "
        "together; pdp.unusual_distinct_asn_per_day in sbt.yaml), over the last {days} days.",
    ),
    "access.unusual_none": ("Tidak ada akses tidak biasa.", "No unusual access."),
    "access.banner": (
        "Akses tidak biasa hari ini: {count} pengguna melihat data lebih dari {threshold} ASN berbeda:",
        "Unusual access today: {count} user(s) read the data of more than {threshold} distinct ASN:",
    ),
    "access.banner_link": ("Buka log akses", "Open the access log"),
    "access.channel.console": ("konsol", "console"),
    "access.channel.api": ("API", "API"),
    "access.channel.cli": ("CLI", "CLI"),
    "access.kind.case": ("kasus", "case"),
    "access.kind.conflict": ("konflik", "conflict"),
    "access.kind.source_record": ("rekaman sumber", "source record"),
    "access.kind.search": ("hasil pencarian / daftar", "search results / list"),
    "access.kind.quarantine": ("karantina", "quarantine"),
    "access.kind.export": ("unduhan", "export"),
    "access.kind.imut_finding": ("temuan I-MUT", "I-MUT finding"),
    "access.kind.letter": ("surat", "letter"),
    "access.kind.subject_report": ("laporan subjek data", "subject access report"),
    "access.kind.access_log": ("log akses", "access log"),
    "access.kind.asn": ("data ASN / status blokir", "ASN data / block state"),
    "access.kind.audit": ("log audit", "audit log"),
    "access.kind.feed": ("umpan perubahan blokir (SIASN)", "block-change feed (SIASN)"),
    "access.purpose_label": ("Keperluan (opsional)", "Purpose (optional)"),
}
