"""What the whitelist does when other apps report a change (connected in apps.WhitelistConfig.ready)."""

from django.db.models import Q

from sibao.enterprises.models import Enterprise
from sibao.enterprises.signals import enterprise_changed
from sibao.whitelist import rules
from sibao.whitelist.models import PENDING_APPLICATION
from sibao.whitelist.selectors import LISTED
from sibao.whitelist.services import application_reevaluate, entry_flag_review


def on_enterprise_changed(sender, *, enterprise, changes, actor=None, **kwargs) -> None:
    """Registry facts changed: flag a listed firm for re-review; evaluate a pending application again.

    Runs inside the sender's transaction, so the flag and the change commit (or roll back) together.
    One query decides whether the whitelist cares at all, which keeps large imports cheap.
    """
    if not any(name in rules.FACT_BY_ATTRIBUTE for name in changes):
        return
    concerned = Enterprise.objects.filter(pk=enterprise.pk).filter(
        Q(whitelist_entry__status__in=LISTED) | Q(applications__status__in=PENDING_APPLICATION)
    )
    if not concerned.exists():
        return
    entry_flag_review(enterprise=enterprise, changes=changes)
    application_reevaluate(enterprise=enterprise)


def connect() -> None:
    enterprise_changed.connect(on_enterprise_changed, dispatch_uid="whitelist.on_enterprise_changed")
