"""`sibao refresh_compliance`: recompute today's test compliance of every enterprise and raise its alerts.

Run it hourly or daily (cron or a systemd timer): tests age out of their cycle with time alone, so
compliance moves even when no result arrives. Running it again the same day replaces that day's figures
and raises no alert twice.
"""

import time

from django.core.management.base import BaseCommand

from sibao.prevention.services.compliance import compliance_refresh_report


class Command(BaseCommand):
    help = "Recompute today's test compliance of every enterprise and raise the alerts it calls for."

    def handle(self, *args, **options):
        started = time.perf_counter()
        done = compliance_refresh_report()
        self.stdout.write(
            f"{done.enterprises} enterprise(s), {done.staff} staff: {done.within} within cycle, "
            f"{done.overdue} overdue; {done.alerts} alert(s) raised in {time.perf_counter() - started:.1f} s"
        )
