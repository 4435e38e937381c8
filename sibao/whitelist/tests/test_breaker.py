"""The circuit breaker through its services: graded steps, joint decisions, who may do what, escalation."""

import ast
import datetime as dt
import io
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import close_old_connections, connection, transaction

from sibao.accounts.models import Grant
from sibao.accounts.roles import Role
from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.models import Notification
from sibao.regions.models import Parameter
from sibao.testing import GUANCHENG, Cast, make_user
from sibao.whitelist import breaker
from sibao.whitelist.models import (
    BreakerCase,
    BreakerLevel,
    BreakerStatus,
    Entry,
    EntryStatus,
    JointAction,
    JointDecision,
    JointDecisionStatus,
    SpotCheck,
    StatusChange,
)
from sibao.whitelist.services import entry_move

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 5, 4)
# Entry moves only a jointly approved decision may make.
BREAKER_MOVES = {"suspend", "remove", "stop_production", "reinstate", "resume_production"}


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(at(DAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(cast: Cast):
    # One person holding both offices' rights: may approve one side, never both.
    cast.both_gc = make_user("both_gc", role=Role.DISPATCHER, region=GUANCHENG)
    Grant.objects.create(user=cast.both_gc, role=Role.PREVENTION_OFFICIAL, region_id=GUANCHENG)
    return cast


def admit(actor, enterprise) -> Entry:
    with transaction.atomic():
        return entry_move(
            actor=actor,
            entry=None,
            enterprise=enterprise,
            action="admit",
            effective_date=DAY,
            valid_from=DAY,
            valid_to=DAY + dt.timedelta(days=365),
        )


@pytest.fixture
def entry(people, clock) -> Entry:
    return admit(people.dispatcher_gc, people.ent_a)


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def fail(cast, *, outbreak: bool = False, on: dt.date = DAY) -> breaker.SpotCheckOutcome:
    return breaker.spot_check_record(
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        checked_on=on,
        passed=False,
        findings="No temperature checks at the gate; staff roster out of date.",
        outbreak_spread=outbreak,
    )


def approve_both(cast, decision: JointDecision) -> JointDecision:
    breaker.joint_decision_approve(actor=cast.dispatcher_gc, decision=decision, side="dispatch")
    return breaker.joint_decision_approve(actor=cast.prevention_gc, decision=decision, side="prevention")


def state() -> dict:
    """Everything a refusal must leave as it was."""
    return {
        "checks": list(SpotCheck.objects.values_list("pk", flat=True)),
        "cases": list(BreakerCase.objects.order_by("pk").values_list("pk", "status", "closed_at", "note")),
        "decisions": list(
            JointDecision.objects.order_by("pk").values_list(
                "pk", "status", "version", "dispatch_approved_by", "prevention_approved_by", "rejected_by"
            )
        ),
        "entries": list(
            Entry.objects.order_by("pk").values_list("pk", "status", "version", "production_stopped", "removal_reason")
        ),
        "history": StatusChange.objects.count(),
        "events": Event.objects.count(),
        "notifications": Notification.objects.count(),
    }


def refused(call, code: ErrorCode, **kwargs) -> ServiceError:
    before = state()
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert state() == before
    return caught.value


def notified(user, obj) -> list[str]:
    return list(
        Notification.objects.filter(
            recipient=user, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).values_list("subject", flat=True)
    )


# --- spot checks and the graded path --------------------------------------------------------------------


def test_a_passed_check_is_recorded_and_opens_nothing(people, entry):
    outcome = breaker.spot_check_record(
        actor=people.prevention_gc, enterprise=people.ent_a, checked_on=DAY, passed=True, findings="All in place."
    )
    assert outcome.case is None and outcome.decision is None
    assert outcome.spot_check.checked_by == people.prevention_gc
    assert not BreakerCase.objects.exists()
    assert Event.objects.for_object(outcome.spot_check).get().action == "whitelist.spot_check"


def test_a_failed_check_of_an_unlisted_firm_opens_no_case(people, clock):
    outcome = fail(people)
    assert outcome.case is None
    assert SpotCheck.objects.count() == 1


def test_graded_path_warning_then_suspension_then_removal(people, entry):
    # 1. a failed check: a warning, which records and notifies only
    first = fail(people)
    warning = first.case
    assert (warning.step, warning.level, warning.status) == (1, BreakerLevel.WARNING, BreakerStatus.OPEN)
    assert warning.rectify_by == DAY + dt.timedelta(days=7)
    assert warning.policy["key"] == "whitelist.breaker_steps"
    assert warning.policy["value"][0] == {"level": "warning", "rectify_days": 7}
    assert first.decision is None
    assert fresh(entry).status == EntryStatus.ACTIVE and fresh(entry).version == entry.version
    assert notified(people.liaison_a, warning)
    assert Event.objects.for_object(warning).get().action == "whitelist.breaker_open"

    # 2. a second failure: the warning escalates, a suspension is proposed, the entry does not change yet
    second = fail(people, on=DAY)
    suspension, proposal = second.case, second.decision
    assert (suspension.step, suspension.level) == (2, BreakerLevel.SUSPENSION)
    assert suspension.escalated_from == warning
    assert fresh(warning).status == BreakerStatus.ESCALATED
    assert proposal.action == JointAction.SUSPEND and proposal.breaker_case == suspension
    assert proposal.status == JointDecisionStatus.PROPOSED and proposal.proposed_by == people.industry_gc
    assert fresh(entry).status == EntryStatus.ACTIVE
    for approver in (people.dispatcher_gc, people.prevention_gc, people.both_gc):
        assert notified(approver, proposal), approver
    for bystander in (people.industry_gc, people.street_gc, people.official_erqi, people.dispatcher_jz):
        assert not notified(bystander, proposal), bystander
    assert notified(people.liaison_a, proposal)

    # 3. both sides approve: suspended, with history and audit
    decided = approve_both(people, proposal)
    assert decided.status == JointDecisionStatus.APPROVED
    assert decided.dispatch_approved_by == people.dispatcher_gc
    assert decided.prevention_approved_by == people.prevention_gc
    suspended = fresh(entry)
    assert suspended.status == EntryStatus.SUSPENDED and suspended.version == entry.version + 1
    change = suspended.history.first()
    assert (change.action, change.from_status, change.to_status) == ("suspend", "active", "suspended")
    assert change.actor == people.prevention_gc and change.effective_date == proposal.effective_date
    assert change.reason == proposal.reason
    assert Event.objects.filter(action="whitelist.suspend").count() == 1
    assert [e.action for e in Event.objects.for_object(proposal).order_by("pk")] == [
        "whitelist.joint_propose",
        "whitelist.joint_approve",
        "whitelist.joint_approve",
    ]
    assert notified(people.liaison_a, proposal)[0].startswith("Decided jointly")
    assert notified(people.industry_gc, proposal)  # the proposer hears the outcome

    # 4. a third failure: removal proposed; once decided, the entry is removed with its public reason
    third = fail(people)
    removal, proposal = third.case, third.decision
    assert (removal.step, removal.level, removal.rectify_by) == (3, BreakerLevel.REMOVAL, None)
    assert fresh(suspension).status == BreakerStatus.ESCALATED
    assert proposal.action == JointAction.REMOVE
    approve_both(people, proposal)
    removed = fresh(entry)
    assert removed.status == EntryStatus.REMOVED
    assert removed.removal_reason == proposal.reason != ""
    assert fresh(removal).status == BreakerStatus.ENFORCED
    assert not BreakerCase.objects.filter(status=BreakerStatus.OPEN).exists()
    assert list(removed.history.values_list("action", flat=True)) == ["remove", "suspend", "admit"]


def test_an_outbreak_goes_straight_to_a_removal_proposal(people, entry):
    outcome = fail(people, outbreak=True)
    assert (outcome.case.step, outcome.case.level) == (3, BreakerLevel.REMOVAL)
    assert outcome.decision.action == JointAction.REMOVE
    assert "outbreak" in outcome.decision.reason
    assert BreakerCase.objects.count() == 1
    assert fresh(entry).status == EntryStatus.ACTIVE  # nothing happens before the joint decision
    # another failure while the removal is pending opens nothing new
    again = fail(people)
    assert again.case == outcome.case and again.decision is None
    assert JointDecision.objects.count() == 1


def test_an_outbreak_check_cannot_pass(people, entry):
    error = refused(
        breaker.spot_check_record,
        ErrorCode.INVALID,
        actor=people.industry_gc,
        enterprise=people.ent_a,
        checked_on=DAY,
        passed=True,
        findings="x",
        outbreak_spread=True,
    )
    assert "passed" in error.fields


def test_the_jurisdictions_own_steps_are_used_and_stored(people, clock):
    steps = [{"level": "warning", "rectify_days": 3}, {"level": "removal", "rectify_days": 0}]
    param = Parameter.objects.create(
        region_id=GUANCHENG, key="whitelist.breaker_steps", value=steps, effective_from=DAY
    )
    admit(people.dispatcher_gc, people.ent_a)
    warning = fail(people).case
    assert warning.rectify_by == DAY + dt.timedelta(days=3)
    assert warning.policy == {
        "key": "whitelist.breaker_steps",
        "value": steps,
        "parameter_id": param.pk,
        "region": GUANCHENG,
        "effective_from": DAY.isoformat(),
    }
    assert fail(people).decision.action == JointAction.REMOVE


# --- joint decisions -----------------------------------------------------------------------------------------


def test_one_side_alone_changes_nothing(people, entry):
    proposal = fail(people, outbreak=True).decision
    decision = breaker.joint_decision_approve(actor=people.prevention_gc, decision=proposal, side="prevention")
    assert decision.status == JointDecisionStatus.PROPOSED and decision.version == 2
    assert fresh(entry).status == EntryStatus.ACTIVE
    # the same side cannot approve twice
    refused(
        breaker.joint_decision_approve,
        ErrorCode.CONFLICT,
        actor=people.prevention_gc,
        decision=proposal,
        side="prevention",
    )


def test_the_same_person_cannot_approve_both_sides(people, entry):
    proposal = fail(people, outbreak=True).decision
    breaker.joint_decision_approve(actor=people.both_gc, decision=proposal, side="dispatch")
    refused(
        breaker.joint_decision_approve, ErrorCode.FORBIDDEN, actor=people.both_gc, decision=proposal, side="prevention"
    )
    assert fresh(entry).status == EntryStatus.ACTIVE


def test_each_side_needs_its_own_right(people, entry):
    proposal = fail(people, outbreak=True).decision
    refused(
        breaker.joint_decision_approve,
        ErrorCode.FORBIDDEN,
        actor=people.dispatcher_gc,
        decision=proposal,
        side="prevention",
    )
    refused(
        breaker.joint_decision_approve,
        ErrorCode.FORBIDDEN,
        actor=people.prevention_gc,
        decision=proposal,
        side="dispatch",
    )


def test_a_rejection_ends_the_proposal_without_change(people, entry):
    proposal = fail(people, outbreak=True).decision
    breaker.joint_decision_approve(actor=people.dispatcher_gc, decision=proposal, side="dispatch")
    refused(
        breaker.joint_decision_reject,
        ErrorCode.INVALID,
        actor=people.prevention_gc,
        decision=proposal,
        side="prevention",
        reason="  ",
    )
    rejected = breaker.joint_decision_reject(
        actor=people.prevention_gc, decision=proposal, side="prevention", reason="Contacts traced; no spread."
    )
    assert rejected.status == JointDecisionStatus.REJECTED
    assert rejected.rejected_by == people.prevention_gc and rejected.rejection_reason == "Contacts traced; no spread."
    assert fresh(entry).status == EntryStatus.ACTIVE and fresh(entry).version == entry.version
    assert Event.objects.for_object(proposal).filter(action="whitelist.joint_reject").count() == 1
    assert notified(people.liaison_a, proposal)[0].startswith("Not decided")
    refused(
        breaker.joint_decision_approve,
        ErrorCode.CONFLICT,
        actor=people.prevention_gc,
        decision=proposal,
        side="prevention",
    )


def test_a_department_proposes_removal_with_reason_and_date(people, entry):
    later = DAY + dt.timedelta(days=3)
    decision = breaker.joint_decision_propose(
        actor=people.industry_gc,
        entry=entry,
        action=JointAction.REMOVE,
        reason="Ceased production in the district.",
        effective_date=later,
    )
    assert decision.breaker_case is None and decision.proposed_by == people.industry_gc
    # the same action cannot be pending twice
    refused(
        breaker.joint_decision_propose,
        ErrorCode.CONFLICT,
        actor=people.industry_gc,
        entry=entry,
        action=JointAction.REMOVE,
        reason="Again.",
        effective_date=later,
    )
    approve_both(people, decision)
    removed = fresh(entry)
    assert removed.status == EntryStatus.REMOVED and removed.removal_reason == "Ceased production in the district."
    assert removed.history.first().effective_date == later


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_proposal_needs_a_reason(people, entry, reason):
    error = refused(
        breaker.joint_decision_propose,
        ErrorCode.INVALID,
        actor=people.industry_gc,
        entry=entry,
        action=JointAction.REMOVE,
        reason=reason,
        effective_date=DAY,
    )
    assert "reason" in error.fields
    assert "reason" in error.message.lower() or error.fields["reason"][0]


def test_a_proposal_must_fit_the_entrys_state(people, entry):
    refused(
        breaker.joint_decision_propose,
        ErrorCode.CONFLICT,
        actor=people.industry_gc,
        entry=entry,
        action=JointAction.REINSTATE,
        reason="Nothing to reinstate.",
        effective_date=DAY,
    )


def test_stop_production_keeps_the_firm_listed_and_reinstate_resumes(people, entry):
    stop = breaker.joint_decision_propose(
        actor=people.dispatcher_gc,
        entry=entry,
        action=JointAction.STOP_PRODUCTION,
        reason="Confirmed cases on the production line.",
        effective_date=DAY,
    )
    approve_both(people, stop)
    stopped = fresh(entry)
    assert stopped.status == EntryStatus.ACTIVE
    assert stopped.production_stopped and stopped.production_stopped_on == DAY
    assert stopped.history.first().action == "stop_production"
    resume = breaker.joint_decision_propose(
        actor=people.industry_gc,
        entry=entry,
        action=JointAction.REINSTATE,
        reason="Line disinfected, staff retested.",
        effective_date=DAY,
    )
    approve_both(people, resume)
    resumed = fresh(entry)
    assert resumed.status == EntryStatus.ACTIVE and not resumed.production_stopped
    assert resumed.history.first().action == "resume_production"


def test_rectifying_a_suspension_proposes_reinstatement(people, entry):
    fail(people)
    suspension = fail(people)
    approve_both(people, suspension.decision)
    assert fresh(entry).status == EntryStatus.SUSPENDED
    refused(breaker.breaker_rectified, ErrorCode.INVALID, actor=people.industry_gc, case=suspension.case, note="")
    closed = breaker.breaker_rectified(actor=people.industry_gc, case=suspension.case, note="Gate checks restored.")
    assert closed.status == BreakerStatus.RECTIFIED and closed.closed_by == people.industry_gc
    assert closed.note == "Gate checks restored."
    reinstate = JointDecision.objects.get(action=JointAction.REINSTATE)
    assert reinstate.breaker_case == closed
    approve_both(people, reinstate)
    assert fresh(entry).status == EntryStatus.ACTIVE
    refused(breaker.breaker_rectified, ErrorCode.CONFLICT, actor=people.industry_gc, case=closed, note="again")


def test_rectifying_before_the_meeting_withdraws_the_pending_proposal(people, entry):
    fail(people)
    pending = fail(people)
    breaker.breaker_rectified(actor=people.industry_gc, case=pending.case, note="Fixed the same day.")
    assert fresh(pending.decision).status == JointDecisionStatus.SUPERSEDED
    assert not JointDecision.objects.filter(action=JointAction.REINSTATE).exists()  # the entry was never suspended


# --- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["street_gc", "liaison_a", "auditor_gc", "checkpoint", "official_erqi", "dispatcher_jz", "commerce_gc"]
)
def test_without_rights_nothing_can_be_done_and_nothing_changes(people, entry, who):
    actor = getattr(people, who)
    fail(people)  # a warning, opened by the sector department
    open_case = fail(people)  # then a suspension, awaiting the joint decision
    proposal = open_case.decision
    refused(
        breaker.spot_check_record,
        ErrorCode.FORBIDDEN,
        actor=actor,
        enterprise=people.ent_a,
        checked_on=DAY,
        passed=False,
        findings="Closing it.",
        outbreak_spread=True,
    )
    for action in JointAction.values:
        refused(
            breaker.joint_decision_propose,
            ErrorCode.FORBIDDEN,
            actor=actor,
            entry=entry,
            action=action,
            reason="Local decision.",
            effective_date=DAY,
        )
    for side in ("dispatch", "prevention"):
        refused(breaker.joint_decision_approve, ErrorCode.FORBIDDEN, actor=actor, decision=proposal, side=side)
        refused(
            breaker.joint_decision_reject, ErrorCode.FORBIDDEN, actor=actor, decision=proposal, side=side, reason="No."
        )
    refused(breaker.breaker_rectified, ErrorCode.FORBIDDEN, actor=actor, case=open_case.case, note="Done.")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE and not entry.production_stopped


def test_a_sector_department_may_propose_but_not_decide(people, entry):
    proposal = fail(people, outbreak=True).decision
    for side in ("dispatch", "prevention"):
        refused(
            breaker.joint_decision_approve, ErrorCode.FORBIDDEN, actor=people.industry_gc, decision=proposal, side=side
        )


# --- escalation ------------------------------------------------------------------------------------------------


def test_an_unrectified_case_escalates_after_its_deadline_once(people, entry, clock):
    warning = fail(people).case
    assert breaker.breakers_escalate(warning.rectify_by) == []  # the deadline day itself is still in time
    clock.move_to(at(warning.rectify_by + dt.timedelta(days=1)))
    before = state()
    (suspension,) = breaker.breakers_escalate()
    assert (suspension.step, suspension.level, suspension.escalated_from) == (2, BreakerLevel.SUSPENSION, warning)
    assert suspension.rectify_by == warning.rectify_by + dt.timedelta(days=1 + 14)
    assert fresh(warning).status == BreakerStatus.ESCALATED
    proposal = JointDecision.objects.get(breaker_case=suspension)
    assert proposal.action == JointAction.SUSPEND and proposal.proposed_by is None
    assert Event.objects.for_object(suspension).get().actor is None
    assert notified(people.liaison_a, suspension) and notified(people.dispatcher_gc, proposal)
    assert fresh(entry).status == EntryStatus.ACTIVE  # still needs the joint decision
    after = state()
    assert after != before
    # idempotent: running again the same day changes nothing
    assert breaker.breakers_escalate() == []
    call_command("escalate_breakers", stdout=io.StringIO())
    assert state() == after


def test_the_command_escalates_past_suspension_to_removal(people, entry, clock):
    fail(people)
    suspension = fail(people)
    approve_both(people, suspension.decision)
    later = suspension.case.rectify_by + dt.timedelta(days=1)
    out = io.StringIO()
    call_command("escalate_breakers", "--date", later.isoformat(), stdout=out)
    assert out.getvalue().startswith("1 breaker case(s) escalated")
    removal = BreakerCase.objects.get(status=BreakerStatus.OPEN)
    assert (removal.step, removal.level) == (3, BreakerLevel.REMOVAL)
    assert JointDecision.objects.get(breaker_case=removal).action == JointAction.REMOVE
    call_command("escalate_breakers", "--date", (later + dt.timedelta(days=30)).isoformat(), stdout=io.StringIO())
    assert BreakerCase.objects.count() == 3  # the removal step has nowhere further to go


# --- concurrency ----------------------------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_changes_nothing(people, entry):
    proposal = fail(people, outbreak=True).decision
    seen = proposal.version
    breaker.joint_decision_approve(
        actor=people.dispatcher_gc, decision=proposal, side="dispatch", expected_version=seen
    )
    refused(
        breaker.joint_decision_approve,
        ErrorCode.CONFLICT,
        actor=people.prevention_gc,
        decision=proposal,
        side="prevention",
        expected_version=seen,
    )
    refused(
        breaker.joint_decision_reject,
        ErrorCode.CONFLICT,
        actor=people.prevention_gc,
        decision=proposal,
        side="prevention",
        reason="No.",
        expected_version=seen,
    )
    breaker.joint_decision_approve(
        actor=people.prevention_gc, decision=proposal, side="prevention", expected_version=seen + 1
    )
    assert fresh(entry).status == EntryStatus.REMOVED


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_approvals_at_once_are_both_recorded_and_execute_once():
    cast = Cast()
    entry = admit(cast.dispatcher_gc, cast.ent_a)
    proposal = breaker.joint_decision_propose(
        actor=cast.industry_gc, entry=entry, action=JointAction.SUSPEND, reason="Outbreak nearby.", effective_date=DAY
    )
    barrier = threading.Barrier(2)
    errors = []

    def approve(user, side):
        try:
            barrier.wait()
            breaker.joint_decision_approve(actor=user, decision=proposal, side=side)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(cast.dispatcher_gc, "dispatch")),
        threading.Thread(target=approve, args=(cast.prevention_gc, "prevention")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    decided = fresh(proposal)
    assert decided.status == JointDecisionStatus.APPROVED and decided.version == 3
    assert decided.dispatch_approved_by == cast.dispatcher_gc and decided.prevention_approved_by == cast.prevention_gc
    assert fresh(entry).status == EntryStatus.SUSPENDED
    assert StatusChange.objects.filter(entry=entry, action="suspend").count() == 1
    assert Event.objects.for_object(proposal).filter(action="whitelist.joint_approve").count() == 2


def test_escalating_a_case_withdraws_its_pending_proposal(people, entry, clock):
    fail(people)
    suspension = fail(people)  # suspend proposed, never decided
    later = suspension.case.rectify_by + dt.timedelta(days=1)
    (removal,) = breaker.breakers_escalate(later)
    assert fresh(suspension.decision).status == JointDecisionStatus.SUPERSEDED
    assert Event.objects.for_object(suspension.decision).filter(action="whitelist.joint_supersede").count() == 1
    assert JointDecision.objects.get(status=JointDecisionStatus.PROPOSED).breaker_case == removal


# --- the only route ---------------------------------------------------------------------------------------------


def test_nothing_else_suspends_removes_or_stops_an_entry():
    """Only breaker.py (after a joint decision) may call entry_move with these actions."""
    root = Path(breaker.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path == Path(breaker.__file__).resolve():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                not isinstance(node, ast.Call)
                or getattr(node.func, "id", getattr(node.func, "attr", "")) != "entry_move"
            ):
                continue
            for keyword in node.keywords:
                if keyword.arg == "action" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value not in BREAKER_MOVES
                ):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
