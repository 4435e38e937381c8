"""The circuit breaker (熔断): every write of spot checks, breaker cases and joint decisions.

The graded response follows the jurisdiction's parameter `whitelist.breaker_steps` (warning → suspension →
removal by default). A failed spot check opens the next step; an outbreak that spread from the firm jumps to
the removal step. A warning only records and notifies. A suspension or removal step never changes the entry
by itself: it proposes a joint decision (会商), which both the dispatch office and the epidemic-prevention
HQ must approve; only then is the entry moved, through `entry_move`. There is no other route to suspend,
remove or stop a whitelisted firm.

Locks are always taken entry first, then the case or decision, so concurrent writers cannot deadlock.
Rectification deadlines are counted in calendar days (no working-day calendar exists yet).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from sibao.accounts.models import User
from sibao.accounts.roles import Action, Role, role_allows
from sibao.audit.services import event_record
from sibao.core.clock import now, today
from sibao.core.errors import ErrorCode, ServiceError
from sibao.regions.parameters import parameter_value
from sibao.regions.scoping import may_act_at
from sibao.whitelist.models import (
    BreakerCase,
    BreakerLevel,
    BreakerStatus,
    DecisionSide,
    Entry,
    EntryStatus,
    JointAction,
    JointDecision,
    JointDecisionStatus,
    SpotCheck,
)
from sibao.whitelist.services import entry_move, notify_about
from sibao.whitelist.transitions import MoveNotAllowed, entry_target

STEPS_KEY = "whitelist.breaker_steps"
# Entries a breaker case can act on: on the list, or suspended from it.
LISTED = (EntryStatus.ACTIVE, EntryStatus.SUSPENDED)
# The joint decision a step proposes; a warning proposes none.
LEVEL_ACTION = {BreakerLevel.SUSPENSION: JointAction.SUSPEND, BreakerLevel.REMOVAL: JointAction.REMOVE}
SIDE_ACTION = {DecisionSide.DISPATCH: Action.DECIDE_FOR_DISPATCH, DecisionSide.PREVENTION: Action.DECIDE_FOR_PREVENTION}
REASON_MAX = 300  # a removal reason is shown publicly in Entry.removal_reason


@dataclass(frozen=True)
class SpotCheckOutcome:
    """What a spot check led to: the check, the case it opened (if any), the decision proposed (if any)."""

    spot_check: SpotCheck
    case: BreakerCase | None = None
    decision: JointDecision | None = None


# --- checks ---------------------------------------------------------------------------------------------


def _forbidden(message: str) -> ServiceError:
    return ServiceError(ErrorCode.FORBIDDEN, message)


def _conflict(message: str) -> ServiceError:
    return ServiceError(ErrorCode.CONFLICT, message)


def _invalid(field: str, message: str) -> ServiceError:
    return ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {field: [message]})


def _may(actor, action: str, enterprise) -> bool:
    return may_act_at(actor, action, enterprise.region_id, enterprise.sector)


def _require_spot_check(actor, enterprise) -> None:
    if not _may(actor, Action.SPOT_CHECK, enterprise):
        raise _forbidden(_("You may not record spot checks or breaker actions for this enterprise."))


def _require_propose(actor, enterprise) -> None:
    if not (_may(actor, Action.SPOT_CHECK, enterprise) or _may(actor, Action.REVIEW, enterprise)):
        raise _forbidden(_("You may not propose suspending, removing or stopping this enterprise."))


def _require_side(actor, side: str, enterprise) -> str:
    try:
        side = DecisionSide(side)
    except ValueError:
        raise _invalid("side", _("Choose the dispatch office or the epidemic-prevention HQ.")) from None
    if not _may(actor, SIDE_ACTION[side], enterprise):
        raise _forbidden(_("You may not decide for %(side)s on this enterprise.") % {"side": side.label})
    return side


def _lock_entry(entry_id: int) -> Entry:
    return Entry.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=entry_id)


def _version_matches(obj, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise _conflict(
            _("Someone else changed this decision meanwhile (version %(now)d, you had %(had)d). Reload it.")
            % {"now": obj.version, "had": expected_version}
        )


def _move_for(entry: Entry, action: str) -> str:
    """The entry move a joint action performs now, or CONFLICT if the entry is not in a state for it."""
    if action == JointAction.STOP_PRODUCTION:
        move = "stop_production" if not entry.production_stopped else ""
    elif action == JointAction.REINSTATE:
        if entry.status == EntryStatus.SUSPENDED:
            move = "reinstate"
        else:
            move = "resume_production" if entry.production_stopped else ""
    else:
        move = str(action)
    try:
        if not move:
            raise MoveNotAllowed
        entry_target(entry.status, move)
    except MoveNotAllowed:
        raise _conflict(
            _("This cannot be done to the enterprise in its current whitelist state (%(status)s).")
            % {"status": entry.get_status_display()}
        ) from None
    return move


# --- people to tell -----------------------------------------------------------------------------------------


def _liaisons(enterprise) -> list:
    return list(User.objects.filter(enterprise=enterprise, is_active=True))


def _approvers(enterprise) -> list:
    """Everyone who may decide for either side over the enterprise's region (and sector)."""
    roles = [
        role
        for role in Role
        if role_allows(role, Action.DECIDE_FOR_DISPATCH) or role_allows(role, Action.DECIDE_FOR_PREVENTION)
    ]
    code = enterprise.region_id
    prefixes = [code[:n] for n in range(1, len(code) + 1)]
    return list(
        User.objects.filter(
            Q(grants__sector="") | Q(grants__sector=enterprise.sector),
            is_active=True,
            grants__role__in=roles,
            grants__region_prefix__in=prefixes,
        ).distinct()
    )


