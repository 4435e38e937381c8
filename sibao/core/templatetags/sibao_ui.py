"""Template helpers shared by every page: icons, audit events in words, masked personal data."""

import base64
import binascii

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sibao.core import masking

register = template.Library()

# Words for the actions services record. An action without an entry is shown by its code.
ACTION_LABELS = {
    "enterprise.create": _("Registered"),
    "enterprise.update": _("Edited"),
    "enterprise.import_create": _("Registered by import"),
    "enterprise.import_update": _("Updated by import"),
    "enterprise.supply_link_add": _("Supply-chain link added"),
    "enterprise.supply_link_remove": _("Supply-chain link removed"),
    "account.two_factor_enabled": _("Two-factor sign-in set up"),
    "account.password_change": _("Password changed"),
    # The whitelist: moves of an entry ("whitelist.<move>") and of an application ("whitelist.application_<move>").
    "whitelist.admit": _("Admitted to the whitelist"),
    "whitelist.renew": _("Whitelist admission renewed"),
    "whitelist.expire": _("Whitelist admission expired"),
    "whitelist.suspend": _("Suspended from the whitelist"),
    "whitelist.remove": _("Removed from the whitelist"),
    "whitelist.reinstate": _("Reinstated on the whitelist"),
    "whitelist.stop_production": _("Production stopped by joint decision"),
    "whitelist.resume_production": _("Production resumed by joint decision"),
    "whitelist.review_flag": _("Flagged for re-review"),
    "whitelist.review_clear": _("Re-review done"),
    "whitelist.application_submit": _("Whitelist application submitted"),
    "whitelist.application_decide": _("Whitelist criteria decided"),
    "whitelist.application_approve": _("Whitelist application approved"),
    "whitelist.application_reject": _("Whitelist application rejected"),
    "whitelist.application_return": _("Whitelist application sent back for revision"),
    "whitelist.application_resubmit": _("Whitelist application resubmitted"),
    "whitelist.application_withdraw": _("Whitelist application withdrawn"),
    "whitelist.application_reevaluate": _("Whitelist application re-evaluated"),
    "whitelist.criteria_create": _("Criteria draft created"),
    "whitelist.criterion_add": _("Criterion added"),
    "whitelist.criterion_remove": _("Criterion removed"),
    "whitelist.criteria_publish": _("Criteria published"),
    "whitelist.criteria_retire": _("Criteria retired"),
    "whitelist.spot_check": _("Spot check recorded"),
    "whitelist.breaker_open": _("Circuit breaker opened"),
    "whitelist.breaker_rectified": _("Circuit breaker case rectified"),
    "whitelist.breaker_escalated": _("Circuit breaker case escalated"),
    "whitelist.breaker_enforced": _("Circuit breaker case closed: firm removed"),
    "whitelist.joint_propose": _("Joint decision proposed"),
    "whitelist.joint_approve": _("Joint decision approved by one side"),
    "whitelist.joint_reject": _("Joint decision rejected"),
    "whitelist.joint_supersede": _("Joint decision superseded"),
    # Epidemic prevention: rosters, health data, alerts, readiness and the mode switch.
    "staff.create": _("Added to the staff roster"),
    "staff.update": _("Staff details edited"),
    "staff.leave": _("Left the staff roster"),
    "staff.import_create": _("Added to the staff roster by import"),
    "staff.import_update": _("Staff details updated by import"),
    "staff.reveal_id": _("Full ID number revealed"),
    "staff.credential_check": _("Health credentials checked"),
    "test_results.ingest": _("Test results ingested"),
    "alert.acknowledge": _("Alert acknowledged"),
    "alert.resolve": _("Alert resolved"),
    "prevention.closed_loop_plan_update": _("Closed-loop plan updated"),
    "prevention.mode_switch": _("Mode switched"),
    "prevention.purge_health_data": _("Health data purged"),
}

# Keys of an event's `changes` that are not fields of the changed model.
CHANGE_LABELS = {
    "supply_link": _("Supply-chain link"),
    "import": _("Import batch"),
}

EMPTY = "—"


@register.simple_tag
def icon(name: str, label: str = ""):
    """An icon from the sprite; decorative unless given a label."""
    href = f"{static('img/icons.svg')}#{name}"
    if label:
        return format_html('<svg class="icon" role="img" aria-label="{}"><use href="{}"></use></svg>', label, href)
    return format_html('<svg class="icon" aria-hidden="true"><use href="{}"></use></svg>', href)


@register.filter
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@register.filter
def mask_phone(value: str) -> str:
    return masking.mask_phone(value)


@register.filter
def hex_to_base32(value: str) -> str:
    """A hex key in the base32 form authenticator apps accept for manual entry, in groups of four."""
    try:
        text = base64.b32encode(bytes.fromhex(value or "")).decode().rstrip("=")
    except (ValueError, binascii.Error):
        return ""
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _model_field(model, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        pass
    for field in model._meta.concrete_fields:
        if field.attname == key:
            return field
    return None


def _shown(field, value) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


@register.filter
def event_changes(event, reveal=False) -> list[dict]:
    """An event's `{field: [old, new]}` as rows a person can read: field label, old value, new value.

    Personal data (phones) is masked unless `reveal` (the viewer may see it in full)."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    try:
        model = apps.get_model(event.object_type)
    except (LookupError, ValueError):
        model = None
    rows = []
    for key, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        field = _model_field(model, key)
        if key in CHANGE_LABELS:
            label = CHANGE_LABELS[key]
        elif field is not None:
            label = capfirst(field.verbose_name)
        else:
            label = key
        if key == "import" and new is not None:
            new = f"#{new}"
        if not reveal:
            old, new = masking.mask_field(key, old), masking.mask_field(key, new)
        rows.append({"field": key, "label": label, "old": _shown(field, old), "new": _shown(field, new)})
    return rows
