"""Nucleic-acid test results: bulk ingest from a csv/xlsx file or the API, idempotent, nothing lost.

Each row is validated (ID number, sampling time not in the future, institution, result), then
- stored as a `TestResult` when the ID number is on a roster the ingesting user keeps (a liaison: its
  own enterprise's; an official: where it holds `Action.HEALTH`), at most once per (person, sampling
  time, institution), however often it is sent;
- kept apart as a `HeldResult` otherwise, reported to its ingester, and joined to a roster later when
  one its ingester keeps gains that person (`held_results_adopt`);
- or reported with the reason.
The staff status fields follow the latest result, a positive result raises an alert at once, and the
touched enterprises' compliance is computed again (after the commit).

Speed (bench/prevention_ingest.py): the loop over rows is plain Python with per-file caches for the
columns that repeat; the rosters are read without joining the registry; results are inserted in the
order of their unique index and statuses updated in the order of the staff table, through the driver
(`executemany` on SQLite, `COPY` into a temporary table on PostgreSQL), counting what was stored from
the driver's row count.
"""

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sibao.accounts.roles import Action
from sibao.audit.services import event_record
from sibao.core.clock import now, today
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.identifiers import InvalidIdentifier, resident_id_validate
from sibao.core.masking import mask_id_number
from sibao.core.models import ImportBatch
from sibao.core.personal import lookup_hasher
from sibao.core.tabular import CellError, Column, collector_paused, normalise_cell
from sibao.enterprises.models import Enterprise
from sibao.prevention.models import AlertCause, HeldResult, StaffMember, TestOutcome, TestResult
from sibao.prevention.services.alerts import Cause, alerts_raise
from sibao.prevention.services.compliance import compliance_refresh
from sibao.prevention.services.staff import may_keep, parse_local_datetime, read_located
from sibao.regions.scoping import holds_action_somewhere

IMPORT_KIND = "test_results"
API_MAX_ROWS = 100_000
_CHUNK = 5000


def result_columns() -> list[Column]:
    """The columns of a results file; cells are parsed by the ingest's own loop (`_Parsed.add`)."""
    return [
        Column("id_number", gettext_lazy("ID number"), str, aliases=("身份证号", "身份证号码", "证件号码")),
        Column("sampled_at", gettext_lazy("Sampled at"), str, aliases=("采样时间", "采样日期")),
        Column("institution", gettext_lazy("Testing institution"), str, aliases=("检测机构", "机构")),
        Column("result", gettext_lazy("Result"), str, aliases=("检测结果", "结果")),
    ]


def result_words() -> dict[str, str]:
    """Every way a result is written (value, label in each language, 阴性/阳性), lower case -> value."""
    words = {"阴性": TestOutcome.NEGATIVE, "阳性": TestOutcome.POSITIVE, "阴": TestOutcome.NEGATIVE}
    words["阳"] = TestOutcome.POSITIVE
    for choice in TestOutcome:
        words[choice.value] = choice.value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                words[str(choice.label).lower()] = choice.value
    return words


# --- parsing ---------------------------------------------------------------------------------------

# One valid row: (id hash, sampled_at as the driver takes it, institution, result, sampled_at, row, ID number).
Valid = tuple


