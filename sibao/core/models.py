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
    errors = models.JSONField(_("errors"), default=list, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.at:%Y-%m-%d %H:%M})"
