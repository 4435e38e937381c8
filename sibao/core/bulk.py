"""Inserting many rows at once, at the speed of the database driver (imports).

`bulk_create` prepares every value of every object through the ORM and, on SQLite, sends batches of
about fifty rows; for a 100,000-row import that costs several times the insert itself.
`insert_copies` inserts rows that differ from one template object only in a few fields: it takes
those fields' values as plain tuples, prepares each remaining field once from the template (defaults,
`auto_now` times: what `bulk_create` would store), converts only the values whose field needs it,
and hands everything to the driver in one call: `executemany` on SQLite, `COPY ... FROM STDIN` on
PostgreSQL. Like `bulk_create` it calls no `save()` and sends no signals; unlike it, it returns no
primary keys (read them back by a unique key if you need them). Call it inside the caller's transaction.
"""

from collections.abc import Callable, Iterable, Sequence

from django.db import connection, models

# Fields whose values, once of the field's own Python type, reach the driver unchanged.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


def insert_copies(template: models.Model, names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert one copy of `template` per row, with the fields `names` (attnames) set from the row.

    Row values must already be valid and of their field's Python type (what `Field.to_python` gives).
    Returns the number of rows inserted.
    """
    fields = {f.attname: f for f in template._meta.concrete_fields}
    varying = [fields[name] for name in names]
    shared = [f for f in fields.values() if f.attname not in names and _stored_on_insert(f, template)]
    fixed = tuple(f.get_db_prep_save(f.pre_save(template, True), connection) for f in shared)
    prepared = _prepare(rows, [_converter(f) for f in varying], fixed)
    if prepared:
        columns = [f.column for f in (*varying, *shared)]
        if connection.vendor == "postgresql":
            _copy(template._meta.db_table, columns, prepared)
        else:
            _executemany(template._meta.db_table, columns, prepared)
    return len(prepared)


def _stored_on_insert(field: models.Field, template: models.Model) -> bool:
    """Whether an insert writes this field: not a generated column, not a primary key left to the database."""
    if getattr(field, "generated", False):
        return False
    return not (field.primary_key and getattr(template, field.attname) is None)


def _converter(field: models.Field) -> Callable | None:
    """How a value of `field` becomes what the driver takes; None where it needs nothing."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind in _PLAIN_TYPES:
        return None
    if kind == "DecimalField":  # what get_db_prep_save does to a Decimal, without re-parsing it
        adapt, digits, places = connection.ops.adapt_decimalfield_value, field.max_digits, field.decimal_places
        return lambda value: adapt(value, digits, places)
    return lambda value: field.get_db_prep_save(value, connection)


def _prepare(rows: Iterable[Sequence], converters: list[Callable | None], fixed: tuple) -> list[tuple]:
    """Rows as tuples the driver takes: converted where a field needs it, the shared values appended."""
    positions = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    if not positions:
        return [(*row, *fixed) for row in rows]
    prepared = []
    for row in rows:
        values = list(row)
        for i, convert in positions:
            if values[i] is not None:
                values[i] = convert(values[i])
        prepared.append((*values, *fixed))
    return prepared


def _copy(table: str, columns: list[str], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _executemany(table: str, columns: list[str], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(columns))
    statement = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)
