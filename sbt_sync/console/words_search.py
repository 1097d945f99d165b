"""The header search's words (:mod:`sbt_sync.console.web_search`): Indonesian first, English second,
merged into :data:`sbt_sync.console.i18n.MESSAGES`."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "find.label": ("Cari ASN, kasus, konflik, rekaman", "Search ASN, cases, conflicts, records"),
    "find.placeholder": (
        "Nama, NIP, no. register/rekomendasi/SK",
        "Name, NIP, register/recommendation/SK no.",
    ),
    "find.submit": ("Cari", "Search"),
    "find.title": ("Pencarian", "Search"),
    "find.hint": (
        "Ketik nama (gelar, urutan kata dan salah ketik tidak mengapa), NIP lengkap atau sebagian (mis. "
        "6 angka terakhir), nomor register, rekomendasi atau SK, atau #nomor konflik.",
        "Type a name (titles, word order and a typo do not matter), a full or partial NIP (e.g. its "
        "last 6 digits), a register, recommendation or SK number, or #conflict number.",
    ),
    "find.results_for": ("Hasil untuk «{q}»", "Results for «{q}»"),
    "find.nothing": (
        "Tidak ada yang ditemukan. Periksa ejaan, coba sebagian nama atau NIP, atau nomor yang lebih pendek.",
        "Nothing found. Check the spelling, or try part of the name or NIP, or a shorter number.",
    ),
    "find.error.empty": (
        "Ketik nama, NIP, atau nomor register, rekomendasi atau SK.",
        "Type a name, a NIP, or a register, recommendation or SK number.",
    ),
    "find.error.forgotten": (
        "Pencarian ini sudah tidak tersimpan (sesi berganti atau konsol dimulai ulang); ketik lagi.",
        "This search is no longer kept (the session changed or the console restarted); type it again.",
    ),
    "find.error.too_long": (
        "Teks pencarian terlalu panjang; persingkat.",
        "The search text is too long; shorten it.",
    ),
    "find.error.too_short": (
        "Teks pencarian terlalu pendek: ketik sedikitnya 3 huruf atau angka.",
        "The search text is too short: type at least 3 letters or digits.",
    ),
    "find.group.asn": ("ASN", "ASN"),
    "find.group.cases": ("Kasus", "Cases"),
    "find.group.conflicts": ("Konflik", "Conflicts"),
    "find.group.records": ("Rekaman sumber", "Source records"),
    "find.asn_note": (
        "Dari registri ASN (SIASN); tautan membuka daftar kasus ASN tersebut.",
        "From the ASN registry (SIASN); the link opens that ASN's cases.",
    ),
    "find.cases_of": ("{n} kasus", "{n} cases"),
    "find.position": ("Jabatan", "Position"),
    "find.instansi": ("Instansi", "Instansi"),
    "find.found_by": ("Ditemukan lewat", "Found by"),
    "find.names": ("Nama dalam rekaman", "Names in records"),
    "find.sk": ("No. SK", "SK no."),
    "find.withdrawn": ("ditarik sumber", "withdrawn by the source"),
    "find.open_case": ("buka kasus", "open case"),
    "find.no_case": ("belum masuk kasus", "in no case yet"),
    "find.why.name": ("nama", "name"),
    "find.why.nip": ("NIP", "NIP"),
    "find.why.register": ("no. register", "register no."),
    "find.why.recommendation": ("no. rekomendasi", "recommendation no."),
    "find.why.sk": ("no. SK", "SK no."),
    "find.why.key": ("kunci rekaman/kasus", "record or case key"),
    "find.why.asn": ("ASN registri", "registry ASN"),
    "find.why.conflict": ("nomor konflik", "conflict number"),
    # the JSON API refusing a name, a NIP or a birth date in a URL (sbt_sync.console.api)
    "err.personal_data_in_url": (
        "Parameter {parameters} tidak boleh dikirim di URL (URL tercatat di log proxy, padahal NIP, nama, "
        "tanggal lahir dan nama pengguna staf tidak boleh masuk log). Kirim sebagai isi JSON ke {use}.",
        "The parameter {parameters} may not be sent in a URL (URLs are written to proxy logs, and NIPs, "
        "names, birth dates and staff usernames must not be). Send it in the JSON body of {use}.",
    ),
}
