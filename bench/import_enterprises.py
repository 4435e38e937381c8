"""Figure: importing the province's registry (csv and xlsx) against the raw driver loading the same rows.

For each format: empty the registry and the audit log, load the rows with the database driver alone
(sqlite3 `executemany` in one transaction, or psycopg `COPY ... FROM STDIN`), empty again, then import
the file through `enterprise_import` (reading, validation, permission check per row, the import
report and one audit event per enterprise included), and finally import the same file again, which
must change nothing. The figure is the import's rate as a share of the raw rate; the target is 25%.
"""

import cProfile
import gc
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.core.files import File
from django.db import connection, transaction

from bench.dataset import Dataset

TARGET_RATIO = 0.25

# The stored columns of a registry row, in the order the raw load writes them.
RAW_COLUMNS = [
    "credit_code",
    "name",
    "kind",
    "sector",
    "industry_section",
    "industry_division",
    "region_id",
    "address",
    "output_value",
    "headcount",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "city_operation_support",
    "key_project",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
]


@dataclass
class Measurement:
    """A timed run (the best of its attempts) and how it compares with the raw load of the same rows."""

    database: str
    format: str
    run: str
    rows: int
    attempts: list[float]
    raw_attempts: list[float]

    @property
    def seconds(self) -> float:
        return min(self.attempts)

    @property
    def raw_seconds(self) -> float:
        return min(self.raw_attempts)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.rows / self.raw_seconds

    @property
    def ratio(self) -> float:
        return self.rate / self.raw_rate

    @property
    def target_met(self) -> bool:
        return self.ratio >= TARGET_RATIO

    def as_json(self) -> dict:
        return {
            **asdict(self),
            "seconds": round(self.seconds, 3),
            "raw_seconds": round(self.raw_seconds, 3),
            "rows_per_s": round(self.rate),
            "raw_rows_per_s": round(self.raw_rate),
            "ratio": round(self.ratio, 3),
            "target_ratio": TARGET_RATIO,
            "target_met": self.target_met,
        }


# --- setup -----------------------------------------------------------------------------------------


def make_actor():
    """A platform administrator for all of Henan: every row passes the per-row permission check."""
    from sibao.accounts.models import Grant, User
    from sibao.accounts.roles import Role

    user, _created = User.objects.get_or_create(username="bench_admin_ha", defaults={"display_name": "bench"})
    user.set_unusable_password()
    user.save()
    Grant.objects.get_or_create(user=user, role=Role.ADMIN, region_id="410000", sector="")
    return user


def empty_registry() -> None:
    """Delete every enterprise and audit event (the log is append-only for the application, not here)."""
    from sibao.audit.models import Event
    from sibao.core.models import ImportBatch
    from sibao.enterprises.models import Enterprise

    with connection.cursor() as cursor:
        for model in (Event, ImportBatch, Enterprise):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Event, ImportBatch, Enterprise):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    gc.collect()


# --- the raw load ------------------------------------------------------------------------------------


def raw_rows(dataset: Dataset, actor_id: int) -> list[tuple]:
    """The rows as the driver takes them: typed values, timestamps as the ORM would store them."""
    from django.utils import timezone

    at = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(at) if connection.vendor == "sqlite" else at
    extra = {"created_by_id": actor_id, "created_at": stamp, "updated_at": stamp, "version": 1}
    return [tuple({**row, **extra}[name] for name in RAW_COLUMNS) for row in dataset.rows]


def raw_load(rows: list[tuple]) -> float:
    """Seconds the driver alone takes to insert the rows into the registry table in one transaction."""
    from sibao.enterprises.models import Enterprise

    table = connection.ops.quote_name(Enterprise._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in RAW_COLUMNS)
    connection.ensure_connection()
    driver = connection.connection
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(RAW_COLUMNS))
            driver.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    seconds = time.perf_counter() - started
    assert Enterprise.objects.count() == len(rows), "the raw load did not store every row"
    return seconds


# --- the import ---------------------------------------------------------------------------------------


def timed_import(path: Path, actor, profile_to: Path | None = None) -> tuple[float, object]:
    """Seconds `enterprise_import` takes for the file, and the import batch it made.

    With `profile_to`, the call runs under cProfile and its statistics are saved there (the
    profiler's overhead then inflates the time).
    """
    from sibao.enterprises.services import enterprise_import

    profiler = cProfile.Profile() if profile_to else None
    gc.collect()
    with path.open("rb") as handle:
        upload = File(handle, name=path.name)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        batch = enterprise_import(actor=actor, upload=upload)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(profile_to)
    return seconds, batch


def check_first_import(batch, rows: int) -> None:
    """Every row stored, one audit event each, nothing rejected: otherwise the timing means nothing."""
    from sibao.audit.models import Event
    from sibao.enterprises.models import Enterprise

    problems = batch.errors[:3]
    assert batch.rejected == 0 and batch.created == rows, f"created {batch.created}/{rows}; first errors: {problems}"
    assert Enterprise.objects.count() == rows
    assert Event.objects.filter(action="enterprise.import_create").count() == rows


def check_reimport(batch, rows: int) -> None:
    """The same file again changes nothing and records nothing."""
    from sibao.audit.models import Event

    assert (batch.created, batch.updated, batch.unchanged, batch.rejected) == (0, 0, rows, 0), (
        f"re-import: created {batch.created}, updated {batch.updated}, unchanged {batch.unchanged}, "
        f"rejected {batch.rejected}"
    )
    assert Event.objects.count() == rows


def measure_format(
    dataset: Dataset, file_format: str, actor, *, repeat: int, log, profile_dir: Path | None
) -> list[Measurement]:
    """Raw load, import and re-import of one file, `repeat` times; the registry is emptied before each load.

    The attempts alternate (raw, import, re-import, raw, ...) so that each kind sees the same machine;
    the best attempt of each kind is the figure.
    """
    count = len(dataset.rows)
    path = dataset.csv_path if file_format == "csv" else dataset.xlsx_path
    rows = raw_rows(dataset, actor.pk)
    raw, first, again = [], [], []

    def profile(run: str, attempt: int) -> Path | None:
        if profile_dir is None or attempt:
            return None
        return profile_dir / f"import_enterprises-{connection.vendor}-{file_format}-{run}.prof"

    for attempt in range(repeat):
        empty_registry()
        raw.append(raw_load(rows))
        empty_registry()
        seconds, batch = timed_import(path, actor, profile("import", attempt))
        check_first_import(batch, count)
        first.append(seconds)
        seconds, batch = timed_import(path, actor, profile("reimport", attempt))
        check_reimport(batch, count)
        again.append(seconds)
        timings = f"raw load {raw[-1]:.2f} s, import {first[-1]:.2f} s, re-import {again[-1]:.2f} s"
        log(f"{file_format} #{attempt + 1}: {timings}")
    return [
        Measurement(connection.vendor, file_format, run, count, attempts, raw)
        for run, attempts in (("import", first), ("re-import", again))
    ]


def run(
    *, dataset: Dataset, formats: list[str], repeat: int = 1, log=print, profile_dir: Path | None = None
) -> list[Measurement]:
    """Measure each format; with `profile_dir`, save a cProfile of the first import and re-import there."""
    actor = make_actor()
    results = []
    for file_format in formats:
        results += measure_format(dataset, file_format, actor, repeat=repeat, log=log, profile_dir=profile_dir)
    empty_registry()
    return results
