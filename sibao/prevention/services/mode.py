"""The one-click mode switch (平急转换): a region subtree between normal and emergency mode.

The epidemic-prevention HQ or the dispatch office (`Action.SWITCH_MODE` at the region) first sees a preview —
the whitelisted firms affected, their active staff, the tests a day their cycles need, and the firms not ready
for closed loop with their gaps — then applies the switch in one transaction: every region of the subtree takes
the mode, the switch is kept with its figures (`ModeSwitch`), audited, and the whitelisted firms' liaisons, the
local units and the prevention officials concerned are notified. Which firms produce in closed loop follows
from the regions' modes (closed_loop.py); nothing is written onto the firms.

The preview is a handful of aggregate queries whatever the size of the subtree (a city: about ten).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from sibao.accounts.models import User
from sibao.accounts.roles import Action, Role
from sibao.accounts.selectors import region_prefixes
from sibao.audit.services import event_record
from sibao.core.clock import now, today
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.notifications import notify
from sibao.prevention import selectors
from sibao.prevention.closed_loop import whitelisted_in
from sibao.prevention.cycles import cycles_by_region
from sibao.prevention.models import ModeSwitch, PostType, StaffMember
from sibao.prevention.rules import Gap
from sibao.regions.models import Mode, Region
from sibao.regions.scoping import may_act_at

# Who hears of a switch besides the firms' liaisons: local units and prevention officials above or inside it.
TOLD_ROLES = (Role.LOCAL_OFFICIAL, Role.PREVENTION_OFFICIAL)


@dataclass(frozen=True)
class AreaFigures:
    """The figures of one part of the switched subtree (a child region, or the region itself)."""

    code: str
    name: str
    firms: int = 0
    general: int = 0
    mobile: int = 0
    tests_per_day: int = 0

    @property
    def staff(self) -> int:
        return self.general + self.mobile


@dataclass(frozen=True)
class NotReady:
    """A whitelisted firm of the subtree not ready for closed-loop production, and what it lacks."""

    enterprise_id: int
    name: str
    region_id: str
    gaps: list[Gap]


@dataclass
class ModePreview:
    """What switching `region`'s subtree to `to_mode` would affect."""

    region: Region
    to_mode: str
    regions: int  # regions in the subtree, the region itself included
    changing: int  # of which not in `to_mode` yet
    firms: int
    general: int
    mobile: int
    tests_per_day: int
    not_ready: list[NotReady] = field(default_factory=list)
    areas: list[AreaFigures] = field(default_factory=list)

    @property
    def staff(self) -> int:
        return self.general + self.mobile

    @property
    def changes_anything(self) -> bool:
        return self.changing > 0

    def figures(self) -> dict:
        """The figures a `ModeSwitch` keeps."""
        return {
            "regions": self.changing,
            "firms": self.firms,
            "staff": self.staff,
            "tests_per_day": self.tests_per_day,
            "not_ready": len(self.not_ready),
        }


# --- checks ----------------------------------------------------------------------------------------------


def _require_switch_right(actor, region: Region) -> None:
    if not may_act_at(actor, Action.SWITCH_MODE, region.code):
        raise ServiceError(
            ErrorCode.FORBIDDEN,
            _("Only the epidemic-prevention HQ and the dispatch office of %(region)s may switch its mode.")
            % {"region": region.name},
        )


def _require_mode(to_mode: str) -> str:
    if to_mode not in Mode.values:
        raise ServiceError(
            ErrorCode.INVALID,
            _("Some values are not valid."),
            fields={"to_mode": [_("Choose normal or emergency mode.")]},
        )
    return to_mode


# --- the preview --------------------------------------------------------------------------------------------


def _active_staff() -> Q:
    return Q(left_on__isnull=True) | Q(left_on__gt=today())


