"""Every write to the whitelist: criteria, applications and review, admission, adjustment.

Each service validates, locks what it changes, performs the move from transitions.py, writes the
status history and the audit event in one transaction; notifications leave on commit.
The circuit breaker's writes are in breaker.py (suspension and removal go only through joint decisions).

Order of checks in every service: who may (403), then the state of things (409), then the input (400),
so a refusal never tells an outsider more than that it is refused. Nothing is written before the last check.
"""

import contextlib
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sibao.accounts.roles import Action
from sibao.audit.services import event_record
from sibao.core.choices import Sector
from sibao.core.clock import now, today
from sibao.core.documents import content_kind
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.notifications import notify
from sibao.enterprises.models import Enterprise
from sibao.regions.models import Region
from sibao.regions.parameters import parameter_value
from sibao.regions.scoping import holds_action_somewhere, may_act_at
from sibao.whitelist import rules
from sibao.whitelist.models import (
    PENDING_APPLICATION,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    CriteriaSet,
    CriteriaStatus,
    Criterion,
    CriterionKind,
    CriterionResult,
    DocumentType,
    Entry,
    EntryStatus,
    Outcome,
    StatusChange,
)
from sibao.whitelist.selectors import (
    LISTED,
    chain_origin,
    chain_proposals,
    covered_by_park,
    criteria_in_force,
    criteria_latest_published,
    is_whitelisted,
    liaisons_of,
    pending_application,
    reviewers_for,
)
from sibao.whitelist.transitions import MoveNotAllowed, application_target, entry_target

ADMISSION_MONTHS = "whitelist.admission_months"
TEXT_MAX = 300  # CriterionResult.explanation, Entry.review_reason


def _conflict(message: str) -> ServiceError:
    return ServiceError(ErrorCode.CONFLICT, message)


