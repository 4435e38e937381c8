"""The append-only event log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sibao.regions.scoping import ScopedQuerySet, ScopeSpec


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an audit event."""


class EventQuerySet(ScopedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")

    def for_object(self, obj) -> "EventQuerySet":
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class Event(models.Model):
    """One recorded action: who did what to which object, which fields changed, when, from where.

    Written by services in the same transaction as the change it records. The app offers no way
    to edit or delete an event: saving an existing one or deleting raises AppendOnlyError.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    sector = models.CharField(_("sector"), max_length=32, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)

    objects = EventQuerySet.as_manager()
    # Auditors read the events of their region subtree (and sector), with Action.AUDIT.
    scope = ScopeSpec(region="region_code", sector="sector")

    class Meta:
        ordering = ["-at", "-id"]
        # Django's internal manager (refresh, related access) is the append-only one too.
        base_manager_name = "objects"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")
