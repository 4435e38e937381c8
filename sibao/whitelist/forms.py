"""Forms of the whitelist pages: they render the fields and parse typed values (dates, numbers, choices).

What is allowed is decided by the services (services.py, breaker.py); a refusal comes back as a ServiceError
and is shown on the form with `show_service_error`.
"""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sibao.core.choices import Sector
from sibao.core.clock import today
from sibao.whitelist import rules
from sibao.whitelist.models import CriterionKind, DocumentType, JointAction

ACCEPTED_FILES = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"
DECISION_CHOICES = [("approve", _("Approve")), ("reject", _("Reject")), ("revise", _("Ask for a revision"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def document_field_name(document_type: str) -> str:
    return f"doc_{document_type}"


class DocumentsForm(forms.Form):
    """A note and one file input per document type; the service checks types, content, size and what is missing."""

    note = forms.CharField(label=_("Note to the reviewer"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, required_types=(), optional_types=(DocumentType.OTHER,), all_optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_fields = []
        for document_type in [*required_types, *[t for t in optional_types if t not in required_types]]:
            required = document_type in required_types and not all_optional
            field = forms.FileField(
                label=DocumentType(document_type).label,
                required=required,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
            )
            name = document_field_name(document_type)
            self.fields[name] = field
            self.document_fields.append(name)

    @property
    def document_bound_fields(self) -> list:
        return [self[name] for name in self.document_fields]

    def documents(self, files) -> list[tuple[str, object]]:
        """(document type, uploaded file) for every file sent, in the order of the fields."""
        return [(name.removeprefix("doc_"), upload) for name in self.document_fields for upload in files.getlist(name)]


class ReviewForm(forms.Form):
    """One decision and reason per judged criterion, and the version the reviewer read."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, results=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for result in results:
            criterion = result.criterion
            decision = f"decision_{criterion.pk}"
            reason = f"reason_{criterion.pk}"
            self.fields[decision] = forms.ChoiceField(
                label=criterion.title,
                choices=DECISION_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[reason] = forms.CharField(
                label=_("Reason (required to reject or ask for a revision)"), max_length=300, required=False
            )
            self.rows.append((result, decision, reason))

    def decisions(self, data) -> dict[str, tuple[str, str]]:
        """The decisions posted, by criterion id; points left undecided are left out (the service names them)."""
        decided = {}
        for result, decision, reason in self.rows:
            choice = (data.get(decision) or "").strip()
            if choice:
                decided[str(result.criterion_id)] = (choice, (data.get(reason) or "").strip())
        return decided


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CriteriaSetForm(forms.Form):
    region = forms.ChoiceField(label=_("Jurisdiction"))
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    note = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    based_on = forms.ChoiceField(
        label=_("Copy the criteria of"),
        required=False,
        help_text=_("Start from an earlier version of the same jurisdiction and sector, or from nothing."),
    )

    def __init__(self, *args, regions=(), sectors=None, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, f"{r.name} · {r.code}") for r in regions]
        if sectors is not None:
            self.fields["sector"].choices = [(s, Sector(s).label) for s in Sector.values if s in sectors]
        self.fields["based_on"].choices = [("", "—")] + [
            (str(v.pk), f"{v.region.name} · {v.get_sector_display()} · {v}") for v in versions
        ]


def _fact_choices():
    return [("", "—")] + [(name, capfirst(fact.label)) for name, fact in rules.FACTS.items()]


def _operator_choices():
    return [("", "—")] + [(name, operator.label) for name, operator in rules.OPERATORS.items()]


class CriterionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CriterionKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Criterion"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    fact = forms.ChoiceField(label=_("Registry fact"), required=False)
    operator = forms.ChoiceField(label=_("Operator"), required=False)
    value = forms.CharField(
        label=_("Value"),
        required=False,
        help_text=_(
            "A number, yes/no, or a list separated by commas (industry sections such as C, division codes). "
            "Leave empty for “is yes”."
        ),
    )
    document_type = forms.ChoiceField(
        label=_("Document asked for"),
        required=False,
        choices=[("", "—"), *DocumentType.choices],
        help_text=_("For a judged point: the document the reviewer looks at."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fact"].choices = _fact_choices()
        self.fields["operator"].choices = _operator_choices()

    @staticmethod
    def service_arguments(data) -> dict:
        """The posted criterion as the service takes it: a rule for an automatic one, a document for a judged one."""
        kind = (data.get("kind") or "").strip()
        values = {
            "kind": kind,
            "title": (data.get("title") or "").strip(),
            "description": (data.get("description") or "").strip(),
        }
        if kind == CriterionKind.AUTOMATIC:
            fact = (data.get("fact") or "").strip()
            values.update(fact=fact, operator=(data.get("operator") or "").strip(), value=_rule_value(fact, data))
        elif kind == CriterionKind.JUDGED:
            values["document_type"] = (data.get("document_type") or "").strip()
        return values


_YES = {"yes", "true", "1", "y", "是", "真"}
_NO = {"no", "false", "0", "n", "否", "假"}


def _rule_value(fact: str, data):
    """The value as typed; yes/no words become booleans for a yes/no fact (rules.py checks the rest)."""
    text = (data.get("value") or "").strip()
    spec = rules.FACTS.get(fact)
    if text == "":
        return None
    if spec is not None and spec.type == rules.BOOLEAN:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
    return text


class PublishForm(forms.Form):
    effective_from = forms.DateField(label=_("In force from"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"effective_from": today()})
        super().__init__(*args, **kwargs)


class SpotCheckForm(forms.Form):
    checked_on = forms.DateField(label=_("Checked on"), widget=DateInput)
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("yes", _("Passed")), ("no", _("Failed"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    outbreak_spread = forms.BooleanField(label=_("An outbreak spread from the firm"), required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"checked_on": today()})
        super().__init__(*args, **kwargs)


class RenewForm(forms.Form):
    valid_to = forms.DateField(label=_("Valid until"), widget=DateInput)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReviewClearForm(forms.Form):
    note = forms.CharField(label=_("What you checked"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProposeForm(forms.Form):
    action = forms.ChoiceField(label=_("Proposal"), choices=JointAction.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The reason for a removal is published with the firm's name."),
    )
    effective_date = forms.DateField(label=_("Effective date"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"effective_date": today()})
        super().__init__(*args, **kwargs)


class AdmitForm(forms.Form):
    reason = forms.CharField(label=_("Reason for admitting"), widget=forms.Textarea(attrs={"rows": 2}))
    effective_date = forms.DateField(label=_("Admitted from"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"effective_date": today()})
        super().__init__(*args, **kwargs)


class RectifiedForm(forms.Form):
    note = forms.CharField(label=_("What was rectified"), widget=forms.Textarea(attrs={"rows": 2}))
