"""Figure: ingesting a day's nucleic-acid test results from csv, against the raw driver loading the same rows.

Data, the same on every run (fixed seed): the registry rows of `dataset.py` (50,000 firms, or the registry
another figure of the run left), `--staff` people (2,000,000) spread over them with valid resident ID
numbers (their keyed hashes as the roster stores them), and `--results` earlier results (10,000,000,
sampled over the ten days before) in the indexed results table, each person's status showing their latest.
The file: `--ingest` rows (1,000,000) of today's results, one per person, sampled times written two ways
("2026-05-04 08:30" and "2026/5/4 8:30"), 1% of people on no roster (held apart), 0.1% rows with a
wrong check character and a few positives.

- **Raw**: the same rows, already typed (hash, sampling time as stored, institution, result, batch,
  received time), inserted by the driver alone into the same table with its indexes, in one transaction:
  sqlite3 `executemany`, or psycopg `COPY ... FROM STDIN`. Nothing read, checked or updated.
- **Ingest**: `test_results_ingest` with the file as a province-level prevention official (every
  roster in scope): reading the csv, validating ID numbers, times and results, hashing, the duplicate
  checks, the roster lookup, storing results, holding the rest apart, each person's status, alerts for
  positives and the compliance refresh of the firms touched, in one transaction.
  **Targets: at least 50% of the raw rate, and under 60 s on SQLite.**

Between attempts the rows are deleted and the staff status restored, so each attempt meets the same data.
"""

import datetime as dt
import gc
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

TARGET_RATIO = 0.5
TARGET_SECONDS = {"sqlite": 60.0}
FIRMS, STAFF, RESULTS, INGEST = 50_000, 2_000_000, 10_000_000, 1_000_000
SEED = 20220504
_CHUNK = 200_000
_INSTITUTIONS = [f"郑州{name}医学检验所" for name in ("金域", "迪安", "华大", "艾迪康", "凯普", "达安", "博奥", "兰卫")]
_COUNTIES = ["410102", "410103", "410104", "410105", "410122", "410181", "410202", "410302", "410802", "411102"]
_BORN = dt.date(1960, 1, 1)
RESULT_COLUMNS = ["id_hash", "sampled_at", "institution", "result", "batch_id", "received_at"]


@dataclass
class Measurement:
    database: str
    rows: int
    attempts: list[float]
    raw_attempts: list[float]
    stored: int
    held: int
    rejected: int

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
        limit = TARGET_SECONDS.get(self.database)
        return self.ratio >= TARGET_RATIO and (limit is None or self.seconds < limit)

    def as_json(self) -> dict:
        return {
            **asdict(self),
            "seconds": round(self.seconds, 3),
            "raw_seconds": round(self.raw_seconds, 3),
            "rows_per_s": round(self.rate),
            "raw_rows_per_s": round(self.raw_rate),
            "ratio": round(self.ratio, 3),
            "target_ratio": TARGET_RATIO,
            "target_seconds": TARGET_SECONDS.get(self.database),
            "target_met": self.target_met,
        }


# --- people -------------------------------------------------------------------------------------------


