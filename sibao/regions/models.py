"""The GB/T 2260 division tree, with each region's operating mode."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    STREET = "street", _("Street / township")


LEVEL_DEPTH = {Level.PROVINCE: 1, Level.CITY: 2, Level.COUNTY: 3, Level.STREET: 4}
# Significant digits of a code at each depth: 41 / 4101 / 410104 / 410104001.
PREFIX_LENGTH = {1: 2, 2: 4, 3: 6, 4: 9}


class Kind(models.TextChoices):
    ADMIN = "admin", _("Administrative division")
    PARK = "park", _("Park / development zone")


class Mode(models.TextChoices):
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


def code_prefix(code: str, level: str) -> str:
    """The significant prefix of a code: every code in the subtree starts with it, no other does."""
    return code[: PREFIX_LENGTH[LEVEL_DEPTH[level]]]


def ancestor_codes(code: str) -> list[str]:
    """The code of a region and of every region above it, deepest first (410104001, 410104, 410100, 410000)."""
    codes = [code]
    if len(code) > 6:
        codes.append(code[:6])
    for keep in (4, 2):
        candidate = code[:keep].ljust(6, "0")
        if candidate not in codes:
            codes.append(candidate)
    return codes


class Region(models.Model):
    """A division of the GB/T 2260 tree (province to street), or a park acting as one.

    The primary key is the division code itself, so a subtree is one prefix filter on any
    foreign key to a region: `region__code__startswith=region.prefix` needs no join.
    """

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ADMIN)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    prefix = models.CharField(_("subtree prefix"), max_length=12, editable=False, db_index=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.NORMAL)
    mode_changed_at = models.DateTimeField(_("mode changed at"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.prefix = code_prefix(self.code, self.level)
        super().save(*args, **kwargs)

    def audit_region_code(self) -> str:
        """An event about a region (a mode switch) belongs to that region."""
        return self.code

    def contains(self, code: str) -> bool:
        """Whether the region with this code lies in this region's subtree (itself included)."""
        return code.startswith(self.prefix)

    def ancestors(self) -> list["Region"]:
        """From the province down to this region's parent."""
        codes = ancestor_codes(self.code)[:0:-1]
        found = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in self.ancestors() if r.level != Level.PROVINCE) + self.name


class Parameter(models.Model):
    """A jurisdiction's value of a parameter from the work plans, from a date on (never edited: add a newer one)."""

    region = models.ForeignKey(Region, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+")
    key = models.CharField(_("parameter"), max_length=64)
    value = models.JSONField(_("value"))
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["key", "region_id", "-effective_from"]
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")
        constraints = [
            models.UniqueConstraint(fields=["region", "key", "effective_from"], name="parameter_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.region_id} from {self.effective_from}: {self.value}"