def _staff_by_region(firms_query, region_of: dict[int, str]) -> dict[str, dict[str, int]]:
    """{region code: {post type: active staff}} of the firms' rosters: one aggregate query.

    Grouped by firm (the roster's own index) and summed per region here: no join to the firm per member.
    """
    rows = (
        StaffMember.objects.filter(_active_staff(), enterprise__in=firms_query.values("pk"))
        .order_by()
        .values_list("enterprise_id", "post_type")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for enterprise_id, post_type, n in rows:
        if enterprise_id in region_of:  # a firm admitted since the firms were read counts next time
            counts[region_of[enterprise_id]][post_type] += n
    return counts


def _area_of(code: str, children: list[Region], region: Region) -> Region:
    """The child region whose subtree holds `code`, or the region itself (a firm registered at it)."""
    return next((child for child in children if code.startswith(child.prefix)), region)


def _areas(region: Region, firm_regions: Counter, staff: dict, cycles: dict) -> list[AreaFigures]:
    """The figures per child region (tests a day at each firm's own region's cycles)."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for code, firms in firm_regions.items():
        general, mobile = staff[code][PostType.GENERAL], staff[code][PostType.MOBILE]
        figures = totals[_area_of(code, children, region).code]
        figures[0] += firms
        figures[1] += general
        figures[2] += mobile
        figures[3] += cycles[code].tests_per_day(general, mobile)
    names = {child.code: child.name for child in children} | {region.code: region.name}
    return [AreaFigures(code, names[code], *totals[code]) for code in sorted(totals)]


def _not_ready(firms: list[tuple[int, str, str]]) -> list[NotReady]:
    gaps = selectors.readiness_by_enterprise([pk for pk, _name, _code in firms])
    return [NotReady(pk, name, code, gaps[pk]) for pk, name, code in firms if gaps.get(pk)]


def _preview(region: Region, to_mode: str) -> ModePreview:
    regions = Region.objects.filter(code__startswith=region.prefix).aggregate(
        total=Count("pk"), changing=Count("pk", filter=~Q(mode=to_mode))
    )
    firms_query = whitelisted_in(region.prefix)
    firms = list(firms_query.order_by("region_id", "name", "pk").values_list("pk", "name", "region_id"))
    firm_regions = Counter(code for _pk, _name, code in firms)
    staff = _staff_by_region(firms_query, {pk: code for pk, _name, code in firms})
    areas = _areas(region, firm_regions, staff, cycles_by_region(firm_regions))
    return ModePreview(
        region=region,
        to_mode=to_mode,
        regions=regions["total"],
        changing=regions["changing"],
        firms=len(firms),
        general=sum(a.general for a in areas),
        mobile=sum(a.mobile for a in areas),
        tests_per_day=sum(a.tests_per_day for a in areas),
        not_ready=_not_ready(firms),
        areas=areas,
    )


def mode_switch_preview(*, actor, region: Region, to_mode: str) -> ModePreview:
    """What switching the region's subtree to `to_mode` would affect; only for those who may switch it."""
    _require_switch_right(actor, region)
    return _preview(region, _require_mode(to_mode))


# --- the switch ------------------------------------------------------------------------------------------------


def _told_officials(region: Region) -> list:
    """Active local units and prevention officials whose grant covers the region or lies inside it."""
    covering = Q(grants__region_prefix__in=region_prefixes(region.code))
    inside = Q(grants__region_prefix__startswith=region.prefix)
    return list(
        User.objects.filter(covering | inside, grants__role__in=TOLD_ROLES, is_active=True).distinct().order_by("id")
    )


def _announce(switch: ModeSwitch, preview: ModePreview, reason: str) -> None:
    region = preview.region
    if switch.to_mode == Mode.EMERGENCY:
        subject = _("Emergency mode in %(region)s: whitelisted firms produce in closed loop") % {"region": region.name}
    else:
        subject = _("Normal mode restored in %(region)s: closed-loop production ends") % {"region": region.name}
    body = _("Reason: %(reason)s") % {"reason": reason}
    liaisons = User.objects.filter(enterprise__in=whitelisted_in(region.prefix).values("pk"), is_active=True)
    notify(recipients=liaisons, subject=subject, body=body, link=reverse("prevention:mode"), obj=switch)
    figures = _(
        "%(firms)d whitelisted firms, %(staff)d staff, %(tests)d tests a day, %(not_ready)d firms not ready."
    ) % {
        "firms": preview.firms,
        "staff": preview.staff,
        "tests": preview.tests_per_day,
        "not_ready": len(preview.not_ready),
    }
    notify(
        recipients=_told_officials(region),
        subject=subject,
        body=f"{body}\n{figures}",
        link=reverse("prevention:mode_history"),
        obj=switch,
    )


def mode_switch_apply(*, actor, region: Region, to_mode: str, reason: str) -> ModeSwitch:
    """Switch every region of the subtree to `to_mode`, keep the switch with its figures, tell those concerned.

    Refused (nothing changes): without `Action.SWITCH_MODE` at the region (FORBIDDEN), without a reason or
    with an unknown mode (INVALID), when the whole subtree is in that mode already (CONFLICT).
    """
    _require_switch_right(actor, region)
    _require_mode(to_mode)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            ErrorCode.INVALID, _("Give the reason for the switch."), fields={"reason": [_("This field is required.")]}
        )
    with transaction.atomic():
        locked = Region.objects.select_for_update().get(code=region.code)
        preview = _preview(locked, to_mode)
        if not preview.changes_anything:
            raise ServiceError(
                ErrorCode.CONFLICT,
                _("%(region)s is in %(mode)s mode already.") % {"region": locked.name, "mode": Mode(to_mode).label},
            )
        at = now()
        before = locked.mode
        Region.objects.filter(code__startswith=locked.prefix).update(mode=to_mode, mode_changed_at=at)
        switch = ModeSwitch.objects.create(
            region=locked, to_mode=to_mode, actor=actor, at=at, reason=reason, **preview.figures()
        )
        event_record(
            actor=actor,
            action="prevention.mode_switch",
            obj=switch,
            changes={"mode": [before, to_mode], "reason": [None, reason]}
            | {name: [None, value] for name, value in preview.figures().items()},
        )
        _announce(switch, preview, reason)
    region.mode, region.mode_changed_at = to_mode, at
    return switch