def id_number(serial: int) -> str:
    """A valid resident ID number, unique per serial below 150,000,000."""
    from stdnum.cn import ric

    county = _COUNTIES[serial % len(_COUNTIES)]
    born = _BORN + dt.timedelta(days=(serial // len(_COUNTIES)) % 15_000)
    body = f"{county}{born:%Y%m%d}{(serial // 150_000) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _firms(count: int, log) -> list[int]:
    """Ids of the registry's firms; the rows of dataset.py inserted raw when the registry is empty."""
    from bench import dataset
    from sibao.core.bulk import insert_copies
    from sibao.enterprises.models import Enterprise

    if not Enterprise.objects.exists():
        rows = dataset.generate_rows(count)
        names = list(rows[0])
        with transaction.atomic():
            insert_copies(Enterprise(output_value=0, headcount=0), names, [tuple(r[n] for n in names) for r in rows])
    firms = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    log(f"{len(firms):,} enterprises")
    return firms


def _load_staff(firms: list[int], staff: int, at: dt.datetime, log) -> list[str]:
    """`staff` people spread over the firms, inserted raw; their ID hashes in serial order."""
    from sibao.core.bulk import insert_copies
    from sibao.core.personal import lookup_hasher
    from sibao.prevention.models import StaffMember

    hasher, rng = lookup_hasher(), random.Random(SEED)
    names = ["enterprise_id", "name", "id_hash", "id_masked", "post_type", "start_date"]
    template = StaffMember(id_cipher="bench")
    hashes, started = [], time.perf_counter()
    with transaction.atomic():
        for start in range(0, staff, _CHUNK):
            rows = []
            for serial in range(start, min(start + _CHUNK, staff)):
                number = id_number(serial)
                hashes.append(hasher(number))
                post = "mobile" if rng.random() < 0.2 else "general"
                started_on = (at - dt.timedelta(days=30 + serial % 600)).date()
                rows.append(
                    (
                        firms[serial % len(firms)],
                        f"员工{serial}",
                        hashes[-1],
                        number[:3] + "*" * 11 + number[-4:],
                        post,
                        started_on,
                    )
                )
            insert_copies(template, names, rows)
    log(f"{staff:,} staff in {time.perf_counter() - started:.1f} s")
    return hashes


class _Indexes:
    """The results table's secondary indexes, dropped for a bulk load and rebuilt after it.

    SQLite keeps a unique constraint declared in its CREATE TABLE as an index that cannot be dropped:
    the history is generated in that index's order, so the load appends to it.
    """

    def __init__(self, table: str):
        self.table = table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                found = connection.introspection.get_constraints(cursor, table)
                self.items = [
                    (name, info["columns"], info["unique"])
                    for name, info in found.items()
                    if (info["index"] or info["unique"]) and not info["primary_key"] and not info["foreign_key"]
                ]
            else:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
                self.items = [(name, sql, None) for name, sql in cursor.fetchall() if sql]

    def drop(self):
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for name, _definition, unique in self.items:
                if unique:
                    cursor.execute(f"ALTER TABLE {quote(self.table)} DROP CONSTRAINT {quote(name)}")
                else:
                    cursor.execute(f"DROP INDEX {quote(name)}")

    def create(self):
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for name, definition, unique in self.items:
                if connection.vendor != "postgresql":
                    cursor.execute(definition)
                    continue
                names = ", ".join(quote(c) for c in definition)
                if unique:
                    cursor.execute(f"ALTER TABLE {quote(self.table)} ADD CONSTRAINT {quote(name)} UNIQUE ({names})")
                else:
                    cursor.execute(f"CREATE INDEX {quote(name)} ON {quote(self.table)} ({names})")


def _driver_rows(rows):
    """Rows as the raw load hands them to the driver (times as the ORM stores them)."""
    if connection.vendor == "postgresql":
        return rows
    adapt = connection.ops.adapt_datetimefield_value
    return [(h, adapt(at), inst, res, batch, adapt(received)) for h, at, inst, res, batch, received in rows]


def _driver_load(rows) -> None:
    """The raw driver, inside the caller's transaction: executemany on SQLite, COPY on PostgreSQL."""
    from sibao.prevention.models import TestResult

    quote = connection.ops.quote_name
    table, columns = quote(TestResult._meta.db_table), ", ".join(quote(c) for c in RESULT_COLUMNS)
    connection.ensure_connection()
    driver = connection.connection
    if connection.vendor == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        driver.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(RESULT_COLUMNS))})", rows)


def _batch(actor, kind: str):
    from sibao.core.models import ImportBatch

    return ImportBatch.objects.create(kind=kind, actor=actor, filename=kind, sha256="")


def _load_history(hashes: list[str], results: int, actor, at: dt.datetime, log) -> None:
    """`results` earlier results over the days before `at`, in the order of the results' unique key (ID
    hash, then time), loaded with the other indexes dropped; each person's status set to their latest."""
    from sibao.prevention.models import StaffMember, TestResult

    rng, batch = random.Random(SEED + 1), _batch(actor, "bench_history")
    ids = list(StaffMember.objects.order_by("id").values_list("id", flat=True))
    each, extra = divmod(results, len(hashes))
    latest, rows = [], []
    indexes = _Indexes(TestResult._meta.db_table)
    started = time.perf_counter()
    indexes.drop()
    with transaction.atomic():  # the indexes are rebuilt once the rows (and their deferred key checks) are in
        for rank, person in enumerate(sorted(range(len(hashes)), key=hashes.__getitem__)):
            count, institution = each + (rank < extra), _INSTITUTIONS[person % 8]
            for back in range(count - 1, -1, -1):  # the latest within the last day: everyone within cycle
                sampled = at - dt.timedelta(days=back, minutes=660 + rng.randrange(720))
                sampled = sampled.replace(second=0, microsecond=0)
                rows.append((hashes[person], sampled, institution, "negative", batch.pk, at))
            if count:
                latest.append((sampled, institution, ids[person]))
            if len(rows) >= _CHUNK:
                _driver_load(_driver_rows(rows))
                rows = []
        _driver_load(_driver_rows(rows))
    indexes.create()
    log(f"{results:,} earlier results in {time.perf_counter() - started:.1f} s")
    _status_from_history(latest)


