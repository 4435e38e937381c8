"""The enterprise and project registry and its supply-chain links."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sibao.core.choices import Sector
from sibao.core.models import TimeStamped
from sibao.enterprises.industry import SECTION_CHOICES
from sibao.regions.scoping import ScopedManager, ScopeSpec


class EnterpriseKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    PROJECT = "project", _("Project")
    PARK = "park", _("Park")


class Enterprise(TimeStamped):
    """An enterprise, project or park in the registry, keyed by its unified social credit code.

    `output_value` is the annual output value of an enterprise or the investment of a project, in
    units of 10,000 yuan (万元): the measure whitelist coverage is computed on.
    """

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=128, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EnterpriseKind.choices, default=EnterpriseKind.ENTERPRISE)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, db_index=True)
    industry_section = models.CharField(_("industry section"), max_length=1, choices=SECTION_CHOICES)
    industry_division = models.CharField(_("industry division"), max_length=2)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    output_value = models.DecimalField(_("annual output / investment (10k yuan)"), max_digits=14, decimal_places=2)
    headcount = models.PositiveIntegerField(_("headcount"))
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    city_operation_support = models.BooleanField(_("city-operation support"), default=False)
    key_project = models.BooleanField(_("key project"), default=False)
    park = models.ForeignKey(
        "self",
        verbose_name=_("park"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="park_members",
        limit_choices_to={"kind": "park"},
        help_text=_("The park (e.g. a bonded zone) the enterprise is registered in; a whitelisted park covers it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = ScopedManager()
    scope = ScopeSpec(region="region__code", sector="sector", enterprise="id")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [models.Index(fields=["region", "sector"], name="enterprise_region_sector_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(output_value__gte=0), name="enterprise_output_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.name


class LinkDirection(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    CUSTOMER = "customer", _("Customer")


class SupplyLink(models.Model):
    """A supplier or customer of an enterprise, with the partner's region (for chain protection)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="supply_links")
    direction = models.CharField(_("direction"), max_length=16, choices=LinkDirection.choices)
    partner_name = models.CharField(_("partner"), max_length=128)
    partner_credit_code = models.CharField(_("partner credit code"), max_length=18, blank=True)
    partner = models.ForeignKey(
        Enterprise,
        verbose_name=_("partner in registry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    partner_region = models.ForeignKey("regions.Region", verbose_name=_("partner region"), on_delete=models.PROTECT)
    is_key = models.BooleanField(_("key partner"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedManager()
    scope = ScopeSpec(region="enterprise__region__code", sector="enterprise__sector", enterprise="enterprise_id")

    class Meta:
        ordering = ["enterprise_id", "direction", "partner_name"]
        verbose_name = _("supply-chain link")
        verbose_name_plural = _("supply-chain links")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "direction", "partner_name"], name="supplylink_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.partner_name}"
