"""Forms and filters of the staff pages. They render fields; the services validate what is posted."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sibao.prevention.models import LoopKind, PostType, StaffMember, Verification


class StaffForm(forms.Form):
    """A member of staff's roster fields; on an edit the ID number may stay empty (it is kept)."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=64)
    id_number = forms.CharField(label=_("ID number"), max_length=30)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    post_type = forms.ChoiceField(label=_("Post type"), choices=PostType.choices)
    loop_kind = forms.ChoiceField(
        label=_("Closed-loop unit type"), choices=[("", "—"), *LoopKind.choices], required=False
    )
    loop_unit = forms.CharField(label=_("Closed-loop unit"), max_length=64, required=False)
    workplace = forms.CharField(label=_("Workplace"), max_length=100, required=False)
    lodging = forms.CharField(label=_("Lodging"), max_length=100, required=False)
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, masked_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if masked_id:
            field = self.fields["id_number"]
            field.required = False
            field.widget.attrs["placeholder"] = masked_id
            field.help_text = _("Leave empty to keep %(masked)s; enter the full number only to correct it.") % {
                "masked": masked_id
            }

    def posted(self) -> dict:
        """The posted roster fields as raw text for the service (an empty ID number on an edit is left out)."""
        data = {name: self.data.get(name, "") for name in self.fields if name != "version"}
        if not self.fields["id_number"].required and not data["id_number"].strip():
            data.pop("id_number")
        return data


class CredentialForm(forms.Form):
    """One health-credential check, recorded from the staff page."""

    outcome = forms.ChoiceField(label=_("Health code"), choices=Verification.choices)
    itinerary_risk = forms.ChoiceField(
        label=_("Visited a risk area"),
        choices=[("", _("Not checked")), ("否", _("No")), ("是", _("Yes"))],
        required=False,
    )
    source = forms.CharField(label=_("Source"), max_length=64, help_text=_("e.g. 豫康码 scan, travel card"))
    checked_at = forms.DateTimeField(
        label=_("Checked at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


class StaffFilter(django_filters.FilterSet):
    """Filters of a roster, shared by the page and the API."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    post_type = django_filters.ChoiceFilter(label=_("Post type"), choices=PostType.choices)
    loop_kind = django_filters.ChoiceFilter(label=_("Closed-loop unit type"), choices=LoopKind.choices)
    present = django_filters.BooleanFilter(label=_("Still employed"), field_name="left_on", lookup_expr="isnull")
    enterprise = django_filters.NumberFilter(label=_("Enterprise"), field_name="enterprise_id")

    class Meta:
        model = StaffMember
        fields = ["q", "post_type", "loop_kind", "present", "enterprise"]

    def search(self, queryset, name, value):
        """By name, closed-loop unit or the masked number's visible ends (the full number is never searched)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(loop_unit__icontains=value) | Q(id_masked__endswith=value))


class RosterFilter(StaffFilter):
    """The roster page's filters (the enterprise is the page's own)."""

    class Meta(StaffFilter.Meta):
        fields = ["q", "post_type", "loop_kind", "present"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("enterprise", None)
