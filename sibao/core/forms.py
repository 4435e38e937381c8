"""Form helpers shared by every app's pages."""

from django.forms.utils import ErrorDict

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
