"""Forms of the user-administration pages; the services validate and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sibao.accounts.roles import Role
from sibao.core.choices import Sector


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None, required=False)
    enterprise_code = forms.CharField(
        label=_("Liaison of enterprise (credit code)"),
        max_length=40,
        required=False,
        help_text=_("Leave the organisation empty for an enterprise liaison."),
    )
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region = forms.ModelChoiceField(label=_("Region"), queryset=None)
    sector = forms.ChoiceField(label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class PasswordResetForm(forms.Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
