"""The words of :mod:`sbt_sync.console.labels`: names of reference codes the reference files do not
carry (English sanction names, short violation-form names), every golden field's label, the product's
code lists (verification results, link and identity rules, control actions, quarantine checks) and the
console's texts for the core's refusals and English records; :data:`WORDS` is merged into the console's
one table (:mod:`sbt_sync.console.i18n`). Each entry is (Indonesian, English).
"""

from __future__ import annotations

Words = dict[str, tuple[str, str]]

SANCTION_EN = {
    1: "Oral reprimand",
    2: "Written reprimand",
    3: "Written statement of dissatisfaction",
    10: "Honourable discharge, not at own request",
    11: "Dishonourable discharge",
    21: "Moral sanction: public statement",
    22: "Moral sanction: closed statement",
    23: "Performance allowance cut 25% for 6 months",
    24: "Performance allowance cut 25% for 9 months",
    25: "Performance allowance cut 25% for 12 months",
    27: "Demotion one level for 12 months",
    28: "Release from the post to an executor post for 12 months",
}
"""English names of the jenisHukuman codes (``sanction_codes.csv`` holds the Indonesian ones)."""

VIOLATION_FORMS: Words = {
    "MEDSOS": ("Kampanye/dukungan di media sosial", "Campaigning or support on social media"),
    "KEGIATAN_BERPIHAK": ("Kegiatan yang berpihak", "Partisan activity"),
    "FOTO_CALON": (
        "Berfoto dengan calon atau simbol keberpihakan",
        "Photo with a candidate or partisan sign",
    ),
    "HADIR_DEKLARASI": (
        "Menghadiri deklarasi/kampanye calon",
        "Attending a candidate's declaration or rally",
    ),
    "PENDEKATAN_PARPOL": (
        "Pendekatan ke partai politik sebagai bakal calon",
        "Approaching a party as a candidate",
    ),
    "ALAT_PERAGA": ("Memasang alat peraga calon", "Putting up a candidate's campaign material"),
    "TIM_KAMPANYE": ("Menjadi tim kampanye/tim sukses", "Member of a campaign team"),
    "DUKUNG_PERSEORANGAN": (
        "Mendukung calon perseorangan (salinan KTP)",
        "Backing an independent (ID copies)",
    ),
    "KEPUTUSAN_BERPIHAK": ("Keputusan/tindakan yang berpihak", "Partisan decision or act"),
    "ANGGOTA_PARPOL": ("Anggota/pengurus partai politik", "Member or officer of a party"),
    "LAINNYA": ("Bentuk pelanggaran lainnya", "Another form of violation"),
}
"""Short names of the violation forms (``violation_forms.csv`` holds the full Indonesian description)."""

GOLDEN_FIELDS: Words = {
    "event_code": ("Pemilihan", "Election"),
    "register_no": ("Nomor register Bawaslu", "Bawaslu register no."),
    "register_type": ("Jenis register", "Register type"),
    "register_status": ("Status register", "Register status"),
    "violation_form": ("Bentuk pelanggaran", "Violation form"),
    "incident_at": ("Waktu kejadian", "Incident time"),
    "forwarded_at": ("Diteruskan pada", "Forwarded on"),
    "province": ("Provinsi", "Province"),
    "regency": ("Kabupaten/kota", "Regency or city"),
    "position": ("Jabatan", "Position"),
    "position_category": ("Kategori jabatan", "Position category"),
    "recommendation_no": ("Nomor rekomendasi", "Recommendation no."),
    "recommending_body": ("Pemberi rekomendasi", "Recommending body"),
    "verification_result": ("Hasil verifikasi", "Verification result"),
    "verified_at": ("Tanggal verifikasi", "Verified on"),
    "recommended_sanction": ("Sanksi yang direkomendasikan", "Recommended sanction"),
    "recommendation_date": ("Tanggal rekomendasi", "Recommendation date"),
    "follow_up_deadline": ("Batas waktu tindak lanjut PPK", "PPK follow-up deadline"),
    "instansi_id": ("Instansi", "Instansi"),
    "sanction_code": ("Hukuman yang dijatuhkan PPK", "Sanction imposed by the PPK"),
    "sanction_sk_no": ("Nomor SK hukuman", "Sanction SK no."),
    "sanction_date": ("Tanggal SK hukuman", "Sanction SK date"),
    "sanction_effective": ("TMT hukuman", "Sanction effective from"),
    "follow_up_status": ("Status tindak lanjut", "Follow-up status"),
    "nip": ("NIP", "NIP"),
}
"""Every golden field (:mod:`sbt_sync.reconcile.golden.model`), as a steward calls it."""

