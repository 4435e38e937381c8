"""Closed-loop readiness (一企一策): an enterprise's plan for closed-loop production, kept by its liaison.

What the plan still lacks is computed, not stored: `selectors.readiness_by_enterprise` applies
`rules.readiness_gaps` to the plan, the roster and the jurisdiction's observation ratio.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sibao.accounts.roles import Action
from sibao.audit.services import diff, event_record, snapshot
from sibao.core.documents import content_kind
from sibao.core.errors import ErrorCode, ServiceError
from sibao.enterprises.models import Enterprise
from sibao.prevention.models import ClosedLoopPlan

PLAN_FIELDS = ("lodging", "lodging_beds", "receiving_point", "observation_places", "lead_name", "lead_phone")
_NUMBERS = ("lodging_beds", "observation_places")
# Accepted extensions and what the file's first bytes must say it is.
DOCUMENT_KINDS = {"pdf": "pdf", "doc": "ole", "docx": "docx", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}


def closed_loop_plan_update(*, actor, enterprise: Enterprise, data: Mapping, document=None) -> ClosedLoopPlan:
    """Change the plan's fields present in `data` and, with `document`, its emergency plan file.

    The enterprise's liaison or an official who may change the enterprise may; `data["version"]`, when
    given, must be the plan's current version (0: no plan yet), or someone else saved in between.
    """
    if not Enterprise.objects.visible_to(actor, Action.CHANGE).filter(pk=enterprise.pk).exists():
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not change this enterprise's closed-loop plan."))
    if document is not None:
        _check_document(document)
    with transaction.atomic():
        Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()  # serialises a plan's first save
        plan = ClosedLoopPlan.objects.select_for_update().filter(enterprise=enterprise).first()
        current = plan.version if plan else 0
        _check_version(data.get("version"), current)
        plan = plan or ClosedLoopPlan(enterprise=enterprise, version=0)
        before = {**snapshot(plan, PLAN_FIELDS), "plan_document": plan.plan_document.name or None}
        _assign(plan, data)
        if document is not None:
            plan.plan_document.save(document.name.rsplit("/", 1)[-1], document, save=False)
        changes = diff(before, {**snapshot(plan, PLAN_FIELDS), "plan_document": plan.plan_document.name or None})
        if not changes and plan.pk:
            return plan
        plan.version += 1
        plan.save()
        event_record(actor=actor, action="prevention.closed_loop_plan_update", obj=plan, changes=changes)
    return plan


def _check_version(value, current: int) -> None:
    if value in (None, ""):
        return
    try:
        expected = int(str(value).strip())
    except ValueError:
        raise ServiceError(
            ErrorCode.INVALID, _("Some values are not valid."), {"version": [_("must be a whole number")]}
        ) from None
    if expected != current:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _("Someone else changed this plan while you were editing (version %(now)d, you had %(had)d). Reload.")
            % {"now": current, "had": expected},
        )


def _assign(plan: ClosedLoopPlan, data: Mapping) -> None:
    """Set the fields present in `data` and validate the plan (numbers are whole and not negative)."""
    for name in PLAN_FIELDS:
        if name not in data:
            continue
        value = data.get(name)
        value = "" if value is None else str(value).strip()
        setattr(plan, name, (value or None) if name in _NUMBERS else value)
    try:
        plan.full_clean(exclude=["enterprise", "plan_document"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ServiceError.from_django_validation(exc) from None


def _max_bytes() -> int:
    return int(settings.SIBAO_DOCUMENT_MAX_BYTES)


def _check_document(upload) -> None:
    """PDF, DOC, DOCX, JPG or PNG, whose content matches its name, within the size limit."""
    name = str(getattr(upload, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in DOCUMENT_KINDS:
        raise _refused(ErrorCode.UNSUPPORTED_FILE, _("Only PDF, DOC, DOCX, JPG and PNG files are accepted."))
    limit = _max_bytes()
    if (upload.size or 0) > limit:
        raise _refused(ErrorCode.FILE_TOO_LARGE, _("The file is larger than %(mb)d MB.") % {"mb": limit // 2**20})
    if not upload.size or content_kind(upload) != DOCUMENT_KINDS[extension]:
        raise _refused(
            ErrorCode.UNSUPPORTED_FILE,
            _("This is not a valid %(kind)s file (its content does not match its name).") % {"kind": extension.upper()},
        )


def _refused(code: ErrorCode, message: str) -> ServiceError:
    return ServiceError(code, message, {"plan_document": [message]})
