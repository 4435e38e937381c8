"""The world the outsider walk (test_outsider_walk.py) walks through: Guancheng objects of every app."""

from django.core.files.uploadedfile import SimpleUploadedFile

from sibao.accounts.roles import Role
from sibao.audit.services import event_record
from sibao.core.clock import now, today
from sibao.core.models import ImportBatch
from sibao.enterprises.models import SupplyLink
from sibao.prevention.models import Alert, ComplianceDay
from sibao.prevention.services import readiness as prevention_readiness
from sibao.prevention.services import staff as prevention_staff
from sibao.prevention.services import tests as prevention_tests
from sibao.prevention.services.compliance import compliance_refresh
from sibao.prevention.services.credentials import credential_record
from sibao.prevention.services.mode import mode_switch_apply
from sibao.regions.models import Region
from sibao.testing import ERQI, GUANCHENG, GUANCHENG_STREET, make_organization, make_user
from sibao.whitelist import breaker as whitelist_breaker
from sibao.whitelist import services as whitelist_services
from sibao.whitelist.models import ApplicationDocument, Entry


def whitelist_world(cast) -> None:
    """Enterprise A on Guancheng's industry whitelist, through an application with a document; a failed spot
    check has opened a breaker case, and a stop of production awaits a joint decision."""
    department = cast.industry_gc
    criteria = whitelist_services.criteria_set_create(
        actor=department, region_code=GUANCHENG, sector="industry", title="管城区工业生产企业白名单遴选标准"
    )
    whitelist_services.criterion_add(
        actor=department,
        criteria_set=criteria,
        kind="automatic",
        title="员工不少于100人",
        fact="headcount",
        operator="gte",
        value=100,
    )
    plan = whitelist_services.criterion_add(
        actor=department, criteria_set=criteria, kind="judged", title="防疫和应急预案", document_type="prevention_plan"
    )
    cast.criteria_gc = whitelist_services.criteria_set_publish(
        actor=department, criteria_set=criteria, effective_from=today()
    )
    cast.criterion_gc = plan
    cast.document_name = "管城甲防疫应急预案.pdf"
    content = b"%PDF-1.4\n% " + cast.ent_a.name.encode() + b"\n%%EOF\n"  # the file names its firm
    application = whitelist_services.application_submit(
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        documents=[("prevention_plan", SimpleUploadedFile(cast.document_name, content))],
    )
    cast.application_a = whitelist_services.application_review(
        actor=department, application=application, decisions={plan.pk: ("approve", "")}, expected_version=1
    )
    cast.document_a = ApplicationDocument.objects.get(application=application)
    cast.entry_a = Entry.objects.get(enterprise=cast.ent_a)
    cast.findings = "甲方车间未落实测温登记"
    outcome = whitelist_breaker.spot_check_record(
        actor=department, enterprise=cast.ent_a, checked_on=today(), passed=False, findings=cast.findings
    )
    cast.spot_check_a, cast.case_a = outcome.spot_check, outcome.case
    cast.decision_a = whitelist_breaker.joint_decision_propose(
        actor=department,
        entry=cast.entry_a,
        action="stop_production",
        reason="甲方疫情扩散风险",
        effective_date=today(),
    )


def prevention_world(cast) -> None:
    """Enterprise A has a member of staff with a positive test (an alert), a health-code check, a closed-loop
    plan with its document and today's compliance; its street went into emergency mode and back."""
    cast.staff_name = "管城甲员工王小明"
    cast.staff_a = prevention_staff.staff_create(
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        data={"name": cast.staff_name, "id_number": "11010519491231002X", "start_date": "2022-01-04"},
    )
    prevention_tests.test_results_ingest(
        actor=cast.prevention_gc,
        rows=[
            {
                "id_number": "11010519491231002X",
                "sampled_at": "2022-05-01 08:00",
                "institution": "管城核酸检测点",
                "result": "positive",
            }
        ],
    )
    cast.check_a = credential_record(
        actor=cast.prevention_gc, staff=cast.staff_a, outcome="green", source="豫康码", checked_at=now()
    )
    cast.plan_lodging = "管城甲职工宿舍三号楼"
    cast.plan_a = prevention_readiness.closed_loop_plan_update(
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        data={"lodging": cast.plan_lodging, "receiving_point": "北门"},
        document=SimpleUploadedFile("管城甲一企一策.pdf", b"%PDF-1.4\n% " + cast.ent_a.name.encode() + b"\n%%EOF\n"),
    )
    compliance_refresh()
    cast.compliance_a = ComplianceDay.objects.get(enterprise=cast.ent_a)
    cast.alert_a = Alert.objects.get(enterprise=cast.ent_a, cause="positive")
    street = Region.objects.get(code=GUANCHENG_STREET)
    cast.switch_reason = "管城甲街道出现疫情转入应急状态"
    cast.switch_gc = mode_switch_apply(
        actor=cast.prevention_gc, region=street, to_mode="emergency", reason=cast.switch_reason
    )
    mode_switch_apply(actor=cast.prevention_gc, region=street, to_mode="normal", reason="解除应急状态")


def build_world(cast):
    """The Guancheng objects the walk aims at (enterprise A's registry, whitelist and prevention rows), and
    the markers (`cast.markers`) that must never reach an outsider."""
    cast.ent_a.contact_phone = "13912345678"
    cast.ent_a.save()
    whitelist_world(cast)
    cast.ent_a.refresh_from_db()
    cast.link_a = SupplyLink.objects.create(
        enterprise=cast.ent_a, direction="supplier", partner_name="甲方关键原料供应商", partner_region_id="410102"
    )
    cast.batch = ImportBatch.objects.create(
        kind="enterprises",
        actor=cast.dispatcher_gc,
        filename="管城甲导入批次.xlsx",
        sha256="0" * 64,
        rows=2,
        rejected=1,
        errors=[{"row": 3, "column": "统一社会信用代码", "value": cast.ent_a.credit_code, "reason": "重复"}],
    )
    cast.org_gc = make_organization("管城回族区工业和信息化局", region=GUANCHENG, sector="industry")
    cast.admin_erqi = make_user("admin_erqi", role=Role.ADMIN, region=ERQI)
    cast.checkpoint_gc = cast.checkpoint
    event_record(actor=cast.dispatcher_gc, action="enterprise.update", obj=cast.ent_a, changes={"headcount": [1, 2]})
    prevention_world(cast)
    cast.markers = [
        cast.ent_a.name,
        cast.ent_a.credit_code,
        cast.ent_a.contact_phone,
        cast.link_a.partner_name,
        cast.batch.filename,
        cast.street_gc.username,
        cast.criteria_gc.title,
        cast.document_name,
        cast.findings,
        cast.staff_name,
        cast.plan_lodging,
        cast.switch_reason,
    ]
    return cast
