"""Demo stories told over past days: a stand-in for the clock while they are replayed."""

import contextlib
import datetime as dt

from django.utils import timezone


class PastClock:
    """Simulated days in the past: `timezone.now()` returns a moment of that day, a second later at each call."""

    def __init__(self):
        self._moment: dt.datetime | None = None
        self._real = timezone.now

    def now(self) -> dt.datetime:
        if self._moment is None:
            return self._real()
        self._moment += dt.timedelta(seconds=1)
        return self._moment

    def set(self, offset: int, minutes: int) -> None:
        """The moment `minutes` after midnight on day today+`offset`; offset 0 is the real now."""
        if offset >= 0:
            self._moment = None
            return
        day = self._today + dt.timedelta(days=offset)
        local = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
        self._moment = timezone.make_aware(local).astimezone(dt.UTC)

    @contextlib.contextmanager
    def running(self):
        """Stand in for `django.utils.timezone.now` (so for `sibao.core.clock`) until the block ends."""
        self._today = timezone.localdate()
        timezone.now = self.now
        try:
            yield self
        finally:
            timezone.now = self._real
            self._moment = None
