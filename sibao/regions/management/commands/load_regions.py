"""`sibao load_regions`: load the committed division file (safe to run again)."""

from django.core.management.base import BaseCommand

from sibao.regions.loader import DIVISIONS_FILE, load_divisions


class Command(BaseCommand):
    help = "Load the GB/T 2260 division tree from the committed data file."

    def handle(self, *args, **options):
        count = load_divisions()
        self.stdout.write(f"{count} divisions read from {DIVISIONS_FILE.name}")
