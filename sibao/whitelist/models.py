"""The whitelist: criteria, applications and their review, admissions, spot checks, breaker cases, joint decisions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sibao.core.choices import Sector
from sibao.regions.scoping import ScopedManager, ScopeSpec

USER = settings.AUTH_USER_MODEL

# --- criteria ----------------------------------------------------------------------------------------


class CriteriaStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class CriteriaSet(models.Model):
    """A sector department's selection criteria for its sector in its jurisdiction, one version of them.

    Published versions are never edited: a change is a new version with a later effective date.
    """

    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    status = models.CharField(_("status"), max_length=16, choices=CriteriaStatus.choices, default=CriteriaStatus.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("explanation"), blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="region__code", sector="sector")

    class Meta:
        ordering = ["region_id", "sector", "-version"]
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        constraints = [
            models.UniqueConstraint(fields=["region", "sector", "version"], name="criteriaset_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class CriterionKind(models.TextChoices):
    AUTOMATIC = "automatic", _("Checked from registry data")
    JUDGED = "judged", _("Judged by a reviewer")


class DocumentType(models.TextChoices):
    PREVENTION_PLAN = "prevention_plan", _("Epidemic-prevention and emergency plan")
    STAFF_LIST = "staff_list", _("Staff list")
    COMMITMENT = "commitment", _("Commitment letter (承诺书)")
    CLOSED_LOOP_PLAN = "closed_loop_plan", _("Closed-loop production plan")
    OTHER = "other", _("Other")


class Criterion(models.Model):
    """One condition of a criteria set: a rule over registry facts, or a point a reviewer judges.

    An automatic rule is data (`fact`, `operator`, `value`), evaluated by rules.py without eval.
    A judged point may ask for a document of a given type.
    """

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CriterionKind.choices)
    fact = models.CharField(_("registry fact"), max_length=32, blank=True)
    operator = models.CharField(_("operator"), max_length=16, blank=True)
    value = models.JSONField(_("value"), null=True, blank=True)
    document_type = models.CharField(_("document asked for"), max_length=32, blank=True, choices=DocumentType.choices)

    class Meta:
        ordering = ["criteria_set_id", "order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return self.title


# --- applications ------------------------------------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Sent back for revision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


PENDING_APPLICATION = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED)


class Application(models.Model):
    """An enterprise's application for the whitelist against one criteria version."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="applications")
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(
        _("status"), max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    priority = models.BooleanField(_("city-operation support (reviewed first)"), default=False)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note from the enterprise"), blank=True)
    proposed_by_chain = models.ForeignKey(
        "self", verbose_name=_("proposed with"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The registry facts the automatic criteria were last evaluated on (rules.facts_of), so each result
    # can be explained again later, in the reader's language.
    facts = models.JSONField(_("facts evaluated"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()
    scope = ScopeSpec(region="enterprise__region__code", sector="enterprise__sector", enterprise="enterprise_id")

    class Meta:
        ordering = ["-priority", "submitted_at", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(status__in=PENDING_APPLICATION), name="application_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_status_display()}"


class ApplicationDocument(models.Model):
    """A file an applicant uploaded: plan, staff list, commitment letter."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    document_type = models.CharField(_("document type"), max_length=32, choices=DocumentType.choices)
    file = models.FileField(_("file"), upload_to="whitelist/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedManager()
    scope = ScopeSpec(
        region="application__enterprise__region__code",
        sector="application__enterprise__sector",
        enterprise="application__enterprise_id",
    )

    class Meta:
        ordering = ["application_id", "document_type", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name


class Outcome(models.TextChoices):
    PASSED = "passed", _("Met")
    FAILED = "failed", _("Not met")
    UNKNOWN = "unknown", _("Unknown: data missing")
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REVISE = "revise", _("Revision requested")


class CriterionResult(models.Model):
    """How one application fared on one criterion: computed at once, or decided by a reviewer, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="results")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    explanation = models.CharField(_("why"), max_length=300, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["application_id", "criterion__order", "criterion_id"]
        verbose_name = _("criterion result")
        verbose_name_plural = _("criterion results")
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="result_unique_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_outcome_display()}"


# --- admissions --------------------------------------------------------------------------------------


class EntryStatus(models.TextChoices):
    ACTIVE = "active", _("Whitelisted")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")
    EXPIRED = "expired", _("Expired")


class Entry(models.Model):
    """An enterprise's place on the whitelist: time-boxed, renewable, with the criteria version that admitted it.

    One entry per enterprise, reused on re-admission; its history (`StatusChange`) is append-only.
    A park's entry covers the enterprises registered in that park.
    """

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="whitelist_entry"
    )
    status = models.CharField(_("status"), max_length=16, choices=EntryStatus.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    criteria_set = models.ForeignKey(CriteriaSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    facts = models.JSONField(_("facts the admission relied on"), default=dict, blank=True)
    needs_review = models.BooleanField(_("flagged for re-review"), default=False)
    review_reason = models.CharField(_("why re-review"), max_length=300, blank=True)
    removal_reason = models.CharField(_("reason for removal"), max_length=300, blank=True)
    # Set only by a jointly decided stop (停产停工停运): the firm stays listed but does not produce.
    production_stopped = models.BooleanField(_("production stopped by joint decision"), default=False)
    production_stopped_on = models.DateField(_("production stopped on"), null=True, blank=True)
    # The parameter records (regions.parameters.ParameterValue.as_record) the admission's term came from.
    parameters = models.JSONField(_("parameters the admission used"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()
    scope = ScopeSpec(region="enterprise__region__code", sector="enterprise__sector", enterprise="enterprise_id")

    class Meta:
        ordering = ["enterprise__name"]
        verbose_name = _("whitelist entry")
        verbose_name_plural = _("whitelist entries")
        indexes = [models.Index(fields=["status"], name="entry_status_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_status_display()}"


class StatusChange(models.Model):
    """One move of an entry or an application: who, when, why, effective when. Never changed or deleted."""

    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="history")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="history"
    )
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    reason = models.TextField(_("reason"), blank=True)
    effective_date = models.DateField(_("effective date"))
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="enterprise__region__code", sector="enterprise__sector", enterprise="enterprise_id")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.enterprise}: {self.from_status} → {self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("status history cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("status history cannot be deleted")


# --- circuit breaker -----------------------------------------------------------------------------------


class SpotCheck(models.Model):
    """A department's spot check (抽查) of a firm's prevention measures."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="spot_checks")
    checked_on = models.DateField(_("checked on"))
    passed = models.BooleanField(_("passed"))
    outbreak_spread = models.BooleanField(_("an outbreak spread from the firm"), default=False)
    findings = models.TextField(_("findings"))
    checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="enterprise__region__code", sector="enterprise__sector", enterprise="enterprise_id")

    class Meta:
        ordering = ["-checked_on", "-id"]
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")

    def __str__(self) -> str:
        return f"{self.enterprise} {self.checked_on}"

    def audit_region_code(self) -> str:
        return self.enterprise.region_id


class BreakerLevel(models.TextChoices):
    WARNING = "warning", _("Warning")
    SUSPENSION = "suspension", _("Suspension")
    REMOVAL = "removal", _("Removal")


class BreakerStatus(models.TextChoices):
    OPEN = "open", _("Rectifying")
    RECTIFIED = "rectified", _("Rectified")
    ESCALATED = "escalated", _("Escalated")
    ENFORCED = "enforced", _("Closed: firm removed")


class BreakerCase(models.Model):
    """A graded response started by a failed spot check or an outbreak: one level of the jurisdiction's steps.

    An entry has at most one open case; a further failure or a missed deadline closes it as escalated
    and opens the next step (`escalated_from`). `policy` is the parameter record the steps came from.
    """

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="breaker_cases")
    spot_check = models.ForeignKey(SpotCheck, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.PositiveSmallIntegerField(_("step"))
    level = models.CharField(_("level"), max_length=16, choices=BreakerLevel.choices)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=BreakerStatus.choices, default=BreakerStatus.OPEN)
    policy = models.JSONField(_("steps in force"), default=dict)
    escalated_from = models.ForeignKey(
        "self", verbose_name=_("escalated from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("rectification note"), blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(
        region="entry__enterprise__region__code", sector="entry__enterprise__sector", enterprise="entry__enterprise_id"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("breaker case")
        verbose_name_plural = _("breaker cases")
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=Q(status="open"), name="breakercase_one_open"),
        ]
        indexes = [models.Index(fields=["status", "rectify_by"], name="breakercase_due_idx")]

    def __str__(self) -> str:
        return f"{self.entry.enterprise}: {self.get_level_display()}"

    def audit_region_code(self) -> str:
        return self.entry.enterprise.region_id


class JointAction(models.TextChoices):
    SUSPEND = "suspend", _("Suspend from the whitelist")
    REMOVE = "remove", _("Remove from the whitelist")
    STOP_PRODUCTION = "stop_production", _("Stop production (停产停工停运)")
    REINSTATE = "reinstate", _("Reinstate")


class JointDecisionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting joint decision")
    APPROVED = "approved", _("Decided jointly")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class DecisionSide(models.TextChoices):
    """The two bodies a joint decision needs."""

    DISPATCH = "dispatch", _("Dispatch office")
    PREVENTION = "prevention", _("Epidemic-prevention HQ")


class JointDecision(models.Model):
    """A 会商: suspending, removing or stopping a whitelisted firm needs both the dispatch office and the HQ.

    Proposed by a department (or by the breaker itself: `proposed_by` empty), approved by one person per
    side, carried out when both sides have approved; one side's rejection ends it.
    """

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="joint_decisions")
    action = models.CharField(_("action"), max_length=32, choices=JointAction.choices)
    reason = models.TextField(_("reason"))
    effective_date = models.DateField(_("effective date"))
    breaker_case = models.ForeignKey(BreakerCase, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=JointDecisionStatus.choices, default=JointDecisionStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    dispatch_approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    dispatch_approved_at = models.DateTimeField(null=True, blank=True)
    prevention_approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    prevention_approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()
    scope = ScopeSpec(
        region="entry__enterprise__region__code", sector="entry__enterprise__sector", enterprise="entry__enterprise_id"
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("joint decision")
        verbose_name_plural = _("joint decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "action"], condition=Q(status="proposed"), name="jointdecision_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry.enterprise}: {self.get_action_display()}"

    def audit_region_code(self) -> str:
        return self.entry.enterprise.region_id


# --- coverage ------------------------------------------------------------------------------------------


class CoverageSnapshot(models.Model):
    """One day's whitelist coverage of a jurisdiction in one sector ("" = all sectors), kept for the trend.

    Written by `coverage_snapshot_take` (command `sibao snapshot_coverage`) from the whole registry, not
    from one user's view; taking it again the same day replaces that day's figures. `target` is the share
    the jurisdiction's parameter asked for that day, `parameter` the record it came from.
    """

    date = models.DateField(_("date"))
    # No index of its own: the unique constraint below starts with the region.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, blank=True)
    total_output = models.DecimalField(_("total output (10k yuan)"), max_digits=16, decimal_places=2)
    whitelisted_output = models.DecimalField(_("whitelisted output (10k yuan)"), max_digits=16, decimal_places=2)
    target = models.DecimalField(_("target share"), max_digits=5, decimal_places=4)
    firms_total = models.PositiveIntegerField(_("firms"))
    firms_whitelisted = models.PositiveIntegerField(_("firms whitelisted"))
    parameter = models.JSONField(_("target parameter used"), default=dict, blank=True)
    taken_at = models.DateTimeField(_("taken at"))

    objects = ScopedManager()
    scope = ScopeSpec(region="region__code", sector="sector")

    class Meta:
        ordering = ["region_id", "sector", "date"]
        verbose_name = _("coverage snapshot")
        verbose_name_plural = _("coverage snapshots")
        constraints = [
            # Also the index of a history lookup: one region and sector over a range of days.
            models.UniqueConstraint(fields=["region", "sector", "date"], name="coveragesnapshot_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.sector or '*'} {self.date}"

    @property
    def ratio(self):
        from sibao.whitelist.coverage import ratio

        return ratio(self.whitelisted_output, self.total_output)

    @property
    def gap(self):
        from sibao.whitelist.coverage import gap

        return gap(self.total_output, self.whitelisted_output, self.target)
