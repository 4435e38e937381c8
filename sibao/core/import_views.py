"""The report of an import and its downloadable error file."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from sibao.core import tabular
from sibao.core.models import ImportBatch
from sibao.core.views import CSV, XLSX, file_response
from sibao.regions.scoping import get_visible_or_404


@login_required
def import_report(request, pk: int):
    batch = get_visible_or_404(ImportBatch, request.user, pk=pk)
    return render(request, "imports/report.html", {"batch": batch, "errors": batch.errors[:200]})


@login_required
def import_errors_file(request, pk: int, fmt: str):
    batch = get_visible_or_404(ImportBatch, request.user, pk=pk)
    header, rows = tabular.error_report_rows(batch.errors)
    name = _("import-%(id)d-errors") % {"id": batch.pk}
    if fmt == "xlsx":
        return file_response(tabular.write_xlsx(header, rows, sheet="errors"), f"{name}.xlsx", XLSX)
    if fmt == "csv":
        return file_response(tabular.write_csv(header, rows), f"{name}.csv", CSV)
    raise Http404
