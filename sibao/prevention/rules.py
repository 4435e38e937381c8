"""Prevention rules with no database: test cycles, compliance windows, credential status, readiness gaps.

Everything here takes the jurisdiction's parameters as arguments (`Cycles`), so the same rule reads
the same way in a service, a page, the benchmark and a test.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from sibao.prevention.models import PostType, TestOutcome, Verification


@dataclass(frozen=True)
class Cycles:
    """A jurisdiction's test cycle per post type (hours) and newcomers' static period (days)."""

    general_hours: int = 48
    mobile_hours: int = 24
    static_days: int = 3

    @classmethod
    def from_parameters(cls, cycle_hours: dict, static_days: int) -> "Cycles":
        return cls(int(cycle_hours["general"]), int(cycle_hours["mobile"]), int(static_days))

    def hours(self, post_type: str) -> int:
        return self.mobile_hours if post_type == PostType.MOBILE else self.general_hours

    def tested_since(self, post_type: str, at: dt.datetime) -> dt.datetime:
        """The earliest sampling time still within the cycle at `at`."""
        return at - dt.timedelta(hours=self.hours(post_type))

    def newcomer_since(self, day: dt.date) -> dt.date:
        """Staff who started after this day are still in their static period on `day`."""
        return day - dt.timedelta(days=self.static_days)

    def tests_per_day(self, general: int, mobile: int) -> int:
        """Tests a day needed to keep `general` and `mobile` staff within their cycles."""
        return math.ceil(general * 24 / self.general_hours + mobile * 24 / self.mobile_hours)


class Standing:
    """Where one member of staff stands on test compliance."""

    NEWCOMER = "newcomer"
    WITHIN = "within"
    OVERDUE = "overdue"
    POSITIVE = "positive"


STANDING_LABELS = {
    Standing.NEWCOMER: _("In static period"),
    Standing.WITHIN: _("Tested within cycle"),
    Standing.OVERDUE: _("Overdue"),
    Standing.POSITIVE: _("Latest result positive"),
}


def staff_standing(
    *, post_type: str, start_date: dt.date, last_sampled_at, last_result: str, cycles: Cycles, at: dt.datetime
) -> str:
    """Newcomer, within cycle, overdue or positive, at time `at` (local day of `at` for the static period).

    A positive latest result counts as not within cycle; a newcomer is counted apart whatever their tests.
    """
    if start_date > cycles.newcomer_since(at.date()):
        return Standing.NEWCOMER
    if last_result == TestOutcome.POSITIVE:
        return Standing.POSITIVE
    if last_sampled_at is not None and last_sampled_at >= cycles.tested_since(post_type, at):
        return Standing.WITHIN
    return Standing.OVERDUE


def static_period_overdue(*, start_date: dt.date, last_sampled_at, last_result: str, cycles: Cycles, on: dt.date):
    """Whether a newcomer's static period is over without a negative test since they started."""
    if start_date > cycles.newcomer_since(on):
        return False
    started = dt.datetime.combine(start_date, dt.time.min, tzinfo=last_sampled_at.tzinfo) if last_sampled_at else None
    return not (started and last_sampled_at >= started and last_result == TestOutcome.NEGATIVE)


class Colour:
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def credential_colour(
    *, code_outcome: str, code_checked_at, itinerary_risk, standing: str, at: dt.datetime, valid_hours: int
) -> tuple[str, list[str]]:
    """The overall colour of someone's health credentials (两码一证), and the reasons for it.

    Red: a red code or a positive latest test. Yellow: a yellow code, a visit to a risk area, a test out
    of cycle, or a code check that is missing, expired or failed. Green otherwise.
    """
    reasons = []
    red = code_outcome == Verification.RED or standing == Standing.POSITIVE
    if code_outcome == Verification.RED:
        reasons.append(str(_("red health code")))
    if standing == Standing.POSITIVE:
        reasons.append(str(_("latest test positive")))
    outcome = code_outcome
    if code_checked_at is not None and code_checked_at < at - dt.timedelta(hours=valid_hours):
        outcome = Verification.EXPIRED
    if outcome == Verification.YELLOW:
        reasons.append(str(_("yellow health code")))
    elif outcome in ("", Verification.EXPIRED, Verification.NOT_FOUND, Verification.FAILED):
        reasons.append(str(_("no valid health-code check")))
    if itinerary_risk:
        reasons.append(str(_("visited a risk area")))
    if standing == Standing.OVERDUE:
        reasons.append(str(_("test out of cycle")))
    if red:
        return Colour.RED, reasons
    return (Colour.YELLOW if reasons else Colour.GREEN), reasons


@dataclass(frozen=True)
class Gap:
    code: str
    message: str


def readiness_gaps(
    *,
    plan,
    staff: int,
    unassigned: int,
    observation_ratio: float,
) -> list[Gap]:
    """What an enterprise still lacks for closed-loop production (an empty list: ready).

    `plan` is its ClosedLoopPlan or None; `staff` its active staff; `unassigned` those with no
    closed-loop unit; `observation_ratio` the observation places needed per member of staff.
    """
    needed_places = math.ceil(staff * observation_ratio)
    gaps = []
    if plan is None or not plan.plan_document:
        gaps.append(Gap("plan_document", str(_("No emergency plan (一企一策) uploaded"))))
    if staff == 0:
        gaps.append(Gap("staff", str(_("No staff on the roster"))))
    elif unassigned:
        gaps.append(
            Gap(
                "units", str(_("%(n)d of %(staff)d staff have no closed-loop unit") % {"n": unassigned, "staff": staff})
            )
        )
    if plan is None or not plan.lodging:
        gaps.append(Gap("lodging", str(_("No lodging named"))))
    if plan is None or not plan.receiving_point:
        gaps.append(Gap("receiving_point", str(_("No fixed receiving point"))))
    have_places = (plan.observation_places or 0) if plan is not None else 0
    if have_places < needed_places:
        gaps.append(
            Gap(
                "observation",
                str(
                    _("%(have)d temporary observation places, %(need)d needed for %(staff)d staff")
                    % {"have": have_places, "need": needed_places, "staff": staff}
                ),
            )
        )
    if plan is None or not (plan.lead_name and plan.lead_phone):
        gaps.append(Gap("lead", str(_("No prevention lead with a phone number"))))
    return gaps
