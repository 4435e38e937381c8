"""`make bench`: run the benchmarks on a throwaway database and print each figure beside its baseline.

    .venv/bin/python bench/run.py [--figure NAME] [--rows N] [--only csv|xlsx] [--count N] [--staff N] [--repeat N]
                                  [--results N] [--ingest N] [--profile]

By default the run uses a fresh SQLite file (WAL, as production defaults) in a temporary directory.
With DATABASE_URL set to a PostgreSQL database whose name contains "bench" (for example
postgres://postgres@127.0.0.1:5432/sibao_bench) the harness creates that database, runs there and
drops it afterwards. Results are printed as a table and written to bench/out/ as JSON.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
FORMATS = ["csv", "xlsx"]
FIGURES = ["import_enterprises", "whitelist_coverage", "prevention_ingest", "prevention_compliance", "prevention_mode"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--figure", choices=FIGURES, help="run one figure only (default: every figure)")
    parser.add_argument("--rows", type=int, default=100_000, help="enterprises in the generated file (100000)")
    parser.add_argument("--only", choices=FORMATS, help="measure one file format only")
    parser.add_argument(
        "--count", type=int, default=None, help="firms of the province-scale set of the coverage figure (50000)"
    )
    parser.add_argument(
        "--staff", type=int, default=None, help="staff on the rosters of the compliance and ingest figures (2000000)"
    )
    parser.add_argument(
        "--results", type=int, default=None, help="earlier test results of the ingest figure (10000000)"
    )
    parser.add_argument("--ingest", type=int, default=None, help="test results in the ingested csv (1000000)")
    parser.add_argument("--repeat", type=int, default=3, help="attempts of each measurement; the best one counts (3)")
    parser.add_argument(
        "--profile", action="store_true", help="run each import under cProfile; statistics go to bench/out/*.prof"
    )
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.count is not None and args.count < 1:
        parser.error("--count must be at least 1")
    if args.staff is not None and args.staff < 1:
        parser.error("--staff must be at least 1")
    if args.results is not None and args.results < 0:
        parser.error("--results must not be negative")
    if args.ingest is not None and args.ingest < 1:
        parser.error("--ingest must be at least 1")
    return args


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the throwaway database ---------------------------------------------------------------------------


class PostgresDatabase:
    """The bench database named by DATABASE_URL: created before the run and dropped after it."""

    def __init__(self, url: str):
        import dj_database_url

        config = dj_database_url.parse(url)
        self.name = config["NAME"]
        if "bench" not in self.name:
            raise SystemExit(
                f"DATABASE_URL names the database {self.name!r}; the bench drops and recreates its database, "
                "so it only runs on one whose name contains 'bench' (e.g. sibao_bench)."
            )
        self.server = {
            "host": config.get("HOST") or None,
            "port": config.get("PORT") or None,
            "user": config.get("USER") or None,
            "password": config.get("PASSWORD") or None,
            "dbname": "postgres",
        }

    def _execute(self, statement: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(**self.server, autocommit=True) as server:
            server.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def create(self) -> None:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        self._execute("CREATE DATABASE {}")

    def drop(self) -> None:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def configure(var_dir: Path) -> PostgresDatabase | None:
    """Point the settings at the throwaway database; set up Django."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "sibao.settings"
    os.environ["SIBAO_VAR_DIR"] = str(var_dir)
    os.environ["SIBAO_DEBUG"] = "0"  # no query log: production behaviour
    os.environ.setdefault("SIBAO_IMPORT_MAX_MB", "100")  # a 100,000-row csv is about 25 MB
    database = None
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        database = PostgresDatabase(url)
        database.create()
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    return database


def prepare_schema() -> None:
    from django.core.management import call_command

    from sibao.regions.loader import load_divisions

    call_command("migrate", verbosity=0, interactive=False)
    load_divisions()


# --- reporting ----------------------------------------------------------------------------------------

_COLUMNS = [
    ("database", "{:<10}", lambda m: m.database),
    ("format", "{:<6}", lambda m: m.format),
    ("run", "{:<9}", lambda m: m.run),
    ("rows", "{:>8}", lambda m: f"{m.rows:,}"),
    ("seconds", "{:>8}", lambda m: f"{m.seconds:.2f}"),
    ("rows/s", "{:>8}", lambda m: f"{m.rate:,.0f}"),
    ("raw rows/s", "{:>10}", lambda m: f"{m.raw_rate:,.0f}"),
    ("ratio", "{:>6}", lambda m: f"{m.ratio:.0%}"),
    ("target met", "{:<10}", lambda m: ("yes" if m.target_met else "NO") if m.run == "import" else "-"),
]


def print_table(title: str, measurements, repeat: int) -> None:
    from bench.import_enterprises import TARGET_RATIO

    widths = [len(fmt.format("")) for _name, fmt, _value in _COLUMNS]
    header = " | ".join(name.ljust(max(w, len(name))) for (name, _f, _v), w in zip(_COLUMNS, widths, strict=True))
    print(f"\n{title} (target: import at least {TARGET_RATIO:.0%} of the raw driver's rate; best of {repeat})")
    print(header)
    print("-" * len(header))
    for m in measurements:
        cells = [
            fmt.format(value(m)).ljust(max(w, len(name)))
            for (name, fmt, value), w in zip(_COLUMNS, widths, strict=True)
        ]
        print(" | ".join(cells))
    print()


