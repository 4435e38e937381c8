"""`sibao purge_health_data --before YYYY-MM-DD`: remove health data past retention, keep the aggregates."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sibao.core.clock import today
from sibao.prevention.services.staff import health_data_purge


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--before must be a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = (
        "Delete test results, held results and health-credential checks from before a day and clear the staff "
        "status fields taken from them; daily compliance figures stay. Records one audit event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, type=_day, help="first day to keep (YYYY-MM-DD)")

    def handle(self, *args, before: dt.date, **options):
        if before > today():
            raise CommandError(f"--before {before} is in the future: that would delete today's data too.")
        counts = health_data_purge(before=before)
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
