"""`sibao escalate_breakers`: escalate breaker cases past their rectification deadline (safe to run again).

Run it daily (cron or a systemd timer). Each due case is claimed under a row lock in its own transaction,
so two runs at once escalate it once.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sibao.core.clock import today
from sibao.whitelist.breaker import breakers_escalate


class Command(BaseCommand):
    help = "Escalate every open circuit-breaker case whose rectification deadline has passed to its next step."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to escalate for, YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        on = today()
        if options["date"]:
            try:
                on = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date {options['date']!r} is not a YYYY-MM-DD date") from None
        opened = breakers_escalate(on)
        self.stdout.write(f"{len(opened)} breaker case(s) escalated on {on.isoformat()}")
        for case in opened:
            self.stdout.write(f"  {case.entry.enterprise}: step {case.step} ({case.level})")
