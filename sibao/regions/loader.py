"""Load the committed division file into the Region table (idempotent)."""

import csv
from pathlib import Path

from django.db import transaction

from sibao.regions.models import Region, code_prefix

DIVISIONS_FILE = Path(__file__).parent / "data" / "henan_divisions.csv"


def read_divisions(path: Path = DIVISIONS_FILE) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


_FILE_FIELDS = ("name", "level", "kind", "parent_id", "prefix")


def _from_file(row: dict) -> dict:
    return {
        "name": row["name"],
        "level": row["level"],
        "kind": row["kind"],
        "parent_id": row["parent"] or None,
        "prefix": code_prefix(row["code"], row["level"]),
    }


@transaction.atomic
def load_divisions(path: Path = DIVISIONS_FILE) -> int:
    """Insert missing regions and bring the others in line with the file; modes already set are kept.

    Returns the number of rows read. Loading the same file again writes nothing.
    """
    rows = read_divisions(path)
    existing = {r["code"]: r for r in Region.objects.values("code", *_FILE_FIELDS)}
    new = [Region(code=row["code"], **_from_file(row)) for row in rows if row["code"] not in existing]
    Region.objects.bulk_create(sorted(new, key=lambda r: len(r.code)), batch_size=500)
    for row in rows:
        stored = existing.get(row["code"])
        wanted = _from_file(row)
        if stored is not None and any(stored[f] != wanted[f] for f in _FILE_FIELDS):
            Region.objects.filter(code=row["code"]).update(**wanted)
    return len(rows)