# --- steps ----------------------------------------------------------------------------------------------------


def _steps(region_code: str, on: dt.date):
    """The steps in force and their parameter record; a step's number is its 1-based position."""
    value = parameter_value(region_code, STEPS_KEY, on)
    steps = [s for s in (value.value or []) if isinstance(s, dict) and s.get("level") in BreakerLevel.values]
    if not steps:
        raise _conflict(_("No circuit-breaker steps are configured for this jurisdiction."))
    return steps, value.as_record()


def _removal_step(steps: list[dict]) -> int:
    for number, step in enumerate(steps, start=1):
        if step["level"] == BreakerLevel.REMOVAL:
            return number
    return len(steps)


def _supersede_pending(*, entry: Entry, actor, case: BreakerCase | None = None, keep: JointDecision | None = None):
    """Mark pending decisions moot: those of `case`, or all of the entry's when no case is given."""
    pending = JointDecision.objects.select_for_update().filter(entry=entry, status=JointDecisionStatus.PROPOSED)
    if case is not None:
        pending = pending.filter(breaker_case=case)
    if keep is not None:
        pending = pending.exclude(pk=keep.pk)
    for decision in pending:
        decision.status = JointDecisionStatus.SUPERSEDED
        decision.version += 1
        decision.save(update_fields=["status", "version"])
        event_record(
            actor=actor,
            action="whitelist.joint_supersede",
            obj=decision,
            changes={"status": [JointDecisionStatus.PROPOSED, JointDecisionStatus.SUPERSEDED]},
        )


def _close_case(case: BreakerCase, *, status: str, actor, note: str = "") -> None:
    before = case.status
    case.status = status
    case.closed_at = now()
    case.closed_by = actor if getattr(actor, "pk", None) else None
    if note:
        case.note = note
    case.save(update_fields=["status", "closed_at", "closed_by", "note"])
    changes = {"status": [before, status]}
    if note:
        changes["note"] = [None, note]
    event_record(actor=actor, action=f"whitelist.breaker_{status}", obj=case, changes=changes)