@dataclass
class _Parsed:
    """The rows of one ingest: valid ones (each distinct result once), duplicates and errors."""

    at: object
    rows: int = 0
    duplicates: int = 0
    valid: list[Valid] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def parse(self, records: Iterable[tuple]) -> None:
        """Check each (row, ID number, sampled at, institution, result) record: the hot loop of an ingest.

        Cells come raw; an ASCII ID number is only stripped, and the other columns, which repeat from row
        to row, are read once per distinct cell through a cache.
        """
        validate, hasher, cell, day = resident_id_validate, lookup_hasher(), normalise_cell, today()
        times: dict = {}
        institutions: dict = {}
        results: dict = {}
        seen: dict[tuple, tuple[int, str]] = {}
        valid, errors = self.valid, self.errors
        for number, id_cell, time_cell, institution_cell, result_cell in records:
            self.rows += 1
            id_text = id_cell.strip() if type(id_cell) is str and id_cell.isascii() else cell(id_cell)
            try:
                id_number = validate(id_text, today=day)
            except InvalidIdentifier as exc:
                id_number = None
                problem = (0, mask_id_number(id_text), str(exc) if id_text else _("is required"))
            sampled = times.get(time_cell)
            if sampled is None:
                sampled = times[time_cell] = self._sampled(cell(time_cell))
            institution = institutions.get(institution_cell)
            if institution is None:
                institution = institutions[institution_cell] = self._institution(cell(institution_cell))
            result = results.get(result_cell)
            if result is None:
                result = results[result_cell] = self._result(cell(result_cell))
            if id_number is None or sampled[0] is None or institution[0] is None or result[0] is None:
                self._report(number, [problem] if id_number is None else [], sampled, institution, result)
                continue
            key = (hasher(id_number), sampled[0], institution[1])
            first = seen.get(key)
            if first is None:
                seen[key] = (number, result[0])
                valid.append((*key, result[0], sampled[1], number, id_number))
            elif first[1] == result[0]:
                self.duplicates += 1
            else:
                reason = _("repeats row %(row)d of this file with a different result") % {"row": first[0]}
                errors.append({"row": number, "column": self.labels[3], "value": result[1], "reason": reason})

    @cached_property
    def labels(self) -> list[str]:
        return [str(c.label) for c in result_columns()]

    def _report(self, number: int, problems: list, *checked: tuple) -> None:
        """The row's errors: each column checked is (None, text, reason) when it is wrong."""
        problems += [(column, item[1], item[2]) for column, item in enumerate(checked, start=1) if item[0] is None]
        self.errors += [{"row": number, "column": self.labels[c], "value": v, "reason": r} for c, v, r in problems]

    @staticmethod
    def _institution(text: str) -> tuple:
        """(None, text, reason) when wrong, else (text, text)."""
        if not text:
            return None, text, _("is required")
        if len(text) > 100:
            return None, text, _("is longer than %(n)d characters") % {"n": 100}
        return text, text

    @staticmethod
    def _result(text: str) -> tuple:
        value = result_words().get(text.lower())
        if value is None:
            reason = (
                _("is required")
                if not text
                else _("is not one of: %(choices)s") % {"choices": "阴性、阳性、negative、positive"}
            )
            return None, text, reason
        return value, text

    def _sampled(self, text: str) -> tuple:
        """(value for the driver, aware datetime) of a sampling time, or (None, text, reason)."""
        if not text:
            return None, text, _("is required")
        try:
            value = parse_local_datetime(text)
        except CellError as exc:
            return None, text, str(exc)
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if value > self.at:
            return None, text, _("is in the future")
        return connection.ops.adapt_datetimefield_value(value), value

    @property
    def rejected(self) -> int:
        return len({e["row"] for e in self.errors})


def _file_records(upload) -> Iterator[tuple]:
    """(row, ID number, sampled at, institution, result) of each non-empty row of a results file."""
    positions, rows = read_located(upload, result_columns())
    indexes = [positions[name] for name in ("id_number", "sampled_at", "institution", "result")]
    width = max(indexes) + 1
    i_id, i_at, i_inst, i_result = indexes
    for number, raw in enumerate(rows, start=2):
        if len(raw) < width:
            raw = [*raw, *[""] * (width - len(raw))]
        record = (number, raw[i_id], raw[i_at], raw[i_inst], raw[i_result])
        if record[1] or record[2] or record[3] or record[4] or any(normalise_cell(v) for v in raw):
            yield record


