"""`sibao seed_demo`: fill an empty database with the demo data set (and optionally a province-scale one)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sibao.demo import builders
from sibao.demo.data import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo data: the organisations of the Guancheng and Jiaozuo work plans, "
        "about 270 enterprises and projects with supply links, and one demo account per role. "
        "With --scale province, also 50,000 enterprises over every county of Henan (benchmarks)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing, successfully, when the database already has enterprises or users.",
        )
        parser.add_argument(
            "--scale",
            choices=("demo", "province"),
            default="demo",
            help="demo: the two jurisdictions only; province: plus the benchmark set.",
        )
        parser.add_argument(
            "--without-whitelist",
            action="store_true",
            help=(
                "Registry and accounts only: leave out the whitelist story (criteria, applications, breaker) "
                "and the prevention story that follows it (rosters, tests, alerts, plans, a mode switch)."
            ),
        )
        parser.add_argument(
            "--count",
            type=int,
            default=builders.PROVINCE_COUNT,
            help="Size of the province-scale set (default %(default)s; only with --scale province).",
        )

    def handle(self, *args, if_empty: bool, scale: str, count: int, without_whitelist: bool, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with a published password: it refuses to run in production.")
        if count < 0:
            raise CommandError("--count must not be negative.")
        if builders.database_has_data():
            if if_empty:
                self.stdout.write("The database already has users or enterprises: nothing seeded.")
                self._print_logins()
                return
            raise CommandError(
                "The database already has users or enterprises; seed_demo only fills an empty database "
                "(use --if-empty to skip quietly)."
            )
        result = builders.seed(scale=scale, count=count, whitelist=not without_whitelist)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {scale} data in {result.seconds:.1f}s: {result.organizations} organisations, "
                f"{result.enterprises} enterprises ({result.projects} projects), "
                f"{result.supply_links} supply links, {result.users} users; {result.whitelist.summary()}; "
                f"{result.prevention.summary()}."
            )
        )
        if options["verbosity"] > 1:
            for stage, seconds in result.timings.items():
                self.stdout.write(f"  {stage}: {seconds:.2f}s")
            self.stdout.write(f"  digest: {result.digest}")
            if result.whitelist.seeded:
                self.stdout.write(f"  whitelist digest: {result.whitelist.digest}")
        self._print_logins()

    def _print_logins(self) -> None:
        """The demo accounts that still have the demo password (none once every one was changed)."""
        logins = builders.demo_logins()
        if logins:
            self.stdout.write("")
            self.stdout.write(f"Demo logins (password for every account: {DEMO_PASSWORD}):")
            self.stdout.write(builders.logins_table(logins))
