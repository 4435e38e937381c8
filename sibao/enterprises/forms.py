"""Forms for the registry pages. Validation of registry fields lives in rules.py (one way)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sibao.core.choices import Sector
from sibao.enterprises.industry import SECTION_CHOICES
from sibao.enterprises.models import EnterpriseKind, SupplyLink


class EnterpriseForm(forms.Form):
    """Renders the registry fields; the service validates what is posted (enterprises.rules)."""

    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=128)
    kind = forms.ChoiceField(label=_("Kind"), choices=EnterpriseKind.choices)
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    industry_section = forms.ChoiceField(
        label=_("Industry section"), choices=[("", "—"), *SECTION_CHOICES], required=False
    )
    industry_division = forms.CharField(
        label=_("Industry division"),
        max_length=2,
        help_text=_("Two digits, GB/T 4754-2017, e.g. 14 food manufacturing"),
    )
    region = forms.ChoiceField(label=_("Region"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    output_value = forms.CharField(label=_("Annual output / investment (10k yuan)"))
    headcount = forms.CharField(label=_("Headcount"))
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=64, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    city_operation_support = forms.BooleanField(label=_("City-operation support"), required=False)
    key_project = forms.BooleanField(label=_("Key project"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, regions=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, f"{r.code} {r.name}") for r in regions]
        if editing:
            self.fields["credit_code"].disabled = True


class SupplyLinkForm(forms.ModelForm):
    class Meta:
        model = SupplyLink
        fields = ["direction", "partner_name", "partner_credit_code", "partner_region", "is_key", "note"]
