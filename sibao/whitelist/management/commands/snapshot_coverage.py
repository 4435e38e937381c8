"""`sibao snapshot_coverage`: record today's whitelist coverage of every jurisdiction (safe to run again)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from sibao.whitelist.snapshots import coverage_snapshot_take


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Record the day's whitelist coverage (output of whitelisted firms against the target) of the province "
        "and of every city and county with enterprises, per sector and in total. Running it again the same "
        "day replaces that day's figures. Run it once a day (cron or a scheduled task)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_day, help="The day to record (YYYY-MM-DD); today by default.")

    def handle(self, *args, date: dt.date | None = None, **options):
        written = coverage_snapshot_take(on=date)
        self.stdout.write(f"{written} coverage rows recorded.")