def _open_case(
    *,
    actor,
    entry: Entry,
    step: int,
    steps: list[dict],
    policy: dict,
    on: dt.date,
    spot_check: SpotCheck | None,
    escalated_from: BreakerCase | None,
    reason: str,
) -> tuple[BreakerCase, JointDecision | None]:
    """Open the case at `step` (the entry locked, no other case open) and propose its joint decision.

    The rectification deadline counts from `on` (the check's date, or the day of escalation); a step
    with no days to rectify (removal) has no deadline and never escalates.
    """
    level = steps[step - 1]["level"]
    days = int(steps[step - 1].get("rectify_days") or 0)
    case = BreakerCase.objects.create(
        entry=entry,
        spot_check=spot_check,
        step=step,
        level=level,
        rectify_by=on + dt.timedelta(days=days) if days > 0 else None,
        policy=policy,
        escalated_from=escalated_from,
    )
    event_record(
        actor=actor,
        action="whitelist.breaker_open",
        obj=case,
        changes={
            "level": [None, level],
            "step": [None, step],
            "rectify_by": [None, str(case.rectify_by) if case.rectify_by else None],
            **({"escalated_from": [None, escalated_from.pk]} if escalated_from else {}),
        },
    )
    enterprise = entry.enterprise
    if case.rectify_by:
        body = _("%(level)s for %(enterprise)s: rectify by %(date)s. %(reason)s")
    else:
        body = _("%(level)s for %(enterprise)s. %(reason)s")
    notify_about(
        _liaisons(enterprise),
        _("Circuit breaker: %(level)s") % {"level": case.get_level_display()},
        body
        % {"level": case.get_level_display(), "enterprise": enterprise.name, "date": case.rectify_by, "reason": reason},
        case,
        enterprise,
    )
    action = LEVEL_ACTION.get(level)
    if action is None:
        return case, None  # a warning records and notifies only
    if JointDecision.objects.filter(entry=entry, action=action, status=JointDecisionStatus.PROPOSED).exists():
        return case, None  # the same action already awaits a joint decision
    try:
        _move_for(entry, action)
    except ServiceError:
        return case, None  # e.g. a suspension step for an entry already suspended
    decision = _propose(
        actor=actor, entry=entry, action=action, reason=reason, effective_date=max(on, today()), breaker_case=case
    )
    return case, decision


# --- spot checks and cases ---------------------------------------------------------------------------------------


@transaction.atomic
def spot_check_record(
    *, actor, enterprise, checked_on: dt.date, passed: bool, findings: str, outbreak_spread: bool = False
) -> SpotCheckOutcome:
    """Record a spot check; a failure or an outbreak opens the next breaker step for a listed firm."""
    _require_spot_check(actor, enterprise)
    findings = (findings or "").strip()
    if not findings:
        raise _invalid("findings", _("Describe what the check found."))
    if checked_on > today():
        raise _invalid("checked_on", _("A spot check cannot be dated in the future."))
    if passed and outbreak_spread:
        raise _invalid("passed", _("A firm an outbreak spread from cannot pass the check."))
    entry = Entry.objects.filter(enterprise=enterprise).first()
    if entry is not None:
        entry = _lock_entry(entry.pk)
    check = SpotCheck.objects.create(
        enterprise=enterprise,
        checked_on=checked_on,
        passed=passed,
        outbreak_spread=outbreak_spread,
        findings=findings,
        checked_by=actor,
        organization=getattr(actor, "organization", None),
    )
    event_record(
        actor=actor,
        action="whitelist.spot_check",
        obj=check,
        changes={"passed": [None, passed], "outbreak_spread": [None, outbreak_spread], "findings": [None, findings]},
    )
    if (passed and not outbreak_spread) or entry is None or entry.status not in LISTED:
        return SpotCheckOutcome(check)

    steps, policy = _steps(enterprise.region_id, checked_on)
    current = BreakerCase.objects.select_for_update().filter(entry=entry, status=BreakerStatus.OPEN).first()
    base = current.step if current else 0
    target = _removal_step(steps) if outbreak_spread else min(base + 1, len(steps))
    if current is not None and current.step >= target:
        return SpotCheckOutcome(check, current)  # already at this step or beyond: the open case stands
    if current is not None:
        _supersede_pending(entry=entry, actor=actor, case=current)
        _close_case(current, status=BreakerStatus.ESCALATED, actor=actor)
    if outbreak_spread:
        reason = _("Prevention measures not in place; an outbreak spread from the firm (spot check of %(date)s).")
    else:
        reason = _("Spot check of %(date)s failed: %(findings)s")
    reason = Truncator(reason % {"date": checked_on, "findings": findings}).chars(REASON_MAX)
    case, decision = _open_case(
        actor=actor,
        entry=entry,
        step=target,
        steps=steps,
        policy=policy,
        on=checked_on,
        spot_check=check,
        escalated_from=current,
        reason=reason,
    )
    return SpotCheckOutcome(check, case, decision)


