"""Abstract bases shared by every app's models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    """Created/updated times and an edit version for optimistic concurrency."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class ImportBatchQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view") -> "ImportBatchQuerySet":
        """An import's report is for the person who ran it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self if user.is_superuser else self.filter(actor=user)


class ImportBatch(models.Model):
    """One uploaded file's import: what was stored and every row that was not, with the reason."""

    kind = models.CharField(_("kind"), max_length=32)
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    held = models.PositiveIntegerField(_("held apart"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.at:%Y-%m-%d %H:%M})"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view") -> "NotificationQuerySet":
        """A notification is for its recipient only."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user about a decision or a task (also sent by e-mail when it has one)."""

    recipient = models.ForeignKey(
        "accounts.User", verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.subject
