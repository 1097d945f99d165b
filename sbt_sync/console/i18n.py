"""The console's words in Bahasa Indonesia (the default) and English.

One table: each key maps to its (Indonesian, English) text. It imports only word tables, never the label
functions (:mod:`sbt_sync.console.labels` and its parts read their words from here). Domain terms stay
as the domain says them in both languages (NIP, PPK, Kanreg, peringatan, teguran, pemblokiran).
tests/console/test_i18n.py checks that every key a template or route uses is here.
"""

from __future__ import annotations

from collections.abc import Callable

from sbt_sync.console.labels_sources import WORDS as SOURCE_WORDS
from sbt_sync.console.labels_words import WORDS as FIELD_WORDS
from sbt_sync.console.words_a11y import WORDS as A11Y_WORDS
from sbt_sync.console.words_access import WORDS as ACCESS_WORDS
from sbt_sync.console.words_exports import WORDS as EXPORT_WORDS
from sbt_sync.console.words_holds import WORDS as HOLD_WORDS
from sbt_sync.console.words_pdp import WORDS as PDP_WORDS
from sbt_sync.console.words_queue import WORDS as QUEUE_WORDS
from sbt_sync.console.words_sanctions import WORDS as SANCTION_WORDS
from sbt_sync.console.words_search import WORDS as SEARCH_WORDS
from sbt_sync.imut.report import WORDS as IMUT_WORDS

