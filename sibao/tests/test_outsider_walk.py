"""The outsider walk: every URL of the project, every method, as people who have no business there.

Every URL pattern the project routes (pages, the API router, any app added later) is requested with
its kwargs pointing at things of Guancheng and of enterprise A, with GET, POST, PUT, PATCH and DELETE,
as an anonymous visitor, liaisons of other enterprises and officials of other places. Each answer
must be a refusal (404, 403, 405; a sign-in redirect or 401 for the anonymous) or, on a list or form
without a kwarg, a page that shows none of Guancheng's rows; and after every request the database must
be as it was (row counts of every model, and the rows of the Guancheng objects used).

The insider (Guancheng's dispatcher) then GETs the same URLs and must get 200, so the walk is known
to reach real, visible objects and not to pass by refusing everything.

A URL the walk cannot fill in fails it, naming the URL and the kwarg: extend KWARG_OBJECTS or
OBJECT_FOR_MODEL below when you add one.

Static files are served by WhiteNoise's middleware, not by a URL pattern, so they are not walked.
"""

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.views import APIView

from sibao.accounts.models import Grant, User
from sibao.accounts.roles import Role
from sibao.core.models import ImportBatch
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.prevention.models import Alert, ClosedLoopPlan, ComplianceDay, CredentialCheck, ModeSwitch, StaffMember
from sibao.regions.models import Region
from sibao.testing import GUANCHENG, GUANCHENG_STREET, credit_code, make_user
from sibao.tests.walk_world import build_world
from sibao.whitelist.models import (
    Application,
    BreakerCase,
    CriteriaSet,
    Criterion,
    Entry,
    JointDecision,
    SpotCheck,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Also tried: a list asked for Guancheng's rows by filter, and an API write sent as JSON as well as a form.
FILTERED_GET = "GET?filtered"
JSON_POST = "POST(json)"

# Routes open to everybody, and why. They are still walked: they must show no row and change nothing.
PUBLIC = {
    "accounts:login": "the sign-in page itself",
    "set_language": "switches the interface language in a cookie; reads and writes no row",
    "api-token": "exchanges a password for an API token; failures count towards the lockout",
    "api-schema": "the OpenAPI description: the shape of the API, no rows",
    "api-docs": "the interactive API docs, a page that loads the schema",
    "public_whitelist": "the published whitelist: criteria in force, listed firms, removals with their reason",
}

# What a public route shows of Guancheng by design (world attributes), and why; every other marker stays hidden.
PUBLISHED = {
    "public_whitelist": (
        ("ent_a.name", "criteria_gc.title"),
        "the names of whitelisted firms and the criteria in force are published (公示); credit codes, contacts, "
        "documents, findings and review notes are not",
    ),
}

# What belongs to all of Guancheng, not to enterprise A's sector, so its officials of another sector see it:
# a mode switch concerns every firm of its region, whatever the sector.
DISTRICT_WIDE = ("switch_reason",)
DISTRICT_WIDE_READERS = {"commerce_gc"}
DISTRICT_WIDE_MODELS = {ModeSwitch}

# Rows a route may add even for a refused outsider, and why.
MAY_RECORD = {
    "accounts:login": ("axes", "a failed sign-in is recorded for the lockout"),
    "api-token": ("axes", "a failed token request is recorded for the lockout"),
}

# Paths to request for patterns whose own text is not a path (a catch-all), and why.
SAMPLE_PATHS = {
    "api-not-found": ("/api/v1/no-such-route/", "the API's catch-all: any path no other route takes"),
}

# The insider of a route, where it is not the dispatcher: the routes need a role the dispatcher lacks.
INSIDERS = {
    "accounts:user_list": "admin_gc",  # user administration is for administrators
    "accounts:user_create": "admin_gc",
    "accounts:user_detail": "admin_gc",
    "audit:list": "auditor_gc",  # the audit log is for auditors
    # staff rosters and health data are for the epidemic-prevention HQ, local units and the firm
    **{
        name: "prevention_gc"
        for name in (
            "prevention:staff_list",
            "prevention:staff_create",
            "prevention:staff_import",
            "prevention:staff_import_template",
            "prevention:staff_detail",
            "prevention:staff_edit",
            "prevention:staff_credential",
            "prevention:test_ingest",
            "prevention:held_results",
            "prevention:alert_list",
            "prevention:alert_detail",
            "prevention-staff-list",
            "prevention-staff-detail",
            "prevention-test-result-list",
            "prevention-credential-check-list",
            "prevention-alert-list",
            "prevention-alert-detail",
        )
    },
}
# What the insider gets where it is not 200, and why.
INSIDER_STATUS = {
    "accounts:login": (302, "a signed-in user is sent on from the sign-in page"),
    "set_language": (302, "the language is switched by a POST; a GET only goes back"),
    "api-not-found": (404, "the catch-all has nothing to show to anybody"),
    "whitelist:entry_detail": (302, "an entry's address (in notifications) leads to its enterprise's whitelist page"),
    "prevention-mode-switch-preview": (400, "a preview needs a region and a target mode"),
    "prevention:mode_preview": (404, "a preview is of the region the query names; with none there is nothing to show"),
}

# kwarg -> the Guancheng object (an attribute of the world) or value, per URL name.
KWARG_OBJECTS: dict[str, dict[str, str]] = {
    "enterprises:edit": {"pk": "ent_a"},
    "enterprises:link_add": {"pk": "ent_a"},
    "enterprises:link_remove": {"pk": "ent_a", "link_pk": "link_a"},
    "imports:report": {"pk": "batch"},
    "imports:errors": {"pk": "batch", "fmt": "=csv"},
    "accounts:user_detail": {"pk": "street_gc"},
    # the whitelist: enterprise A's entry, application, document, breaker case and joint decision;
    # Guancheng's industry criteria and one of their criteria
    "whitelist:enterprise": {"pk": "ent_a"},
    "whitelist:apply": {"pk": "ent_a"},
    "whitelist:admit": {"pk": "ent_a"},
    "whitelist:spot_check_record": {"pk": "ent_a"},
    "whitelist:entry_detail": {"pk": "entry_a"},
    "whitelist:entry_renew": {"pk": "entry_a"},
    "whitelist:entry_review_clear": {"pk": "entry_a"},
    "whitelist:joint_propose": {"pk": "entry_a"},
    "whitelist:application_detail": {"pk": "application_a"},
    "whitelist:application_review": {"pk": "application_a"},
    "whitelist:application_resubmit": {"pk": "application_a"},
    "whitelist:application_withdraw": {"pk": "application_a"},
    "whitelist:document": {"pk": "document_a"},
    "whitelist:criteria_detail": {"pk": "criteria_gc"},
    "whitelist:criterion_add": {"pk": "criteria_gc"},
    "whitelist:criterion_remove": {"pk": "criteria_gc", "criterion_pk": "criterion_gc"},
    "whitelist:criteria_publish": {"pk": "criteria_gc"},
    "whitelist:breaker_rectified": {"pk": "case_a"},
    "whitelist:decision_approve": {"pk": "decision_a"},
    "whitelist:decision_reject": {"pk": "decision_a"},
    "whitelist-application-document": {"pk": "application_a", "document_pk": "document_a"},
    "whitelist-criteria-set-remove-criterion": {"pk": "criteria_gc", "criterion_pk": "criterion_gc"},
    # prevention: enterprise A's page, plan and roster; one of its staff; an alert about it
    **{
        f"prevention:{name}": {"pk": "ent_a"}
        for name in (
            "enterprise",
            "plan_edit",
            "plan_document",
            "staff_list",
            "staff_create",
            "staff_import",
            "staff_import_template",
        )
    },
    **{
        f"prevention:{name}": {"pk": "staff_a"}
        for name in (
            "staff_detail",
            "staff_edit",
            "staff_leave",
            "staff_reveal",
            "staff_credential",
        )
    },
    "prevention:alert_detail": {"pk": "alert_a"},
}
# For class-based views and API viewsets, `pk` is the Guancheng object of the view's model.
OBJECT_FOR_MODEL = {
    Enterprise: "ent_a",
    SupplyLink: "link_a",
    ImportBatch: "batch",
    User: "street_gc",
    Entry: "entry_a",
    Application: "application_a",
    CriteriaSet: "criteria_gc",
    SpotCheck: "spot_check_a",
    BreakerCase: "case_a",
    JointDecision: "decision_a",
    StaffMember: "staff_a",
    CredentialCheck: "check_a",
    Alert: "alert_a",
    ComplianceDay: "compliance_a",
    ClosedLoopPlan: "plan_a",
    ModeSwitch: "switch_gc",
}
# kwargs that choose a representation, not an object.
PLAIN_KWARGS = {"format": "json"}

OUTSIDERS = [
    None,  # anonymous
    "liaison_b",  # liaison of another Guancheng enterprise
    "liaison_jz",  # liaison of a Jiaozuo enterprise
    "official_erqi",  # dispatcher of another district of the same city
    "dispatcher_jz",  # dispatcher of another city
    "admin_erqi",  # administrator (every action, user administration, audit) of another district
    "commerce_gc",  # Guancheng official of another sector than enterprise A's
    "checkpoint_gc",  # a Guancheng role that may do nothing with the registry
    "prevention_erqi",  # the epidemic-prevention HQ of another district
]


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    callback: Callable
    kwargs: tuple[str, ...]

    @property
    def view(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def model(self):
        view = self.view
        model = getattr(view, "model", None)
        return model or getattr(getattr(view, "queryset", None), "model", None)

    @property
    def object_kwargs(self) -> tuple[str, ...]:
        return tuple(k for k in self.kwargs if k not in PLAIN_KWARGS)


def collect_routes(resolver=None, prefix: str = "", namespaces: tuple[str, ...] = (), kwargs=()) -> list[Route]:
    """Every URL pattern under the resolver, with its full text, qualified name and kwarg names."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        names = tuple(entry.pattern.regex.groupindex)
        if entry.pattern.regex.groups > len(names):
            names += ("<unnamed group>",)
        if isinstance(entry, URLResolver):
            found += collect_routes(
                entry,
                prefix + str(entry.pattern),
                namespaces + ((entry.namespace,) if entry.namespace else ()),
                kwargs + names,
            )
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else ""
            found.append(Route(prefix + str(entry.pattern), name, entry.callback, kwargs + names))
    return found


def kwarg_value(route: Route, kwarg: str, world) -> str:
    """The value standing for a Guancheng object (or a representation) in this route's kwarg."""
    named = KWARG_OBJECTS.get(route.name, {})
    if kwarg in named:
        target = named[kwarg]
        return target[1:] if target.startswith("=") else str(getattr(world, target).pk)
    if kwarg == "pk" and route.model in OBJECT_FOR_MODEL:
        return str(getattr(world, OBJECT_FOR_MODEL[route.model]).pk)
    if kwarg in PLAIN_KWARGS:
        return PLAIN_KWARGS[kwarg]
    raise LookupError(
        f"URL {route.route!r} (name {route.name!r}): the outsider walk does not know which Guancheng object the "
        f"kwarg {kwarg!r} stands for. Add it to KWARG_OBJECTS (or OBJECT_FOR_MODEL) in "
        "sibao/tests/test_outsider_walk.py."
    )


@dataclass(frozen=True)
class Step:
    route: Route
    url: str


def plan(world, resolver=None) -> tuple[list[Step], list[str]]:
    """The URL to request for every route, and every route the walk cannot fill in."""
    steps, problems = [], []
    for route in collect_routes(resolver):
        if not route.name:
            problems.append(f"URL {route.route!r} has no name: name it so the outsider walk can build and list it.")
            continue
        if route.name in SAMPLE_PATHS:
            steps.append(Step(route, SAMPLE_PATHS[route.name][0]))
            continue
        try:
            values = {kwarg: kwarg_value(route, kwarg, world) for kwarg in route.kwargs}
        except LookupError as error:
            problems.append(str(error))
            continue
        try:
            url = reverse(route.name, kwargs=values, urlconf=getattr(resolver, "urlconf_name", None))
            match = resolve(url, urlconf=getattr(resolver, "urlconf_name", None))
        except (NoReverseMatch, Resolver404) as error:
            problems.append(f"URL {route.route!r} (name {route.name!r}) cannot be built with {values}: {error}")
            continue
        if match.func is not route.callback or set(match.kwargs) != set(route.kwargs):
            problems.append(
                f"URL {route.route!r} (name {route.name!r}): the built path {url!r} reaches another route "
                f"({match.route!r}); add a sample path to SAMPLE_PATHS."
            )
            continue
        steps.append(Step(route, url))
    return steps, problems


# --- the world: Guancheng's things and the people around them --------------------------------------------


@pytest.fixture
def world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(cast)


def attack(world) -> dict:
    """What an outsider sends: a write of every kind, aimed at Guancheng and enterprise A (none of the markers)."""
    return {
        # an enterprise registered in (or an edit moving into) Guancheng
        "credit_code": credit_code(GUANCHENG),
        "name": "外来写入有限公司",
        "kind": "enterprise",
        "sector": "industry",
        "industry_section": "C",
        "industry_division": "14",
        "region": GUANCHENG_STREET,
        "output_value": "99999",
        "headcount": "999",
        "version": str(world.ent_a.version),
        # a supply link on enterprise A
        "enterprise": str(world.ent_a.pk),
        "direction": "customer",
        "partner_name": "外来客户",
        "partner_region": GUANCHENG,
        # a user tied to Guancheng, a role granted in Guancheng
        "username": "made_by_outsider",
        "password": "Outsider-pass-2026",
        "organization": str(world.org_gc.pk),
        "enterprise_code": world.ent_a.credit_code.lower(),
        "op": "grant_add",
        "role": Role.ADMIN,
        "grant": str(world.street_gc.grants.first().pk),
        # a second factor
        "token": "123456",
    }


# --- what "nothing changed" means ---------------------------------------------------------------------


def _count_everything_sql(walker_id, ignore_app: str | None) -> tuple[str, list]:
    quote = connection.ops.quote_name
    parts, params = [], []
    for model in apps.get_models():
        if model is Session:
            continue  # signing in and out changes the walker's own session, nobody else's
        if model._meta.app_label == ignore_app:
            continue
        table = quote(model._meta.db_table)
        if model is TOTPDevice:
            # The walker may open its own two-factor set-up, which prepares a device for the walker.
            parts.append(f"(SELECT COUNT(*) FROM {table} WHERE {quote('user_id')} <> %s)")
            params.append(walker_id or 0)
        else:
            parts.append(f"(SELECT COUNT(*) FROM {table})")
    return "SELECT " + ", ".join(parts), params


def snapshot(world, walker, route: "Route") -> tuple:
    ignore_app = MAY_RECORD.get(route.name, (None,))[0]
    sql, params = _count_everything_sql(walker.pk if walker else None, ignore_app)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = cursor.fetchone()
    rows = (
        list(Enterprise.objects.filter(pk=world.ent_a.pk).values()),
        list(SupplyLink.objects.filter(pk=world.link_a.pk).values()),
        list(ImportBatch.objects.filter(pk=world.batch.pk).values()),
        list(User.objects.filter(pk=world.street_gc.pk).values()),
        sorted(Grant.objects.filter(user=world.street_gc).values_list("role", "region_id", "sector")),
        list(Entry.objects.filter(pk=world.entry_a.pk).values()),
        list(Application.objects.filter(pk=world.application_a.pk).values()),
        list(CriteriaSet.objects.filter(pk=world.criteria_gc.pk).values()),
        list(Criterion.objects.filter(criteria_set=world.criteria_gc).values()),
        list(BreakerCase.objects.filter(pk=world.case_a.pk).values()),
        list(JointDecision.objects.filter(pk=world.decision_a.pk).values()),
        list(StaffMember.objects.filter(pk=world.staff_a.pk).values()),
        list(Alert.objects.filter(pk=world.alert_a.pk).values()),
        list(ClosedLoopPlan.objects.filter(pk=world.plan_a.pk).values()),
        list(Region.objects.filter(code__startswith="4101").values_list("code", "mode")),
    )
    return counts, rows


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:4] == b"PK\x03\x04":  # xlsx: read the XML inside
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


def leaked(text: str, markers: list[str]) -> list[str]:
    return [m for m in markers if m in text or json.dumps(m)[1:-1] in text]


def hidden_markers(route: "Route", world, walker=None) -> list[str]:
    """The markers this route must not show the walker: all of them, but what a public route publishes by
    design and, to Guancheng's officials of another sector, what belongs to the whole district."""
    published = {attrgetter(path)(world) for path in PUBLISHED.get(route.name, ((), ""))[0]}
    if walker is not None and walker.username in DISTRICT_WIDE_READERS:
        published |= {attrgetter(path)(world) for path in DISTRICT_WIDE}
    return [m for m in world.markers if m not in published]


def methods_for(route: Route) -> tuple[str, ...]:
    extra = () if route.object_kwargs else (FILTERED_GET,)
    if route.view is not None and issubclass(route.view, APIView):
        extra += (JSON_POST,)
    return METHODS + extra


def send(client, method: str, url: str, data: dict, world):
    if method == "GET":
        return client.get(url)
    if method == FILTERED_GET:
        return client.get(url, {"enterprise": world.ent_a.pk, "region": GUANCHENG_STREET, "sector": "industry"})
    if method == "POST":
        return client.post(url, data)
    if method == JSON_POST:
        return client.post(url, json.dumps(data), content_type="application/json")
    return client.generic(method, url, json.dumps(data), content_type="application/json")


def allowed(response) -> set[str]:
    return {m.strip().upper() for m in response.get("Allow", "").split(",") if m.strip()}


def verdict(step: Step, method: str, response, walker, markers) -> str | None:
    """Why this answer is wrong for an outsider, or None."""
    status = response.status_code
    route = step.route
    if status >= 500:
        return f"answered {status}"
    if status == 405:
        verb = method.partition("?")[0].partition("(")[0]
        return None if verb not in allowed(response) else f"405 while allowing {verb}"
    found = leaked(body_text(response), markers) if status < 300 or status >= 400 else []
    if found:
        return f"answered {status} showing Guancheng data {found}"
    if 300 <= status < 400 and leaked(response["Location"], markers):
        return f"redirected to {response['Location']}"
    public = route.name in PUBLIC
    if walker is None and not public:
        if status in (401, 403, 404):
            return None
        if 300 <= status < 400 and response["Location"].startswith("/accounts/login/"):
            return None
        return f"answered the anonymous {status}" + (f" -> {response['Location']}" if status < 400 else "")
    if route.object_kwargs and not public:
        if method == "GET" and status == 200 and district_wide_reader(walker, route):
            return None
        return None if status in (403, 404) else f"answered {status} on an object of Guancheng"
    return None


def district_wide_reader(walker, route: Route) -> bool:
    """Whether the walker is a Guancheng official of another sector reading something of the whole district."""
    return walker is not None and walker.username in DISTRICT_WIDE_READERS and route.model in DISTRICT_WIDE_MODELS


# The walk is long: the officials' half of it runs from test_outsider_walk_officials.py, a file of its own,
# so that the test workers (which take whole files) share it.
OUTSIDERS_HERE = OUTSIDERS[:3]
OUTSIDERS_THERE = OUTSIDERS[3:]


def outsider_id(name: str | None) -> str:
    return name or "anonymous"


@pytest.mark.parametrize("outsider", OUTSIDERS_HERE, ids=outsider_id)
def test_outsiders_are_refused_everywhere_and_change_nothing(world, client, outsider):
    walk_as_outsider(world, client, outsider)


def walk_as_outsider(world, client, outsider: str | None) -> None:
    """Every route with every method as `outsider`: each answer a refusal, and nothing changed."""
    steps, problems = plan(world)
    assert not problems, "\n".join(problems)
    walker = getattr(world, outsider) if outsider else None
    payload = attack(world)
    failures = []
    requests = expected = 0
    for step in steps:
        before = None  # the state after the previous request of this route, when it left everything as it was
        for method in methods_for(step.route):
            expected += 1
            if walker is not None and "_auth_user_id" not in client.session:
                client.force_login(walker)  # again, after the walk signed it out
                before = None  # signing in records an access: the walk's doing, not the route's
            before = before or snapshot(world, walker, step.route)
            try:
                response = send(client, method, step.url, payload, world)
            except Exception as error:  # a crash is a finding too; keep walking
                failures.append(f"{method} {step.url} [{step.route.name}]: raised {error!r}")
                before = None
                continue
            requests += 1
            problem = verdict(step, method, response, walker, hidden_markers(step.route, world, walker))
            if problem:
                failures.append(f"{method} {step.url} [{step.route.name}]: {problem}")
            after = snapshot(world, walker, step.route)
            if after != before:
                failures.append(f"{method} {step.url} [{step.route.name}]: changed the database")
            before = after
    assert requests == expected - sum("raised" in f for f in failures)
    assert not failures, f"{outsider or 'anonymous'}:\n" + "\n".join(failures)


@pytest.mark.parametrize("reader", ["auditor_gc", "cadre_gc"])
def test_guanchengs_readers_may_look_but_change_nothing(world, client, reader):
    """People who may read Guancheng's rows but not change them: every write is refused and changes nothing."""
    world.cadre_gc = make_user("cadre_gc", role=Role.CADRE, region=GUANCHENG)
    walker = getattr(world, reader)
    payload = attack(world)
    failures = []
    for step in plan(world)[0]:
        before = None  # as in the outsiders' walk: each request's "after" is the next one's "before"
        for method in methods_for(step.route):
            if method in ("GET", FILTERED_GET):
                continue
            if "_auth_user_id" not in client.session:
                client.force_login(walker)
                before = None
            before = before or snapshot(world, walker, step.route)
            try:
                response = send(client, method, step.url, payload, world)
            except Exception as error:
                failures.append(f"{method} {step.url} [{step.route.name}]: raised {error!r}")
                before = None
                continue
            if response.status_code >= 500 or response.status_code in (200, 201, 204) and step.route.object_kwargs:
                failures.append(f"{method} {step.url} [{step.route.name}]: answered {response.status_code}")
            after = snapshot(world, walker, step.route)
            if after != before:
                failures.append(f"{method} {step.url} [{step.route.name}]: changed the database")
            before = after
    assert not failures, f"{reader}:\n" + "\n".join(failures)


def test_the_insider_reaches_every_get_route(world, client):
    """Not vacuous: Guancheng's own officials get 200 where outsiders were refused."""
    steps, problems = plan(world)
    assert not problems, "\n".join(problems)
    failures = []
    for step in steps:
        name = step.route.name
        client.force_login(getattr(world, INSIDERS.get(name, "dispatcher_gc")))
        try:
            response = client.get(step.url)
        except Exception as error:
            failures.append(f"GET {step.url} [{name}]: raised {error!r}")
            continue
        status = response.status_code
        if status == 405 and "GET" not in allowed(response):
            continue  # a route for writes only
        expected = INSIDER_STATUS.get(name, (200,))[0]
        if status != expected:
            failures.append(f"GET {step.url} [{name}]: insider got {status}, expected {expected}")
            continue
        if status == 200 and step.route.object_kwargs and not leaked(body_text(response), world.markers):
            failures.append(f"GET {step.url} [{name}]: the page shows nothing of the Guancheng object it is about")
    assert not failures, "\n".join(failures)


def test_the_walk_covers_the_api_and_every_app():
    routes = collect_routes()
    names = {route.name for route in routes}
    assert {"enterprise-list", "enterprise-detail", "supply-link-detail", "api-root"} <= names
    assert {"enterprises:detail", "imports:report", "audit:list", "accounts:user_detail", "home"} <= names
    assert any(route.kwargs == ("pk", "format") for route in routes)  # the API's format-suffix routes
    assert set(PUBLIC) <= names
    assert set(KWARG_OBJECTS) <= names, "KWARG_OBJECTS names a URL that no longer exists"
    assert set(INSIDERS) | set(INSIDER_STATUS) | set(SAMPLE_PATHS) | set(MAY_RECORD) | set(PUBLISHED) <= names
    assert {"whitelist:list", "whitelist:enterprise", "whitelist:document", "whitelist:coverage"} <= names
    assert {"whitelist-application-list", "whitelist-application-document", "whitelist-coverage-list"} <= names
    assert not any(route.route.startswith("static/") for route in routes)


# --- the walk notices what it cannot walk ---------------------------------------------------------------


def _view(request, **kwargs):
    return None


class _Urlconf:
    from django.urls import include, path

    urlpatterns = [
        path("things/", _view, name="things"),
        path("things/<int:thing_pk>/", _view, name="thing"),
        path("parts/<int:pk>/", _view, name="part"),
        path("unnamed/", _view),
        path("nested/", include(([path("<slug:slug>/", _view, name="leaf")], "nest"))),
    ]


def test_a_new_url_with_an_unknown_kwarg_fails_the_walk_naming_the_url_and_the_kwarg(world, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sibao_walk_probe_urls", _Urlconf)
    resolver = get_resolver("sibao_walk_probe_urls")
    steps, problems = plan(world, resolver)
    assert [step.url for step in steps] == ["/things/"]
    text = "\n".join(problems)
    assert len(problems) == 4, text
    assert "'things/<int:thing_pk>/'" in text and "'thing_pk'" in text
    assert "'parts/<int:pk>/'" in text and "'pk'" in text
    assert "'nested/<slug:slug>/'" in text and "'slug'" in text and "nest:leaf" in text
    assert "'unnamed/' has no name" in text