def _status_from_history(latest: list[tuple]) -> None:
    """Each person's status from their latest result, kept aside to restore between attempts; today's
    compliance computed once (alerts the data raises are raised before any attempt)."""
    from sibao.prevention.models import StaffMember
    from sibao.prevention.services.compliance import compliance_refresh

    table = connection.ops.quote_name(StaffMember._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value if connection.vendor == "sqlite" else (lambda value: value)
    kind = "timestamptz" if connection.vendor == "postgresql" else "datetime"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_latest (id bigint, sampled_at {kind}, institution varchar(100))")
        rows = [(pk, adapt(sampled), institution) for sampled, institution, pk in latest]
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY bench_latest FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany("INSERT INTO bench_latest VALUES (%s, %s, %s)", rows)
        cursor.execute(
            f"UPDATE {table} SET last_sampled_at = b.sampled_at, last_result = 'negative', "
            f"last_institution = b.institution FROM bench_latest AS b WHERE {table}.id = b.id"
        )
        cursor.execute("DROP TABLE bench_latest")
        cursor.execute(
            f"CREATE TABLE bench_status AS SELECT id, last_sampled_at, last_result, last_institution FROM {table}"
        )
    compliance_refresh()


# --- the file ------------------------------------------------------------------------------------------


def write_file(hashes_count: int, ingest: int, at: dt.datetime, path: Path) -> list[tuple]:
    """Today's results of `ingest` people as csv; the typed rows of the raw load (for every valid row)."""
    import csv

    from sibao.core.personal import lookup_hasher

    rng, hasher = random.Random(SEED + 2), lookup_hasher()
    received = timezone.now()
    local = timezone.localtime(at)
    people = rng.sample(range(hashes_count), min(ingest, hashes_count))
    typed = []
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["身份证号", "采样时间", "检测机构", "检测结果"])
        for index in range(ingest):
            draw = rng.random()
            serial = people[index] if index < len(people) and draw >= 0.01 else 150_000_000 - index  # not on a roster
            number = id_number(serial)
            if draw > 0.999:
                number = number[:17] + ("0" if number[17] != "0" else "1")  # a wrong check character
            sampled = (local - dt.timedelta(minutes=1 + rng.randrange(600))).replace(second=0, microsecond=0)
            text = f"{sampled:%Y-%m-%d %H:%M}" if index % 2 else _slashed(sampled)
            result = "阳性" if rng.random() < 0.00002 else "阴性"
            institution = _INSTITUTIONS[index % 8]
            writer.writerow([number, text, institution, result])
            if draw <= 0.999:
                outcome = "positive" if result == "阳性" else "negative"
                typed.append((hasher(number), sampled, institution, outcome, None, received))
    return typed


def _slashed(at: dt.datetime) -> str:
    """2026/5/4 8:30: how a spreadsheet program often writes a time."""
    return f"{at.year}/{at.month}/{at.day} {at.hour}:{at.minute:02d}"


# --- measuring -----------------------------------------------------------------------------------------


def make_actor():
    """A prevention official for all of Henan: every roster is in scope."""
    from sibao.accounts.models import Grant, User
    from sibao.accounts.roles import Role

    user, _created = User.objects.get_or_create(username="bench_prevention_ha", defaults={"display_name": "bench"})
    Grant.objects.get_or_create(user=user, role=Role.PREVENTION_OFFICIAL, region_id="410000", sector="")
    return user