VALUES: dict[str, Words] = {
    "verification_result": {
        "terbukti": ("Terbukti", "Proven"),
        "tidak_terbukti": ("Tidak terbukti", "Not proven"),
        "dibatalkan": ("Rekomendasi dibatalkan", "Recommendation annulled"),
        "ditolak": ("Ditolak", "Rejected"),
    },
    "follow_up_status": {
        "sudah_dijatuhi_hukuman": ("Sudah dijatuhi hukuman", "Sanction imposed"),
        "dalam_proses": ("Dalam proses", "In process"),
        "belum_ditindaklanjuti": ("Belum ditindaklanjuti", "Not followed up"),
    },
    "register_type": {"temuan": ("Temuan", "Finding"), "laporan": ("Laporan", "Public report")},
    "register_status": {"diteruskan": ("Diteruskan", "Forwarded"), "dihentikan": ("Dihentikan", "Stopped")},
    "position_category": {
        "JPT": ("Jabatan pimpinan tinggi (JPT)", "Senior executive (JPT)"),
        "administrator": ("Administrator", "Administrator"),
        "fungsional": ("Fungsional", "Functional"),
        "pelaksana": ("Pelaksana", "Executor"),
        "camat_lurah": ("Camat/lurah", "Camat or lurah"),
    },
}
"""Words for the golden fields whose values are codes of the product or of a feed."""

SANCTION_FIELDS = ("recommended_sanction", "sanction_code")
"""Golden fields holding a jenisHukuman code."""

LINK_RULES: Words = {
    "register": ("nomor register yang sama", "same register number"),
    "register_no": ("nomor register yang sama", "same register number"),
    "recommendation_no": ("nomor rekomendasi yang sama", "same recommendation number"),
    "nip_event": ("NIP dan pemilihan yang sama", "same NIP and election"),
    "nip_event_form": ("NIP, pemilihan dan bentuk pelanggaran yang sama", "same NIP, election and form"),
    "nip_time": ("NIP yang sama pada waktu yang berdekatan", "same NIP close in time"),
    "complaint_window": ("aduan dalam rentang waktu kejadian", "complaint within the incident's window"),
    "complaint_recommendation": ("aduan yang menyebut rekomendasi", "complaint naming the recommendation"),
    "own_case": ("kasus tersendiri", "a case of its own"),
    "steward_move": ("dipindahkan steward", "moved by a steward"),
    "steward_split": ("dipisahkan steward", "split by a steward"),
    "steward_merge": ("digabung steward", "merged by a steward"),
}
IDENTITY_RULES: Words = {
    "nip_exact": ("NIP terdaftar di registri", "NIP found in the registry"),
    "name_match": ("cocok menurut nama", "matched by name"),
    "name_mismatch": ("nama berbeda dengan registri", "name differs from the registry"),
    "ambiguous_match": ("beberapa kandidat (ambigu)", "several candidates (ambiguous)"),
    "weak_match": ("kecocokan lemah", "weak match"),
    "no_candidate": ("tidak ada kandidat", "no candidate"),
    "steward": ("keputusan steward", "steward decision"),
    "steward_reopened": (
        "penetapan steward dibuka kembali (NIP diubah SIASN)",
        "steward's assignment reopened (SIASN changed the NIP)",
    ),
}
ACTIONS: Words = {
    "peringatan_dini": ("Peringatan dini", "Early warning"),
    "peringatan": ("Peringatan", "Peringatan (warning)"),
    "teguran": ("Teguran", "Teguran (reprimand)"),
    "pemblokiran": ("Pemblokiran", "Pemblokiran (block)"),
    "buka_blokir": ("Buka blokir", "Unblock"),
    "hold": ("Ditahan", "Held"),
    "blokir": ("Blokir", "Block"),
    "buka": ("Buka blokir", "Unblock"),
}
"""Control actions (:data:`sbt_sync.enforce.model.ActionKind`) and SIASN push actions."""

