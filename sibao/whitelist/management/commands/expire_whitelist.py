"""`sibao expire_whitelist`: end the admissions whose term is over (run daily; running it again changes nothing)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sibao.core.clock import today
from sibao.whitelist.services import entries_expire


class Command(BaseCommand):
    help = "Move whitelist entries whose admission ended before today (or --date) to expired, and tell their liaisons."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Expire as of this day (YYYY-MM-DD) instead of today.")

    def handle(self, *args, **options):
        day = today()
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date {options['date']!r} is not a date (YYYY-MM-DD).") from None
        expired = entries_expire(on=day)
        self.stdout.write(f"{len(expired)} whitelist admission(s) expired as of {day.isoformat()}.")