@transaction.atomic
def breaker_rectified(*, actor, case: BreakerCase, note: str) -> BreakerCase:
    """Close an open case as rectified; a suspended firm with no other open case gets a reinstatement proposal."""
    entry = _lock_entry(case.entry_id)
    _require_spot_check(actor, entry.enterprise)
    note = (note or "").strip()
    if not note:
        raise _invalid("note", _("Say what was rectified."))
    locked = BreakerCase.objects.select_for_update().get(pk=case.pk)
    if locked.status != BreakerStatus.OPEN:
        raise _conflict(_("This breaker case is already closed."))
    _supersede_pending(entry=entry, actor=actor, case=locked)
    _close_case(locked, status=BreakerStatus.RECTIFIED, actor=actor, note=note)
    enterprise = entry.enterprise
    notify_about(
        _liaisons(enterprise),
        _("Circuit breaker: rectification accepted"),
        _("The %(level)s for %(enterprise)s is closed as rectified: %(note)s")
        % {"level": locked.get_level_display(), "enterprise": enterprise.name, "note": note},
        locked,
        enterprise,
    )
    reinstating = JointDecision.objects.filter(
        entry=entry, action=JointAction.REINSTATE, status=JointDecisionStatus.PROPOSED
    ).exists()
    if entry.status == EntryStatus.SUSPENDED and locked.level != BreakerLevel.WARNING and not reinstating:
        _propose(
            actor=actor,
            entry=entry,
            action=JointAction.REINSTATE,
            reason=Truncator(_("Rectified: %(note)s") % {"note": note}).chars(REASON_MAX),
            effective_date=today(),
            breaker_case=locked,
        )
    return locked


def breakers_escalate(on: dt.date | None = None) -> list[BreakerCase]:
    """Escalate every open case past its deadline to the next step; returns the cases opened. Idempotent."""
    on = on or today()
    due = list(BreakerCase.objects.filter(status=BreakerStatus.OPEN, rectify_by__lt=on).values_list("pk", "entry_id"))
    opened = []
    for case_id, entry_id in due:
        with transaction.atomic():
            entry = _lock_entry(entry_id)
            case = BreakerCase.objects.select_for_update().get(pk=case_id)
            if case.status != BreakerStatus.OPEN or case.rectify_by is None or case.rectify_by >= on:
                continue  # someone closed or escalated it meanwhile
            if entry.status not in LISTED:
                continue
            steps, policy = _steps(entry.enterprise.region_id, on)
            if case.step >= len(steps):
                continue  # the last step has nowhere to go
            _supersede_pending(entry=entry, actor=None, case=case)
            _close_case(case, status=BreakerStatus.ESCALATED, actor=None)
            reason = _("Not rectified by %(date)s (circuit breaker step %(step)d, %(level)s).") % {
                "date": case.rectify_by,
                "step": case.step,
                "level": case.get_level_display(),
            }
            new, _decision = _open_case(
                actor=None,
                entry=entry,
                step=case.step + 1,
                steps=steps,
                policy=policy,
                on=on,
                spot_check=case.spot_check,
                escalated_from=case,
                reason=reason,
            )
            opened.append(new)
    return opened


# --- joint decisions -------------------------------------------------------------------------------------------


