"""`sibao demo_logins`: print the demo accounts and their password (reads only)."""

from django.core.management.base import BaseCommand

from sibao.demo import builders
from sibao.demo.data import DEMO_PASSWORD


class Command(BaseCommand):
    help = "List the accounts that sign in with the demo password, with role, region and sector or enterprise."

    def handle(self, *args, **options):
        rows = builders.demo_logins()
        if not rows:
            self.stdout.write("No account signs in with the demo password (`sibao seed_demo` fills an empty database).")
            return
        self.stdout.write(f"Demo logins (password for every account: {DEMO_PASSWORD}):")
        self.stdout.write(builders.logins_table(rows))
