"""Inserting copies of a template stores exactly what bulk_create stores, on SQLite and PostgreSQL."""

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from sibao.audit.models import Event
from sibao.core.bulk import insert_copies
from sibao.enterprises.models import Enterprise, EnterpriseKind
from sibao.testing import GUANCHENG_STREET, GUANCHENG_STREET_2, credit_code, make_user

pytestmark = pytest.mark.django_db

VARYING = ["credit_code", "name", "region_id", "output_value", "key_project"]


def stored(obj, *, leave_out=()) -> dict:
    """What the database holds for `obj`, read back, without the fields every copy has its own of."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {k: v for k, v in model_to_dict(fresh).items() if k not in ("id", *leave_out)}


def test_copies_of_an_enterprise_match_bulk_create():
    actor = make_user("bulk_actor")
    shared = {
        "kind": EnterpriseKind.PROJECT,
        "sector": "industry",
        "industry_section": "C",
        "industry_division": "14",
        "headcount": 12,
        "output_value": Decimal("0"),
        "created_by": actor,
    }
    rows = [
        (credit_code(GUANCHENG_STREET), "甲\t公司\\N", GUANCHENG_STREET, Decimal("12000.50"), True),
        (credit_code(GUANCHENG_STREET_2), "乙公司 'quoted'", GUANCHENG_STREET_2, Decimal("0.00"), False),
    ]
    assert insert_copies(Enterprise(**shared), VARYING, rows) == 2
    for code, *values in rows:
        copy = Enterprise.objects.get(credit_code=code)
        reference = Enterprise(**{**shared, **dict(zip(VARYING, [credit_code(), *values], strict=True))})
        Enterprise.objects.bulk_create([reference])
        assert stored(copy, leave_out=["credit_code"]) == stored(reference, leave_out=["credit_code"])
        assert (copy.version, copy.created_by_id) == (1, actor.pk)
        assert copy.created_at is not None and copy.updated_at is not None


def test_copies_of_an_audit_event_keep_shared_and_own_changes():
    template = Event(actor_label="system", action="enterprise.import_update", object_type="enterprises.enterprise")
    names = ["object_id", "object_repr", "region_code", "changes"]
    rows = [("1", "甲", GUANCHENG_STREET, {"name": ["a\tb", "c"]}), ("2", "乙", "", {"import": [None, 7]})]
    assert insert_copies(template, names, rows) == 2
    events = {e.object_id: e for e in Event.objects.filter(action="enterprise.import_update")}
    assert events["1"].changes == {"name": ["a\tb", "c"]}
    assert (events["2"].object_repr, events["2"].region_code, events["2"].changes) == ("乙", "", {"import": [None, 7]})
    assert events["1"].at == events["2"].at is not None
    assert events["1"].ip is None and events["1"].request_id == ""


def test_no_rows_insert_nothing():
    assert insert_copies(Event(actor_label="system", action="x", object_type="t"), ["object_id"], []) == 0
    assert not Event.objects.filter(action="x").exists()
