"""The allowed moves of applications and whitelist entries: the one table each (DESIGN §4).

Who may make a move is decided by the service that performs it (scoping and roles); this table says
only which moves exist. `None` as a source is "no entry yet".
"""

from sibao.whitelist.models import ApplicationStatus as A
from sibao.whitelist.models import EntryStatus as E

APPLICATION_MOVES: dict[tuple[str, str], str] = {
    (A.SUBMITTED, "approve"): A.APPROVED,
    (A.SUBMITTED, "reject"): A.REJECTED,
    (A.SUBMITTED, "return"): A.RETURNED,
    (A.RETURNED, "resubmit"): A.SUBMITTED,
    (A.SUBMITTED, "withdraw"): A.WITHDRAWN,
    (A.RETURNED, "withdraw"): A.WITHDRAWN,
}

ENTRY_MOVES: dict[tuple[str | None, str], str] = {
    (None, "admit"): E.ACTIVE,
    (E.EXPIRED, "admit"): E.ACTIVE,
    (E.REMOVED, "admit"): E.ACTIVE,
    (E.ACTIVE, "renew"): E.ACTIVE,
    (E.ACTIVE, "expire"): E.EXPIRED,
    (E.ACTIVE, "suspend"): E.SUSPENDED,
    (E.ACTIVE, "remove"): E.REMOVED,
    (E.SUSPENDED, "remove"): E.REMOVED,
    (E.SUSPENDED, "reinstate"): E.ACTIVE,
    (E.SUSPENDED, "expire"): E.EXPIRED,
    # A jointly decided stop of production (停产停工停运) and its end: the firm stays listed (breaker.py).
    (E.ACTIVE, "stop_production"): E.ACTIVE,
    (E.ACTIVE, "resume_production"): E.ACTIVE,
}


class MoveNotAllowed(Exception):
    """The object is not in a state where this action exists."""


def application_target(current: str, action: str) -> str:
    try:
        return APPLICATION_MOVES[(current, action)]
    except KeyError:
        raise MoveNotAllowed(f"application: no move {action!r} from {current!r}") from None


def entry_target(current: str | None, action: str) -> str:
    try:
        return ENTRY_MOVES[(current, action)]
    except KeyError:
        raise MoveNotAllowed(f"entry: no move {action!r} from {current!r}") from None