def _api_records(rows) -> Iterator[tuple]:
    """The same records from the API's list of objects (row = position in the list, from 1)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ServiceError(ErrorCode.INVALID, _("Send a list of results, each an object."))
    if not rows:
        raise ServiceError(ErrorCode.INVALID, _("The list of results is empty."))
    if len(rows) > API_MAX_ROWS:
        raise ServiceError(ErrorCode.INVALID, _("Send at most %(n)d results in one request.") % {"n": API_MAX_ROWS})
    cell = normalise_cell
    for number, row in enumerate(rows, start=1):
        values = [row.get(name) for name in ("id_number", "sampled_at", "institution", "result")]
        yield (number, *(cell(v) for v in values))


# --- the roster ------------------------------------------------------------------------------------


# A file of at least this many people is matched in one pass over the rosters, cheaper than looking its ID
# hashes up in chunks.
_SCAN_FROM = 20_000


def _roster_of(actor, hashes: set[str]) -> dict[str, list[tuple[int, int]]]:
    """(staff id, enterprise id) of each person with these ID hashes on a roster `actor` keeps.

    The rosters kept are those of the enterprises `actor` may see with `Action.HEALTH` (the staff scope
    is the enterprise's), so the staff rows are read without joining the registry.
    """
    kept = set(Enterprise.objects.visible_to(actor, Action.HEALTH).values_list("id", flat=True))
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if not kept:
        return found
    people = StaffMember.objects.order_by().values_list("id_hash", "id", "enterprise_id")
    if len(kept) == 1:
        people = people.filter(enterprise_id__in=kept)
    if len(hashes) >= _SCAN_FROM or len(kept) == 1:
        sql, params = people.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(10_000):
                for id_hash, pk, enterprise_id in rows:
                    if id_hash in hashes and enterprise_id in kept:
                        found[id_hash].append((pk, enterprise_id))
        return found
    wanted = sorted(hashes)
    for start in range(0, len(wanted), _CHUNK):
        for id_hash, pk, enterprise_id in people.filter(id_hash__in=wanted[start : start + _CHUNK]):
            if enterprise_id in kept:
                found[id_hash].append((pk, enterprise_id))
    return found


# --- storing ---------------------------------------------------------------------------------------


def _insert_ignoring_repeats(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert rows, skipping those a unique constraint already holds; the number inserted."""
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", rows)
            return max(cursor.rowcount, 0)
        staging = _copy_to_staging(cursor, f"SELECT {names} FROM {table}", rows)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        return inserted


def _copy_to_staging(cursor, select: str, rows: Iterable[tuple]) -> str:
    """A temporary table shaped as `select`'s columns (their types, no constraints), loaded with COPY
    (PostgreSQL); its quoted name. It goes at the end of the transaction, or when the caller drops it."""
    staging = connection.ops.quote_name(f"staging_{uuid.uuid4().hex[:12]}")
    cursor.execute(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS {select} WITH NO DATA")
    with cursor.cursor.copy(f"COPY {staging} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return staging


_STATUS_COLUMNS = ["last_sampled_at", "last_result", "last_institution"]


def _status_update(latest: list[Valid], roster: dict[str, list[tuple[int, int]]]) -> set[int]:
    """Each person's status follows their latest result, only where it is later than the one they have.

    Updates in the order of the staff table; returns the enterprises of the people concerned (`roster`
    holds only people with a result here).
    """
    rows = [(v[1], v[3], v[2], pk, v[1]) for v in latest for pk, _enterprise in roster[v[0]]]
    touched = {enterprise_id for people in roster.values() for _pk, enterprise_id in people}
    if not rows:
        return touched
    rows.sort(key=itemgetter(3))
    quote = connection.ops.quote_name
    table, sampled = quote(StaffMember._meta.db_table), quote("last_sampled_at")
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assign = ", ".join(f"{quote(c)} = %s" for c in _STATUS_COLUMNS)
            cursor.executemany(
                f"UPDATE {table} SET {assign} WHERE id = %s AND ({sampled} IS NULL OR {sampled} < %s)", rows
            )
            return touched
        shape = (
            f"SELECT {sampled} AS sampled_at, last_result AS result, last_institution AS institution, id AS staff_id"
        )
        staging = _copy_to_staging(cursor, f"{shape} FROM {table}", (row[:4] for row in rows))
        cursor.execute(
            f"UPDATE {table} AS s SET last_sampled_at = n.sampled_at, last_result = n.result, "
            f"last_institution = n.institution FROM {staging} AS n WHERE s.id = n.staff_id "
            f"AND (s.last_sampled_at IS NULL OR s.last_sampled_at < n.sampled_at)"
        )
        cursor.execute(f"DROP TABLE {staging}")
    return touched


def _already_stored(model, keys: list[tuple]) -> set[tuple]:
    """Which of these (id hash, sampled_at as the driver takes it, institution) `model` holds already."""
    adapt = connection.ops.adapt_datetimefield_value
    found = set()
    hashes = sorted({k[0] for k in keys})
    for start in range(0, len(hashes), _CHUNK):
        rows = model.objects.filter(id_hash__in=hashes[start : start + _CHUNK]).order_by()
        found.update((h, adapt(at), i) for h, at, i in rows.values_list("id_hash", "sampled_at", "institution"))
    return found & set(keys)


def _positive_causes(valid: list[Valid], roster: dict[str, list[tuple[int, int]]]) -> list[Cause]:
    """An alert per member of staff for each positive result in `valid`."""
    people = {pk for v in valid for pk, _e in roster[v[0]]}
    names = dict(StaffMember.objects.filter(pk__in=people).values_list("id", "name")) if people else {}
    causes = []
    for v in valid:
        for pk, enterprise_id in roster[v[0]]:
            detail = _("Positive test result of %(name)s, sampled at %(at)s by %(institution)s.") % {
                "name": names.get(pk, ""),
                "at": timezone.localtime(v[4]).strftime("%Y-%m-%d %H:%M"),
                "institution": v[2],
            }
            causes.append(Cause(enterprise_id, AlertCause.POSITIVE, subject=str(pk), staff_id=pk, detail=detail))
    return causes


def _store_matched(batch_id: int, valid: list[Valid], roster: dict[str, list[tuple[int, int]]]) -> tuple[int, set]:
    """Store results of people on the roster; update their status; alert on new positives.

    Returns how many were new and the enterprises whose staff they concern.
    """
    valid.sort(key=itemgetter(0))  # in the order of the unique index: the inserts touch its pages once each
    positives = [v for v in valid if v[3] == TestOutcome.POSITIVE]
    known = _already_stored(TestResult, [v[:3] for v in positives]) if positives else set()
    received = connection.ops.adapt_datetimefield_value(now())
    stored = _insert_ignoring_repeats(
        TestResult,
        ["id_hash", "sampled_at", "institution", "result", "batch_id", "received_at"],
        [(v[0], v[1], v[2], v[3], batch_id, received) for v in valid],
    )
    touched = _status_update(_latest(valid), roster)
    alerts_raise(_positive_causes([v for v in positives if v[:3] not in known], roster))
    return stored, touched


def _latest(valid: list[Valid]) -> list[Valid]:
    """Each person's latest result among `valid` (sorted by ID hash)."""
    latest, previous = [], None
    for v in valid:
        if previous is not None and v[0] == previous[0]:
            if v[1] > previous[1]:
                latest[-1] = previous = v
            continue
        latest.append(v)
        previous = v
    return latest


def _hold(batch: ImportBatch, valid: list[Valid]) -> tuple[int, int]:
    """Keep apart results of people on no roster the ingester keeps; (held, already stored or held)."""
    keys = [v[:3] for v in valid]
    known = _already_stored(TestResult, keys) | _already_stored(HeldResult, keys)
    fresh = [v for v in valid if v[:3] not in known]
    HeldResult.objects.bulk_create(
        [
            HeldResult(
                id_hash=v[0],
                id_masked=mask_id_number(v[6]),
                sampled_at=v[4],
                institution=v[2],
                result=v[3],
                batch=batch,
                row=v[5],
            )
            for v in fresh
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return len(fresh), len(valid) - len(fresh)


# --- the service -----------------------------------------------------------------------------------


def _require_ingester(actor) -> None:
    if getattr(actor, "enterprise_id", None) and actor.is_active:
        return
    if not holds_action_somewhere(actor, Action.HEALTH):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not ingest test results."))


@collector_paused()
def test_results_ingest(*, actor, upload=None, rows=None, filename: str = "api") -> ImportBatch:
    """Ingest results from an uploaded csv/xlsx file or the API's list; the ImportBatch counts them.

    created: stored; unchanged: duplicates (repeated in the file, or stored before); held: kept apart;
    rejected: rows with errors, each listed with the reason.
    """
    _require_ingester(actor)
    if upload is not None:
        records, filename = _file_records(upload), getattr(upload, "name", "upload")
    else:
        records = _api_records(rows)
    parsed = _Parsed(at=now())
    parsed.parse(records)
    if not parsed.rows:
        raise ServiceError(ErrorCode.INVALID, _("The file has a header row but no data rows."))
    roster = _roster_of(actor, {v[0] for v in parsed.valid})
    matched, apart = [], []
    for v in parsed.valid:
        (matched if v[0] in roster else apart).append(v)
    digest = _digest(upload, rows)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=IMPORT_KIND,
            actor=actor,
            filename=filename[:200],
            sha256=digest,
            rows=parsed.rows,
            rejected=parsed.rejected,
            errors=parsed.errors,
        )
        stored, touched = _store_matched(batch.pk, matched, roster)
        held, known = _hold(batch, apart)
        batch.created, batch.held = stored, held
        batch.unchanged = parsed.duplicates + len(matched) - stored + known
        batch.save(update_fields=["created", "held", "unchanged"])
        counts = {"stored": stored, "duplicate": batch.unchanged, "held": held, "rejected": batch.rejected}
        event_record(
            actor=actor, action="test_results.ingest", obj=batch, changes={k: [None, v] for k, v in counts.items()}
        )
    # After the commit: counting the rosters is several times faster once the changes are written out. If it
    # fails, the results stay stored and the daily `refresh_compliance` catches up.
    _refresh(touched)
    return batch


def _refresh(enterprise_ids: set[int]) -> None:
    """Compute again the compliance of the enterprises whose staff got results. When they are most of the
    registry, every enterprise is computed: one pass over the rosters, cheaper than picking most of them."""
    if not enterprise_ids:
        return
    everyone = len(enterprise_ids) * 2 >= Enterprise.objects.count()
    compliance_refresh(enterprise_ids=None if everyone else sorted(enterprise_ids))


def _digest(upload, rows) -> str:
    if upload is not None:
        upload.seek(0)
        return hashlib.sha256(upload.read()).hexdigest()
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()


def held_results_adopt(*, staff: list[StaffMember]) -> int:
    """Join held results to these (new) people where the result's ingester keeps their enterprise's data.

    A liaison's held result joins only its own enterprise's staff. Returns how many results were adopted.
    """
    by_hash: dict[str, list[StaffMember]] = defaultdict(list)
    for person in staff:
        by_hash[person.id_hash].append(person)
    hashes = sorted(by_hash)
    held = []
    for start in range(0, len(hashes), _CHUNK):
        held += HeldResult.objects.filter(id_hash__in=hashes[start : start + _CHUNK]).select_related("batch__actor")
    roster: dict[str, list[tuple[int, int]]] = defaultdict(list)
    adopted = []
    for result in held:
        keepers = [p for p in by_hash[result.id_hash] if may_keep(result.batch.actor, p.enterprise)]
        if keepers:
            adopted.append(result)
            kept = roster[result.id_hash]
            kept += [(p.pk, p.enterprise_id) for p in keepers if (p.pk, p.enterprise_id) not in kept]
    if not adopted:
        return 0
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        for batch_id in sorted({r.batch_id for r in adopted}):
            mine = [r for r in adopted if r.batch_id == batch_id]
            valid = [(r.id_hash, adapt(r.sampled_at), r.institution, r.result, r.sampled_at, r.row, "") for r in mine]
            _store_matched(batch_id, valid, roster)
        HeldResult.objects.filter(pk__in=[r.pk for r in adopted]).delete()
    return len(adopted)