def _propose(
    *, actor, entry: Entry, action: str, reason: str, effective_date: dt.date, breaker_case: BreakerCase | None
) -> JointDecision:
    """Create a proposal (entry locked, rights checked); tell the approvers and the firm."""
    try:
        with transaction.atomic():
            decision = JointDecision.objects.create(
                entry=entry,
                action=action,
                reason=reason,
                effective_date=effective_date,
                breaker_case=breaker_case,
                proposed_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise _conflict(_("The same action is already awaiting a joint decision for this enterprise.")) from None
    event_record(
        actor=actor,
        action="whitelist.joint_propose",
        obj=decision,
        changes={
            "action": [None, action],
            "reason": [None, reason],
            "effective_date": [None, str(effective_date)],
            **({"breaker_case": [None, breaker_case.pk]} if breaker_case else {}),
        },
    )
    enterprise = entry.enterprise
    values = {"action": decision.get_action_display(), "enterprise": enterprise.name, "reason": reason}
    notify_about(
        _approvers(enterprise),
        _("Joint decision needed: %(action)s") % values,
        _("%(action)s: %(enterprise)s. Reason: %(reason)s") % values,
        decision,
        enterprise,
    )
    notify_about(
        _liaisons(enterprise),
        _("Proposed: %(action)s") % values,
        _("%(action)s has been proposed for %(enterprise)s and awaits a joint decision. Reason: %(reason)s") % values,
        decision,
        enterprise,
    )
    return decision


@transaction.atomic
def joint_decision_propose(
    *,
    actor,
    entry: Entry,
    action: str,
    reason: str,
    effective_date: dt.date,
    breaker_case: BreakerCase | None = None,
) -> JointDecision:
    """Propose suspending, removing, stopping or reinstating a whitelisted firm (a department's 动态调整)."""
    locked = _lock_entry(entry.pk)
    _require_propose(actor, locked.enterprise)
    if action not in JointAction.values:
        raise _invalid("action", _("Choose suspend, remove, stop production or reinstate."))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Give the reason for this proposal."))
    if action == JointAction.REMOVE and len(reason) > REASON_MAX:
        raise _invalid(
            "reason", _("A removal reason is published; keep it to %(max)d characters.") % {"max": REASON_MAX}
        )
    if not isinstance(effective_date, dt.date):
        raise _invalid("effective_date", _("Give the date the action takes effect."))
    if breaker_case is not None and breaker_case.entry_id != locked.pk:
        raise _invalid("breaker_case", _("This breaker case belongs to another enterprise."))
    _move_for(locked, action)
    return _propose(
        actor=actor,
        entry=locked,
        action=action,
        reason=reason,
        effective_date=effective_date,
        breaker_case=breaker_case,
    )


def _side_fields(side: str) -> tuple[str, str, str]:
    """(this side's approver field, its time field, the other side's approver field)."""
    if side == DecisionSide.DISPATCH:
        return "dispatch_approved_by", "dispatch_approved_at", "prevention_approved_by"
    return "prevention_approved_by", "prevention_approved_at", "dispatch_approved_by"


def _carry_out(*, actor, decision: JointDecision, entry: Entry) -> Entry:
    """Perform a jointly approved action on the locked entry: history and audit through `entry_move`."""
    move = _move_for(entry, decision.action)
    fields = {}
    if move == "remove":
        fields["removal_reason"] = Truncator(decision.reason).chars(REASON_MAX)
    elif move == "stop_production":
        fields.update(production_stopped=True, production_stopped_on=decision.effective_date)
    elif move == "resume_production":
        fields.update(production_stopped=False, production_stopped_on=None)
    entry = entry_move(
        actor=actor,
        entry=entry,
        enterprise=entry.enterprise,
        action=move,
        reason=decision.reason,
        effective_date=decision.effective_date,
        **fields,
    )
    if move == "remove":
        for case in BreakerCase.objects.select_for_update().filter(entry=entry, status=BreakerStatus.OPEN):
            _close_case(case, status=BreakerStatus.ENFORCED, actor=actor)
        _supersede_pending(entry=entry, actor=actor, keep=decision)
    return entry


def _tell_outcome(decision: JointDecision, entry: Entry, subject: str, body: str) -> None:
    recipients = _liaisons(entry.enterprise)
    if decision.proposed_by_id:
        recipients.append(decision.proposed_by)
    notify_about(recipients, subject, body, decision, entry.enterprise)


@transaction.atomic
def joint_decision_approve(
    *, actor, decision: JointDecision, side: str, expected_version: int | None = None
) -> JointDecision:
    """Approve one side; when both sides have approved, carry the action out in the same transaction."""
    entry = _lock_entry(decision.entry_id)
    side = _require_side(actor, side, entry.enterprise)
    locked = JointDecision.objects.select_for_update().get(pk=decision.pk)
    _version_matches(locked, expected_version)
    if locked.status != JointDecisionStatus.PROPOSED:
        raise _conflict(_("This proposal has already been decided."))
    by_field, at_field, other_field = _side_fields(side)
    if getattr(locked, f"{by_field}_id") is not None:
        raise _conflict(_("%(side)s has already approved this proposal.") % {"side": side.label})
    if getattr(locked, f"{other_field}_id") == actor.pk:
        raise _forbidden(_("The same person cannot approve for both sides of a joint decision."))
    setattr(locked, by_field, actor)
    setattr(locked, at_field, now())
    locked.version += 1
    both = locked.dispatch_approved_by_id is not None and locked.prevention_approved_by_id is not None
    if both:
        locked.status = JointDecisionStatus.APPROVED
    locked.save()
    event_record(
        actor=actor,
        action="whitelist.joint_approve",
        obj=locked,
        changes={
            by_field: [None, actor.pk],
            **({"status": [JointDecisionStatus.PROPOSED, JointDecisionStatus.APPROVED]} if both else {}),
        },
    )
    if both:
        entry = _carry_out(actor=actor, decision=locked, entry=entry)
        values = {
            "action": locked.get_action_display(),
            "enterprise": entry.enterprise.name,
            "date": locked.effective_date,
            "reason": locked.reason,
        }
        _tell_outcome(
            locked,
            entry,
            _("Decided jointly: %(action)s") % values,
            _("%(action)s for %(enterprise)s, effective %(date)s. Reason: %(reason)s") % values,
        )
    return locked


@transaction.atomic
def joint_decision_reject(
    *, actor, decision: JointDecision, side: str, reason: str, expected_version: int | None = None
) -> JointDecision:
    """One side refuses the proposal: it ends without any change to the entry."""
    entry = _lock_entry(decision.entry_id)
    side = _require_side(actor, side, entry.enterprise)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Give the reason for rejecting this proposal."))
    locked = JointDecision.objects.select_for_update().get(pk=decision.pk)
    _version_matches(locked, expected_version)
    if locked.status != JointDecisionStatus.PROPOSED:
        raise _conflict(_("This proposal has already been decided."))
    _by_field, _at_field, other_field = _side_fields(side)
    if getattr(locked, f"{other_field}_id") == actor.pk:
        raise _forbidden(_("The same person cannot decide for both sides of a joint decision."))
    locked.status = JointDecisionStatus.REJECTED
    locked.rejected_by = actor
    locked.rejected_at = now()
    locked.rejection_reason = reason
    locked.version += 1
    locked.save()
    event_record(
        actor=actor,
        action="whitelist.joint_reject",
        obj=locked,
        changes={
            "status": [JointDecisionStatus.PROPOSED, JointDecisionStatus.REJECTED],
            "rejection_reason": [None, reason],
            "side": [None, str(side)],
        },
    )
    values = {"action": locked.get_action_display(), "enterprise": entry.enterprise.name, "reason": reason}
    _tell_outcome(
        locked,
        entry,
        _("Not decided: %(action)s") % values,
        _("The proposal (%(action)s for %(enterprise)s) was rejected: %(reason)s") % values,
    )
    return locked
