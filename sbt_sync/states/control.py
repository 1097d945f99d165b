"""The BKN control actions recorded per case (``control_actions.action``).

Control actions are history, not a state: each is a row of its own, written once and never moved
(the enforcement policy decides which are due, :mod:`sbt_sync.enforce.policy`). ``LETTERS`` are the
steps that are letters to the PPK; ``pemblokiran`` and ``buka_blokir`` are what SIASN's block flag
follows; ``hold`` records that a case is held instead.
"""

from __future__ import annotations

from enum import StrEnum

from sbt_sync.states import sql_values


class ControlAction(StrEnum):
    PERINGATAN_DINI = "peringatan_dini"
    PERINGATAN = "peringatan"
    TEGURAN = "teguran"
    PEMBLOKIRAN = "pemblokiran"
    BUKA_BLOKIR = "buka_blokir"
    HOLD = "hold"


LETTERS = (ControlAction.PERINGATAN_DINI, ControlAction.PERINGATAN, ControlAction.TEGURAN)
CONTROL_ACTIONS_SQL = sql_values(ControlAction)