LANGUAGES = ("id", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("Konsol Steward", "Steward console"),
    "app.subtitle": ("Sistem Berbagi Terintegrasi", "Integrated Sharing System"),
    "lang.switch": ("English", "Bahasa Indonesia"),
    "nav.label": ("Menu utama", "Main menu"),
    "nav.dashboard": ("Dasbor", "Dashboard"),
    "nav.conflicts": ("Konflik", "Conflicts"),
    "nav.cases": ("Kasus", "Cases"),
    "nav.quarantine": ("Karantina", "Quarantine"),
    "nav.push": ("Pengiriman SIASN", "SIASN push"),
    "nav.audit": ("Log audit", "Audit log"),
    "nav.imut": ("I-MUT", "I-MUT"),
    "nav.letters": ("Surat PPK", "PPK letters"),
    "nav.compliance": ("Kepatuhan PPK", "PPK compliance"),
    "nav.pic": ("PIC instansi", "Agency PICs"),
    "footer.timezone": ("Waktu ditampilkan dalam", "Times shown in"),
    "role.admin": ("admin", "admin"),
    "role.steward": ("steward BKN", "BKN steward"),
    "role.agency_viewer": ("pemantau instansi", "agency viewer"),
    "role.auditor": ("auditor", "auditor"),
    "auth.login": ("Masuk", "Log in"),
    "auth.logout": ("Keluar", "Log out"),
    "auth.username": ("Nama pengguna", "Username"),
    "auth.password": ("Kata sandi", "Password"),
    "auth.submit": ("Masuk", "Log in"),
    "login.failed": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "login.throttled": (
        "Terlalu banyak percobaan yang salah. Coba lagi dalam satu menit.",
        "Too many wrong attempts. Try again in a minute.",
    ),
    "login.or": ("atau", "or"),
    "login.with_sso": ("Masuk dengan {label}", "Log in with {label}"),
    "login.sso_failed": ("Masuk lewat SSO gagal.", "The SSO login failed."),
    "login.sso_no_account": (
        "Akun SSO ini belum terdaftar di konsol atau dinonaktifkan; hubungi admin.",
        "This SSO account has no active console account; ask an admin.",
    ),
    "login.expired": (
        "Sesi Anda telah berakhir; silakan masuk lagi.",
        "Your session ended; please log in again.",
    ),
    "error.title": ("Galat", "Error"),
    "error.title.400": ("Permintaan tidak valid", "Bad request"),
    "error.title.403": ("Tidak diizinkan", "Forbidden"),
    "error.title.404": ("Tidak ditemukan", "Not found"),
    "error.title.429": ("Terlalu banyak permintaan", "Too many requests"),
    "error.title.503": ("Basis data sedang sibuk", "The database is busy"),
    "error.busy": (
        "Basis data sedang sibuk: proses lain (penegakan atau rekonsiliasi) sedang menulis ke sana. Tidak "
        "ada yang diubah; silakan coba lagi sebentar lagi.",
        "The database is busy: another process (enforcement or reconciliation) is writing to it. Nothing "
        "was changed; please try again in a moment.",
    ),
    "error.try_again": ("Coba lagi", "Try again"),
    "error.bad_request": ("Isian formulir tidak valid.", "The form's values are not valid."),
    "error.forbidden": ("Peran Anda tidak mengizinkan tindakan ini.", "Your role does not allow this."),
    "error.not_found": ("Data tidak ditemukan.", "No such record."),
    "error.bad_date": (
        "Tanggal tidak valid: tulis sebagai TTTT-BB-HH, misalnya 2026-12-04.",
        "Not a valid date: write it as YYYY-MM-DD, for example 2026-12-04.",
    ),
    "error.date_out_of_range": (
        "Tanggal di luar rentang yang dapat dicari (dari {first} sampai {last}).",
        "The date is outside the range that can be searched ({first} to {last}).",
    ),
    "error.csrf": (
        "Formulir kedaluwarsa atau tidak sah (token CSRF). Muat ulang halaman lalu coba lagi.",
        "The form is stale or forged (CSRF token). Reload the page and try again.",
    ),
    "flash.more": (
        "… dan {count} pesan lain tidak ditampilkan.",
        "… and {count} more messages not shown.",
    ),
    "common.all": ("Semua", "All"),
    "common.none": ("Tidak ada data.", "Nothing here."),
    "common.filter": ("Saring", "Filter"),
    "common.status": ("Status", "Status"),
    "conflict.case_key": ("Kunci kasus", "Case key"),
    "export.col.source_code": ("Kode sumber", "Source code"),
    "common.source": ("Sumber", "Source"),
    "common.reason": ("Alasan", "Reason"),
    "common.when": ("Waktu", "When"),
    "common.yes": ("ya", "yes"),
    "common.no": ("tidak", "no"),
    "common.save": ("Simpan", "Save"),
    "common.action": ("Tindakan", "Action"),
    "common.select": ("Pilih", "Select"),
    "common.select_all": ("Pilih semua", "Select all"),
    "pager.label": ("Halaman", "Pages"),
    "pager.prev": ("Sebelumnya", "Previous"),
    "pager.next": ("Berikutnya", "Next"),
    "pager.page": ("Halaman {page} dari {pages}", "Page {page} of {pages}"),
    "dashboard.title": ("Rekapitulasi nasional", "National recap"),
    "dashboard.open_conflicts": ("konflik terbuka", "open conflicts"),
    "dashboard.held_cases": ("kasus ditahan", "held cases"),
    "dashboard.open_quarantine": ("baris dikarantina", "quarantined rows"),
    "dashboard.outbox_waiting": ("pengiriman menunggu steward", "pushes waiting for a steward"),
    "dashboard.recap": ("Rekap per pemilihan", "Recap per election"),
    "dashboard.funnel": ("Alur penanganan", "Handling funnel"),
    "dashboard.blocks_by_kanreg": ("NIP diblokir per Kanreg", "Blocked NIPs by Kanreg"),
    "dashboard.trend": ("Tren bulanan", "Monthly trend"),
    "recap.event": ("Pemilihan", "Election"),
    "recap.total": ("TOTAL", "TOTAL"),
    "recap.reported": ("Dilaporkan", "Reported"),
    "recap.recommended": ("Direkomendasikan", "Recommended"),
    "recap.sanctioned": ("Dijatuhi hukuman PPK", "Sanctioned by PPK"),
    "recap.not_followed_up": ("Belum ditindaklanjuti", "Not followed up"),
    "recap.left_service": ("ASN berhenti dari dinas", "ASN left service"),
    "recap.in_process": ("Dalam proses", "In process"),
    "recap.not_proven": ("Tidak terbukti", "Not proven"),
    "recap.rejected": ("Ditolak", "Rejected"),
    "recap.annulled": ("Dibatalkan", "Annulled"),
    "recap.held": ("Ditahan", "Held"),
    "recap.blocked": ("Diblokir", "Blocked"),
    "recap.blocked_nips": ("NIP diblokir", "Blocked NIPs"),
    "recap.unblocked": ("Dibuka blokirnya", "Unblocked"),
    "recap.unidentified": ("Terbukti, tanpa ASN teridentifikasi", "Proven, no ASN identified"),
    "recap.aduan": ("Aduan belum diteruskan", "Complaints not forwarded"),
    "conflicts.title": ("Antrean konflik", "Conflict queue"),
    "conflicts.one": ("Konflik", "Conflict"),
    "conflicts.kind": ("Jenis", "Kind"),
    "conflicts.field": ("Kolom", "Field"),
    "conflicts.priority": ("Prioritas", "Priority"),
    "conflicts.case": ("Kasus", "Case"),
    "conflicts.opened": ("Dibuka", "Opened"),
    "conflicts.due": ("Tenggat", "Due"),
    "conflicts.claimed_by": ("Ditangani oleh", "Claimed by"),
    "conflicts.older_than": ("Lebih lama dari (hari)", "Older than (days)"),
    "conflicts.reopened": ("dibuka kembali", "reopened"),
    # the label of a conflict's (or finding's) facts, capitalised like the facts around it; the
    # lower-case word above is the queue's badge, beside other lower-case badges ("ditahan")
    "conflicts.reopened_label": ("Dibuka kembali", "Reopened"),
    "conflicts.bulk": ("Selesaikan sekaligus", "Bulk resolve"),
    "conflicts.bulk_choice": ("Jawaban", "Answer"),
    "conflicts.bulk_top": (
        "kandidat teratas masing-masing (kecuali seri atau berbeda dengan baris sumber)",
        "each one's top candidate (except ties and disagreements with the row)",
    ),
    "conflicts.bulk_none": ("bukan ASN / tidak dapat diidentifikasi", "not an ASN / cannot be identified"),
    "conflicts.bulk_keep": ("tetap kasus tersendiri", "keep as its own case"),
    "conflicts.bulk_submit": ("Selesaikan yang dipilih", "Resolve the selected"),
    "kind.identity": ("identitas", "identity"),
    "kind.name_mismatch": ("nama tidak cocok", "name mismatch"),
    "kind.unresolved": ("identitas tidak ditemukan", "unresolved identity"),
    "kind.critical_field": ("kolom kritis", "critical field"),
    "kind.lifecycle": ("siklus kasus", "lifecycle"),
    "kind.ambiguous_link": ("tautan ambigu", "ambiguous link"),
    "kind.named_other": ("Rekaman menyebut ASN lain", "Record names another ASN"),
    # The queue's filter takes both named_other wordings (another ASN, or no ASN at all).
    "kind.filter.named_other": (
        "Rekaman menyebut ASN lain atau tanpa identitas",
        "Record names another ASN or no one",
    ),
    "kind.named_nobody": (
        "Rekaman tanpa identitas ASN tergabung lewat nomor",
        "Record naming no ASN joined by number",
    ),
    "status.open": ("terbuka", "open"),
    "status.resolved": ("diselesaikan", "resolved"),
    "status.auto_closed": ("tertutup otomatis", "closed automatically"),
    "status.all": ("semua", "all"),
    "conflict.claim": ("Tangani", "Claim"),
    "conflict.release": ("Lepaskan", "Release"),
    "conflict.claimed": ("Konflik kini Anda tangani.", "You have claimed the conflict."),
    "conflict.released": ("Konflik dilepaskan.", "The conflict is released."),
    "conflict.resolved": (
        "Konflik #{id} diselesaikan (keputusan #{decision}); berlaku pada siklus berikutnya.",
        "Conflict #{id} resolved (decision #{decision}); it takes effect at the next cycle.",
    ),
    "conflict.bulk_done": ("{count} konflik diselesaikan.", "{count} conflicts resolved."),
    "conflict.bulk_nothing": ("Belum ada konflik yang dipilih.", "No conflict is selected."),
    "conflict.record": ("Baris sumber", "Source row"),
    "conflict.nip_as_written": ("NIP sesuai sumber", "NIP as written"),
    "conflict.name": ("Nama", "Name"),
    "conflict.instansi": ("Instansi", "Instansi"),
    "conflict.candidates": ("Nilai berdampingan", "Values side by side"),
    "conflict.choose": ("Pilih", "Choose"),
    "conflict.value": ("Nilai", "Value"),
    "conflict.record_ref": ("Rekaman", "Record"),
    "conflict.rule": ("Aturan", "Rule"),
    "conflict.score": ("Skor", "Score"),
    "conflict.resolve": ("Selesaikan", "Resolve"),
    "conflict.nobody": ("Bukan ASN / tidak dapat diidentifikasi", "Not an ASN / cannot be identified"),
    "conflict.other_nip": ("NIP lain (yang terdaftar di registri)", "Another NIP (one in the registry)"),
    "conflict.other_nip_hint": ("18 angka", "18 digits"),
    "conflict.choose_first": (
        "Pilih dulu kandidat, hasil pencarian atau 'bukan ASN', lalu selesaikan.",
        "Choose a candidate, a search result or 'not an ASN' first, then resolve.",
    ),
    "conflict.no_case": ("belum tertaut ke kasus", "not linked to a case"),
    "conflict.side_by_side": (
        "Baris sumber dan kandidat berdampingan",
        "The source row and the candidates side by side",
    ),
    "conflict.golden_badge": ("nilai emas", "golden value"),
    "conflict.decided_by": ("Oleh", "By"),
    "match.yes": ("cocok", "matches"),
    "match.no": ("berbeda", "differs"),
    "gender.M": ("laki-laki", "male"),
    "gender.F": ("perempuan", "female"),
    "field.link": ("Tautan rekaman ke kasus", "The record's link to the case"),
    "field.name": ("Nama", "Name"),
    "field.birth_date": ("Tanggal lahir", "Birth date"),
    "field.gender": ("Jenis kelamin", "Sex"),
    "field.position": ("Jabatan", "Position"),
    "field.instansi": ("Instansi", "Instansi"),
    "field.kanreg": ("Kanreg", "Kanreg"),
    "field.status": ("Kedudukan", "Status (kedudukan)"),
    "review.tie": (
        "Kandidat teratas berskor sama (selisih paling banyak 0,02): tidak ada yang dipilih otomatis dan "
        "penyelesaian sekaligus melewatinya. Bandingkan kolomnya lalu pilih sendiri.",
        "The top candidates tie (within 0.02): none is chosen for you and bulk resolve skips this "
        "conflict. Compare the fields and choose yourself.",
    ),
    "review.disagrees": (
        "Kandidat teratas berbeda dengan baris sumber pada: {fields}. Tidak dipilih otomatis; penyelesaian "
        "sekaligus melewatinya.",
        "The top candidate differs from the source row on: {fields}. It is not chosen for you; bulk "
        "resolve skips this conflict.",
    ),
    "review.no_candidate": (
        "Registri tidak menawarkan kandidat. Cari orangnya di registri, atau catat 'bukan ASN / tidak "
        "dapat diidentifikasi' dengan alasannya.",
        "The registry offers no candidate. Search the registry for the person, or record 'not an ASN / "
        "cannot be identified' with the reason.",
    ),
    "review.from_nip": ("dari NIP", "from the NIP"),
    "review.tie_badge": ("seri", "tie"),
    "review.instansi_id": ("ditulis sebagai kode", "written as the code"),
    "review.candidates": ("Kandidat dari rekonsiliasi", "Candidates from the reconciliation"),
    "review.narrow_title": ("Saring kandidat", "Narrow the candidates"),
    "review.narrow_birth": ("Tanggal atau tahun lahir", "Birth date or year"),
    "review.narrow_any": ("semua", "any"),
    "review.narrow_submit": ("Saring", "Filter"),
    "review.narrow_clear": ("Hapus saringan", "Clear the filters"),
    "review.narrow_hint": (
        "Banyak ASN berbagi nama ini. Saring menurut tanggal lahir (TTTT, TTTT-BB atau TTTT-BB-HH), "
        "sebagian nama instansi atau kodenya, dan Kanreg.",
        "Many ASN share this name. Narrow them by birth date (YYYY, YYYY-MM or YYYY-MM-DD), part of the "
        "instansi's name or its code, and Kanreg.",
    ),
    "review.narrow_none": (
        "Tidak ada kandidat yang cocok dengan saringan ini.",
        "No candidate matches these filters.",
    ),
    "review.page_of": ("{first}–{last} dari {matching}", "{first}–{last} of {matching}"),
    "review.filtered_from": ("disaring dari {offered}", "filtered from {offered}"),
    "review.tie_cut": (
        "{total} ASN berbagi nama dan skor ini; ditampilkan: {shown}. Orang yang dimaksud bisa jadi "
        "tidak termasuk yang ditampilkan: cari di registri dengan tanggal lahir atau instansi.",
        "{total} ASN share this name and score; shown: {shown}. The person meant may be among those "
        "not shown: search the registry by birth date or instansi.",
    ),
    "review.none_offered": (
        "Rekonsiliasi tidak menemukan kandidat.",
        "The reconciliation found no candidate.",
    ),
    "search.title": ("Cari di registri ASN", "Search the ASN registry"),
    "search.name": ("Nama", "Name"),
    "search.nip": ("NIP (lengkap atau angka awalnya)", "NIP (full, or its first digits)"),
    "search.submit": ("Cari", "Search"),
    "search.hint": (
        "Nama boleh salah eja, bergelar atau terbalik urutannya; tanggal lahir dan instansi mempersempit "
        "hasil (instansi boleh sebagian namanya, misalnya Sampang).",
        "The name may be misspelt, carry titles or be in another order; a birth date and an instansi "
        "narrow the results (part of the instansi's name will do, e.g. Sampang).",
    ),
    "search.results": ("Hasil pencarian registri", "Registry search results"),
    "search.nothing": (
        "Tidak ada ASN yang cocok. Longgarkan pencarian, misalnya tanpa tanggal lahir atau instansi.",
        "No ASN matches. Widen the search, e.g. without the birth date or the instansi.",
    ),
    "search.error.empty": (
        "Isi nama, NIP (atau angka awalnya) atau tanggal lahir.",
        "Give a name, a NIP (or its first digits) or a birth date.",
    ),
    "search.error.nip_short": (
        "Isi paling sedikit 4 angka awal NIP.",
        "Give at least the first 4 digits of the NIP.",
    ),
    "search.error.nip_digits": ("NIP hanya berisi angka.", "A NIP is made of digits."),
    "search.error.birth_date": (
        "Tanggal lahir tidak valid; gunakan format TTTT-BB-HH.",
        "The birth date is not valid; use YYYY-MM-DD.",
    ),
    "rule.source_rank": ("peringkat sumber", "source rank"),
    "rule.recency": ("paling baru", "most recent"),
    "rule.only_source": ("satu-satunya sumber", "only source"),
    "rule.steward_decision": ("keputusan steward", "steward decision"),
    "rule.registry": ("registri SIASN", "SIASN registry"),
    "bulk.refused.tie": (
        "#{id} tidak diubah: {tied} kandidat teratas berskor sama (seri); pilih sendiri di halaman konflik.",
        "#{id} left open: {tied} top candidates tie; choose one on the conflict page.",
    ),
    "bulk.refused.disagrees": (
        "#{id} tidak diubah: kandidat teratas berbeda dengan baris sumber pada {fields}; periksa di halaman "
        "konflik.",
        "#{id} left open: the top candidate differs from the source row on {fields}; check it on the "
        "conflict page.",
    ),
    "bulk.refused.no_candidate": (
        "#{id} tidak diubah: tidak ada kandidat; cari di registri atau catat bukan ASN.",
        "#{id} left open: no candidate; search the registry or record 'not an ASN'.",
    ),
    "bulk.refused.not_found": ("#{id}: konflik tidak ditemukan.", "#{id}: no such conflict."),
    "bulk.refused.forbidden": (
        "#{id}: konflik milik instansi lain.",
        "#{id}: the conflict belongs to another agency.",
    ),
    "bulk.refused.claimed": (
        "#{id} tidak diubah: sedang ditangani steward lain.",
        "#{id} left open: another steward has claimed it.",
    ),
    "bulk.refused.invalid": ("#{id} tidak diubah: {message}", "#{id} left open: {message}"),
    "bulk.refused.more": (
        "… dan {count} konflik lain tidak diubah.",
        "… and {count} more conflicts left open.",
    ),
    "conflict.keep": ("Tetap kasus tersendiri", "Keep as its own case"),
    "conflict.named_other_value": (
        "Masuk ke kasus ini lewat {rule} {number}; kasus ini tentang NIP {case_nip}, tetapi rekaman menyebut "
        "NIP {named_nip}.",
        "Joined this case by {rule} {number}; the case is about NIP {case_nip}, but the record names NIP "
        "{named_nip}.",
    ),
    "conflict.named_nobody_value": (
        "Masuk ke kasus ini lewat {rule} {number}; kasus ini tentang NIP {case_nip}, tetapi rekaman menyebut "
        "orang yang menurut keputusan steward bukan ASN (tidak ada di registri).",
        "Joined this case by {rule} {number}; the case is about NIP {case_nip}, but the record names someone "
        "a steward decided is no ASN (nobody in the registry).",
    ),
    "conflict.named_nobody_split": (
        "Pisahkan rekaman dari kasus ini",
        "Split the record out of this case",
    ),
    "conflict.named_other_move": (
        "Pindahkan rekaman ke kasus ASN yang disebutnya",
        "Move the record to the case of the ASN it names",
    ),
    "conflict.keep_named_other": (
        "Rekaman ini milik kasus ini (NIP/nama di dalamnya kekeliruan sumber)",
        "The record belongs to this case (the NIP/name on it are the source's mistake)",
    ),
    "conflict.other": ("Nilai lain", "Another value"),
    "conflict.other_hint": ("NIP atau nilai yang benar", "the right NIP or value"),
    "conflict.golden": ("Data emas kasus", "The case's golden record"),
    "conflict.decisions": ("Keputusan steward", "Steward decisions"),
    "conflict.applied": ("Diterapkan", "Applied"),
    "conflict.holds": ("Masih berlaku", "Still holds"),
    "cases.title": ("Kasus", "Cases"),
    "cases.search": ("Cari", "Search"),
    "cases.search_hint": (
        "nama, NIP, nomor register/rekomendasi, kunci kasus",
        "name, NIP, register or recommendation no., case key",
    ),
    "cases.key": ("Kunci kasus", "Case key"),
    "cases.event": ("Pemilihan", "Election"),
    "cases.register": ("No. register", "Register no."),
    "cases.recommendation": ("No. rekomendasi", "Recommendation no."),
    "cases.updated": ("Diperbarui", "Updated"),
    "case.title": ("Kasus", "Case"),
    "case.held": ("ditahan", "held"),
    "case.unidentified": (
        "ASN belum teridentifikasi (menunggu steward)",
        "ASN not yet identified (waiting for a steward)",
    ),
    "case.conflicts": ("Konflik kasus ini", "This case's conflicts"),
    "case.timeline": ("Linimasa", "Timeline"),
    "case.provenance": ("Asal tiap kolom", "Field provenance"),
    "case.records": ("Rekaman sumber", "Source records"),
    "case.link_rule": ("Aturan tautan", "Link rule"),
    "case.identity_rule": ("Aturan identitas", "Identity rule"),
    "case.active": ("Aktif", "Active"),
    "cstatus.aduan": ("Aduan belum diteruskan", "Complaint not yet forwarded"),
    "cstatus.menunggu_verifikasi": ("Menunggu verifikasi", "Awaiting verification"),
    "cstatus.menunggu_tindak_lanjut_ppk": ("Menunggu tindak lanjut PPK", "Awaiting the PPK's follow-up"),
    "cstatus.tidak_terbukti": ("Tidak terbukti", "Not proven"),
    "cstatus.dibatalkan": ("Rekomendasi dibatalkan", "Recommendation annulled"),
    "cstatus.ditolak": ("Ditolak", "Rejected"),
    "cstatus.asn_berhenti": ("ASN sudah berhenti", "ASN has left service"),
    "cstatus.dijatuhi_hukuman": ("Dijatuhi hukuman oleh PPK", "Sanctioned by the PPK"),
    "hold.title": ("Mengapa kasus ini ditahan", "Why this case is held"),
    "hold.record": ("{key} dari {source}", "{key} from {source}"),
    "hold.conflict": ("Konflik {kind} masih terbuka:", "An open {kind} conflict:"),
    "hold.identity_conflict": (
        "Identitas rekaman {record} diperselisihkan: konflik {kind} ({offered} kandidat) masih terbuka:",
        "The identity of record {record} is disputed: its {kind} conflict ({offered} candidates) is open:",
    ),
    "hold.other_asn": (
        "Rekaman {record} menyebut ASN lain, bukan ASN kasus ini (tertaut lewat nomor register atau "
        "rekomendasi).",
        "Record {record} names another ASN than the case's (it joined by a register or recommendation "
        "number).",
    ),
    "hold.nobody": (
        "Rekaman {record} menyebut orang yang tidak ada di registri, bukan ASN kasus ini.",
        "Record {record} names someone not in the registry, not the case's ASN.",
    ),
    "hold.registry_nip": (
        "SIASN tidak lagi mengenal NIP ASN kasus ini (koreksi NIP atau penghapusan). Periksa NIP-nya di "
        "SIASN; penahanan berakhir sendiri bila SIASN mengenalnya lagi.",
        "SIASN no longer knows the NIP of this case's ASN (a NIP correction or a removal). Check the NIP in "
        "SIASN; the hold ends by itself once SIASN knows it again.",
    ),
    "hold.registry_kedudukan": (
        "SIASN mengirim kode kedudukan yang tidak dikenal ({code}); ASN ini mungkin sudah berhenti. "
        "Penahanan berakhir sendiri bila SIASN mengirim kode yang dikenal.",
        "SIASN sent a kedudukan code we do not know ({code}); the ASN may have left service. The hold "
        "ends by itself once SIASN sends a known code.",
    ),
    "hold.hint": (
        "Selama ditahan, kasus ini tidak memblokir siapa pun dan tidak dieskalasi. Selesaikan konfliknya "
        "atau perbaiki tautan rekaman di bawah.",
        "While held, the case blocks nobody and is not escalated. Resolve its conflicts or correct the "
        "record's link below.",
    ),
    "links.move": ("Pindahkan ke kasus lain", "Move to another case"),
    "links.assign": ("Tetapkan ASN", "Assign an ASN"),
    "links.split": ("Pisahkan menjadi kasus sendiri", "Split into its own case"),
    "links.merge": ("Gabungkan dengan kasus lain", "Merge with another case"),
    "links.kind": ("Jenis koreksi", "Correction"),
    "links.kind.move_record": ("pindah ke kasus lain", "moved to another case"),
    "links.kind.assign_person": ("penetapan ASN", "ASN assigned"),
    "links.kind.split": ("dipisahkan menjadi kasus sendiri", "split into its own case"),
    "links.kind.merge": ("digabung dengan kasus lain", "merged with another case"),
    "links.title.move_record": ("Pindahkan rekaman ke kasus lain", "Move the record to another case"),
    "links.title.assign_person": ("Tetapkan ASN untuk rekaman", "Assign the record's ASN"),
    "links.title.split": ("Pisahkan rekaman menjadi kasus sendiri", "Split the record into its own case"),
    "links.title.merge": ("Gabungkan kasus ini dengan kasus lain", "Merge this case with another"),
    "links.help.move_record": (
        "Cari kasus tujuan (kunci kasus, NIP, nomor register atau rekomendasi) atau isi nomor rekaman "
        "salah satu rekaman kasus tujuan. Sebelum disimpan, Anda melihat akibatnya.",
        "Find the target case (case key, NIP, register or recommendation number) or give the number of one "
        "of its records. You see the consequence before anything is recorded.",
    ),
    "links.help.assign_person": (
        "Cari ASN yang sebenarnya disebut rekaman ini di registri, atau pilih 'bukan ASN'. Rekaman akan "
        "pindah ke kasus ASN tersebut. Sebelum disimpan, Anda melihat akibatnya.",
        "Search the registry for the ASN the record really names, or choose 'not an ASN'. The record moves "
        "to that person's case. You see the consequence before anything is recorded.",
    ),
    "links.help.split": (
        "Rekaman ini keluar dari kasusnya dan menjadi kasus sendiri.",
        "The record leaves its case and forms a case of its own.",
    ),
    "links.help.merge": (
        "Cari kasus yang merupakan kejadian yang sama; semua rekaman kasus ini akan bergabung ke sana.",
        "Find the case that is the same incident; every record of this case joins it.",
    ),
    "links.record": ("Rekaman", "Record"),
    "links.record_id": ("rekaman no.", "record no."),
    "links.case_of": ("kasus", "the case of"),
    "links.this_record": ("rekaman yang dikoreksi", "the corrected record"),
    "links.find_case": ("Cari kasus tujuan", "Find the target case"),
    "links.choose_case": ("Pilih kasus tujuan", "Choose the target case"),
    "links.choose_person": ("Pilih ASN", "Choose the ASN"),
    "links.or_record": ("atau sebut satu rekaman kasus tujuan", "or name one record of the target case"),
    "links.target_record": ("Nomor rekaman", "Record number"),
    "links.search_first": ("Cari dulu di registri.", "Search the registry first."),
    "links.search_case_first": ("Cari dulu kasus tujuannya.", "Search for the target case first."),
    "links.to_preview": ("Lihat akibatnya", "See the consequence"),
    "links.preview": ("Pratinjau koreksi", "Correction preview"),
    "links.preview_hint": (
        "Belum ada yang disimpan. Beginilah keadaan setelah siklus berikutnya menerapkan koreksi ini.",
        "Nothing is recorded yet. This is how things stand once the next cycle applies the correction.",
    ),
    "links.flags": ("Perubahan blokir di SIASN", "Block changes in SIASN"),
    "links.will_block": ("akan diblokir", "will be blocked"),
    "links.will_unblock": ("akan dibuka blokirnya", "will be unblocked"),
    "links.waits_for_steward": ("menunggu keputusan steward", "waits for a steward"),
    "links.waits_for_steward_why": (
        "SIASN sudah memblokir NIP ini sebelum blokir kita (misalnya blokir Kanreg sendiri): pembukaannya "
        "ditahan di monitor push dan SIASN tetap memblokir sampai steward mengirimnya.",
        "SIASN held this NIP's block before ours (a Kanreg's own block, say): the unblock is parked on "
        "the push monitor and SIASN keeps the block until a steward sends it.",
    ),
    "links.because": ("karena", "because of"),
    "links.no_flag_change": ("Tidak ada NIP yang berubah status blokirnya.", "No NIP's block flag changes."),
    "links.before": ("Kasus sekarang", "The cases now"),
    "links.after": ("Kasus sesudah koreksi", "The cases after the correction"),
    "links.would_hold": ("akan ditahan", "would be held"),
    "links.changes_nothing": (
        "Koreksi ini tidak mengubah kasus maupun blokir apa pun.",
        "This correction changes no case and no block.",
    ),
    "links.confirm_title": ("Simpan koreksi", "Record the correction"),
    "links.confirm": ("Simpan koreksi", "Record the correction"),
    "links.cancel": ("Batal", "Cancel"),
    "links.recorded": (
        "Koreksi #{id} disimpan; berlaku pada siklus berikutnya.",
        "Correction #{id} recorded; it takes effect at the next cycle.",
    ),
    "links.undone": (
        "Koreksi #{id} dibatalkan; siklus berikutnya mengembalikan tautan semula.",
        "Correction #{id} undone; the next cycle restores the links as they were.",
    ),
    "links.reopened": (
        "Keputusan konflik #{id} dibuka kembali; konflik kembali ke antrean.",
        "The decision on conflict #{id} is reopened; the conflict is back in the queue.",
    ),
    "links.corrections": ("Koreksi tautan", "Link corrections"),
    "links.what": ("Rekaman", "Records"),
    "links.none": ("Belum ada koreksi tautan.", "No link corrections."),
    "links.status.active": ("aktif", "active"),
    "links.status.reopened": ("dibuka kembali", "reopened"),
    "links.status.revoked": ("dibatalkan", "undone"),
    "links.status.superseded": ("digantikan", "superseded"),
    "links.superseded_by": (
        "Koreksi #{id} yang lebih baru menetapkan ulang catatan ini; yang berlaku adalah koreksi itu.",
        "Correction #{id}, made later, assigns this record again; that one applies.",
    ),
    "links.applied_at": ("diterapkan", "applied"),
    "links.next_cycle": ("diterapkan pada siklus berikutnya", "applied at the next cycle"),
    "links.undo": ("Batalkan", "Undo"),
    "links.undo_title": ("Pratinjau pembatalan koreksi #{id}", "Preview: undo correction #{id}"),
    "links.undo_hint": (
        "Membatalkan koreksi membuat siklus berikutnya menautkan rekamannya seperti yang dilakukan mesin. "
        "Inilah akibatnya pada kasus dan tanda blokir; belum ada yang disimpan.",
        "Undoing the correction makes the next cycle link its records as the machine would. This is what it "
        "does to the cases and the block flags; nothing is recorded yet.",
    ),
    "links.undo_confirm": ("Batalkan koreksi", "Undo the correction"),
    "links.reopen_title": ("Pratinjau membuka kembali konflik #{id}", "Preview: reopen conflict #{id}"),
    "links.reopen_preview": ("Lihat akibatnya, lalu buka kembali", "See what it changes, then reopen"),
    "links.reopen_preview_hint": (
        "Keputusan ini berhenti berlaku pada siklus berikutnya dan konflik kembali ke antrean. Inilah "
        "akibatnya pada kasus dan tanda blokir; belum ada yang disimpan.",
        "The decision stops applying at the next cycle and the conflict waits in the queue again. This is "
        "what it does to the cases and the block flags; nothing is recorded yet.",
    ),
    "links.reopen": ("Buka kembali keputusan", "Reopen the decision"),
    "links.reopen_hint": (
        "Keputusan berhenti berlaku pada siklus berikutnya dan konflik kembali ke antrean.",
        "The decision stops applying at the next cycle and the conflict returns to the queue.",
    ),
    "links.error.reason": ("Isi alasannya dulu.", "Give a reason first."),
    "links.error.not_in_case": (
        "Rekaman itu tidak (lagi) tertaut ke kasus ini.",
        "That record is not (any longer) linked to this case.",
    ),
    "links.error.no_target_case": (
        "Pilih kasus tujuan atau isi nomor rekaman kasus tujuan.",
        "Choose the target case or give the number of one of its records.",
    ),
    "links.error.no_person": (
        "Pilih ASN dari hasil pencarian atau 'bukan ASN'.",
        "Choose an ASN from the search results or 'not an ASN'.",
    ),
    "links.error.same_case": (
        "Kedua rekaman sudah berada di kasus yang sama.",
        "Both records are already in the same case.",
    ),
    "links.error.itself": (
        "Rekaman tidak dapat dipindahkan ke atau digabung dengan dirinya sendiri.",
        "A record cannot be moved to or merged with itself.",
    ),
    "links.error.not_in_registry": ("NIP itu tidak ada di registri.", "That NIP is not in the registry."),
    "links.error.already_undone": ("Koreksi ini sudah dibatalkan.", "This correction is already undone."),
    "links.error.not_resolved": (
        "Hanya keputusan yang sudah diselesaikan yang dapat dibuka kembali.",
        "Only a resolved decision can be reopened.",
    ),
    "links.error.changed": (
        "Akibat koreksi berubah sejak pratinjau (data sumber atau keputusan lain masuk). Periksa akibat "
        "yang baru di bawah ini, lalu konfirmasi lagi.",
        "The correction's consequence changed since the preview (source data or another decision came "
        "in). Check the new consequence below, then confirm again.",
    ),
    "links.error.unseen": (
        "Tidak ada yang dicatat: langkah ini hanya disimpan dari pratinjau akibatnya. Periksa akibatnya di "
        "bawah ini, lalu konfirmasi dari halaman ini.",
        "Nothing was recorded: this step is recorded only from the preview of its consequence. Check the "
        "consequence below, then confirm from this page.",
    ),
    "links.error.forgotten": (
        "Pilihan ini sudah tidak tersimpan (sesi berganti atau konsol dimulai ulang); cari dan pilih lagi.",
        "This choice is no longer kept (the session changed or the console restarted); search and choose "
        "again.",
    ),
    "links.error.withdrawn": (
        "Rekaman itu tidak ada atau sudah ditarik sumbernya.",
        "That record does not exist or its source withdrew it.",
    ),
    "timeline.linked": ("ditautkan", "linked"),
    "timeline.unlinked": ("dilepas", "unlinked"),
    "timeline.conflict_opened": ("konflik dibuka", "conflict opened"),
    "timeline.conflict_closed": ("konflik ditutup", "conflict closed"),
    "timeline.decision": ("keputusan steward", "steward decision"),
    "timeline.control": ("tindakan BKN", "BKN action"),
    "timeline.push": ("dikirim ke SIASN", "pushed to SIASN"),
    "timeline.audit": ("audit", "audit"),
    "quarantine.title": ("Karantina per sumber", "Quarantine per source"),
    "quarantine.file_row": ("Berkas:baris", "File:row"),
    "quarantine.record": ("Rekaman", "Record"),
    "quarantine.column": ("Kolom", "Column"),
    "quarantine.check": ("Pemeriksaan", "Check"),
    "quarantine.updated": ("Baris karantina #{id} diperbarui.", "Quarantined row #{id} updated."),
    "qstatus.open": ("terbuka", "open"),
    "qstatus.fixed_upstream": ("diperbaiki di sumber", "fixed upstream"),
    "qstatus.ignored": ("diabaikan", "ignored"),
    "qstatus.superseded": ("digantikan versi baru", "superseded"),
    "qstatus.all": ("semua", "all"),
    "push.title": ("Pemantau pengiriman SIASN", "SIASN push monitor"),
    "push.approvals": ("Persetujuan penjaga (guard)", "Guard approvals"),
    "push.approval_text": (
        "{changes} perubahan blokir; {before} NIP diblokir sebelumnya ({percent}%)",
        "{changes} block-flag changes; {before} NIPs blocked before ({percent}%)",
    ),
    "push.approve": ("Setujui", "Approve"),
    "push.reject": ("Tolak", "Reject"),
    "push.approve_done": (
        "{result} perubahan dilepas untuk dikirim.",
        "{result} changes released for sending.",
    ),
    "push.approval_empty": (
        "Tidak ada lagi perubahan yang menunggu persetujuan ini: putaran berikutnya sudah menggantikan "
        "semuanya (atau SIASN sudah mencatatnya), jadi tidak ada yang perlu disetujui. Tutup dengan "
        "alasan; tidak ada perubahan yang ditarik.",
        "This approval has no change waiting for approval any more: a later run replaced them all (or SIASN "
        "already has them). There is nothing to approve. Close it with a reason; no change is withdrawn.",
    ),
    "push.close_empty": ("Tutup", "Close"),
    "push.reject_done": ("{result} perubahan ditarik.", "{result} changes withdrawn."),
    "push.retry_done": ("{result} baris dijadwalkan ulang.", "{result} rows scheduled again."),
    "push.parked": ("Baris tertahan (pesan SIASN)", "Parked rows (SIASN's message)"),
    "push.retry": ("Kirim ulang", "Retry"),
    "push.retry_hint": ("tanpa pilihan: semua baris tertahan", "none selected: every parked row"),
    "push.action": ("Aksi", "Action"),
    "push.attempts": ("Percobaan", "Attempts"),
    "push.siasn_message": ("Pesan SIASN", "SIASN's message"),
    "push.held_before_ours": (
        "SIASN sudah memblokir NIP ini sebelum blokir kita: buka blokir menunggu keputusan steward "
        "(coba lagi mengirimnya, tarik kembali mempertahankan blokir)",
        "SIASN already blocked this NIP before our block: the unblock waits for a steward's decision "
        "(retry sends it, withdraw keeps the block)",
    ),
    "pushnote.refused": (
        "SIASN menolak perubahan ini (HTTP {status}): {message}",
        "SIASN refused this change (HTTP {status}): {message}",
    ),
    "pushnote.unacknowledged": (
        "SIASN menjawab tanpa tanda terima (HTTP {status}); perubahan ini mungkin sudah diterapkan "
        "(readback akan memastikannya; kirim ulang memakai kunci yang sama): {message}",
        "SIASN answered without an acknowledgement (HTTP {status}); this change may have been applied "
        "(a readback settles it; a retry goes out under the same key): {message}",
    ),
    "pushnote.forbidden_nip": (
        "SIASN menolak NIP ini (HTTP {status}), sedangkan perubahan lain dalam pengiriman yang sama "
        "diterima: akun kita tidak berwenang atas data instansi NIP ini: {message}",
        "SIASN refused this NIP (HTTP {status}) while the same run's other changes were accepted: our "
        "account may not write this NIP's instansi: {message}",
    ),
    "pushnote.unsendable": (
        "Tidak dapat dikirim ke SIASN: NIP atau isi perubahan tidak sah, dan percobaan ulang tidak akan "
        "memperbaikinya; periksa datanya lalu tarik kembali baris ini",
        "Cannot be sent to SIASN: the NIP or the change's body is not valid ({detail})",
    ),
    "push.drift": ("Selisih dengan SIASN (readback)", "Drift from SIASN (readback)"),
    "push.readback_at": ("Readback terakhir", "Last readback"),
    "push.drift_count": ("NIP berselisih", "NIPs drifting"),
    "push.desired": ("Seharusnya", "Desired"),
    "push.drift_note": ("Keterangan", "Note"),
    "push.drift_blocked_by_other": (
        "Diblokir di SIASN oleh pihak lain, bukan oleh sbt-sync: tidak dibuka otomatis; periksa siapa "
        "yang memblokir",
        "Blocked in SIASN by someone else, not by sbt-sync: not unblocked automatically; find out who "
        "blocked it",
    ),
    "push.outbox": ("Outbox", "Outbox"),
    "push.cases": ("Kasus", "Cases"),
    "push.created": ("Dibuat", "Created"),
    "push.acked": ("Diterima SIASN", "Acknowledged"),
    "ostate.pending": ("menunggu kirim", "pending"),
    "ostate.awaiting_approval": ("menunggu persetujuan", "awaiting approval"),
    "ostate.in_flight": ("sedang dikirim", "in flight"),
    "ostate.acked": ("diterima", "acknowledged"),
    "ostate.parked": ("tertahan", "parked"),
    "ostate.superseded": ("digantikan", "superseded"),
    "audit.title": ("Log audit", "Audit log"),
    "audit.actor": ("Pelaku", "Actor"),
    "audit.action": ("Tindakan", "Action"),
    "audit.object": ("Objek", "Object"),
    "audit.since": ("Sejak", "Since"),
    "audit.until": ("Sampai", "Until"),
    "audit.before": ("Sebelum", "Before"),
    "audit.after": ("Sesudah", "After"),
    "audit.channel": ("Saluran", "Channel"),
    "audit.csv": ("Unduh CSV", "Download CSV"),
    "scope.withheld": (
        "tidak ditampilkan: berasal dari rekaman instansi lain",
        "not shown: it comes from another agency's record",
    ),
    "scope.case": ("Kasus #{id}", "Case #{id}"),
    "scope.row_withheld": (
        "Baris sumber ini dan orang-orang yang ditawarkan untuknya berasal dari rekaman instansi lain "
        "dan tidak ditampilkan.",
        "This source row and the persons offered for it come from another agency's record and are not shown.",
    ),
    "scope.dashboard": (
        "Angka di sini hanya menghitung kasus yang memuat rekaman instansi Anda, konflik pada kasus "
        "tersebut dan karantina sumber instansi Anda.",
        "These numbers count only the cases your agency's records are in, the conflicts on them and "
        "your agency's sources' quarantine.",
    ),
    "hold.withheld": (
        "Konflik atau rekaman instansi lain (rinciannya tidak ditampilkan).",
        "A conflict or a record of another agency (its details are not shown).",
    ),
    # I-MUT findings and report (sbt_sync/console/web_imut.py); rule and report headings come from
    # sbt_sync.imut.report.WORDS, merged below.
    "imut.title": (
        "Temuan I-MUT: mutasi di sekitar pemilihan",
        "I-MUT findings: personnel actions around elections",
    ),
    "imut.one": ("Temuan I-MUT", "I-MUT finding"),
    "imut.report": ("Laporan I-MUT", "I-MUT report"),
    "imut.report_hint": (
        "Kolom per aturan menghitung temuan yang belum diputus (menunggu atau sedang diperiksa); temuan yang "
        "dikonfirmasi atau ditolak dihitung terpisah. Tanpa NIP.",
        "The rule columns count findings not yet decided (pending or under investigation); confirmed and "
        "dismissed findings are counted separately. No NIPs.",
    ),
    "imut.download": ("Unduh", "Download"),
    "imut.rule": ("Aturan", "Rule"),
    "imut.review": ("Tinjauan", "Review"),
    "imut.review.pending": ("menunggu", "pending"),
    "imut.review.investigating": ("sedang diperiksa", "under investigation"),
    "imut.review.confirmed": ("dikonfirmasi", "confirmed"),
    "imut.review.dismissed": ("ditolak", "dismissed"),
    "imut.status.open": ("berlaku", "open"),
    "imut.status.closed": ("ditutup", "closed"),
    "imut.status.all": ("semua", "all"),
    "imut.disposition": ("Sifat", "Kind"),
    "imut.disposition.breach": ("pelanggaran", "breach"),
    "imut.disposition.investigate": ("untuk diperiksa", "to investigate"),
    "imut.instansi": ("Instansi", "Instansi"),
    "imut.official": ("Pejabat penetap", "Deciding official"),
    "imut.event": ("Pemilihan", "Election"),
    "imut.region": ("wilayah", "region"),
    "imut.region_unknown": ("tidak dikenal", "unknown"),
    "imut.reason": ("Alasan temuan", "Why"),
    "imut.basis": ("Dasar", "Basis"),
    "imut.side_by_side": (
        "Keputusan, masa larangan, persetujuan dan pelaporan",
        "Decision, window, approval and reporting",
    ),
    "imut.decision": ("Keputusan (SK)", "Decision (SK)"),
    "imut.sk": ("Nomor SK", "SK number"),
    "imut.dated": ("tanggal", "dated"),
    "imut.window": ("Masa larangan", "Window"),
    "imut.window_open": ("akhir masa jabatan belum diketahui", "end of term not yet known"),
    "imut.approval": ("Persetujuan tertulis Mendagri", "Minister of Home Affairs' written approval"),
    "imut.approval_none": ("tidak ada", "none"),
    "imut.approval_before": ("sebelum keputusan: berlaku", "before the decision: counts"),
    "imut.approval_undated": ("tanpa tanggal: tidak berlaku", "no date: does not count"),
    "imut.approval_unnumbered": ("tanpa nomor surat: tidak berlaku", "no letter number: does not count"),
    "imut.approval_not_before": (
        "tidak sebelum keputusan: tidak berlaku",
        "not before the decision: does not count",
    ),
    "imut.reporting": ("Pelaporan ke Kemendagri", "Reporting to Kemendagri"),
    "imut.reported_on": ("dilaporkan", "reported"),
    "imut.not_reported": ("belum dilaporkan", "not reported"),
    "imut.deadline": ("batas (hari kerja ke-7)", "deadline (7th working day)"),
    "imut.in_time": ("tepat waktu", "in time"),
    "imut.late": ("terlambat", "late"),
    "imut.provisional": ("Sementara", "Provisional"),
    "imut.provisional_hint": (
        "Cuti bersama tahun yang dilalui belum ditetapkan; batas waktu dapat mundur.",
        "The cuti bersama of a year it spans are not yet decreed; the deadline may move later.",
    ),
    "imut.action": ("Tindakan kepegawaian", "Personnel action"),
    "imut.asn": ("ASN", "ASN"),
    "imut.kind": ("Jenis", "Kind"),
    "imut.post_before": ("Jabatan lama", "Post before"),
    "imut.post_after": ("Jabatan baru", "Post after"),
    "imut.effective": ("TMT", "Effective"),
    "imut.reason_given": ("Alasan dalam SK", "Reason given"),
    "imut.action_id": ("ID I-MUT", "I-MUT id"),
    "imut.records": ("Rekaman yang mendasari", "Records it rests on"),
    "imut.record.imut_action": ("Rekaman I-MUT", "I-MUT record"),
    "imut.record.case": ("Kasus netralitas", "Neutrality case"),
    "imut.record.push_ledger": ("Pemblokiran yang dikirim ke SIASN", "Block sent to SIASN"),
    "imut.record.siasn_observation": ("Status blokir dibaca dari SIASN", "Block state read from SIASN"),
    "imut.record.outbox_row": ("baris antrean #{id}", "outbox row #{id}"),
    "imut.record.acknowledged_on": ("diterima SIASN {day}", "acknowledged by SIASN {day}"),
    "imut.record.counts_from": ("berlaku sejak {day}", "counts from {day}"),
    "imut.record.reading": ("pembacaan #{id}", "reading #{id}"),
    "imut.record.blocked_since": ("diblokir sejak {day}", "blocked since {day}"),
    "imut.record.unblocked_since": ("tidak diblokir sejak {day}", "not blocked since {day}"),
    "imut.record.siasn_says": ("SIASN:", "SIASN:"),
    "imut.choice": ("Keputusan", "Decision"),
    "imut.choice.investigate": ("Periksa", "Investigate"),
    "imut.choice.confirm": ("Konfirmasi pelanggaran", "Confirm the breach"),
    "imut.choice.dismiss": ("Tolak (bukan pelanggaran)", "Dismiss (not a breach)"),
    "imut.decide": ("Putuskan temuan ini", "Decide this finding"),
    "imut.decide_submit": ("Simpan keputusan", "Save the decision"),
    "imut.decided": ("Temuan #{id}: {choice} dicatat.", "Finding #{id}: {choice} recorded."),
    # Letters to PPKs, the compliance report and PIC addresses (web_letters, web_compliance, web_pic).
    "letters.title": ("Surat kepada PPK", "Letters to PPKs"),
    "letters.one": ("Surat", "Letter"),
    "letters.mode.automatic": (
        "Mode pengiriman: otomatis (surat dikirim begitu disusun).",
        "Delivery mode: automatic (letters go as soon as they are drafted).",
    ),
    "letters.mode.reviewed": (
        "Mode pengiriman: ditinjau (surat ditahan sampai steward melepasnya).",
        "Delivery mode: reviewed (letters are held until a steward releases them).",
    ),
    "letters.state": ("Status pengiriman", "Mail state"),
    "letters.state.held": ("ditahan untuk ditinjau", "held for review"),
    "letters.state.pending": ("menunggu dikirim", "waiting to be sent"),
    "letters.state.sending": ("sedang dikirim", "sending"),
    "letters.state.sent": ("terkirim", "sent"),
    "letters.state.parked": ("gagal, menunggu steward", "refused, waiting for a steward"),
    "letters.state.given_up": ("Dihentikan oleh steward", "Given up by a steward"),
    "letters.given_up_about": ("Keterangan penghentian", "About the give-up"),
    "letters.given_up_by": (
        "Dihentikan oleh {who} pada {at}: {why}. Surat ini tidak akan dikirim lagi.",
        "Given up by {who} on {at}: {why}. This letter will not be sent again.",
    ),
    "letters.state.parked_no_pic": (
        "menunggu alamat PIC instansi; dikirim begitu admin menambahkannya",
        "waiting for a PIC address of the instansi; sent once an admin adds one",
    ),
    "letters.state.kept_back": (
        "tidak dikirim: lihat keterangan sistem",
        "not sent: see the system's note",
    ),
    "letters.state.parked_partial": (
        "sebagian PIC sudah menerima; yang lain ditolak, menunggu steward",
        "some PICs have it; the others were refused, waiting for a steward",
    ),
    "letters.fate.sent": ("sudah menerima surat", "has the letter"),
    "letters.fate.refused": ("ditolak server surelnya", "refused by their mail server"),
    "letters.fate.deferred": (
        "ditunda server surelnya, akan dikirim ulang",
        "deferred by their mail server, will be sent again",
    ),
    "letters.fate.waiting": ("belum dikirim", "not sent yet"),
    "letters.fate.given_up": (
        "tidak dikirimi: diserahkan steward",
        "not sent it: given up by a steward",
    ),
    "letters.fate.removed": (
        "tidak dikirimi: bukan PIC instansi lagi (alamatnya dihapus admin sebelum ia menerima surat)",
        "not sent it: no longer a PIC of the instansi (an admin removed the address before it received "
        "the letter)",
    ),
    "letters.step": ("Langkah", "Step"),
    "letters.step.peringatan_dini": ("Peringatan dini", "Early warning"),
    "letters.step.peringatan": ("Peringatan", "Peringatan (warning)"),
    "letters.step.teguran": ("Teguran", "Teguran (reprimand)"),
    "letters.step.pemberitahuan": (
        "Pemberitahuan (pengendalian dilanjutkan)",
        "Notice (enforcement resumed)",
    ),
    "letters.instansi": ("Instansi (PPK)", "Instansi (PPK)"),
    "letters.day": ("Tanggal surat", "Letter date"),
    "letters.number": ("Nomor surat", "Letter number"),
    "letters.cases": ("Kasus", "Cases"),
    "letters.case": ("Kasus", "Case"),
    "letters.recommendation": ("Nomor rekomendasi", "Recommendation no."),
    "letters.recipients": ("Penerima (PIC)", "Recipients (PIC)"),
    "letters.no_recipients": ("belum ada alamat PIC", "no PIC address yet"),
    "letters.not_queued": ("belum masuk antrean kirim", "not queued for mail"),
    "letters.server_answer": ("Jawaban server surel", "Mail server's answer"),
    "letters.mail_note": ("Keterangan sistem", "The system's note"),
    "mailnote.cases_moved": (
        "tidak dikirim: ASN pada kasus surat ini kini tercatat pada instansi lain; kasus-kasusnya "
        "disampaikan dalam surat berikutnya kepada PPK instansinya masing-masing",
        "not sent: the ASN of this letter's cases are now recorded at another instansi; their cases go "
        "in the next letters to the PPK of each one's instansi",
    ),
    "mailnote.cases_moved_partly": (
        "sebagian PIC sudah menerima surat ini; ASN pada salah satu kasusnya kini tercatat pada instansi "
        "lain, jadi surat ini tidak dikirim lagi kepada PIC lainnya; kasus yang pindah disampaikan dalam "
        "surat berikutnya kepada PPK instansinya",
        "some PICs have this letter; the ASN of one of its cases is now recorded at another instansi, so "
        "it is not sent to its other PICs; the moved case goes in the next letter to the PPK of its "
        "instansi",
    ),
    "mailnote.cases_ended": (
        "tidak dikirim: semua kasus surat ini telah selesai (sanksi, pembatalan atau ASN berhenti)",
        "not sent: every case of this letter has ended (a sanction, an annulment or the ASN left service)",
    ),
    "mailnote.name_unknown": (
        "ditahan: nama instansi {instansi} tidak diketahui dari sumber mana pun (registri, data kasus); "
        "surat dialamatkan tanpa nama. Periksa penerimanya sebelum melepas surat ini",
        "held: no source (registry, case data) knows the name of instansi {instansi}; the letter is "
        "addressed without it. Check its recipients before releasing it",
    ),
    "mailnote.case_held": (
        "kasus ditahan (sengketa identitas atau konflik terbuka): {cases}; kirim ulang setelah penahanan "
        "selesai",
        "case held (an identity dispute or an open conflict): {cases}; send again once the hold ends",
    ),
    "mailanswer.already_delivered": (
        "semua PIC sudah menerima surat ini sebelumnya; tidak ada yang dikirim ulang",
        "every PIC already had this letter; nothing was sent again",
    ),
    "mailanswer.gave_up": (
        "dihentikan setelah {attempts} percobaan: {answer}",
        "gave up after {attempts} attempts: {answer}",
    ),
    "mailanswer.some_refused": ("ditolak server surel: {answers}", "refused by the mail server: {answers}"),
    "mailanswer.all_refused": (
        "semua penerima ditolak server surel: {answers}",
        "every recipient refused by the mail server: {answers}",
    ),
    "mailanswer.some_deferred": (
        "penerima ditunda server surel (dicoba lagi nanti): {answers}",
        "recipients deferred by the mail server (tried again later): {answers}",
    ),
    "mailanswer.cannot_connect": (
        "tidak dapat terhubung ke server surel {server}: {error}",
        "cannot connect to the mail server {server}: {error}",
    ),
    "mailanswer.session_failed": (
        "sesi dengan server surel {server} gagal: {error}",
        "the session with the mail server {server} failed: {error}",
    ),
    "mailanswer.lost_after_data": (
        "koneksi terputus setelah isi surat terkirim (server mungkin sudah menerimanya): {error}",
        "the connection was lost after the letter's content was sent (the server may hold it): {error}",
    ),
    "mailanswer.connection_lost": (
        "koneksi ke server surel terputus: {error}",
        "the connection to the mail server was lost: {error}",
    ),
    "mailanswer.not_ascii": (
        "tidak dapat dikirim: alamat penerima memuat huruf di luar ASCII ({error})",
        "cannot be sent: an address is not plain ASCII ({error})",
    ),
    "letters.attempts": ("Percobaan kirim", "Attempts"),
    "letters.subject": ("Perihal surel", "Mail subject"),
    "letters.pdf": ("Dokumen", "Document"),
    "letters.download_pdf": ("Unduh PDF (sebagaimana dikirim)", "Download the PDF (as sent)"),
    "letters.sent_at": ("terkirim", "sent"),
    "letters.release": ("Lepas surat ini untuk dikirim", "Release this letter for sending"),
    "letters.release_hint": (
        "Surat akan dikirim ke PIC instansi pada putaran pengiriman berikutnya.",
        "The letter goes to the instansi's PICs on the notifier's next run.",
    ),
    "letters.release_submit": ("Lepas dan kirim", "Release and send"),
    "letters.retry": ("Kirim ulang surat yang gagal", "Retry the refused letter"),
    "letters.retry_submit": ("Kirim ulang", "Retry"),
    "letters.released": (
        "Surat dilepas; akan dikirim pada putaran berikutnya.",
        "Released; it goes on the next run.",
    ),
    "letters.not_released": ("Surat ini tidak sedang ditahan.", "This letter is not held."),
    "letters.retried": ("Surat dijadwalkan kirim ulang.", "The letter is due again."),
    "letters.give_up": (
        "Serahkan: jangan kirimi PIC yang belum menerima surat ini",
        "Give up: do not send this letter to the PICs who do not have it",
    ),
    "letters.give_up_hint": (
        "Untuk alamat yang tidak akan pernah bisa dikirimi. Surat tetap tercatat, tetapi tidak akan "
        "dikirim lagi kepada siapa pun.",
        "For addresses that can never be reached. The letter stays on record, but is never sent again "
        "to anyone.",
    ),
    "letters.give_up_submit": ("Serahkan", "Give up"),
    "letters.given_up": (
        "PIC yang belum menerima surat ini tidak akan dikirimi.",
        "The PICs who do not have this letter will not be sent it.",
    ),
    "letters.not_retried": (
        "Surat ini tidak menunggu kirim ulang.",
        "This letter is not waiting for a retry.",
    ),
    "letters.reason_required": ("Alasan wajib diisi.", "A reason is required."),
    "case.letters": ("Surat kepada PPK", "Letters to the PPK"),
    "case.no_letter": ("tanpa surat", "no letter"),
    "compliance.title": ("Laporan kepatuhan PPK", "PPK compliance report"),
    "compliance.event": ("Pemilihan", "Election"),
    "compliance.issuer": ("Penerbit rekomendasi", "Issuer"),
    "compliance.download": ("Unduh", "Download"),
    "compliance.table.summary": ("Ringkasan", "Summary"),
    "compliance.table.kemendagri": ("Daftar PPK daerah untuk Kemendagri", "Regional PPKs for Kemendagri"),
    "compliance.table.dossier": ("Berkas Rekomendasi Presiden", "Presidential recommendation dossier"),
    "compliance.hint": (
        "Klik judul kolom ringkasan untuk mengurutkan (angka terbesar dahulu). Penerbit: KASN sampai "
        "serah terima (SE MenPAN-RB 4/2024), BKN sesudahnya.",
        "Click a summary column's heading to sort by it (largest numbers first). Issuer: KASN until the "
        "hand-over (SE MenPAN-RB 4/2024), BKN after.",
    ),
    "compliance.sort": ("Urutkan menurut kolom ini", "Sort by this column"),
    "pic.title": ("PIC instansi", "Agency PICs"),
    "pic.hint": (
        "Surat kepada PPK dikirim ke semua alamat PIC instansinya. Surat yang belum diterima semua PIC "
        "mengikuti daftar ini: alamat yang dihapus tidak dikirimi, alamat baru dikirimi sekali. Surat yang "
        "sudah diterima semua PIC tidak dikirim lagi.",
        "Letters to a PPK go to every PIC address of its instansi. A letter not yet received by every PIC "
        "follows this list: an address removed is not sent it, a new one is sent it once. A letter every "
        "PIC has received is not sent again.",
    ),
    "pic.add": ("Tambah alamat PIC", "Add a PIC address"),
    "pic.instansi_id": ("ID instansi", "Instansi id"),
    "pic.email": ("Alamat surel", "Mail address"),
    "pic.instansi_name": (
        "Nama instansi untuk surat (bila registri tidak memuatnya)",
        "Instansi name for letters (when the registry lacks it)",
    ),
    "pic.named": ("Nama di surat", "Name in letters"),
    "pic.add_submit": ("Tambah", "Add"),
    "pic.added_by": ("Ditambahkan oleh", "Added by"),
    "pic.remove": ("Hapus", "Remove"),
    "pic.invalid": (
        "ID instansi atau alamat surel tidak valid.",
        "The instansi id or the mail address is not valid.",
    ),
    "pic.added": ("Alamat PIC ditambahkan.", "PIC address added."),
    "pic.exists": ("Alamat itu sudah terdaftar.", "That address is already there."),
    "pic.removed": ("Alamat PIC dihapus.", "PIC address removed."),
    "pic.missing": ("Alamat itu tidak terdaftar.", "That address is not there."),
}
MESSAGES.update(IMUT_WORDS)
MESSAGES.update(SANCTION_WORDS)  # sanction versions after objections (sbt_sync/console/words_sanctions.py)
MESSAGES.update(A11Y_WORDS)  # the skip link (sbt_sync/console/words_a11y.py)
MESSAGES.update(PDP_WORDS)  # a person's own record (sbt_sync/console/words_pdp.py)
MESSAGES.update(ACCESS_WORDS)  # the personal-data access log (sbt_sync/console/words_access.py)
MESSAGES.update(QUEUE_WORDS)  # the conflict queue as a team's task list
MESSAGES.update(SEARCH_WORDS)
MESSAGES.update(HOLD_WORDS)  # a source held by its check (sbt_sync/console/words_holds.py)
MESSAGES.update(FIELD_WORDS)  # codes into words (sbt_sync/console/labels_words.py)
MESSAGES.update(SOURCE_WORDS)  # sources, agencies and events (sbt_sync/console/labels_sources.py)
MESSAGES.update(EXPORT_WORDS)


def translator(lang: str) -> Callable[[str], str]:
    """``_(key)`` for ``lang``; an unknown key shows itself (and the i18n test fails on it)."""
    index = 1 if lang == "en" else 0

    def translate(key: str) -> str:
        texts = MESSAGES.get(key)
        return texts[index] if texts else key

    return translate
