"""What one unit of work has already read, so that the handlers of one update read it only once.

Every update reads the patient by chat id, and most then read the flow state and whether a flag is
open. :func:`bot.repos.patients.by_chat` reads all three in one statement and remembers them here, in
the session's ``info`` (so the memo lives exactly as long as the session, one update or one job). The
repositories that read or change those rows consult and update it:

* ``("patient", chat_id)`` -> the ``Patient`` or None (no consent yet): set by ``by_chat`` and ``add``,
  dropped by ``erase``;
* ``("flow", patient_id)`` -> the ``FlowState`` or None (in no flow): set by ``by_chat``, ``flows.put``,
  ``flows.clear``, ``coping.locked_state``;
* ``("open_flag", patient_id)`` -> bool: set by ``by_chat``, dropped by ``flags.add`` and by any change
  of a flag's status.

Only rows of this session's own transaction are remembered; nothing outlives the session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "bot.repos.memo"
MISSING = object()


def of(session: AsyncSession) -> dict[tuple[str, int], Any]:
    memo = session.info.get(_KEY)
    if memo is None:
        memo = session.info[_KEY] = {}
    return memo


def get(session: AsyncSession, kind: str, key: int) -> Any:
    """The remembered value, or :data:`MISSING`."""
    memo = session.info.get(_KEY)
    return MISSING if memo is None else memo.get((kind, key), MISSING)


def put(session: AsyncSession, kind: str, key: int, value: Any) -> None:
    of(session)[(kind, key)] = value


def forget(session: AsyncSession, kind: str, key: int) -> None:
    memo = session.info.get(_KEY)
    if memo is not None:
        memo.pop((kind, key), None)
