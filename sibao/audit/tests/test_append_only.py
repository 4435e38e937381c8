"""The audit log is append-only: nothing in the application can change or delete an event."""

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import URLPattern, URLResolver, get_resolver

from sibao.audit.models import AppendOnlyError, Event
from sibao.audit.services import event_record


@pytest.fixture
def event(cast):
    return event_record(actor=cast.dispatcher_gc, action="enterprise.update", obj=cast.ent_a, changes={"x": [1, 2]})


def stored(event) -> dict:
    return Event.objects.filter(pk=event.pk).values().get()


def test_saving_an_existing_event_is_refused(event):
    before = stored(event)
    event.action = "enterprise.delete"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["action"])
    assert stored(event) == before


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "attempt",
    [
        lambda qs: qs.update(action="x"),
        lambda qs: qs.filter(action="enterprise.update").update(changes={}),
        lambda qs: qs.delete(),
        lambda qs: qs.filter(pk__gt=0).delete(),
        lambda qs: qs.bulk_update(list(qs), ["action"]),
        lambda qs: qs.update_or_create(pk=qs.get().pk, defaults={"action": "x"}),
    ],
    ids=["update", "filtered-update", "delete", "filtered-delete", "bulk-update", "update-or-create"],
)
def test_querysets_refuse_to_change_or_delete(event, attempt):
    before = stored(event)
    for queryset in (Event.objects.all(), Event._base_manager.all(), Event._default_manager.all()):
        with pytest.raises(AppendOnlyError), transaction.atomic():
            attempt(queryset)
    assert stored(event) == before


def test_an_actor_with_events_cannot_be_deleted(event, cast):
    with pytest.raises(ProtectedError):
        cast.dispatcher_gc.delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_new_events_can_still_be_added(event, cast):
    Event.objects.bulk_create([Event(actor_label="system", action="a", object_type="t", object_id="1")])
    event_record(actor=cast.street_gc, action="enterprise.update", obj=cast.ent_a)
    assert Event.objects.count() == 3


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_no_url_edits_or_deletes_events():
    """The only route over the log is the auditors' read-only list; there is no admin site and no API route."""
    from django.conf import settings

    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    audit_routes = []
    for route, entry in _patterns(get_resolver()):
        callback = entry.callback
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        model = getattr(view_class, "model", None) or getattr(getattr(view_class, "queryset", None), "model", None)
        module = getattr(view_class or callback, "__module__", "")
        if model is Event or module.startswith("sibao.audit"):
            audit_routes.append((route, view_class))
    assert [route for route, _view in audit_routes] == ["audit/"]
    list_view = audit_routes[0][1]
    handlers = {m for m in list_view.http_method_names if hasattr(list_view, m)}
    assert handlers <= {"get", "head", "options"}


def test_posting_to_the_audit_list_changes_nothing(event, cast, login):
    client = login(cast.auditor_gc)
    before = stored(event)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/audit/").status_code == 405
    assert stored(event) == before
    assert Event.objects.count() == 1
