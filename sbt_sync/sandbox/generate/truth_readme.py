"""The text of ``truth/README.md`` (kept apart so the writer stays short)."""

README = """\
# Ground truth

Written by `sbt-sync sandbox generate`; what a correct sbt-sync must conclude from this directory's
sources. Every file is UTF-8, JSON objects have sorted keys, one object a line in `.jsonl` files.
Instants are ISO-8601 with an offset; dates are `YYYY-MM-DD`. `as_of` is `manifest.json` `clock.as_of`.

## cases.jsonl: the true cases (one alleged violation by one ASN in one event)

`case_id`, `event`, `nip` (the true NIP; for an ASN the registry does not hold, the NIP the sources
write), `registered` (false for such an ASN), `instansi_id`, `kanreg_id` (registry values, or those of
the instansi the sources name), `nomor_register`,
`bentuk_pelanggaran`, `kategori_jabatan`, `tanggal_register`, `tanggal_diteruskan`, `hasil` (the final
verification result, possibly published after `as_of`), `nomor_rekomendasi`, `tanggal_rekomendasi`,
`rekomendasi_tersedia` (when the recommendation becomes available), `rekomendasi_sanksi`, `dibatalkan`
(instant of annulment or null), `jenis_hukuman`, `nomor_sk`, `tanggal_sk` (the PPK's first decision on
the sanction, or null: the day it followed up), `versi_hukuman` (every decision on the sanction in date
order, each `{jenis_hukuman, nomor_sk, tanggal_sk}`: the first, then a revision after an objection
(keberatan) where one was planted, a second I'DIS record with a lighter code and a letter numbered like
BKN's `NNNN/B-AK.02.02/SD/F/YYYY`), `hukuman_berlaku` (the version in force: the latest decision; null
when there is no sanction), `meninggalkan_dinas` (date the ASN left service, or null), `source_records`:
`[{source, key, row}]`, every accepted source row that belongs to the case (a row listed in
quarantine.jsonl is here only when its NIP alone was rejected: see there). This file describes the
whole timeline; what is known at `as_of` is in enforcement.json and recap.json.

## source_nips.jsonl: the true NIP of every source row

`source`, `key` (HTTP: the record key; SFTP: the file name), `row` (HTTP bawaslu: 1-based index in
`terlapor`; other HTTP: null; CSV: 1-based data row, header excluded; JSONL files: 1-based line),
`content` (SFTP: the delivered file's content path, since a file name can be delivered several times;
HTTP: null), `nip_as_written` (the value as the source wrote it: string, JSON number or null),
`true_nip` (the registry NIP of the person the row is about; null when the row names nobody
identifiable, or a person the registry does not hold), `name_nip` (when the row writes the name of a
registry ASN other than its true person, that ASN's NIP; else null), `unregistered` (true when the row
names, by NIP and name, a person no registry row holds), `named_other` (present and true only on a row
naming, by NIP and name, another registry ASN than the case it joins by number), `case_id` (null when
the row belongs to no case:
stopped registers, unrelated complaints, rejected rows), `available_at`, `quarantined` (true when the
whole row is rejected; false for a row whose NIP alone is rejected, which stays a row of its case).

## conflicts.jsonl: conflicts a correct system must raise by `as_of`

Common fields: `kind`, `case_id`, `field`, `sources`.
- `critical_field`: two sources disagree on `hasil` or `rekomendasi_sanksi` (bkn_wasdal vs kasn) or on
  `jenis_hukuman` (idis vs kemendagri); `values` maps source to its value (only the `hasil` conflict is
  listed when both `hasil` and the sanction differ).
- `lifecycle` (`reason` `sanction_on_not_proven`): a sanction is recorded on a case whose winning
  recommendation says `tidak_terbukti`; `values` holds the result and the sanction code.
- `identity`: on one source row (`source`, `key`, `row`), with `conflict_kind` the kind sbt-sync stores
  and `reason`:
  - `name_mismatch` (kind `name_mismatch`): a valid, registered NIP whose holder is not the person the
    row's name says: either the NIP is another ASN's (`candidates` = [written NIP, true NIP]) or the NIP
    is the true person's and the name another registry ASN's (`candidates` = [written NIP, `name_nip`]);
  - `ambiguous_match` (kind `identity`): no usable NIP (none written, or one rejected as float-mangled
    or with an impossible birth date), and two or more registry ASN of the row's instansi share the
    row's normalised name and are not ruled out by the digits a rejected NIP still shows (a
    float-mangled NIP's first 14 digits, birth date and TMT; an impossible one's birth year and TMT,
    digits 9-14); `candidates` = their NIPs;
  - `unresolved` (kind `unresolved`): the row names a person (a well-formed NIP and a name) whom no
    registry row holds or comes near; `candidates` = [].
  `sources` is `[source, "siasn"]`. A row naming nobody ("oknum ASN") raises none.
- `named_other` (`field` `link`): a row (`source`, `key`, `row`) whose NIP and name are another registry
  ASN's (`values` maps its source to that NIP) joins the case by a case number it shares with another of
  the case's rows; `sources` is `[source]`. It holds the case (below) until a steward keeps the row in
  the case or moves it.
Normalised name: accents removed, lower case, everything after the first comma dropped, leading and
trailing title tokens (Dr, H, Hj, Ir, Drs, Dra, dr, Prof, ...) dropped, punctuation to spaces. Other
name variants in the data (one-letter typos, "M."/"Moh." for Muhammad, capitals, titles) occur only on
rows with a valid NIP of the right person, or copies of such rows whose NIP alone is rejected (then at
most a one-letter typo, with the digits the rejected NIP still shows), and must not raise a conflict.

## quarantine.jsonl: values and rows no correct system may accept

`source`, `key`, `row` (as in source_nips; null for an HTTP record), `content`, `field`, `value`,
`reason` (`float_mangled_nip`, `impossible_nip_birth_date`, `impossible_date`,
`missing_required_field`, `unknown_code`), `available_at`. A missing NIP is never listed here (it goes
to identity resolution); spaced, dotted, apostrophed or padded NIPs are valid after normalisation.
A `float_mangled_nip` or `impossible_nip_birth_date` entry rejects the NIP only, never repairing it
(DESIGN.md, "Identity"): the row is accepted without it (`quarantined` false in source_nips), its
person found by name (and the digits the written value still shows), and it belongs to its case like
any other row (Bawaslu `terlapor` entries, BKN Wasdal, KASN, I'DIS and Kemendagri copies of a case's
record sharing its numbers, KemenPAN-RB complaints about the case's ASN; I-MUT actions by central
agencies, lawful, which make no finding). Every other entry rejects its whole row: those rows are
extra copies of accepted ones, and rejecting them loses no true fact.

## enforcement.json: the DEFAULT policy at `as_of`

Facts count only when available at `as_of` (for each source key, its latest version; for SFTP, the
latest delivery of each file name). Golden recommendation: bkn_wasdal, else kasn; golden sanction:
idis, else kemendagri. For a recommended case (`terbukti`, or `dibatalkan` later), with R the
recommendation date: `peringatan` on R+10 (the PPK deadline), `teguran` on R+17, `pemblokiran` on R+24;
a step fires when its date is on or before the `as_of` date (WIB) and no end event is dated on or
before it. End events: the golden sanction's first `tanggal_sk` (a source's later decision with another
code is a revision on objection: it is the sanction in force, but the follow-up stays dated by the first
decision), the annulment (date of the version that says
`dibatalkan`), leaving service (registry `kedudukanPnsId` 66/77/88/99; date `updatedAt`). After a fired
`pemblokiran`, an end event gives `buka_blokir` on its date.

Holds (DESIGN.md, "Identity disputes hold"): a case with a `terbukti` from some source and no end event
is held (no actions, never blocked) while an open critical_field or lifecycle conflict is on it, or while
one of its rows has an open `identity` or `named_other` conflict in conflicts.jsonl (whatever its kind)
and shares a case number with another of its rows available by then: the register number (`bawaslu`
findings and `bkn_wasdal` recommendations carry it) or the recommendation number (`bkn_wasdal`,
`kasn`, `idis`, `kemendagri`). Such a row has no usable NIP (or names another ASN), so that number is
how it joins the case; a disputed complaint (`kemenpanrb`, no number) or a disputed finding of a
KASN-only case stays outside and holds
nothing. A disputed row never carries a NIP into a block. Identity plants sit on registers naming one
ASN, so a correct system joins them by register number whatever the other findings say.

`as_of`, `policy`, `nips`: `[{nip, blocked, cases, blocking_cases}]` for every NIP with a case (an ASN
stays blocked while any of its cases requires it), `cases`: `[{case_id, stage, held, identity_disputes,
blocked, actions: [{action, date}]}]` (`identity_disputes`: the `reason`s of the identity conflicts on
the case's rows that hold it), `held`: case ids. Stages: `menunggu_verifikasi`, `tidak_terbukti`, `ditolak`,
`menunggu_tindak_lanjut`, `peringatan`, `teguran`, `diblokir`, `ditahan`, `dijatuhi_hukuman`,
`dibatalkan`, `meninggalkan_dinas`.

## Planted identity situations (every scale; counts scale like the other plants)

- A Bawaslu finding with another real ASN's NIP (`name_mismatch`), or without NIP naming one of two
  namesakes of its instansi (`ambiguous_match`); the case's recommendation carries the right NIP.
- A BKN Wasdal recommendation with its ASN's own valid NIP but another registry ASN's name, joined to the
  case by the register number (`name_mismatch` on the recommendation): the case is held, its ASN is not
  blocked for it.
- A finding and its recommendation with a well-formed NIP in no registry row and a name no registry ASN
  holds (`unresolved` on both): the case has no identified ASN, is held and blocks nobody.
- A finding and its recommendation without NIP naming one of two registry ASN of one instansi with the
  same name and no title (`ambiguous_match`, a tie): held; neither namesake is blocked.
- An I'DIS sanction naming another registry ASN of the instansi (their NIP and name) filed under a
  proven, escalating case's recommendation number, dated before `as_of` (`named_other`): not the case's
  sanction, so no end event; the case is held (identity dispute `named_other`), its ASN not blocked.
- A blocked ASN who retires (registry `kedudukanPnsId` 99, `updatedAt` the day) after the block and
  before `as_of`: `buka_blokir` on that day, not blocked at `as_of`.

## imut_actions.jsonl: every I-MUT personnel action and the category it was planted as

One line per action id (`http/imut.jsonl` key), ordered by `available_at` (when its first version is
served): `action_id`, `category`, `available_at`, `nip` (as served; a `bad_nip` action's is impossible),
`instansi_id`, `jenis_tindakan`, `tanggal_sk` (`YYYY-MM-DD`), `versions` (how many versions are served),
`rules` (the rules its findings name; empty for a lawful action). Categories are listed in
DATA_FORMAT.md ("I-MUT actions"); `ordinary` actions are lawful everyday moves of ASN in no case.

## imut_findings.jsonl: the I-MUT findings a correct system must hold

One line per expected finding: `action_id`, `rule` (`pasal_71_2`, `pasal_162_3`,
`reporting_7_working_days`, `block_breach`, `possible_retaliation`), `disposition` (`breach`, or
`investigate` for `possible_retaliation` and for a demotion or removal from post while blocked, which
may be the sanction itself; none is planted), `available_at`, `nip`, `category`. A finding is expected at
an instant once its `available_at` is not after it: for most, the instant the action's first version is
served (a later version, such as an approval dated after the decision arriving weeks later, never clears
it); for a never-reported or late-reported action, the later of that and midnight (WIB) after the 7th
working day after the decision; for a block breach, the later of that and the day the truth's policy
blocks the NIP (`enforcement.json`). The truth is what the generator planted, never what
`sbt_sync.imut.rules` computes. Readers: `sbt_sync.sandbox.generate.truth_imut.expected_imut_findings`.

Windows are the election calendar's (`schemas/reference/election_calendar.csv`, pilkada-2024: the
Pasal 71(2) ban 2024-03-22 to 2025-02-19, Pasal 162(3) 2025-02-20 to 2025-08-19); working days are
`sbt_sync.imut.workdays` (libur nasional and cuti bersama). An approval counts only if dated before the
decision (same day: a breach). Possible retaliation plants are decided after the ASN's case was known
(its register date and the first source record about it) and their ASN is never blocked; block breaches
are promotions, appointments, transfers and rotations decided before `as_of` by officials the election
rules do not concern, taking effect on or after `as_of` for an NIP the truth blocks at `as_of`.

## recap.json: the national recap at `as_of`

`as_of`; `cycles`: the instants the demo runs its cycles at (`manifest.json` `clock.start`, half way
to `as_of`, and `as_of`), over which `unblocked` is counted; `events`, per event and `TOTAL`:
`reported` (cases with a Bawaslu register available), `recommended` (golden
result `terbukti` or `dibatalkan`), `sanctioned` (`terbukti` with a recorded sanction),
`not_followed_up` (`terbukti` without one, the ASN still in service), `left_service` (`terbukti`
without one, the ASN gone: stage `meninggalkan_dinas`; so recommended = sanctioned +
not_followed_up + left_service + annulled), `in_process` (reported, no result yet), `not_proven`,
`rejected`, `annulled`, `held`, `blocked` (cases), `blocked_nips`, `unblocked`, `blocks_by_kanreg`
(blocked NIPs by registry `kanregId`), `unblocks_by_kanreg` (NIPs of the `unblocked` cases, likewise).
Everything but `unblocked` is the state at `as_of` (enforcement.json).

`unblocked`: the cases whose block SIASN lifted, for a system deciding and pushing at each of
`cycles` in turn on the facts available at its instant: the cases a cycle's decision blocks a NIP
for, when a later cycle's decision leaves that NIP unblocked (an end event after the block day, an
end event published after the block but dated before its day, a correction to `tidak_terbukti`, a
hold). A block whose day and end both fall between two cycles never reaches SIASN: the history records
it, but it is neither blocked nor unblocked. (DESIGN.md, "Enforcement": unblock when a sanction is
recorded, the recommendation is annulled or the ASN has left service.)
Which NIPs are blocked at `as_of` does not depend on the earlier cycles.
"""
