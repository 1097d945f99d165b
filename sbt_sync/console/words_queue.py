"""The conflict queue's words (the queue as a team's task list): Indonesian first, then English."""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "queue.tabs": ("Tampilan antrean", "Queue views"),
    "queue.tab_all": ("Semua konflik", "All conflicts"),
    "queue.tab_mine": ("Tugas saya", "My tasks"),
    "queue.counts": ("Jumlah per jenis", "Count per kind"),
    "queue.count_overdue": ("lewat tenggat", "overdue"),
    "queue.count_today": ("jatuh tempo hari ini", "due today"),
    "queue.overdue": ("Lewat tenggat", "Overdue"),
    "queue.today": ("Hari ini", "Due today"),
    "queue.case": ("Kasus", "Case"),
    "queue.case_hint": ("nama, NIP, nomor atau kunci", "name, NIP, number or key"),
    "queue.instansi": ("Instansi", "Instansi"),
    "queue.age": ("Umur ≥ (hari)", "Age ≥ (days)"),
    "queue.assignee": ("Penanggung jawab", "Assignee"),
    "queue.nobody": ("belum ada", "nobody"),
    "queue.unassigned": ("Belum ditugaskan", "Unassigned"),
    "queue.sort": ("Urutkan", "Sort"),
    "queue.sort_priority": ("Prioritas", "Priority"),
    "queue.sort_due": ("Tenggat terdekat", "Due date"),
    "queue.priority_hint": (
        "Urutan prioritas: pertama konflik yang menahan kasus menunggu tindak lanjut PPK (pemblokiran "
        "dipertaruhkan), lalu konflik yang menahan kasus lain, lalu sisanya; di tiap kelompok P1 "
        "(tertinggi) sampai P4, lalu tenggat terdekat.",
        "Priority order: first the conflicts holding a case that awaits the PPK's follow-up (a block is "
        "at stake), then those holding any other case, then the rest; within each, P1 (highest) to P4, "
        "then the nearest due date.",
    ),
    "queue.held": ("ditahan", "held"),
    "queue.held_title": (
        "Kasus ini ditahan sampai konflik diselesaikan",
        "The case is held until the conflict is resolved",
    ),
    "queue.action": ("Tindakan", "Action"),
    "queue.open": ("Buka", "Open"),
    "queue.assign": ("Tugaskan", "Assign"),
    "queue.assign_label": ("Tugaskan konflik #{id} kepada", "Assign conflict #{id} to"),
    "queue.me": ("saya", "me"),
    "queue.release_option": ("— lepaskan —", "— release —"),
    "queue.assigned_by": ("ditugaskan oleh {user}", "assigned by {user}"),
    "queue.done_assign": ("Konflik #{id} kini ditangani {user}.", "Conflict #{id} is now handled by {user}."),
    "queue.done_claim": ("Konflik #{id} kini Anda tangani.", "You now handle conflict #{id}."),
    "queue.done_release": (
        "Konflik #{id} dilepaskan: belum ada yang menangani.",
        "Conflict #{id} is released: nobody handles it.",
    ),
    "queue.unchanged": (
        "Konflik #{id} sudah ditangani {user}.",
        "Conflict #{id} is already handled by {user}.",
    ),
    "queue.err_assignee": (
        "Konflik hanya dapat ditugaskan kepada akun steward atau admin yang aktif. Pilih nama dari daftar.",
        "A conflict can be assigned only to an active steward or admin account. Choose a name from the list.",
    ),
    "queue.err_claimed": (
        "Konflik #{id} sedang ditangani {user}. Minta {user}, orang yang menugaskannya, atau admin untuk "
        "memindahkannya.",
        "Conflict #{id} is handled by {user}. Ask {user}, whoever assigned it, or an admin to move it.",
    ),
    "queue.err_closed": (
        "Konflik #{id} sudah ditutup; hanya konflik terbuka yang dapat ditugaskan.",
        "Conflict #{id} is closed; only open conflicts can be assigned.",
    ),
    "queue.no_label": ("kasus #{id}", "case #{id}"),
    "queue.handler_detail": ("Ditangani oleh", "Handled by"),
}