QUARANTINE_CHECKS: dict[str, tuple[str, str, str, str]] = {
    "acceptable_nip": (
        "NIP tidak valid",
        "Perbaiki NIP di sistem sumber (18 angka), lalu tandai 'diperbaiki di sumber'.",
        "Invalid NIP",
        "Correct the NIP at the source (18 digits), then mark it 'fixed upstream'.",
    ),
    "not_nullable": (
        "Nilai wajib kosong",
        "Minta sumber mengisi kolom ini, lalu tandai 'diperbaiki di sumber'.",
        "Required value missing",
        "Ask the source to fill this column in, then mark it 'fixed upstream'.",
    ),
    "dmy_date": (
        "Tanggal tidak valid (HH-BB-TTTT)",
        "Minta sumber menulis tanggal yang benar dalam format HH-BB-TTTT.",
        "Invalid date (dd-mm-yyyy)",
        "Ask the source for a real date written dd-mm-yyyy.",
    ),
    "iso_date": (
        "Tanggal tidak valid (TTTT-BB-HH)",
        "Minta sumber menulis tanggal yang benar dalam format TTTT-BB-HH.",
        "Invalid date (yyyy-mm-dd)",
        "Ask the source for a real date written yyyy-mm-dd.",
    ),
    "iso_datetime_with_offset": (
        "Waktu tanpa zona waktu yang sah",
        "Minta sumber menulis waktu ISO-8601 dengan selisih UTC (mis. +07:00).",
        "Instant without a valid UTC offset",
        "Ask the source for an ISO-8601 instant with a UTC offset (e.g. +07:00).",
    ),
    "known_violation_form": (
        "Kode bentuk pelanggaran tidak dikenal",
        "Bentuk yang sah: {forms}. Minta sumber memakai salah satunya.",
        "Unknown violation-form code",
        "The valid forms: {forms}. Ask the source to use one of them.",
    ),
    "known_sanction_code": (
        "Kode jenisHukuman tidak dikenal",
        "Kode yang sah: {codes}. Minta sumber memakai salah satunya.",
        "Unknown jenisHukuman code",
        "The valid codes: {codes}. Ask the source to use one of them.",
    ),
    "known_sanction_name": (
        "Nama hukuman tidak dikenal",
        "Minta sumber menulis nama hukuman sesuai daftar jenisHukuman SIASN.",
        "Unknown sanction name",
        "Ask the source to name the sanction as SIASN's jenisHukuman list does.",
    ),
    "json_type": (
        "Jenis nilai JSON salah",
        "Sumber mengirim daftar atau objek di tempat satu nilai; minta sumber memperbaikinya.",
        "Wrong JSON type",
        "The source sent a list or an object where one value belongs; ask it to correct this.",
    ),
    "json_value": (
        "Nilai tidak dapat dibaca",
        "Nilai rusak saat dikirim (NaN, karakter tidak sah); minta sumber mengirim ulang rekaman ini.",
        "Unreadable value",
        "The value was damaged in transit (NaN, an invalid character); ask the source to send it again.",
    ),
    "row_shape": (
        "Baris berkas rusak",
        "Baris CSV/JSON tidak dapat dibaca; minta sumber mengirim ulang berkasnya.",
        "Malformed file row",
        "The CSV/JSON row cannot be read; ask the source to deliver the file again.",
    ),
    "file_readable": (
        "Berkas tidak dapat dibaca",
        "Minta sumber mengirim ulang berkas ini dengan nama yang sama.",
        "Unreadable file",
        "Ask the source to deliver this file again under the same name.",
    ),
    "file_access_denied": (
        "Server sumber menolak akses baca berkas",
        "Minta sumber memberi akun SBT izin membaca berkas ini; berkas diambil pada siklus berikutnya.",
        "The source's server refuses to let us read the file",
        "Ask the source to let the SBT account read this file; it is taken at the next cycle.",
    ),
    "file_still_written": (
        "Berkas masih ditulis saat dibaca",
        "Berkas berubah selama diunduh dan diambil lagi pada siklus berikutnya. Bila terus berulang, "
        "minta sumber mengunggah dengan nama sementara lalu mengganti namanya setelah selesai.",
        "File still being written while it was read",
        "The file changed while it was downloaded and is taken again at the next cycle. If this keeps "
        "happening, ask the source to upload under a temporary name and rename the file when done.",
    ),
    "page_readable": (
        "Halaman API tidak dapat dibaca",
        "Periksa layanan sumber; halaman ini dibaca ulang pada siklus berikutnya.",
        "Unreadable API page",
        "Check the source's service; the page is read again at the next cycle.",
    ),
    "isin": (
        "Nilai di luar daftar yang diizinkan",
        "Nilai yang diizinkan: {allowed}. Minta sumber memakai salah satunya.",
        "Value not in the allowed list",
        "Allowed values: {allowed}. Ask the source to use one of them.",
    ),
    "str_matches": (
        "Format nilai tidak sesuai",
        "Minta sumber menulis nilai sesuai pola {pattern}.",
        "Value does not match its pattern",
        "Ask the source to write the value as the pattern {pattern} says.",
    ),
    "dtype": (
        "Jenis data salah",
        "Minta sumber mengirim nilai dengan jenis data yang benar.",
        "Wrong type",
        "Ask the source to send the value with the right type.",
    ),
}
"""Quarantine checks (:mod:`sbt_sync.ingest.validate`, :mod:`sbt_sync.ingest.pull`): the problem and
what to do, (Indonesian, Indonesian, English, English); a check not listed is named by its code."""

