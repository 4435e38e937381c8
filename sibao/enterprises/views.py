"""Registry pages: thin — parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sibao.accounts.roles import Action
from sibao.core import tabular
from sibao.core.errors import ServiceError
from sibao.core.forms import ImportForm, service_error_text, show_service_error
from sibao.core.views import CSV, XLSX, ScopedDetailView, ScopedListView, file_response
from sibao.enterprises import exports, selectors, services
from sibao.enterprises.filters import EnterpriseFilter
from sibao.enterprises.forms import EnterpriseForm, SupplyLinkForm
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.enterprises.rules import enterprise_columns
from sibao.regions.models import Region
from sibao.regions.scoping import get_visible_or_404, holds_action_somewhere, visible_regions


class EnterpriseListView(ScopedListView):
    model = Enterprise
    filterset_class = EnterpriseFilter
    template_name = "enterprises/list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = holds_action_somewhere(self.request.user, Action.CREATE)
        context["can_import"] = holds_action_somewhere(self.request.user, Action.IMPORT)
        return context


class EnterpriseDetailView(ScopedDetailView):
    model = Enterprise
    template_name = "enterprises/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("region", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        enterprise = self.object
        user = self.request.user
        context["can_change"] = Enterprise.objects.visible_to(user, Action.CHANGE).filter(pk=enterprise.pk).exists()
        context["links"] = enterprise.supply_links.select_related("partner_region", "partner")
        context["history"] = selectors.enterprise_history(enterprise=enterprise)[:100]
        context["link_form"] = SupplyLinkForm()
        return context


def _editable_regions(user, current: str | None = None):
    """Regions the user may choose; an enterprise's own region is always among them (a liaison has no others)."""
    regions = visible_regions(user)
    if current:
        regions = regions | Region.objects.filter(code=current)
    return regions.exclude(level="province").order_by("code")


@login_required
def enterprise_create(request):
    if not holds_action_somewhere(request.user, Action.CREATE):
        raise Http404
    form = EnterpriseForm(request.POST or None, regions=_editable_regions(request.user))
    if request.method == "POST":
        try:
            enterprise = services.enterprise_create(actor=request.user, data=_posted(request, form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("%(name)s has been registered.") % {"name": enterprise.name})
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/form.html", {"form": form, "creating": True})


@login_required
def enterprise_edit(request, pk: int):
    enterprise = get_visible_or_404(Enterprise, request.user, Action.CHANGE, pk=pk)
    initial = {
        **{f: getattr(enterprise, f) for f in EnterpriseForm.base_fields if hasattr(enterprise, f)},
        "region": enterprise.region_id,
        "version": enterprise.version,
    }
    regions = _editable_regions(request.user, current=enterprise.region_id)
    form = EnterpriseForm(request.POST or None, initial=initial, regions=regions, editing=True)
    if request.method == "POST":
        try:
            services.enterprise_update(
                actor=request.user,
                enterprise=enterprise,
                data=_posted(request, form),
                expected_version=_int_or_none(request.POST.get("version")),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/form.html", {"form": form, "enterprise": enterprise})


def _posted(request, form) -> dict:
    """The posted registry fields as raw text (checkboxes as 是/否); the service validates them."""
    data = {name: request.POST.get(name, "") for name in form.fields if name not in ("version",)}
    for name in ("city_operation_support", "key_project"):
        data[name] = "是" if request.POST.get(name) else "否"
    if form.fields["credit_code"].disabled:
        data.pop("credit_code")
    return data


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def enterprise_import(request):
    if not holds_action_somewhere(request.user, Action.IMPORT):
        raise Http404
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        try:
            batch = services.enterprise_import(actor=request.user, upload=form.cleaned_data["file"])
        except ServiceError as error:
            form.add_error("file", error.message)
        else:
            return redirect("imports:report", pk=batch.pk)
    return render(request, "enterprises/import.html", {"form": form, "columns": enterprise_columns(())})


@login_required
def import_template(request):
    header, rows = exports.template_rows()
    return file_response(
        tabular.write_xlsx(header, rows, sheet="enterprises"), _("enterprise-template") + ".xlsx", XLSX
    )


@login_required
def enterprise_export(request):
    queryset = Enterprise.objects.visible_to(request.user, Action.EXPORT).select_related("region")
    queryset = EnterpriseFilter(request.GET or None, queryset=queryset, request=request).qs
    header, rows = exports.export_rows(selectors.with_contact_permission(queryset, request.user))
    if request.GET.get("format") == "csv":
        return file_response(tabular.write_csv(header, rows), _("enterprises") + ".csv", CSV)
    return file_response(tabular.write_xlsx(header, rows, sheet="enterprises"), _("enterprises") + ".xlsx", XLSX)


@login_required
@require_POST
def supply_link_add(request, pk: int):
    enterprise = get_visible_or_404(Enterprise, request.user, Action.CHANGE, pk=pk)
    try:
        services.supply_link_add(actor=request.user, enterprise=enterprise, data=request.POST)
    except ServiceError as error:
        messages.error(request, service_error_text(error))
    return redirect("enterprises:detail", pk=enterprise.pk)


@login_required
@require_POST
def supply_link_remove(request, pk: int, link_pk: int):
    enterprise = get_visible_or_404(Enterprise, request.user, Action.CHANGE, pk=pk)
    link = get_visible_or_404(SupplyLink.objects.filter(enterprise=enterprise), request.user, Action.CHANGE, pk=link_pk)
    services.supply_link_remove(actor=request.user, link=link)
    return redirect("enterprises:detail", pk=enterprise.pk)