def print_coverage_table(measurements, repeat: int) -> None:
    """The coverage figures: each selector beside one plain SQL statement over the same rows."""
    print_timed_table(
        f"Whitelist coverage (targets: each table within 300 ms, the gap list within 200 ms, by the median "
        f"of {repeat} after a warm-up; seconds is the best, ratio is best against the best plain SQL)",
        measurements,
        baseline="plain SQL s",
    )


def print_timed_table(title: str, measurements, *, baseline: str) -> None:
    """Timed figures (`bench.whitelist_coverage.Measurement`): best and median beside the baseline and target."""
    columns = [
        ("database", "{:<10}", lambda m: m.database),
        ("figure", "{:<18}", lambda m: m.figure),
        ("rows", "{:>7}", lambda m: f"{m.rows:,}"),
        ("seconds", "{:>7}", lambda m: f"{m.seconds:.3f}"),
        ("median", "{:>7}", lambda m: f"{m.median:.3f}"),
        (baseline, "{:>11}", lambda m: f"{m.baseline_seconds:.3f}"),
        ("ratio", "{:>6}", lambda m: f"{m.ratio:.1f}x"),
        ("target s", "{:>8}", lambda m: f"{m.target_seconds:.3f}"),
        ("target met", "{:<10}", lambda m: "yes" if m.target_met else "NO"),
        ("", "{}", lambda m: m.note),
    ]
    widths = [max(len(fmt.format("")), len(name)) for name, fmt, _value in columns]
    print(f"\n{title}")
    header = " | ".join(name.ljust(w) for (name, _f, _v), w in zip(columns, widths, strict=True))
    print(header.rstrip())
    print("-" * len(header))
    for m in measurements:
        print(" | ".join(fmt.format(value(m)).ljust(w) for (_n, fmt, value), w in zip(columns, widths, strict=True)))
    print()


def write_json(name: str, measurements, args: argparse.Namespace, vendor: str, rows: int | None = None) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}-{vendor}.json"
    document = {
        "figure": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "rows": args.rows if rows is None else rows,
        "repeat": args.repeat,
        "results": [m.as_json() for m in measurements],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = [args.figure] if args.figure else FIGURES
    formats = [args.only] if args.only else FORMATS
    with tempfile.TemporaryDirectory(prefix="sibao-bench-") as work:
        work_dir = Path(work)
        database = configure(work_dir / "var")
        try:
            from django.db import connection

            prepare_schema()
            # The import empties the registry when it ends, so it runs first; the coverage set stays until the end.
            if "import_enterprises" in figures:
                from bench import dataset, import_enterprises

                log(f"database: {connection.vendor}; generating {args.rows:,} enterprises as {', '.join(formats)}")
                data = dataset.build(args.rows, work_dir, formats)
                profile_dir = OUT_DIR if args.profile else None
                if profile_dir:
                    OUT_DIR.mkdir(parents=True, exist_ok=True)
                    log("profiling: timings include the profiler's overhead")
                measurements = import_enterprises.run(
                    dataset=data, formats=formats, repeat=args.repeat, log=log, profile_dir=profile_dir
                )
                print_table("Enterprise import", measurements, args.repeat)
                path = write_json("import_enterprises", measurements, args, connection.vendor)
                print(f"written to {path.relative_to(ROOT)}")
            if "whitelist_coverage" in figures:
                from bench import whitelist_coverage

                repeat = max(args.repeat, 5)
                log(f"database: {connection.vendor}; seeding the province-scale set and its whitelist")
                measurements = whitelist_coverage.run(repeat=repeat, count=args.count, log=log)
                print_coverage_table(measurements, repeat)
                path = write_json(
                    "whitelist_coverage", measurements, args, connection.vendor, rows=measurements[0].rows
                )
                print(f"written to {path.relative_to(ROOT)}")
            if "prevention_ingest" in figures:  # before the compliance figure: it removes its staff when done
                from bench import prevention_ingest

                log(f"database: {connection.vendor}; loading staff and earlier test results")
                measurement = prevention_ingest.run(
                    repeat=args.repeat,
                    work_dir=work_dir,
                    staff=args.staff,
                    results=args.results,
                    ingest=args.ingest,
                    log=log,
                )
                prevention_ingest.print_table(measurement, args.repeat)
                path = write_json("prevention_ingest", [measurement], args, connection.vendor, rows=measurement.rows)
                print(f"written to {path.relative_to(ROOT)}")
            if "prevention_compliance" in figures:  # it leaves its two million staff for the mode figure
                from bench import prevention_compliance

                repeat = max(args.repeat, 5)
                log(f"database: {connection.vendor}; loading the province's staff rosters")
                measurements = prevention_compliance.run(repeat=repeat, firms=args.count, staff=args.staff, log=log)
                prevention_compliance.print_table(measurements, repeat)
                path = write_json(
                    "prevention_compliance", measurements, args, connection.vendor, rows=measurements[0].rows
                )
                print(f"written to {path.relative_to(ROOT)}")
            if "prevention_mode" in figures:  # after the compliance figure: uses the rosters it leaves, if any
                from bench import prevention_mode

                repeat = max(args.repeat, 5)
                log(f"database: {connection.vendor}; the province's registry, whitelist and staff rosters")
                measurements = prevention_mode.run(repeat=repeat, count=args.count, staff=args.staff, log=log)
                prevention_mode.print_table(measurements, repeat)
                path = write_json("prevention_mode", measurements, args, connection.vendor, rows=measurements[0].rows)
                print(f"written to {path.relative_to(ROOT)}")
        finally:
            if database is not None:
                from django.db import connections

                connections.close_all()
                database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