def _reset(batch_ids: list[int]) -> None:
    """Remove what an attempt added and put each person's status back."""
    from sibao.prevention.models import Alert, AlertCause, HeldResult, StaffMember, TestResult

    quote = connection.ops.quote_name
    table = quote(StaffMember._meta.db_table)
    with transaction.atomic():
        TestResult.objects.filter(batch_id__in=batch_ids).delete()
        HeldResult.objects.filter(batch_id__in=batch_ids).delete()
        Alert.objects.filter(cause=AlertCause.POSITIVE).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_sampled_at = b.last_sampled_at, last_result = b.last_result, "
                f"last_institution = b.last_institution FROM bench_status AS b WHERE {table}.id = b.id"
            )
    gc.collect()


def raw_load(typed: list[tuple], actor) -> tuple[float, int]:
    batch = _batch(actor, "bench_raw")
    rows = _driver_rows([(h, at, inst, res, batch.pk, received) for h, at, inst, res, _b, received in typed])
    gc.collect()
    started = time.perf_counter()
    with transaction.atomic():
        _driver_load(rows)
    return time.perf_counter() - started, batch.pk


def timed_ingest(path: Path, actor) -> tuple[float, object]:
    from sibao.prevention.services.tests import test_results_ingest

    gc.collect()
    with path.open("rb") as handle:
        started = time.perf_counter()
        batch = test_results_ingest(actor=actor, upload=File(handle, name=path.name))
        return time.perf_counter() - started, batch


def run(*, repeat: int, work_dir: Path, staff: int | None, results: int | None, ingest: int | None, log) -> Measurement:
    from django.test.utils import override_settings

    staff, results, ingest = staff or STAFF, RESULTS if results is None else results, ingest or INGEST
    at = timezone.now()
    actor = make_actor()
    hashes = _load_staff(_firms(FIRMS, log), staff, at, log)
    _load_history(hashes, results, actor, at, log)
    path = work_dir / "results.csv"
    typed = write_file(len(hashes), ingest, at, path)
    log(f"file of {ingest:,} results ({path.stat().st_size / 1e6:.0f} MB)")
    raw, timed, batch = [], [], None
    with override_settings(SIBAO_IMPORT_MAX_BYTES=1 << 30):
        for attempt in range(repeat):
            seconds, raw_batch = raw_load(typed, actor)
            raw.append(seconds)
            _reset([raw_batch])
            seconds, batch = timed_ingest(path, actor)
            timed.append(seconds)
            log(
                f"#{attempt + 1}: raw {raw[-1]:.2f} s, ingest {timed[-1]:.2f} s "
                f"(stored {batch.created:,}, held {batch.held:,}, rejected {batch.rejected:,})"
            )
            assert batch.created + batch.held + batch.rejected + batch.unchanged == batch.rows == ingest
            _reset([batch.pk])
    clear()
    return Measurement(connection.vendor, ingest, timed, raw, batch.created, batch.held, batch.rejected)


def print_table(measurement: Measurement, repeat: int) -> None:
    m = measurement
    limit = TARGET_SECONDS.get(m.database)
    print(
        f"\nPrevention: test-result ingest from csv (target: at least {TARGET_RATIO:.0%} of the raw driver's rate"
        f"{f', under {limit:.0f} s' if limit else ''}; best of {repeat})"
    )
    header = (
        "database   | rows      | seconds | rows/s   | raw s  | raw rows/s | ratio | stored    | held   | rejected "
        "| target met"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{m.database:<10} | {m.rows:>9,} | {m.seconds:>7.2f} | {m.rate:>8,.0f} | {m.raw_seconds:>6.2f} | "
        f"{m.raw_rate:>10,.0f} | {m.ratio:>5.0%} | {m.stored:>9,} | {m.held:>6,} | {m.rejected:>8,} | "
        f"{'yes' if m.target_met else 'NO'}"
    )
    print()


def clear() -> None:
    """Leave the database as the figure found it, but for the registry (other figures count staff)."""
    from sibao.core.models import ImportBatch, Notification
    from sibao.prevention.models import Alert, ComplianceDay, HeldResult, StaffMember, TestResult

    with transaction.atomic():
        for model in (Alert, Notification, ComplianceDay, HeldResult, TestResult, StaffMember):
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        ImportBatch.objects.filter(kind__in=["test_results", "bench_raw", "bench_history"]).delete()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_status")
