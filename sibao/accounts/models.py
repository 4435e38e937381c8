"""Organisations, users and their role grants."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sibao.accounts.roles import OFFICIAL_ROLES, Action, Role, role_allows
from sibao.core.choices import Sector
from sibao.regions.models import code_prefix


class OrgKind(models.TextChoices):
    SECTOR_DEPARTMENT = "sector_department", _("Sector department")
    DEPARTMENT = "department", _("Other department")
    LOCAL_UNIT = "local_unit", _("Local unit")
    DISPATCH_OFFICE = "dispatch_office", _("Dispatch office")
    PREVENTION_HQ = "prevention_hq", _("Epidemic-prevention HQ")
    LEADERSHIP = "leadership", _("Government leadership")


class Organization(models.Model):
    """A government body at a region: a sector department, a local unit, the dispatch office, ..."""

    name = models.CharField(_("name"), max_length=128)
    short_name = models.CharField(_("short name"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, blank=True)

    class Meta:
        ordering = ["region_id", "kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="org_unique_name_per_region")]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = Action.MANAGE_USERS) -> "UserQuerySet":
        """Users placed in a subtree `user` administers: by a grant, their organisation or their enterprise."""
        from sibao.regions.scoping import user_grants

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        condition = Q(pk__in=[])
        for grant in user_grants(user):
            if role_allows(grant.role, Action.MANAGE_USERS):
                prefix = grant.region_prefix
                condition |= (
                    Q(grants__region__code__startswith=prefix)
                    | Q(organization__region__code__startswith=prefix)
                    | Q(enterprise__region__code__startswith=prefix)
                )
        return self.filter(pk__in=self.filter(condition).values("pk"))


class SibaoUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in: an official of an organisation, or an enterprise's liaison."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("liaison of enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
    )

    objects = SibaoUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def audit_region_code(self) -> str:
        places = self.places()
        return places[0] if places else ""

    def places(self) -> list[str]:
        """Region codes this user is tied to: grants, organisation, enterprise."""
        codes = [g.region_id for g in self.grants.all()]
        if self.organization_id:
            codes.append(self.organization.region_id)
        if self.enterprise_id:
            codes.append(self.enterprise.region_id)
        return codes

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_official(self) -> bool:
        from sibao.regions.scoping import user_grants

        return self.is_superuser or any(g.role in OFFICIAL_ROLES for g in user_grants(self))


class Grant(models.Model):
    """A role over a region subtree, optionally limited to one sector."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, blank=True)
    region_prefix = models.CharField(max_length=12, editable=False)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region", "sector"], name="grant_unique"),
        ]

    def __str__(self) -> str:
        sector = f" · {self.get_sector_display()}" if self.sector else ""
        return f"{self.get_role_display()} @ {self.region}{sector}"

    def save(self, *args, **kwargs):
        self.region_prefix = code_prefix(self.region.code, self.region.level)
        super().save(*args, **kwargs)
