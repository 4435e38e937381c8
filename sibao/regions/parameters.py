"""Parameters from the work plans, as data per jurisdiction and effective date (DESIGN §4).

Each key is declared once here with its meaning and default. A value set for a region applies to
its whole subtree from its effective date; the deepest region with a value wins, then the latest
date. A decision that used a parameter stores the `ParameterValue` it got (`source`), so it can
explain itself later.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ParameterKey:
    key: str
    label: str
    default: object


KEYS: dict[str, ParameterKey] = {
    p.key: p
    for p in (
        ParameterKey("whitelist.coverage_target", _("Whitelist coverage target (share of output)"), 0.7),
        ParameterKey("whitelist.coverage_deadline", _("Date by which the coverage target is due"), "2022-06-30"),
        ParameterKey("whitelist.admission_months", _("Months an admission is valid before renewal"), 12),
        ParameterKey(
            "whitelist.breaker_steps",
            _("Circuit-breaker steps: level and days to rectify"),
            [
                {"level": "warning", "rectify_days": 7},
                {"level": "suspension", "rectify_days": 14},
                {"level": "removal", "rectify_days": 0},
            ],
        ),
        ParameterKey(
            "prevention.test_cycle_hours",
            _("Test cycle in hours, by post type (general; mobile or contact posts)"),
            {"general": 48, "mobile": 24},
        ),
        ParameterKey("prevention.static_period_days", _("Static period of newcomers, in days"), 3),
        ParameterKey("prevention.compliance_threshold", _("Compliance share below which an alert is raised"), 0.9),
        ParameterKey(
            "prevention.observation_places_per_staff",
            _("Temporary observation places per member of staff (1 per 100 staff: 0.01)"),
            0.01,
        ),
        ParameterKey("prevention.credential_valid_hours", _("Hours a health-code check stays valid"), 24),
    )
}


@dataclass(frozen=True)
class ParameterValue:
    """A parameter's value for a place and day, and where it came from (None: the default)."""

    key: str
    value: object
    source_id: int | None
    region_code: str | None
    effective_from: dt.date | None

    def as_record(self) -> dict:
        """What a decision stores to explain itself later."""
        return {
            "key": self.key,
            "value": self.value,
            "parameter_id": self.source_id,
            "region": self.region_code,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
        }


def parameter_value(region_code: str, key: str, on: dt.date | None = None) -> ParameterValue:
    """The value of `key` in force at `region_code` on day `on` (today by default)."""
    from sibao.core.clock import today
    from sibao.regions.models import Parameter, ancestor_codes

    declared = KEYS[key]
    day = on or today()
    codes = ancestor_codes(region_code)
    candidates = Parameter.objects.filter(key=key, region_id__in=codes, effective_from__lte=day)
    best = max(candidates, key=lambda p: (-codes.index(p.region_id), p.effective_from, p.pk), default=None)
    if best is None:
        return ParameterValue(key, declared.default, None, None, None)
    return ParameterValue(key, best.value, best.pk, best.region_id, best.effective_from)


def parameter_values(region_codes, key: str, on: dt.date | None = None) -> dict[str, ParameterValue]:
    """`parameter_value` for many regions at once, with one query (a table of every county's target)."""
    from sibao.core.clock import today
    from sibao.regions.models import Parameter, ancestor_codes

    declared = KEYS[key]
    day = on or today()
    chains = {code: ancestor_codes(code) for code in region_codes}
    wanted = {c for chain in chains.values() for c in chain}
    stored = list(Parameter.objects.filter(key=key, region_id__in=wanted, effective_from__lte=day))
    found = {}
    for code, codes in chains.items():
        candidates = [p for p in stored if p.region_id in codes]
        best = max(candidates, key=lambda p: (-codes.index(p.region_id), p.effective_from, p.pk), default=None)
        if best is None:
            found[code] = ParameterValue(key, declared.default, None, None, None)
        else:
            found[code] = ParameterValue(key, best.value, best.pk, best.region_id, best.effective_from)
    return found