def entry_move(
    *, actor, entry: Entry | None, enterprise, action: str, reason: str = "", effective_date: dt.date, **fields
) -> Entry:
    """Move an enterprise's whitelist entry (creating it on first admission); history and audit included.

    Call inside the caller's transaction, with the entry locked (`select_for_update`) when it exists.
    `fields` are further values set on the entry (valid_from/valid_to, criteria_set, facts ...).
    """
    current = entry.status if entry is not None else None
    try:
        target = entry_target(current, action)
    except MoveNotAllowed:
        raise _conflict(_("This whitelist entry cannot be changed that way in its current state.")) from None
    if entry is None:
        entry = Entry(enterprise=enterprise, status=target, **fields)
    else:
        entry.status = target
        entry.version += 1
        for name, value in fields.items():
            setattr(entry, name, value)
    entry.save()
    StatusChange.objects.create(
        entry=entry,
        enterprise=enterprise,
        action=action,
        from_status=current or "",
        to_status=target,
        reason=reason,
        effective_date=effective_date,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    event_record(
        actor=actor,
        action=f"whitelist.{action}",
        obj=enterprise,
        changes={"whitelist": [current, target], **({"reason": [None, reason]} if reason else {})},
    )
    return entry


def application_move(*, actor, application: Application, action: str, reason: str = "") -> Application:
    """Move an application (locked by the caller); history and audit included."""
    current = application.status
    try:
        target = application_target(current, action)
    except MoveNotAllowed:
        raise _conflict(_("This application has already been decided or changed; reload it.")) from None
    application.status = target
    application.version += 1
    if target in ("approved", "rejected"):
        application.decided_at = now()
        application.decided_by = actor
    application.save()
    StatusChange.objects.create(
        application=application,
        enterprise=application.enterprise,
        action=action,
        from_status=current,
        to_status=target,
        reason=reason,
        effective_date=today(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    event_record(
        actor=actor,
        action=f"whitelist.application_{action}",
        obj=application.enterprise,
        changes={"application": [current, target]},
    )
    return application


# --- shared checks -------------------------------------------------------------------------------------


def _forbidden(message: str) -> ServiceError:
    return ServiceError(ErrorCode.FORBIDDEN, message)


def _invalid(fields: Mapping[str, list], message: str | None = None) -> ServiceError:
    return ServiceError(ErrorCode.INVALID, message or _("Some values are not valid."), dict(fields))


def _clip(text: str, limit: int = TEXT_MAX) -> str:
    return Truncator(str(text)).chars(limit)


def _may_review(actor, region_code: str, sector: str) -> bool:
    return may_act_at(actor, Action.REVIEW, region_code, sector)


def _require_review(actor, enterprise) -> None:
    if not _may_review(actor, enterprise.region_id, enterprise.sector):
        raise _forbidden(_("You may not review or adjust the whitelist for this enterprise."))


def _require_act_for(actor, enterprise) -> None:
    """The enterprise's own liaison, or an official who may change the enterprise where it is."""
    if not Enterprise.objects.visible_to(actor, Action.CHANGE).filter(pk=enterprise.pk).exists():
        raise _forbidden(_("You may not apply for the whitelist on behalf of this enterprise."))


def _require_version(obj, expected_version: int | None) -> None:
    """Refuse when the object moved on since the caller read it (optimistic concurrency)."""
    if expected_version is None or obj.version == expected_version:
        return
    values = {"now": obj.version, "had": expected_version}
    if isinstance(obj, Application):
        message = _("Someone else changed this application meanwhile (version %(now)d, you had %(had)d). Reload it.")
    else:
        message = _(
            "Someone else changed this whitelist entry meanwhile (version %(now)d, you had %(had)d). Reload it."
        )
    raise _conflict(message % values)


_OWN_PAGES = {
    Application: "whitelist:application_detail",
    Entry: "whitelist:entry_detail",
    CriteriaSet: "whitelist:criteria_detail",
}


def _link(obj, enterprise) -> str:
    """Where a notification points: the object's own page, else the enterprise's whitelist page."""
    name = _OWN_PAGES.get(type(obj))
    return reverse(name, args=[obj.pk]) if name else reverse("whitelist:enterprise", args=[enterprise.pk])


def notify_about(recipients: Iterable, subject: str, body: str, obj, enterprise) -> None:
    notify(recipients=recipients, subject=subject, body=body, link=_link(obj, enterprise), obj=obj)


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}


def _rule_region_codes(criteria: Iterable[Criterion], facts: Mapping) -> list[str]:
    codes = [facts.get("region") or ""]
    for criterion in criteria:
        if criterion.fact == "region" and isinstance(criterion.value, list):
            codes.extend(str(v) for v in criterion.value)
        elif criterion.fact == "region" and criterion.value:
            codes.append(str(criterion.value))
    return codes


def _evaluate_all(criteria: list[Criterion], facts: Mapping) -> dict[int, rules.Evaluation]:
    """The evaluation of every automatic criterion over `facts`, by criterion id."""
    automatic = [c for c in criteria if c.kind == CriterionKind.AUTOMATIC]
    names = _region_names(_rule_region_codes(automatic, facts))
    return {c.pk: rules.evaluate(c, facts, region_names=names) for c in automatic}


# --- criteria ------------------------------------------------------------------------------------------


def _lock_set(criteria_set: CriteriaSet) -> CriteriaSet:
    return CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)


def _require_set_review(actor, criteria_set: CriteriaSet) -> None:
    if not _may_review(actor, criteria_set.region_id, criteria_set.sector):
        raise _forbidden(_("You may not edit or publish criteria for this sector in this jurisdiction."))


def _require_draft(criteria_set: CriteriaSet) -> None:
    if criteria_set.status != CriteriaStatus.DRAFT:
        raise _conflict(
            _("Published criteria are never changed; start a new version to change them (this one is %(status)s).")
            % {"status": criteria_set.get_status_display()}
        )


@transaction.atomic
def criteria_set_create(
    *, actor, region_code: str, sector: str, title: str, note: str = "", based_on: CriteriaSet | None = None
) -> CriteriaSet:
    """A new draft version of a jurisdiction's criteria for a sector (a copy of `based_on`'s criteria, if given)."""
    region = Region.objects.filter(code=region_code).first()
    if not holds_action_somewhere(actor, Action.REVIEW) or (
        region is not None and not _may_review(actor, region.code, sector)
    ):
        raise _forbidden(_("You may not edit or publish criteria for this sector in this jurisdiction."))
    errors = {}
    if region is None:
        errors["region"] = [_("Unknown division code.")]
    if sector not in Sector.values:
        errors["sector"] = [_("Choose one of the five sectors.")]
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if based_on is not None and (based_on.region_id, based_on.sector) != (region_code, sector):
        errors["based_on"] = [_("Copy criteria only from a version of the same jurisdiction and sector.")]
    if errors:
        raise _invalid(errors)
    latest = CriteriaSet.objects.filter(region=region, sector=sector).aggregate(v=Max("version"))["v"] or 0
    criteria_set = CriteriaSet(
        region=region,
        sector=sector,
        version=latest + 1,
        title=title.strip()[:200],
        note=note or "",
        effective_from=today(),  # set for real on publication
        status=CriteriaStatus.DRAFT,
    )
    try:
        with transaction.atomic():
            criteria_set.save()
    except IntegrityError:
        raise _conflict(_("Someone else started a new version at the same moment; reload and try again.")) from None
    if based_on is not None:
        Criterion.objects.bulk_create(
            Criterion(
                criteria_set=criteria_set,
                order=c.order,
                title=c.title,
                description=c.description,
                kind=c.kind,
                fact=c.fact,
                operator=c.operator,
                value=c.value,
                document_type=c.document_type,
            )
            for c in based_on.criteria.all()
        )
    event_record(
        actor=actor,
        action="whitelist.criteria_create",
        obj=criteria_set,
        changes={
            "version": [None, criteria_set.version],
            "title": [None, criteria_set.title],
            **({"based_on": [None, str(based_on)]} if based_on else {}),
        },
    )
    return criteria_set


def _check_criterion(kind: str, fact: str, operator: str, value, document_type: str, title: str) -> rules.Rule | None:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if document_type and document_type not in DocumentType.values:
        errors["document_type"] = [_("Unknown document type.")]
    rule = None
    if kind == CriterionKind.AUTOMATIC:
        try:
            rule = rules.validate_rule(fact, operator, value)
        except rules.RuleInvalid as exc:
            errors.update(exc.fields)
        if rule is not None and rule.fact == "region":
            codes = rule.value if isinstance(rule.value, list) else [rule.value]
            unknown = sorted(set(codes) - set(Region.objects.filter(code__in=codes).values_list("code", flat=True)))
            if unknown:
                errors["value"] = [_("Unknown division codes: %(codes)s.") % {"codes": ", ".join(unknown)}]
        if document_type:
            errors["document_type"] = [
                _("A rule checked from registry data asks for no document; ask for it in a judged criterion.")
            ]
    elif kind == CriterionKind.JUDGED:
        if fact or operator or value not in (None, ""):
            errors["fact"] = [_("A judged criterion has no registry fact, operator or value.")]
    else:
        errors["kind"] = [_("Choose a rule checked from registry data or a point judged by a reviewer.")]
    if errors:
        raise _invalid(errors)
    return rule


@transaction.atomic
def criterion_add(
    *,
    actor,
    criteria_set: CriteriaSet,
    title: str,
    kind: str,
    fact: str = "",
    operator: str = "",
    value=None,
    document_type: str = "",
    description: str = "",
) -> Criterion:
    """Add a criterion to a draft: a rule over registry facts (validated) or a point a reviewer judges."""
    locked = _lock_set(criteria_set)
    _require_set_review(actor, locked)
    _require_draft(locked)
    rule = _check_criterion(kind, fact, operator, value, document_type, title)
    last = locked.criteria.aggregate(o=Max("order"))["o"]
    criterion = Criterion.objects.create(
        criteria_set=locked,
        order=(last or 0) + 1,
        title=title.strip()[:200],
        description=description or "",
        kind=kind,
        fact=rule.fact if rule else "",
        operator=rule.operator if rule else "",
        value=rule.value if rule else None,
        document_type=document_type or "",
    )
    event_record(
        actor=actor,
        action="whitelist.criterion_add",
        obj=locked,
        changes={
            "criterion": [None, criterion.title],
            **({"rule": [None, f"{rule.fact} {rule.operator} {rule.value}"]} if rule else {}),
        },
    )
    return criterion


@transaction.atomic
def criterion_remove(*, actor, criterion: Criterion) -> None:
    """Take a criterion out of a draft."""
    locked = _lock_set(criterion.criteria_set)
    _require_set_review(actor, locked)
    _require_draft(locked)
    title = criterion.title
    Criterion.objects.filter(pk=criterion.pk, criteria_set=locked).delete()
    event_record(actor=actor, action="whitelist.criterion_remove", obj=locked, changes={"criterion": [title, None]})


@transaction.atomic
def criteria_set_publish(*, actor, criteria_set: CriteriaSet, effective_from: dt.date) -> CriteriaSet:
    """Publish a draft from `effective_from`; the version it replaces is retired from that day.

    A published version is never edited. The replaced version keeps answering for the days before
    `effective_from` (see selectors.criteria_in_force).
    """
    locked = _lock_set(criteria_set)
    _require_set_review(actor, locked)
    _require_draft(locked)
    previous = criteria_latest_published(locked.region_id, locked.sector)
    if previous is not None:
        previous = _lock_set(previous)
        if previous.status != CriteriaStatus.PUBLISHED:
            raise _conflict(_("Another version was published meanwhile; reload and try again."))
        if previous.version > locked.version:
            raise _conflict(
                _("A newer version (v%(version)d) is already published; start a new draft from it.")
                % {"version": previous.version}
            )
    errors = {}
    if not locked.criteria.exists():
        errors["criteria"] = [_("Add at least one criterion before publishing.")]
    if effective_from is None or effective_from < today():
        errors["effective_from"] = [_("Criteria cannot take effect in the past.")]
    elif previous is not None and effective_from < previous.effective_from:
        errors["effective_from"] = [
            _("The version in force takes effect on %(date)s; the new one cannot take effect earlier.")
            % {"date": previous.effective_from.isoformat()}
        ]
    if errors:
        raise _invalid(errors)
    locked.status = CriteriaStatus.PUBLISHED
    locked.effective_from = effective_from
    locked.published_at = now()
    locked.published_by = actor
    locked.save()
    event_record(
        actor=actor,
        action="whitelist.criteria_publish",
        obj=locked,
        changes={
            "status": [CriteriaStatus.DRAFT, CriteriaStatus.PUBLISHED],
            "effective_from": [None, str(effective_from)],
        },
    )
    if previous is not None:
        previous.status = CriteriaStatus.RETIRED
        previous.save(update_fields=["status"])
        event_record(
            actor=actor,
            action="whitelist.criteria_retire",
            obj=previous,
            changes={
                "status": [CriteriaStatus.PUBLISHED, CriteriaStatus.RETIRED],
                "retired_from": [None, str(effective_from)],
                "replaced_by": [None, str(locked)],
            },
        )
    return locked


# --- documents -------------------------------------------------------------------------------------------

# Allowed extensions and the file kind each must be (checked by content, not only by name).
_EXTENSIONS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png", "docx": "docx", "xlsx": "xlsx"}


def _max_document_bytes() -> int:
    return int(getattr(settings, "SIBAO_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


@dataclass
class _Checked:
    """A document that passed the checks, ready to store."""

    document_type: str
    upload: object
    extension: str
    size: int
    sha256: str
    name: str


def _check_documents(documents: Iterable, *, required: set[str], present: set[str] = frozenset()) -> list[_Checked]:
    """Check every document (type, extension, content, size) and that every required type is there.

    `present` are types already on file (a resubmission keeps them). Raises with every problem listed.
    """
    limit = _max_document_bytes()
    checked, problems, worst = [], [], None
    for position, item in enumerate(documents, start=1):
        try:
            document_type, upload = item
        except (TypeError, ValueError):
            problems.append(_("Document %(n)d: give a document type and a file.") % {"n": position})
            worst = worst or ErrorCode.INVALID
            continue
        name = str(getattr(upload, "name", "") or "")[:200]
        label = name or _("document %(n)d") % {"n": position}
        if document_type not in DocumentType.values:
            problems.append(_("%(file)s: unknown document type “%(type)s”.") % {"file": label, "type": document_type})
            worst = worst or ErrorCode.INVALID
            continue
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        size = getattr(upload, "size", None) or 0
        if extension not in _EXTENSIONS:
            problems.append(_("%(file)s: only PDF, JPG, PNG, DOCX and XLSX files are accepted.") % {"file": label})
            worst = ErrorCode.UNSUPPORTED_FILE
            continue
        if size > limit:
            problems.append(_("%(file)s is larger than %(mb)d MB.") % {"file": label, "mb": limit // (1024 * 1024)})
            if worst != ErrorCode.UNSUPPORTED_FILE:
                worst = ErrorCode.FILE_TOO_LARGE
            continue
        if size == 0 or content_kind(upload) != _EXTENSIONS[extension]:
            problems.append(
                _("%(file)s is not a valid %(kind)s file (its content does not match its name).")
                % {"file": label, "kind": extension.upper()}
            )
            worst = ErrorCode.UNSUPPORTED_FILE
            continue
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        checked.append(_Checked(document_type, upload, extension, size, digest.hexdigest(), name))
    missing = required - set(present) - {c.document_type for c in checked}
    for document_type in sorted(missing):
        problems.append(_("The criteria ask for: %(type)s.") % {"type": DocumentType(document_type).label})
        worst = worst or ErrorCode.INVALID
    if problems:
        raise ServiceError(worst, _("Some documents cannot be accepted."), {"documents": problems})
    return checked


def _store_documents(application: Application, checked: list[_Checked], actor, written: list[str]) -> None:
    """Write the files (recording each name in `written`, for clean-up on failure) and their rows."""
    day = today()
    rows = []
    for item in checked:
        name = f"whitelist/{day:%Y/%m}/{uuid.uuid4().hex}.{item.extension}"
        item.upload.seek(0)
        stored = default_storage.save(name, item.upload)
        written.append(stored)
        rows.append(
            ApplicationDocument(
                application=application,
                document_type=item.document_type,
                file=stored,
                original_name=item.name or stored.rsplit("/", 1)[-1],
                size=item.size,
                sha256=item.sha256,
                uploaded_by=actor,
            )
        )
    ApplicationDocument.objects.bulk_create(rows)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def _required_documents(criteria: Iterable[Criterion]) -> set[str]:
    return {c.document_type for c in criteria if c.document_type}


# --- applications ----------------------------------------------------------------------------------------


def _require_not_listed(enterprise) -> None:
    park_entry = covered_by_park(enterprise)
    if park_entry is not None:
        raise _conflict(
            _("%(enterprise)s is covered by the whitelisted park %(park)s.")
            % {"enterprise": enterprise, "park": park_entry.enterprise}
        )
    if is_whitelisted(enterprise):
        raise _conflict(_("%(enterprise)s is already on the whitelist.") % {"enterprise": enterprise})


def _require_no_pending(enterprise) -> None:
    if pending_application(enterprise) is not None:
        raise _conflict(
            _("%(enterprise)s already has an application under review or sent back for revision.")
            % {"enterprise": enterprise}
        )


def _require_criteria(enterprise, on: dt.date | None = None) -> CriteriaSet:
    criteria_set = criteria_in_force(enterprise.region_id, enterprise.sector, on)
    if criteria_set is None:
        raise _conflict(
            _("No selection criteria are in force for %(sector)s here yet; nothing can be applied for.")
            % {"sector": enterprise.get_sector_display()}
        )
    return criteria_set


def _outcome_summary(criteria: list[Criterion], evaluations: Mapping[int, rules.Evaluation]) -> str:
    lines = []
    for criterion in criteria:
        evaluation = evaluations.get(criterion.pk)
        if evaluation is not None:
            lines.append(f"{criterion.title}: {evaluation.explanation}")
        else:
            lines.append(f"{criterion.title}: {Outcome.PENDING.label}")
    return "\n".join(lines)


def _record_creation(actor, application: Application) -> None:
    """An application's first line of history (creation is not a move of the transition table)."""
    StatusChange.objects.create(
        application=application,
        enterprise=application.enterprise,
        action="submit",
        from_status="",
        to_status=application.status,
        reason=application.note,
        effective_date=today(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    event_record(
        actor=actor,
        action="whitelist.application_submit",
        obj=application.enterprise,
        changes={
            "application": [None, application.status],
            "criteria_set": [None, str(application.criteria_set)],
        },
    )


def application_submit(*, actor, enterprise, documents: Iterable = (), note: str = "") -> Application:
    """Apply for the whitelist under the criteria in force (统一标准、自愿申报).

    Automatic criteria are evaluated at once from the registry; judged ones wait for a reviewer, who is
    notified. Refused, with nothing stored, when the firm is already listed (or covered by its park), has a
    pending application, no criteria are in force, or a document is missing or not acceptable.
    """
    written: list[str] = []
    try:
        with transaction.atomic():
            return _submit(actor, enterprise, list(documents), note or "", written)
    except BaseException:
        _delete_files(written)
        raise


def _submit(actor, enterprise, documents: list, note: str, written: list[str]) -> Application:
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _require_act_for(actor, locked)
    _require_not_listed(locked)
    _require_no_pending(locked)
    criteria_set = _require_criteria(locked)
    criteria = list(criteria_set.criteria.all())
    checked = _check_documents(documents, required=_required_documents(criteria))
    facts = rules.facts_of(locked)
    application = Application(
        enterprise=locked,
        criteria_set=criteria_set,
        status=ApplicationStatus.SUBMITTED,
        priority=locked.city_operation_support,
        submitted_by=actor,
        submitted_at=now(),
        note=note,
        facts=facts,
        proposed_by_chain=chain_origin(locked),
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise _conflict(
            _("%(enterprise)s already has an application under review or sent back for revision.")
            % {"enterprise": locked}
        ) from None
    evaluations = _evaluate_all(criteria, facts)
    CriterionResult.objects.bulk_create(
        CriterionResult(
            application=application,
            criterion=criterion,
            outcome=evaluations[criterion.pk].outcome if criterion.pk in evaluations else Outcome.PENDING,
            explanation=_clip(evaluations[criterion.pk].explanation) if criterion.pk in evaluations else "",
        )
        for criterion in criteria
    )
    _store_documents(application, checked, actor, written)
    _record_creation(actor, application)
    notify_about(
        reviewers_for(locked.region_id, locked.sector),
        _("New whitelist application: %(enterprise)s") % {"enterprise": locked},
        _outcome_summary(criteria, evaluations),
        application,
        locked,
    )
    return application


def _lock_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise", "criteria_set")
        .get(pk=application.pk)
    )


DECISIONS = {"approve": Outcome.APPROVED, "reject": Outcome.REJECTED, "revise": Outcome.REVISE}


def _check_decisions(decisions: Mapping, results: dict[int, CriterionResult]) -> dict[int, tuple[str, str]]:
    """The decisions by criterion id, or INVALID naming each wrong one; every pending point needs one."""
    errors: dict[str, list[str]] = {}
    clean: dict[int, tuple[str, str]] = {}
    for key, given in (decisions or {}).items():
        field = f"criterion_{key}"
        try:
            criterion_id = int(key)
        except (TypeError, ValueError):
            errors[field] = [_("Not a criterion of this application.")]
            continue
        result = results.get(criterion_id)
        if result is None:
            errors[field] = [_("Not a criterion of this application.")]
            continue
        if result.criterion.kind != CriterionKind.JUDGED:
            errors[field] = [_("This criterion is checked from registry data; it is not decided by hand.")]
            continue
        if isinstance(given, str):
            decision, reason = given, ""
        elif isinstance(given, list | tuple):
            decision, reason = (tuple(given) + ("", ""))[:2]
        else:
            decision, reason = None, ""
        reason = str(reason or "").strip()
        if decision not in DECISIONS:
            errors[field] = [_("Choose approve, reject or revise.")]
        elif decision != "approve" and not reason:
            errors[field] = [_("Give a reason when you reject or ask for a revision.")]
        else:
            clean[criterion_id] = (decision, reason)
    for criterion_id, result in results.items():
        if (
            result.outcome == Outcome.PENDING
            and criterion_id not in clean
            and f"criterion_{criterion_id}" not in errors
        ):
            errors[f"criterion_{criterion_id}"] = [_("Decide this criterion.")]
    if errors:
        raise _invalid(errors, _("Some decisions are missing or not valid."))
    return clean


def _reason_lines(results: Iterable[CriterionResult]) -> str:
    return "\n".join(f"{r.criterion.title}: {r.explanation or r.get_outcome_display()}" for r in results)


@transaction.atomic
def application_review(*, actor, application: Application, decisions: Mapping, expected_version: int) -> Application:
    """Decide an application's judged criteria; the outcome follows from all results (达标即入).

    `decisions` maps criterion id to ("approve" | "reject" | "revise", reason). A rejected point or a failed
    automatic criterion rejects the application; a point to revise, or an automatic criterion the registry
    cannot answer (unknown), sends it back to the enterprise; otherwise it is approved and the enterprise
    admitted at once. Two reviewers at once: the second gets a conflict and nothing changes.
    """
    locked = _lock_application(application)
    enterprise = locked.enterprise
    if not Application.objects.visible_to(actor, Action.REVIEW).filter(pk=locked.pk).exists():
        raise _forbidden(_("You may not review this application."))
    _require_version(locked, expected_version)
    if locked.status != ApplicationStatus.SUBMITTED:
        raise _conflict(_("This application has already been decided or changed; reload it."))
    results = {r.criterion_id: r for r in locked.results.select_related("criterion")}
    clean = _check_decisions(decisions, results)
    decided_at = now()
    changes = {}
    for criterion_id, (decision, reason) in clean.items():
        result = results[criterion_id]
        changes[result.criterion.title] = [result.outcome, DECISIONS[decision]]
        result.outcome = DECISIONS[decision]
        result.explanation = _clip(reason)
        result.decided_by = actor
        result.decided_at = decided_at
        result.save(update_fields=["outcome", "explanation", "decided_by", "decided_at"])
    event_record(
        actor=actor,
        action="whitelist.application_decide",
        obj=enterprise,
        changes=changes,
    )
    ordered = sorted(results.values(), key=lambda r: (r.criterion.order, r.criterion_id))
    blocking = [r for r in ordered if r.outcome in (Outcome.FAILED, Outcome.REJECTED)]
    to_revise = [r for r in ordered if r.outcome in (Outcome.REVISE, Outcome.UNKNOWN)]
    if blocking:
        reason = _reason_lines(blocking)
        application_move(actor=actor, application=locked, action="reject", reason=reason)
        subject = _("Whitelist application rejected: %(enterprise)s")
    elif to_revise:
        reason = _reason_lines(to_revise)
        application_move(actor=actor, application=locked, action="return", reason=reason)
        subject = _("Whitelist application sent back for revision: %(enterprise)s")
    else:
        reason = _("Every criterion is met.")
        application_move(actor=actor, application=locked, action="approve", reason=reason)
        _admit(
            actor=actor,
            enterprise=enterprise,
            criteria_set=locked.criteria_set,
            application=locked,
            reason=_("Admitted on approval of the application."),
            effective_date=today(),
        )
        subject = _("Admitted to the whitelist: %(enterprise)s")
    # The enterprise's liaisons, and the official who applied for it if one did (not the reviewer).
    applicants = [u for u in (*liaisons_of(enterprise), locked.submitted_by) if u.pk != actor.pk]
    notify_about(applicants, subject % {"enterprise": enterprise}, reason, locked, enterprise)
    return locked


def application_resubmit(
    *, actor, application: Application, documents: Iterable = (), note: str | None = None, expected_version=None
) -> Application:
    """Send a returned application back for review, with new or replacing documents.

    A document of a type already on file replaces it. Automatic criteria are evaluated again on the
    registry as it is now; points sent back for revision wait for the reviewer again.
    """
    written: list[str] = []
    try:
        with transaction.atomic():
            return _resubmit(actor, application, list(documents), note, expected_version, written)
    except BaseException:
        _delete_files(written)
        raise


def _resubmit(actor, application, documents, note, expected_version, written) -> Application:
    locked = _lock_application(application)
    enterprise = locked.enterprise
    _require_act_for(actor, enterprise)
    _require_version(locked, expected_version)
    if locked.status != ApplicationStatus.RETURNED:
        raise _conflict(_("Only an application sent back for revision can be resubmitted."))
    criteria = list(locked.criteria_set.criteria.all())
    on_file = list(locked.documents.all())
    new_types = {item[0] for item in documents if isinstance(item, tuple | list) and item}
    kept = {d.document_type for d in on_file if d.document_type not in new_types}
    checked = _check_documents(documents, required=_required_documents(criteria), present=kept)
    replaced = [d for d in on_file if d.document_type in {c.document_type for c in checked}]
    if replaced:
        old_files = [d.file.name for d in replaced]
        ApplicationDocument.objects.filter(pk__in=[d.pk for d in replaced]).delete()
        transaction.on_commit(lambda: _delete_files(old_files))
    _store_documents(locked, checked, actor, written)
    facts = rules.facts_of(enterprise)
    evaluations = _evaluate_all(criteria, facts)
    for result in locked.results.select_related("criterion"):
        if result.criterion_id in evaluations:
            evaluation = evaluations[result.criterion_id]
            result.outcome, result.explanation = evaluation.outcome, _clip(evaluation.explanation)
        elif result.outcome == Outcome.REVISE:
            result.outcome, result.explanation = Outcome.PENDING, ""
        else:
            continue
        result.decided_by = result.decided_at = None
        result.save(update_fields=["outcome", "explanation", "decided_by", "decided_at"])
    locked.facts = facts
    if note is not None:
        locked.note = note
    reason = ngettext("Resubmitted with %(n)d new document.", "Resubmitted with %(n)d new documents.", len(checked)) % {
        "n": len(checked)
    }
    application_move(actor=actor, application=locked, action="resubmit", reason=reason)
    notify_about(
        reviewers_for(enterprise.region_id, enterprise.sector),
        _("Whitelist application resubmitted: %(enterprise)s") % {"enterprise": enterprise},
        _outcome_summary(criteria, evaluations),
        locked,
        enterprise,
    )
    return locked


@transaction.atomic
def application_withdraw(*, actor, application: Application, reason: str = "", expected_version=None) -> Application:
    """The enterprise takes back an application that is still pending."""
    locked = _lock_application(application)
    _require_act_for(actor, locked.enterprise)
    _require_version(locked, expected_version)
    if locked.status not in PENDING_APPLICATION:
        raise _conflict(_("This application has already been decided or changed; reload it."))
    return application_move(actor=actor, application=locked, action="withdraw", reason=(reason or "").strip())


@transaction.atomic
def application_reevaluate(*, enterprise) -> Application | None:
    """Evaluate a pending application's automatic criteria again after the registry changed (system).

    Its version moves on when an outcome changed, so a reviewer holding the old results gets a conflict;
    a new figure with the same outcome only refreshes the explanation.
    """
    application = (
        Application.objects.select_for_update().filter(enterprise=enterprise, status__in=PENDING_APPLICATION).first()
    )
    if application is None:
        return None
    facts = rules.facts_of(enterprise)
    results = list(application.results.select_related("criterion"))
    evaluations = _evaluate_all([r.criterion for r in results], facts)
    changed = {}
    for result in results:
        evaluation = evaluations.get(result.criterion_id)
        if evaluation is None:
            continue
        explanation = _clip(evaluation.explanation)
        if (result.outcome, result.explanation) == (evaluation.outcome, explanation):
            continue
        if result.outcome != evaluation.outcome:
            changed[result.criterion.title] = [result.outcome, evaluation.outcome]
        result.outcome, result.explanation = evaluation.outcome, explanation
        result.save(update_fields=["outcome", "explanation"])
    if changed:
        application.version += 1
    if changed or application.facts != facts:
        application.facts = facts
        application.save(update_fields=["facts", "version"])
    if changed:
        event_record(actor=None, action="whitelist.application_reevaluate", obj=enterprise, changes=changed)
    return application


# --- admission --------------------------------------------------------------------------------------------


def _term(region_code: str, start: dt.date) -> tuple[dt.date, dict]:
    """The last day of an admission starting on `start`, and the parameter record it came from."""
    months = parameter_value(region_code, ADMISSION_MONTHS, on=start)
    return rules.add_months(start, int(months.value)), {ADMISSION_MONTHS: months.as_record()}


def _admit(*, actor, enterprise, criteria_set, application, reason: str, effective_date: dt.date) -> Entry:
    """Admit (or re-admit) the enterprise from `effective_date`; tells its liaisons' partners' reviewers."""
    entry = Entry.objects.select_for_update().filter(enterprise=enterprise).first()
    valid_to, parameters = _term(enterprise.region_id, effective_date)
    fields = {
        "valid_from": effective_date,
        "valid_to": valid_to,
        "criteria_set": criteria_set,
        "facts": rules.facts_of(enterprise),
        "application": application,
        "parameters": parameters,
        "needs_review": False,
        "review_reason": "",
        "removal_reason": "",
        # A re-admitted firm produces again: a stop decided jointly ended with the entry it stopped.
        "production_stopped": False,
        "production_stopped_on": None,
    }
    try:
        with transaction.atomic():
            entry = entry_move(
                actor=actor,
                entry=entry,
                enterprise=enterprise,
                action="admit",
                reason=reason,
                effective_date=effective_date,
                **fields,
            )
    except IntegrityError:
        raise _conflict(
            _("%(enterprise)s was admitted by someone else meanwhile.") % {"enterprise": enterprise}
        ) from None
    _announce_chain(entry)
    return entry


def _announce_chain(entry: Entry) -> None:
    """Tell the reviewers and liaisons of the admitted firm's key suppliers that they can join (链式保障)."""
    for proposal in chain_proposals(entry):
        partner = proposal.partner
        body = _(
            "%(partner)s is a key supplier of %(enterprise)s, which has been admitted to the whitelist. "
            "Key suppliers are admitted with priority."
        ) % {"partner": partner, "enterprise": entry.enterprise}
        if proposal.has_pending_application:
            body += " " + _("Its application is waiting for review.")
        notify_about(
            [*reviewers_for(partner.region_id, partner.sector), *liaisons_of(partner)],
            _("Chain protection: %(partner)s supplies a whitelisted firm") % {"partner": partner},
            body,
            proposal.pending_application or partner,
            partner,
        )


@transaction.atomic
def entry_admit_directly(*, actor, enterprise, reason: str, effective_date: dt.date) -> Entry:
    """Dynamic adjustment "add": a reviewer admits a firm that meets the criteria in force, with a reason.

    The firm must meet every automatic criterion in force on `effective_date`; the reviewer's reason stands
    for the judged ones. The date may be today or earlier, as long as the term has not ended yet.
    """
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _require_review(actor, locked)
    _require_not_listed(locked)
    _require_no_pending(locked)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason for admitting the enterprise.")]
    if effective_date is None or effective_date > today():
        errors["effective_date"] = [_("An admission cannot take effect in the future.")]
    elif _term(locked.region_id, effective_date)[0] <= today():
        errors["effective_date"] = [_("An admission from that day would already have ended.")]
    if errors:
        raise _invalid(errors)
    criteria_set = _require_criteria(locked, effective_date)
    criteria = list(criteria_set.criteria.all())
    evaluations = _evaluate_all(criteria, rules.facts_of(locked))
    unmet = [e.explanation for e in evaluations.values() if e.outcome != rules.PASSED]
    if unmet:
        raise _invalid({"criteria": unmet}, _("The enterprise does not meet the criteria in force."))
    entry = _admit(
        actor=actor,
        enterprise=locked,
        criteria_set=criteria_set,
        application=None,
        reason=reason.strip(),
        effective_date=effective_date,
    )
    notify_about(
        liaisons_of(locked),
        _("Admitted to the whitelist: %(enterprise)s") % {"enterprise": locked},
        reason.strip(),
        entry,
        locked,
    )
    return entry


def _lock_entry(entry: Entry) -> Entry:
    return Entry.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=entry.pk)


@transaction.atomic
def entry_renew(*, actor, entry: Entry, valid_to: dt.date, expected_version: int | None = None) -> Entry:
    """Extend an active admission to `valid_to` (at most one full term from today)."""
    locked = _lock_entry(entry)
    enterprise = locked.enterprise
    _require_review(actor, enterprise)
    _require_version(locked, expected_version)
    if locked.status != EntryStatus.ACTIVE:
        raise _conflict(
            _("Only an active admission can be renewed (this one is %(status)s).")
            % {"status": locked.get_status_display()}
        )
    if locked.needs_review:
        raise _conflict(_("The enterprise's data changed since admission; clear the re-review before renewing."))
    latest, parameters = _term(enterprise.region_id, today())
    if valid_to is None or valid_to <= locked.valid_to:
        raise _invalid(
            {
                "valid_to": [
                    _("Renew to a day after the current end (%(date)s).") % {"date": locked.valid_to.isoformat()}
                ]
            }
        )
    if valid_to > latest:
        raise _invalid(
            {"valid_to": [_("An admission runs at most until %(date)s from today.") % {"date": latest.isoformat()}]}
        )
    previous_end = locked.valid_to
    locked = entry_move(
        actor=actor,
        entry=locked,
        enterprise=enterprise,
        action="renew",
        reason=_("Renewed from %(old)s to %(new)s.") % {"old": previous_end.isoformat(), "new": valid_to.isoformat()},
        effective_date=today(),
        valid_to=valid_to,
        parameters=parameters,
    )
    notify_about(
        liaisons_of(enterprise),
        _("Whitelist admission renewed: %(enterprise)s") % {"enterprise": enterprise},
        _("Valid until %(date)s.") % {"date": valid_to.isoformat()},
        locked,
        enterprise,
    )
    return locked


def entries_expire(on: dt.date | None = None) -> list[Entry]:
    """End every admission whose term ended before `on` (today by default). The system does it; run it daily.

    Each entry moves in its own transaction; running again the same day changes nothing.
    """
    day = on or today()
    due = list(
        Entry.objects.filter(status__in=LISTED, valid_to__lt=day)
        .order_by("valid_to", "id")
        .values_list("pk", flat=True)
    )
    expired = []
    for pk in due:
        with transaction.atomic():
            entry = Entry.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=pk)
            if entry.status not in LISTED or entry.valid_to >= day:
                continue
            enterprise = entry.enterprise
            entry = entry_move(
                actor=None,
                entry=entry,
                enterprise=enterprise,
                action="expire",
                reason=_("The admission ended on %(date)s.") % {"date": entry.valid_to.isoformat()},
                effective_date=entry.valid_to + dt.timedelta(days=1),
            )
            notify_about(
                liaisons_of(enterprise),
                _("Whitelist admission expired: %(enterprise)s") % {"enterprise": enterprise},
                _("The admission ended on %(date)s. Apply again to return to the whitelist.")
                % {"date": entry.valid_to.isoformat()},
                entry,
                enterprise,
            )
            expired.append(entry)
    return expired


# --- re-review --------------------------------------------------------------------------------------------


def _show_change(fact: str, old, new) -> str:
    spec = rules.FACTS[fact]
    return _("%(fact)s changed %(old)s → %(new)s") % {
        "fact": capfirst(spec.label),
        "old": rules.show_value(fact, old) if old not in (None, "") else "—",
        "new": rules.show_value(fact, new) if new not in (None, "") else "—",
    }


@transaction.atomic
def entry_flag_review(*, enterprise, changes: Mapping) -> Entry | None:
    """Flag a listed enterprise for re-review when registry facts its admission relied on changed (system).

    `changes` is `enterprise_changed`'s {attname: [old, new]}. Returns the flagged entry, or None.
    """
    changed = {rules.FACT_BY_ATTRIBUTE[k]: v for k, v in changes.items() if k in rules.FACT_BY_ATTRIBUTE}
    if not changed:
        return None
    entry = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("enterprise", "criteria_set")
        .filter(enterprise=enterprise, status__in=LISTED)
        .first()
    )
    if entry is None:
        return None
    automatic = []
    if entry.criteria_set_id:
        automatic = list(entry.criteria_set.criteria.filter(kind=CriterionKind.AUTOMATIC))
    watched = set(entry.facts) | rules.facts_used(automatic)
    relevant = [fact for fact in rules.FACTS if fact in changed and fact in watched]
    if not relevant:
        return None
    parts = [_show_change(fact, *changed[fact]) for fact in relevant]
    unmet = [
        e.explanation for e in _evaluate_all(automatic, rules.facts_of(enterprise)).values() if e.outcome != "passed"
    ]
    if unmet:
        parts.append(_("no longer met: %(criteria)s") % {"criteria": "; ".join(unmet)})
    reason = "; ".join(parts)
    before = entry.review_reason if entry.needs_review else ""
    entry.review_reason = _clip(f"{before}; {reason}" if before else reason)
    entry.needs_review = True
    entry.version += 1
    entry.save(update_fields=["needs_review", "review_reason", "version"])
    event_record(
        actor=None,
        action="whitelist.review_flag",
        obj=enterprise,
        changes={"needs_review": [False, True], "review_reason": [None, reason]},
    )
    notify_about(
        reviewers_for(enterprise.region_id, enterprise.sector),
        _("Re-review a whitelisted enterprise: %(enterprise)s") % {"enterprise": enterprise},
        reason,
        entry,
        enterprise,
    )
    return entry


@transaction.atomic
def entry_review_clear(*, actor, entry: Entry, note: str, expected_version: int | None = None) -> Entry:
    """A reviewer has looked at the changed facts and keeps the admission; the facts now on file become its basis."""
    locked = _lock_entry(entry)
    enterprise = locked.enterprise
    _require_review(actor, enterprise)
    _require_version(locked, expected_version)
    if not locked.needs_review:
        raise _conflict(_("This entry is not flagged for re-review."))
    if not (note or "").strip():
        raise _invalid({"note": [_("Say what you checked.")]})
    old_reason = locked.review_reason
    locked.needs_review = False
    locked.review_reason = ""
    locked.facts = rules.facts_of(enterprise)
    locked.version += 1
    locked.save(update_fields=["needs_review", "review_reason", "facts", "version"])
    event_record(
        actor=actor,
        action="whitelist.review_clear",
        obj=enterprise,
        changes={"needs_review": [True, False], "review_reason": [old_reason, ""], "note": [None, note.strip()]},
    )
    return locked
