"""The allowed moves of an alert: the one table (DESIGN §4)."""

from sibao.prevention.models import AlertStatus as S

ALERT_MOVES: dict[tuple[str, str], str] = {
    (S.OPEN, "acknowledge"): S.ACKNOWLEDGED,
    (S.OPEN, "resolve"): S.RESOLVED,
    (S.ACKNOWLEDGED, "resolve"): S.RESOLVED,
}


def alert_target(current: str, action: str) -> str | None:
    """The status an alert moves to, or None when the move does not exist from `current`."""
    return ALERT_MOVES.get((current, action))
