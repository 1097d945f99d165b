"""The DPIA annex in Indonesian: Markdown, and a PDF of the same lines (fpdf2, the letters' core font).

Every figure comes from :class:`~sbt_sync.pdp.dpia.DpiaFacts`; nothing here computes.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode

from sbt_sync.letters.render import latin1
from sbt_sync.pdp.dpia import DpiaFacts

RETENTION_WORDS = {
    "raw_payload_days": "Versi lama rekaman sumber dan muatan tanpa baris terstandar",
    "quarantine_days": "Baris karantina yang sudah selesai",
    "closed_case_days": "Kasus tertutup (beserta rekaman sumbernya)",
    "access_log_days": "Log akses data pribadi",
    "downloads_days": "Berkas unduhan SFTP yang tertinggal",
}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _yes(value: Any) -> str:
    return "ya" if value else "tidak"


def to_markdown(facts: DpiaFacts) -> str:
    """The annex as Markdown."""
    out: list[str] = []
    add = out.append
    add("# Lampiran Penilaian Dampak Pelindungan Data Pribadi (DPIA) - sbt-sync")
    add("")
    add(
        f"Dibuat {facts.generated_at:%d-%m-%Y %H:%M} UTC dari konfigurasi `{facts.config_path}` "
        f"(lingkungan: {facts.environment}) dan basis data yang berjalan. Dasar: UU 27/2022 Pasal 34 "
        "(keputusan otomatis dengan akibat hukum; pencocokan dan penggabungan data)."
    )
    add("")
    add("## 1. Kategori data dan sumbernya")
    add("")
    add(
        "Data pribadi yang diproses: NIP, nama, tanggal lahir, jenis kelamin, instansi dan jabatan ASN "
        "(registri SIASN); catatan dugaan pelanggaran netralitas, rekomendasi dan hukuman disiplin "
        "(data sumber); tindakan kepegawaian I-MUT."
    )
    add("")
    add("| Sumber | Instansi pemilik | Protokol | Alamat | Terenkripsi | Isi |")
    add("|---|---|---|---|---|---|")
    for s in facts.sources:
        add(
            f"| {s['name']} | {s['agency']} | {s['kind']} | {s['endpoint']} | {_yes(s['encrypted'])} | "
            f"{s['description']} |"
        )
    add("")
    v = facts.volumes
    add(
        f"Volume saat ini: registri {v['registry']} ASN; {v['staged_records']} baris terstandar; "
        f"{v['cases']} kasus; {v['identity_conflicts_open']} konflik identitas terbuka; "
        f"{v['imut_findings_open']} temuan I-MUT terbuka."
    )
    add("")
    add("## 2. Metode pencocokan dan ambang batas")
    add("")
    i = facts.identity
    add(
        "NIP yang sah dan terdaftar di registri SIASN mengidentifikasi ASN. NIP yang hilang, rusak atau "
        "tidak dikenal dicocokkan dengan registri: nama dinormalisasi (tanpa gelar), tanggal lahir, jenis "
        "kelamin dan instansi, pencarian kandidat berblok, lalu skor."
    )
    add("")
    add(f"- Tautan otomatis bila satu kandidat berskor >= {i['auto_accept']}")
    add(f"- Kandidat di bawah {i['min_candidate']} tidak ditawarkan kepada steward")
    add(f"- NIP sah dengan nama berskor < {i['name_mismatch']} membuka konflik")
    for group, ranked in facts.survivorship.items():
        add(f"- Survivorship {group}: {', '.join(ranked)} (kebaruan sebagai penentu seri)")
    add("")
    add("Aturan identitas baris saat ini: " + _pairs(facts.identity_rules))
    add("")
    add("Aturan tautan kasus saat ini: " + _pairs(facts.link_rules))
    add("")
    add("## 3. Presisi identitas yang terukur")
    add("")
    st = facts.steward
    add(
        f"Atas keputusan deployment sendiri: steward memutus {st.decided} konflik identitas dengan "
        f"menunjuk ASN; {st.agreed} sama dengan kandidat peringkat pertama mesin (kesesuaian "
        f"{_pct(st.agreement)}). Tautan identitas oleh mesin saat ini: {st.machine_links}; dipindahkan "
        f"steward ke orang lain (koreksi assign_person berlaku): {st.reassigned}."
    )
    if facts.quality is not None:
        q = facts.quality
        add("")
        add(
            f"Terhadap kebenaran dasar sandbox (`sbt-sync quality --truth {facts.truth_path}`, "
            f"per {q.as_of}):"
        )
        add("")
        add(
            f"- Presisi identitas: {q.identity_precision:.4f} ({q.links_correct} benar dari "
            f"{q.links_made} tautan)"
        )
        add(f"- Recall identitas: {q.identity_recall:.4f} ({q.rows_with_person} baris menyebut orang)")
        add(f"- Akurasi kasus: {q.case_accuracy:.4f} ({q.cases_exact} dari {q.true_cases} tepat)")
        add(
            f"- Konflik: {q.conflicts_expected} diharapkan, {q.conflicts_raised} dibuka, "
            f"{q.conflicts_missed} terlewat, {q.conflicts_beyond} di luar kebenaran"
        )
        add(f"- Penahanan: {q.held_matched} dari {q.held_expected} kasus yang harus ditahan, ditahan")
    add("")
    add("## 4. Keputusan otomatis dan peninjauan manusia")
    add("")
    e, a = facts.enforcement, facts.automation
    add(
        f"- Pemblokiran data kepegawaian di SIASN diputuskan mesin menurut kebijakan: tindak lanjut PPK "
        f"{e['follow_up_days']} hari, peringatan +{e['peringatan_after_days']}, teguran "
        f"+{e['teguran_after_days']}, pemblokiran +{e['pemblokiran_after_days']} hari."
    )
    add(
        f"- Aturan penahanan: kasus dengan konflik kritis atau sengketa identitas terbuka ditahan dan "
        f"tidak pernah diblokir; saat ini {a['cases_held']} kasus ditahan, {a['blocked_now']} NIP diblokir."
    )
    add(
        f"- Pengaman perubahan: lebih dari {e['guard_max_changes']} perubahan atau {e['guard_max_percent']}% "
        f"NIP terblokir dalam satu proses menunggu persetujuan steward; menunggu {a['guard_waiting']}, "
        f"disetujui {a['guard_approved']}, ditolak {a['guard_rejected']}."
    )
    add(f"- Surat kepada PPK: mode {e['notify_mode']} (reviewed: setiap surat menunggu rilis steward).")
    add(f"- Keputusan steward tercatat: {a['steward_decisions']}; koreksi tautan: {a['link_corrections']}.")
    add("- Temuan I-MUT tidak pernah berakibat otomatis: masuk antrean steward.")
    add("")
    add("## 5. Penerima data")
    add("")
    r = facts.recipients
    add(
        f"- SIASN (BKN): {r['siasn_endpoint']}; pengiriman blokir/buka yang diakui: {r['siasn_pushes_acked']}"
    )
    add(
        f"- Instansi sumber: {', '.join(r['agencies'])}; pengguna pemantau per instansi: "
        f"{_pairs(r['agency_viewers'])} (hanya rekaman instansinya sendiri)"
    )
    add(
        f"- PPK melalui PIC instansi: {r['pic_instansi']} instansi dengan PIC; surat per langkah: "
        f"{_pairs(r['letters'])}; NIP dalam surat ditampilkan: {r['letters_nip_display']}; "
        f"server surat: {r['mail_host'] or 'belum dikonfigurasi'}"
    )
    add("")
    add("## 6. Kebijakan retensi")
    add("")
    for key, days in facts.retention.items():
        add(f"- {RETENTION_WORDS.get(key, key)}: {days} hari")
    add(
        "- Penghapusan oleh `sbt-sync pdp purge` (diaudit, jumlah per jenis); tidak pernah yang masih "
        "dibutuhkan kasus terbuka, blokir, pengiriman yang belum diakui atau surat yang belum terkirim."
    )
    add("")
    add("## 7. Langkah keamanan")
    add("")
    sec = facts.security
    add(f"- Peran: {', '.join(sec['roles'])}; pengguna aktif per peran: {_pairs(sec['users_by_role'])}")
    add(
        f"- Sesi di server: menganggur {sec['session_idle_minutes']} menit, "
        f"maksimum {sec['session_max_hours']} "
        f"jam; logout mengakhiri seketika; cookie hanya HTTPS: {_yes(sec['secure_cookies'])}; SSO OIDC: "
        f"{_yes(sec['oidc'])}"
    )
    add(f"- Batas login salah: {sec['login_attempts_per_minute']} per menit per akun")
    add("- Perlindungan CSRF pada setiap formulir; header keamanan (CSP, no-store)")
    add(
        f"- Surat: STARTTLS wajib: {_yes(sec['mail_starttls'])}; sumber HTTP melalui TLS, SFTP dengan kunci "
        "host yang dipatok"
    )
    add(
        f"- Log audit append-only (trigger): {sec['audit_entries']} entri; log akses data pribadi (NIP "
        f"di-hash dengan kunci deployment): {sec['access_log_entries']} entri"
    )
    pdp = facts.pdp
    key = (
        f"dari variabel lingkungan {pdp['access_key_env']}"
        if pdp.get("access_key_env")
        else f"kunci acak yang dibuat sekali di {pdp.get('access_key_file')} (hanya sandbox; wajib variabel "
        "lingkungan di produksi)"
    )
    add(f"- Kunci hash NIP pada log akses (HMAC-SHA256): {key}; tidak pernah diganti setelah dipakai")
    add(
        "- Akses tidak biasa ditandai kepada admin: seseorang yang bacaannya menampilkan lebih dari "
        f"{pdp.get('unusual_distinct_asn_per_day')} ASN berbeda dalam sehari"
    )
    add(f"- Basis data: {sec['database']}; berkas SQLite dan folder unduhan hanya untuk pemilik (0600/0700)")
    add("- Log dan metadata menyamarkan NIP (4 digit terakhir) dan tidak memuat nama atau tanggal lahir")
    add("")
    add("## 8. Proses terakhir")
    add("")
    if not facts.runs:
        add("Belum ada proses.")
    for run in facts.runs:
        job = f" ({run['job']})" if run["job"] else ""
        add(f"- run {run['run_id']}{job}: mulai {run['started_at']:%d-%m-%Y %H:%M} UTC, "
            f"{run['sources']} sumber, {run['fetched']} rekaman diambil")  # fmt: skip
    add("")
    return "\n".join(out)


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in counts.items()) or "-"


def to_pdf(facts: DpiaFacts) -> bytes:
    """The annex as an A4 PDF: the Markdown's lines, headings in bold."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(facts.generated_at)
    pdf.set_title(latin1("Lampiran DPIA sbt-sync"))
    pdf.set_author("Badan Kepegawaian Negara")
    pdf.set_creator("sbt-sync")
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for raw in to_markdown(facts).splitlines():
        text, size, style = raw, 8.5, ""
        if raw.startswith("# "):
            text, size, style = raw[2:], 13, "B"
        elif raw.startswith("## "):
            text, size, style = raw[3:], 11, "B"
        elif raw.startswith("|---"):
            continue
        elif raw.startswith("|"):
            text = " | ".join(cell.strip() for cell in raw.strip("|").split("|"))
        if not text:
            pdf.ln(2)
            continue
        pdf.set_font("helvetica", style=style, size=size)
        pdf.multi_cell(
            width,
            size * 0.5,
            latin1(text.replace("`", "")),
            new_x="LMARGIN",
            new_y="NEXT",
            wrapmode=WrapMode.CHAR,
        )
    return bytes(pdf.output())
