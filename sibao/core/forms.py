"""Form helpers shared by every app's pages."""

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from sibao.core.errors import ServiceError


def show_service_error(form, error: ServiceError) -> None:
    """Show a refused action on its form: the service's messages replace the form's own validation,
    so each problem is stated once, in the words of the service that decided it."""
    form._errors = ErrorDict()
    form.cleaned_data = {}
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
    if not error.fields or error.message not in sum(error.fields.values(), []):
        form.add_error(None, error.message)


def service_error_text(error: ServiceError) -> str:
    """A refused action as one line, for a page message where there is no form to show it on."""
    details = [message for messages in error.fields.values() for message in messages if message != error.message]
    return "；".join([error.message, *details]) if details else error.message


class ImportForm(forms.Form):
    """The upload of a tabular import file."""

    file = forms.FileField(label=_("File (.xlsx or .csv)"))
