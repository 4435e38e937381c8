"""Epidemic-prevention information: staff, tests, health credentials, compliance, alerts, closed-loop
readiness and the history of mode switches.

Health data (test results, credentials, the overdue lists) is reached with `Action.HEALTH`; an ID
number is stored only encrypted, with a keyed hash to find it (`sibao.core.personal`) and a masked
copy to show.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sibao.accounts.roles import Action
from sibao.core.models import TimeStamped
from sibao.regions.models import Mode
from sibao.regions.scoping import ScopedManager, ScopeSpec, scope_q

# Paths from a row holding an `enterprise` foreign key to what scopes it.
ENTERPRISE_SCOPE = ScopeSpec(region="enterprise__region__code", sector="enterprise__sector", enterprise="enterprise_id")


class PostType(models.TextChoices):
    GENERAL = "general", _("General post")
    MOBILE = "mobile", _("Mobile or contact post (logistics, sales)")


class LoopKind(models.TextChoices):
    BUBBLE = "bubble", _("Bubble (气泡)")
    TWO_POINT = "two_point", _("Two points, one line (两点一线)")


class TestOutcome(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class CodeColour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Verification(models.TextChoices):
    """What a health-code check answered (the colour, or why there is none)."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    EXPIRED = "expired", pgettext_lazy("health code", "Expired")
    NOT_FOUND = "not_found", pgettext_lazy("health code", "Not found")
    FAILED = "failed", _("Verification failed")


class StaffMember(TimeStamped):
    """One person on an enterprise's staff roster, with their current health status.

    The status fields (last test, last health-code check, itinerary) are kept up to date by the test
    and credential ingests, so compliance is one pass over the roster.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="staff"
    )
    name = models.CharField(_("name"), max_length=64)
    id_hash = models.CharField(_("ID number lookup hash"), max_length=32, db_index=True, editable=False)
    id_cipher = models.TextField(_("ID number (encrypted)"), editable=False)
    id_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    post_type = models.CharField(_("post type"), max_length=16, choices=PostType.choices, default=PostType.GENERAL)
    loop_kind = models.CharField(_("closed-loop unit type"), max_length=16, choices=LoopKind.choices, blank=True)
    loop_unit = models.CharField(_("closed-loop unit"), max_length=64, blank=True)
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    lodging = models.CharField(_("lodging"), max_length=100, blank=True)
    start_date = models.DateField(_("start date"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # Current status, from the latest test result and credential check.
    last_sampled_at = models.DateTimeField(_("last sampled at"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=16, choices=TestOutcome.choices, blank=True)
    last_institution = models.CharField(_("last testing institution"), max_length=100, blank=True)
    code_outcome = models.CharField(_("health code"), max_length=16, choices=Verification.choices, blank=True)
    code_checked_at = models.DateTimeField(_("health code checked at"), null=True, blank=True)
    code_source = models.CharField(_("health code source"), max_length=64, blank=True)
    itinerary_risk = models.BooleanField(_("visited a risk area"), null=True, blank=True)
    itinerary_checked_at = models.DateTimeField(_("itinerary checked at"), null=True, blank=True)

    objects = ScopedManager()
    scope = ENTERPRISE_SCOPE

    class Meta:
        ordering = ["enterprise_id", "name", "id"]
        verbose_name = _("member of staff")
        verbose_name_plural = _("staff")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "id_hash"], name="staff_unique_person_per_enterprise"),
        ]
        indexes = [
            # Covers the per-firm roster counts (active staff by post type, without a closed-loop unit) that the
            # mode-switch preview and the readiness gaps read for thousands of firms: no table row is visited.
            models.Index(fields=["enterprise", "post_type", "left_on", "loop_kind"], name="staff_roster_counts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"

    def audit_region_code(self) -> str:
        return self.enterprise.region_id

    @property
    def sector(self) -> str:
        """The enterprise's sector: the audit log files events under it."""
        return self.enterprise.sector


class TestResultQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = Action.HEALTH) -> "TestResultQuerySet":
        """A result is seen by whoever may see the health data of someone with that ID number on a roster."""
        people = StaffMember.objects.filter(scope_q(user, ENTERPRISE_SCOPE, action)).values("id_hash")
        return self.filter(id_hash__in=people)


