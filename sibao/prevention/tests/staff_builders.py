"""Builders for the staff, test-ingest, credential and purge tests: ID numbers, files, people, a snapshot."""

import csv
import datetime as dt
import io
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.cn import ric

from sibao.audit.models import Event
from sibao.core.models import ImportBatch
from sibao.prevention.models import Alert, CredentialCheck, HeldResult, StaffMember, TestResult
from sibao.prevention.services.staff import staff_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 5, 4, 10, tzinfo=SHANGHAI)
STAFF_HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "岗位类型",
    "闭环单元类型",
    "闭环单元",
    "工作地点",
    "住宿地点",
    "到岗日期",
]
RESULT_HEADER = ["身份证号", "采样时间", "检测机构", "检测结果"]
_serial = itertools.count(100)


@pytest.fixture
def clock():
    """It is 2026-05-04 10:00 in Asia/Shanghai."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def id_number(n: int | None = None, *, region: str = "410105", born: str = "19900307") -> str:
    """A valid resident ID number, different for each `n` (upper-case X where the check is 10)."""
    n = next(_serial) if n is None else n
    body = f"{region}{born}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def wrong_check(number: str) -> str:
    """The same number with a wrong check character."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def csv_upload(header: list, rows: list[list], name: str = "file.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, ("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv")


def xlsx_upload(write, name: str = "file.xlsx") -> SimpleUploadedFile:
    """A workbook written by `write(workbook, sheet)` (xlsxwriter)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    write(workbook, workbook.add_worksheet("名册"))
    workbook.close()
    return SimpleUploadedFile(name, buffer.getvalue())


def person(actor, enterprise, *, number: str | None = None, **fields) -> StaffMember:
    """One member of staff added through the service (started a month ago, general post)."""
    data = {"name": "张三", "id_number": number or id_number(), "start_date": "2026-04-01", **fields}
    return staff_create(actor=actor, enterprise=enterprise, data=data)


def state() -> dict:
    """What the tests compare before and after a refused action."""
    return {
        "staff": list(StaffMember.objects.order_by("pk").values()),
        "results": TestResult.objects.count(),
        "held": HeldResult.objects.count(),
        "checks": CredentialCheck.objects.count(),
        "batches": ImportBatch.objects.count(),
        "events": Event.objects.count(),
        "alerts": Alert.objects.count(),
    }