WORDS: Words = {
    "labels.code": ("kode", "code"),
    "labels.unknown_code": ("kode tidak dikenal", "unknown code"),
    "labels.unknown_instansi": ("instansi tidak dikenal di registri", "instansi unknown to the registry"),
    "labels.other_allowed": ("Pilihan yang sah", "Allowed values"),
    "labels.other_choose": ("pilih nilai lain", "choose another value"),
    "labels.what_to_do": ("Yang perlu dilakukan", "What to do"),
    "labels.source_text": ("Teks asli sumber", "The source's own text"),
    "labels.blocked_yes": ("diblokir", "blocked"),
    "labels.blocked_no": ("tidak diblokir", "not blocked"),
    "reopened.steward": (
        "Dibuka kembali oleh steward pada {at}: {reason}",
        "Reopened by a steward on {at}: {reason}",
    ),
    "reopened.by": ("Dibuka kembali oleh {who}: {reason}", "Reopened by {who}: {reason}"),
    "reopened.record_changed": (
        "{parts} pada rekaman berubah sejak keputusan steward tanggal {at}. Periksa dan putuskan lagi.",
        "The record's {parts} changed since the steward's decision of {at}. Check and decide again.",
    ),
    "correction.changed": (
        "Rekaman yang menjadi dasar koreksi ini berubah sejak koreksi diputuskan ({at}).",
        "The records this correction relied on changed since it was decided ({at}).",
    ),
    "correction.withdrawn": (
        "Sumber menarik rekaman no. {records}.",
        "The source withdrew record no. {records}.",
    ),
    "correction.machine": (
        "Tautan mesin berlaku lagi sampai steward memutuskan kembali.",
        "The machine's link applies until a steward decides again.",
    ),
    "correction.overruled": (
        "Steward memutuskan (atau membuka kembali) konflik identitas rekaman ini pada {at}, setelah "
        "koreksi ini: keputusan itulah yang berlaku.",
        "A steward decided (or reopened) the record's identity conflict on {at}, after this correction: "
        "that decision applies.",
    ),
    "correction.nip_gone": (
        "NIP yang ditetapkan ({nip}) tidak ada lagi di registri SIASN (SIASN membetulkan atau "
        "menghapusnya): rekaman tidak menyebut siapa pun dan kasusnya ditahan sampai steward "
        "memutuskan lagi.",
        "The NIP it assigns ({nip}) is no longer in the SIASN registry (SIASN corrected or removed "
        "it): the record names nobody and its case is held until a steward decides again.",
    ),
    "reopened.assigned_nip_gone": (
        "NIP yang ditetapkan steward untuk rekaman ini lewat koreksi tautan ({nip}) tidak ada lagi di "
        "registri SIASN (SIASN membetulkan atau menghapusnya): rekaman tidak menyebut siapa pun sampai "
        "steward memutuskan lagi. Hasil pencarian mesin: {search}.",
        "The NIP a steward assigned this record by a link correction ({nip}) is no longer in the SIASN "
        "registry (SIASN corrected or removed it): the record names nobody until a steward decides "
        "again. The machine's search: {search}.",
    ),
    "reopened.chosen_nip_gone": (
        "NIP yang dipilih steward tidak ada lagi di registri SIASN (dibetulkan atau dihapus). Hasil "
        "pencarian mesin: {search}. Periksa dan putuskan lagi.",
        "The NIP the steward chose is no longer in the SIASN registry (corrected or removed). The "
        "machine's search: {search}. Check and decide again.",
    ),
    "reopened.again": (
        "Muncul lagi setelah sempat selesai dengan sendirinya: {what}. Periksa dan putuskan.",
        "Raised again after it had closed by itself: {what}. Check and decide.",
    ),
    "again.sources": ("sumber kembali berbeda", "the sources disagree again"),
    "again.names_nobody": (
        "rekaman {source} {record} tidak menyebut siapa pun di registri",
        "{source} record {record} names nobody in the registry",
    ),
    "again.names_other": (
        "rekaman {source} {record} menyebut ASN lain, bukan ASN kasus ini",
        "{source} record {record} names another ASN than the case's",
    ),
    "machine.nip": ("NIP terdaftar", "a registered NIP"),
    "machine.nip_no_name": ("NIP terdaftar, tanpa nama", "a registered NIP, no name"),
    "machine.none": ("tidak ada kandidat di registri", "no registry candidate"),
    "machine.mismatch": (
        "nama pemegang NIP terdaftar hanya cocok {score} (batas {limit})",
        "the registered holder's name scores {score} (limit {limit})",
    ),
    "machine.namesakes": (
        "{n} kandidat, terbaik {best}, ada nama kembar",
        "{n} candidates, best {best}, with namesakes",
    ),
    "machine.weak": (
        "{n} kandidat, terbaik {best} (diterima otomatis mulai {auto})",
        "{n} candidates, best {best} (auto-accept from {auto})",
    ),
    "written.nip": ("NIP", "NIP"),
    "written.name": ("nama", "name"),
    "written.instansi": ("instansi", "instansi"),
    "written.and": (" dan ", " and "),
    "written.unknown": ("NIP, nama atau instansi", "NIP, name or instansi"),
    "reopened.sources_changed": (
        "Sumber berubah sejak keputusan tanggal {at}; nilai sekarang: {values}. Periksa dan putuskan lagi.",
        "The sources changed since the decision of {at}; now: {values}. Check and decide again.",
    ),
    "guard.max_changes": (
        "{changes} perubahan blokir melebihi batas {limit} perubahan per siklus. Periksa apakah perubahan "
        "ini memang dikehendaki: setujui bila benar, tolak bila berasal dari data sumber yang keliru.",
        "{changes} block-flag changes exceed the limit of {limit} per run. Check they are intended: approve "
        "if so, reject if they come from wrong source data.",
    ),
    "guard.max_percent": (
        "{changes} perubahan blokir adalah {percent}% dari {before} NIP yang diblokir, melebihi batas "
        "{limit}%. Periksa apakah ada sumber yang tiba-tiba mengirim data kosong sebelum menyetujui.",
        "{changes} block-flag changes are {percent}% of the {before} blocked NIPs, over the limit of "
        "{limit}%. Check that no source suddenly sent an empty feed before approving.",
    ),
    "astatus.waiting": ("menunggu", "waiting"),
    "astatus.approved": ("disetujui", "approved"),
    "astatus.rejected": ("ditolak", "rejected"),
    "end.revised": (
        "hukuman tercatat (berlaku: {code}, direvisi setelah keberatan pada {on})",
        "sanction recorded (in force: {code}, revised after objection on {on})",
    ),
    "end.critical_conflict": ("konflik kritis masih terbuka", "open critical conflict"),
    "end.sanction": ("hukuman tercatat", "sanction recorded"),
    "end.annulled": ("rekomendasi dibatalkan", "recommendation annulled"),
    "end.left": ("ASN berhenti dari dinas", "ASN left service"),
    "end.on": ("Buka blokir: {what} pada {day}", "Unblock: {what} on {day}"),
    "end.again": ("Diblokir lagi setelah blokirnya dibuka: ", "Blocked again after its unblock: "),
    "end.late": (
        ", baru diketahui setelah pemblokiran diterapkan (dilaporkan terlambat)",
        ", known only after the block: reported after it was applied",
    ),
    "end.no_longer_proven": (
        "Buka blokir: rekomendasi tidak lagi terbukti (hasil verifikasi kini: {result})",
        "Unblock: recommendation no longer proven (result now: {result})",
    ),
    "end.no_result": ("belum ada", "none yet"),
    "end.unknown_day": (
        "Buka blokir: {what} (tanggal tidak diketahui, dihitung per {day})",
        "Unblock: {what} (date unknown, counted as of {day})",
    ),
    "guard.summary": ("{blokir} blokir, {buka} buka blokir", "{blokir} blocks, {buka} unblocks"),
    "err.generic": (
        "Permintaan ditolak. Periksa isian lalu coba lagi; bila berulang, hubungi admin.",
        "The request was refused. Check the values and try again; ask an admin if it recurs.",
    ),
    "err.reason_required": ("Isi alasannya dulu.", "Give a reason first."),
    "err.not_found": ("Data #{id} tidak ditemukan.", "No record #{id}."),
    "err.conflict_not_open": (
        "Konflik #{id} sudah {status}, tidak terbuka lagi. Muat ulang antrean.",
        "Conflict #{id} is {status}, no longer open. Reload the queue.",
    ),
    "err.conflict_claimed": (
        "Konflik #{id} sedang ditangani {holder}. Minta ia melepasnya, atau pilih konflik lain.",
        "Conflict #{id} is claimed by {holder}. Ask them to release it, or choose another conflict.",
    ),
    "err.invalid_assignee": (
        "{who} bukan akun steward atau admin yang aktif. Pilih rekan dari daftar.",
        "{who} is no active steward or admin account. Choose a colleague from the list.",
    ),
    "err.conflict_changed": (
        "Konflik #{id} berubah selagi Anda memutuskan. Periksa nilainya lagi lalu putuskan.",
        "Conflict #{id} changed while you decided. Look at it again, then decide.",
    ),
    "err.consequence_changed": (
        "Akibatnya berubah sejak pratinjau yang Anda baca; tidak ada yang dicatat. Baca akibat yang baru, "
        "lalu konfirmasi dengan sidik pratinjau itu.",
        "Its consequence changed since the preview you read; nothing was recorded. Read the new "
        "consequence, then confirm with that preview's fingerprint.",
    ),
    "err.preview_required": (
        "Konfirmasi dengan sidik (fingerprint) pratinjau yang Anda baca.",
        "Confirm with the fingerprint of the preview you read.",
    ),
    "err.nip_invalid": (
        "Konflik #{id}: {detail}. Isi NIP 18 angka yang terdaftar di registri, atau pilih 'bukan ASN'.",
        "Conflict #{id}: {detail}. Give a registered 18-digit NIP, or choose 'not an ASN'.",
    ),
    "err.nip_missing": (
        "Konflik #{id}: isi NIP atau pilih 'bukan ASN'.",
        "Conflict #{id}: give a NIP or choose 'not an ASN'.",
    ),
    "err.nip_not_registered": (
        "Konflik #{id}: NIP {nip} tidak ada di registri. Cari orangnya di registri dan pilih dari hasilnya.",
        "Conflict #{id}: NIP {nip} is not in the registry. Search the registry and choose from the results.",
    ),
    "err.keep_only": (
        "Konflik #{id}: tautan ambigu diselesaikan dengan 'tetap kasus tersendiri'.",
        "Conflict #{id}: an ambiguous link is resolved with 'keep as its own case'.",
    ),
    "err.named_other_keep_only": (
        "Konflik #{id}: rekaman yang menyebut ASN lain diselesaikan dengan 'tetap di kasus ini', atau "
        "dipindahkan ke kasus ASN yang disebutnya lewat koreksi tautan.",
        "Conflict #{id}: a record naming another ASN is resolved with 'keep in this case', or moved to "
        "the case of the ASN it names with a link correction.",
    ),
    "err.not_a_candidate": (
        "Konflik #{id}: {value} bukan salah satu kandidat ({choices}). Pilih kandidat atau isi 'nilai lain'.",
        "Conflict #{id}: {value} is not a candidate ({choices}). Choose one, or give 'another value'.",
    ),
    "err.not_allowed_value": (
        "Konflik #{id}: {value} tidak sah untuk kolom “{field}”. Pilihan yang sah: {allowed}.",
        "Conflict #{id}: {value} is not valid for “{field}”. Allowed: {allowed}.",
    ),
    "err.bulk_too_many": (
        "Paling banyak {max} konflik sekaligus ({count} dipilih). Kurangi pilihan.",
        "At most {max} conflicts at once ({count} selected). Select fewer.",
    ),
    "err.quarantine_status": (
        "Status karantina {status} tidak dapat dipilih steward.",
        "A steward cannot set the quarantine status {status}.",
    ),
    "err.quarantine_superseded": (
        "Baris karantina #{id} sudah digantikan versi baru rekamannya; tidak perlu ditindaklanjuti.",
        "Quarantined row #{id} was superseded by a newer version of its record; nothing to do.",
    ),
    "err.approval_missing": ("Persetujuan #{id} tidak ada.", "Approval #{id} does not exist."),
    "err.approval_done": (
        "Persetujuan #{id} sudah {status}. Muat ulang halaman.",
        "Approval #{id} is already {status}. Reload the page.",
    ),
    "err.finding_closed": (
        "Temuan I-MUT #{id} sudah ditutup; muat ulang halaman untuk melihat keadaannya sekarang.",
        "I-MUT finding #{id} is closed; reload the page to see how it stands now.",
    ),
    "err.pic_invalid": (
        "ID instansi atau alamat surel tidak valid. Isi ID instansi dari registri dan alamat surel lengkap.",
        "The instansi id or the mail address is not valid. Give the registry's instansi id and a full "
        "address.",
    ),
    "err.mail_not_parked": (
        "Surat pada baris antrean #{id} tidak sedang gagal terkirim; muat ulang halaman untuk melihat "
        "keadaannya sekarang.",
        "The letter of outbox row #{id} is not parked; reload the page to see how it stands.",
    ),
    "err.give_up_ids": (
        "Sebutkan baris antrean surat yang gagal terkirim yang akan diserahkan.",
        "Name the parked letters' outbox rows to give up.",
    ),
    "err.letter_unnamed": (
        "Surat {number} belum dapat dilepas: nama instansi {instansi} belum tercatat, jadi surat akan "
        "terkirim tanpa nama penerimanya. Catat nama instansi di halaman PIC instansi, lalu lepas lagi.",
        "Letter {number} cannot be released yet: the name of instansi {instansi} is unknown, so it would go "
        "out without its addressee's name. Give the instansi's name on the agency PICs page, then release "
        "it again.",
    ),
    "err.approval_empty": (
        "Persetujuan #{id} tidak lagi memuat perubahan yang menunggu: semuanya sudah digantikan putaran "
        "berikutnya atau sudah tercatat di SIASN, jadi tidak ada yang perlu disetujui. Tutup dengan "
        "menolaknya.",
        "Approval #{id} no longer holds a change waiting: a later run replaced them all or SIASN already "
        "has them, so there is nothing to approve. Close it by rejecting it.",
    ),
    "err.approval_none": ("Tidak ada pengiriman yang menunggu persetujuan.", "No push waits for approval."),
    "err.withdraw_ids": (
        "Sebutkan baris antrean pengiriman yang ditangguhkan yang akan ditarik.",
        "Name the parked outbox rows to withdraw.",
    ),
    "err.outbox_missing": (
        "Baris antrean pengiriman #{id} tidak ada; muat ulang halaman.",
        "Outbox row #{id} does not exist; reload the page.",
    ),
    "err.withdraw_not_parked": (
        "Baris antrean pengiriman #{id} tidak sedang ditangguhkan, jadi tidak dapat ditarik; muat ulang "
        "halaman untuk melihat keadaannya sekarang.",
        "Outbox row #{id} is not parked, so it cannot be withdrawn; reload the page to see how it stands.",
    ),
    "err.retry_not_waiting": (
        "Baris antrean pengiriman #{id} tidak sedang ditangguhkan atau menunggu jeda percobaan ulang, jadi "
        "tidak perlu dicoba lagi; muat ulang halaman untuk melihat keadaannya sekarang.",
        "Outbox row #{id} is neither parked nor waiting out a backoff, so there is nothing to retry; reload "
        "the page to see how it stands.",
    ),
    "nipreason.length": (
        "NIP harus 18 angka, yang diisi {found} angka",
        "A NIP has 18 digits, found {found}",
    ),
    "nipreason.characters": (
        "NIP berisi karakter selain angka",
        "The NIP holds characters other than digits",
    ),
    "nipreason.float": (
        "NIP rusak oleh format angka desimal/ilmiah (tidak dapat diperbaiki)",
        "The NIP was mangled into a floating-point number (never repaired)",
    ),
    "nipreason.birth": ("tanggal lahir dalam NIP tidak mungkin", "impossible birth date in the NIP"),
    "nipreason.tmt": ("TMT CPNS dalam NIP tidak mungkin", "impossible TMT CPNS in the NIP"),
    "nipreason.gender": ("angka jenis kelamin NIP harus 1 atau 2", "the NIP's sex digit must be 1 or 2"),
    "nipreason.serial": ("nomor urut 000 tidak pernah diterbitkan", "serial 000 is never issued"),
    "nipreason.other": ("NIP tidak valid", "invalid NIP"),
    "tl.priority": ("prioritas", "priority"),
    "tl.status": ("status", "status"),
    "tl.rule": ("aturan", "rule"),
    "tl.by": ("oleh", "by"),
    "tl.source_updated_at": ("diperbarui sumber", "updated at the source"),
    "tl.reason": ("alasan", "reason"),
    "tl.decided_at": ("diputuskan", "decided"),
    "tl.decision": ("keputusan", "decision"),
    "tl.applied_at": ("diterapkan", "applied"),
    "tl.state": ("status kirim", "state"),
    "tl.attempts": ("percobaan", "attempts"),
    "tl.siasn_reference": ("referensi SIASN", "SIASN reference"),
    "tl.actor": ("pelaku", "actor"),
    "tl.reopened": ("dibuka kembali untuk diputuskan lagi", "reopened to be decided again"),
    "tl.machine": ("sistem (rekonsiliasi otomatis)", "the system (automatic reconciliation)"),
    "labels.siasn_ref": ("Referensi SIASN", "SIASN reference"),
    # Why a control step got no letter (letter_items.skipped; sbt_sync.letters.model.SKIP_REASONS).
    "letters.skip.ended": (
        "kasus selesai sebelum suratnya dibuat (sanksi, pembatalan atau ASN berhenti)",
        "the case ended before its letter (sanction, annulment or departure)",
    ),
    "letters.skip.later_step": (
        "kasus sudah mencapai tahap surat berikutnya sebelum suratnya dibuat",
        "the case reached a later letter step before its letter",
    ),
    "letters.skip.too_old": (
        "jatuh tempo {due}, lebih dari {days} hari sebelum surat",
        "due {due}, more than {days} days before the letter",
    ),
    "letters.skip.deadline_passed": (
        "batas waktu tiba sebelum peringatan dini dibuat",
        "the deadline came before the early warning",
    ),
    "letters.skip.no_instansi": ("kasus tidak menyebut instansi", "the case names no instansi"),
}
for _name, (_id, _en) in GOLDEN_FIELDS.items():
    WORDS[f"golden.{_name}"] = (_id, _en)
    WORDS[f"field.{_name}"] = (_id, _en)  # where a page names any field (the audit's before/after)
for _group, _words in (("linkrule", LINK_RULES), ("idrule", IDENTITY_RULES), ("action", ACTIONS)):
    for _code, _pair in _words.items():
        WORDS[f"{_group}.{_code}"] = _pair
for _field, _values in VALUES.items():
    for _code, _pair in _values.items():
        WORDS[f"value.{_field}.{_code}"] = _pair
for _check, (_id, _id_do, _en, _en_do) in QUARANTINE_CHECKS.items():
    WORDS[f"qcheck.{_check}"] = (_id, _en)
    WORDS[f"qdo.{_check}"] = (_id_do, _en_do)