class TestResult(models.Model):
    """One nucleic-acid test result, kept per person (ID hash), whichever rosters they are on."""

    id_hash = models.CharField(_("ID number lookup hash"), max_length=32)
    sampled_at = models.DateTimeField(_("sampled at"))
    institution = models.CharField(_("testing institution"), max_length=100)
    result = models.CharField(_("result"), max_length=16, choices=TestOutcome.choices)
    batch = models.ForeignKey("core.ImportBatch", verbose_name=_("ingest"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"))

    objects = TestResultQuerySet.as_manager()

    class Meta:
        ordering = ["-sampled_at"]
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        constraints = [
            # The same sample reported twice is one result: ingests are idempotent.
            models.UniqueConstraint(fields=["id_hash", "sampled_at", "institution"], name="test_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()} {self.sampled_at:%Y-%m-%d %H:%M}"


class HeldResultQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = Action.HEALTH) -> "HeldResultQuerySet":
        """Held results are reported to whoever ingested them."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self if user.is_superuser else self.filter(batch__actor=user)


class HeldResult(models.Model):
    """A result whose ID number is on no roster the ingesting user keeps: kept apart, not dropped.

    It joins `TestResult` when a roster its ingester keeps gains that person.
    """

    id_hash = models.CharField(_("ID number lookup hash"), max_length=32, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18)
    sampled_at = models.DateTimeField(_("sampled at"))
    institution = models.CharField(_("testing institution"), max_length=100)
    result = models.CharField(_("result"), max_length=16, choices=TestOutcome.choices)
    batch = models.ForeignKey("core.ImportBatch", verbose_name=_("ingest"), on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField(_("row"))

    objects = HeldResultQuerySet.as_manager()

    class Meta:
        ordering = ["batch_id", "row"]
        verbose_name = _("held test result")
        verbose_name_plural = _("held test results")
        constraints = [
            models.UniqueConstraint(fields=["id_hash", "sampled_at", "institution"], name="held_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.id_masked} {self.sampled_at:%Y-%m-%d %H:%M}"


class CredentialCheck(models.Model):
    """One check of a person's health credentials (两码一证): health code, itinerary, from a source."""

    staff = models.ForeignKey(
        StaffMember, verbose_name=_("member of staff"), on_delete=models.CASCADE, related_name="checks"
    )
    checked_at = models.DateTimeField(_("checked at"))
    source = models.CharField(_("source"), max_length=64)
    outcome = models.CharField(_("health code"), max_length=16, choices=Verification.choices)
    itinerary_risk = models.BooleanField(_("visited a risk area"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    scope = ScopeSpec(
        region="staff__enterprise__region__code", sector="staff__enterprise__sector", enterprise="staff__enterprise_id"
    )

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("credential check")
        verbose_name_plural = _("credential checks")
        indexes = [models.Index(fields=["checked_at"], name="credential_check_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.checked_at:%Y-%m-%d %H:%M}"


class ComplianceDay(models.Model):
    """One enterprise's test compliance as computed on a day (the latest computation of that day).

    Region and sector are copied from the enterprise when computed, so history rolls up as it stood.
    Kept after the results it came from are purged.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    computed_at = models.DateTimeField(_("computed at"))
    region_code = models.CharField(_("division code"), max_length=12)
    sector = models.CharField(_("sector"), max_length=32)
    staff = models.PositiveIntegerField(_("staff"), help_text=_("on the roster, newcomers included"))
    newcomers = models.PositiveIntegerField(_("in static period"))
    within = models.PositiveIntegerField(_("tested within cycle"))
    overdue = models.PositiveIntegerField(_("overdue"))
    positive = models.PositiveIntegerField(_("latest result positive"), default=0)
    cycle_general_hours = models.PositiveSmallIntegerField(_("cycle of general posts (h)"))
    cycle_mobile_hours = models.PositiveSmallIntegerField(_("cycle of mobile posts (h)"))
    static_days = models.PositiveSmallIntegerField(_("static period (days)"))

    objects = ScopedManager()
    scope = ScopeSpec(region="region_code", sector="sector", enterprise="enterprise_id")

    class Meta:
        ordering = ["-day", "enterprise_id"]
        verbose_name = _("compliance of a day")
        verbose_name_plural = _("compliance by day")
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="compliance_once_a_day")]
        indexes = [models.Index(fields=["day", "region_code"], name="compliance_day_region_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day}: {self.within}/{self.counted}"

    @property
    def counted(self) -> int:
        """Staff the share is taken over: newcomers in their static period are counted apart."""
        return self.staff - self.newcomers

    @property
    def share(self) -> float | None:
        return self.within / self.counted if self.counted else None


class AlertCause(models.TextChoices):
    RED_CODE = "red_code", _("Red health code")
    POSITIVE = "positive", _("Positive test result")
    LOW_COMPLIANCE = "low_compliance", _("Test compliance below threshold")
    STATIC_OVERDUE = "static_overdue", _("Static period over without a negative test")


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Alert(models.Model):
    """An electronic-sentinel alert (电子哨) about an enterprise, or one of its staff.

    At most one unresolved alert per cause and subject: a cause that persists does not raise again.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        StaffMember,
        verbose_name=_("member of staff"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cause = models.CharField(_("cause"), max_length=32, choices=AlertCause.choices)
    subject = models.CharField(_("subject"), max_length=64, blank=True, help_text=_("what the cause is about"))
    detail = models.TextField(_("detail"), blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledge_note = models.TextField(_("acknowledgement note"), blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolve_note = models.TextField(_("resolution note"), blank=True)

    objects = ScopedManager()
    scope = ENTERPRISE_SCOPE

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "cause", "subject"],
                condition=~Q(status="resolved"),
                name="alert_one_unresolved_per_cause",
            ),
        ]
        indexes = [models.Index(fields=["status", "raised_at"], name="alert_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} · {self.raised_at:%Y-%m-%d %H:%M}"

    def audit_region_code(self) -> str:
        return self.enterprise.region_id

    @property
    def sector(self) -> str:
        """The enterprise's sector: the audit log files events under it."""
        return self.enterprise.sector


def plan_document_path(instance, filename: str) -> str:
    return f"prevention/plans/{instance.enterprise_id}/{filename}"


class ClosedLoopPlan(TimeStamped):
    """An enterprise's readiness for closed-loop production (一企一策): what is missing shows as a gap."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="closed_loop_plan",
    )
    plan_document = models.FileField(_("emergency plan (一企一策)"), upload_to=plan_document_path, blank=True)
    lodging = models.CharField(_("lodging"), max_length=200, blank=True)
    lodging_beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    receiving_point = models.CharField(_("fixed receiving point"), max_length=200, blank=True)
    observation_places = models.PositiveIntegerField(_("temporary observation places"), null=True, blank=True)
    lead_name = models.CharField(_("prevention lead"), max_length=64, blank=True)
    lead_phone = models.CharField(_("prevention lead's phone"), max_length=20, blank=True)

    objects = ScopedManager()
    scope = ENTERPRISE_SCOPE

    class Meta:
        verbose_name = _("closed-loop plan")
        verbose_name_plural = _("closed-loop plans")

    def __str__(self) -> str:
        return str(self.enterprise)

    def audit_region_code(self) -> str:
        return self.enterprise.region_id

    @property
    def sector(self) -> str:
        """The enterprise's sector: the audit log files events under it."""
        return self.enterprise.sector


class ModeSwitch(models.Model):
    """One switch of a region subtree between normal and emergency mode, with what it affected."""

    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    to_mode = models.CharField(_("to mode"), max_length=16, choices=Mode.choices)
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("switched by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    reason = models.TextField(_("reason"))
    regions = models.PositiveIntegerField(_("regions switched"))
    firms = models.PositiveIntegerField(_("whitelisted firms"))
    staff = models.PositiveIntegerField(_("their staff"))
    tests_per_day = models.PositiveIntegerField(_("tests per day needed"))
    not_ready = models.PositiveIntegerField(_("firms not ready for closed loop"))

    objects = ScopedManager()
    scope = ScopeSpec(region="region__code")  # the code is the key: no join

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("mode switch")
        verbose_name_plural = _("mode switches")

    def __str__(self) -> str:
        return f"{self.region} → {self.get_to_mode_display()} ({self.at:%Y-%m-%d %H:%M})"

    def audit_region_code(self) -> str:
        return self.region_id
