"""Load the committed division file into the Region table (idempotent)."""

import csv
from pathlib import Path

from django.db import transaction

from sibao.regions.models import Region, code_prefix

DIVISIONS_FILE = Path(__file__).parent / "data" / "henan_divisions.csv"


def read_divisions(path: Path = DIVISIONS_FILE) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_divisions(path: Path = DIVISIONS_FILE) -> int:
    """Insert missing regions and update names; modes already set are kept. Returns rows read."""
    rows = read_divisions(path)
    existing = set(Region.objects.values_list("code", flat=True))
    new = [
        Region(
            code=row["code"],
            name=row["name"],
            level=row["level"],
            kind=row["kind"],
            parent_id=row["parent"] or None,
            prefix=code_prefix(row["code"], row["level"]),
        )
        for row in rows
        if row["code"] not in existing
    ]
    Region.objects.bulk_create(sorted(new, key=lambda r: len(r.code)), batch_size=500)
    for row in rows:
        if row["code"] in existing:
            Region.objects.filter(code=row["code"]).exclude(name=row["name"]).update(name=row["name"])
    return len(rows)
