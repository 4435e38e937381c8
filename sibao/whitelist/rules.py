"""Automatic whitelist criteria as data: validating a rule and evaluating it over an enterprise's facts.

Pure: no database, no `eval`. A rule is (`fact`, `operator`, `value`) — e.g. ("headcount", "gte", 1000) —
checked against the registry facts of an enterprise (`facts_of`). Evaluation is three-valued: passed,
failed, or unknown when the registry lacks the fact, and always says why, in the active language:
"Headcount 1,200 ≥ 1,000 ✓" / "员工人数 1,200 ≥ 1,000 ✓".
"""

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sibao.enterprises.industry import SECTIONS, section_of_division
from sibao.enterprises.models import EnterpriseKind

PASSED = "passed"
FAILED = "failed"
UNKNOWN = "unknown"

NUMBER = "number"
BOOLEAN = "boolean"
TEXT = "text"
REGION = "region"


@dataclass(frozen=True)
class Fact:
    """A registry fact rules may test: its name, type, the enterprise attribute it comes from, its label."""

    name: str
    type: str
    attribute: str
    label: object  # lazy translation


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        # Labels share the registry's field names (and so their translations).
        Fact("headcount", NUMBER, "headcount", gettext_lazy("headcount")),
        Fact("output_value", NUMBER, "output_value", gettext_lazy("annual output / investment (10k yuan)")),
        Fact("region", REGION, "region_id", gettext_lazy("region")),
        Fact("city_operation_support", BOOLEAN, "city_operation_support", gettext_lazy("city-operation support")),
        Fact("key_project", BOOLEAN, "key_project", gettext_lazy("key project")),
        Fact("kind", TEXT, "kind", gettext_lazy("kind")),
        Fact("industry_section", TEXT, "industry_section", gettext_lazy("industry section")),
        Fact("industry_division", TEXT, "industry_division", gettext_lazy("industry division")),
    )
}

# The registry field (attname, as in `enterprise_changed`'s changes) each fact comes from.
FACT_BY_ATTRIBUTE: dict[str, str] = {f.attribute: f.name for f in FACTS.values()}


@dataclass(frozen=True)
class Operator:
    name: str
    label: object  # lazy translation, for a criteria form
    types: frozenset[str]  # fact types it applies to


OPERATORS: dict[str, Operator] = {
    o.name: o
    for o in (
        Operator("gte", gettext_lazy("at least (≥)"), frozenset({NUMBER})),
        Operator("gt", gettext_lazy("more than (>)"), frozenset({NUMBER})),
        Operator("lte", gettext_lazy("at most (≤)"), frozenset({NUMBER})),
        Operator("lt", gettext_lazy("less than (<)"), frozenset({NUMBER})),
        Operator("eq", gettext_lazy("equals (=)"), frozenset({NUMBER, BOOLEAN, TEXT, REGION})),
        Operator("in", gettext_lazy("is one of"), frozenset({TEXT})),
        Operator("within", gettext_lazy("lies within the regions"), frozenset({REGION})),
        Operator("is_true", gettext_lazy("is yes"), frozenset({BOOLEAN})),
    )
}

# Symbol shown when a comparison holds, and when it does not.
_SYMBOLS = {"gte": ("≥", "<"), "gt": (">", "≤"), "lte": ("≤", ">"), "lt": ("<", "≥"), "eq": ("=", "≠")}
_MARK = {PASSED: "✓", FAILED: "✗", UNKNOWN: "?"}


# --- rules and their validation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A validated, normalised automatic criterion."""

    fact: str
    operator: str
    value: object


class RuleInvalid(ValueError):
    """A rule definition is wrong; `fields` says what, per field (fact, operator, value)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def validate_rule(fact: str, operator: str, value: object) -> Rule:
    """The rule with its value normalised (numbers as int/float, lists of codes); RuleInvalid if it is wrong."""
    spec = FACTS.get(fact or "")
    if spec is None:
        choices = ", ".join(FACTS)
        raise RuleInvalid(
            {
                "fact": [
                    _("Unknown registry fact “%(fact)s”; choose one of: %(choices)s.")
                    % {"fact": fact, "choices": choices}
                ]
            }
        )
    op = OPERATORS.get(operator or "")
    if op is None:
        choices = ", ".join(OPERATORS)
        raise RuleInvalid(
            {
                "operator": [
                    _("Unknown operator “%(operator)s”; choose one of: %(choices)s.")
                    % {"operator": operator, "choices": choices}
                ]
            }
        )
    if spec.type not in op.types:
        usable = ", ".join(name for name, o in OPERATORS.items() if spec.type in o.types)
        raise RuleInvalid(
            {
                "operator": [
                    _("“%(operator)s” cannot be used with %(fact)s; use one of: %(usable)s.")
                    % {"operator": operator, "fact": spec.label, "usable": usable}
                ]
            }
        )
    try:
        normalised = _normalise_value(spec, operator, value)
    except ValueError as exc:
        raise RuleInvalid({"value": [str(exc)]}) from None
    return Rule(fact, operator, normalised)


def _normalise_value(spec: Fact, operator: str, value: object) -> object:
    if operator == "is_true":
        if value not in (None, "", True):
            raise ValueError(_("“is yes” takes no value."))
        return None
    if operator in ("in", "within"):
        items = _as_list(value)
        if not items:
            raise ValueError(_("Give at least one value."))
        return [_text_value(spec, item) for item in items]
    if spec.type == NUMBER:
        number = _as_number(value)
        if number is None:
            raise ValueError(
                _("%(fact)s is compared with a number, not “%(value)s”.")
                % {"fact": capfirst(spec.label), "value": value}
            )
        return number
    if spec.type == BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(
                _("%(fact)s is compared with true or false, not “%(value)s”.")
                % {"fact": capfirst(spec.label), "value": value}
            )
        return value
    if value is None or isinstance(value, bool | list | dict):
        raise ValueError(
            _("%(fact)s is compared with one text value, not “%(value)s”.")
            % {"fact": capfirst(spec.label), "value": value}
        )
    return _text_value(spec, value)


def _as_list(value: object) -> list:
    if isinstance(value, str):
        return [part.strip() for part in value.replace("，", ",").replace("、", ",").split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [item.strip() if isinstance(item, str) else item for item in value if item not in (None, "")]
    raise ValueError(_("Give a list of values, not “%(value)s”.") % {"value": value})


def _as_number(value: object) -> int | float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _text_value(spec: Fact, value: object) -> str:
    """One value of a text or region fact, checked against what the fact can hold."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a valid value here.") % {"value": value})
    text = str(value).strip()
    if spec.name == "kind":
        if text not in EnterpriseKind.values:
            choices = ", ".join(EnterpriseKind.values)
            raise ValueError(
                _("“%(value)s” is not a kind; use one of: %(choices)s.") % {"value": text, "choices": choices}
            )
        return text
    if spec.name == "industry_section":
        if text.upper() not in SECTIONS:
            raise ValueError(_("“%(value)s” is not a GB/T 4754 section (A-T).") % {"value": text})
        return text.upper()
    if spec.name == "industry_division":
        division = text.zfill(2) if text.isdigit() else text
        if section_of_division(division) is None:
            raise ValueError(_("“%(value)s” is not a GB/T 4754 division (01-97).") % {"value": text})
        return division
    if spec.type == REGION:
        if not (text.isdigit() and len(text) in (6, 9, 12)):
            raise ValueError(_("“%(value)s” is not a division code (6, 9 or 12 digits).") % {"value": text})
        return text
    return text


def rule_of(criterion) -> Rule:
    """The rule of a stored automatic criterion (anything with fact, operator, value), validated again."""
    return validate_rule(criterion.fact, criterion.operator, criterion.value)


def subtree_prefix(code: str) -> str:
    """The prefix every division code in this region's subtree starts with: 410000 -> 41, 410100 -> 4101."""
    if len(code) == 6:
        while len(code) > 2 and code.endswith("00"):
            code = code[:-2]
    return code


# --- facts and evaluation ----------------------------------------------------------------------------


def facts_of(enterprise) -> dict:
    """The registry facts rules are evaluated on, as stored with an application or an admission (JSON-safe)."""
    facts = {}
    for fact in FACTS.values():
        value = getattr(enterprise, fact.attribute)
        facts[fact.name] = str(value) if isinstance(value, Decimal) else value
    return facts


def facts_used(rules: Iterable) -> set[str]:
    """The facts a set of criteria depends on."""
    return {r.fact for r in rules if getattr(r, "fact", "")}


@dataclass(frozen=True)
class Evaluation:
    """The outcome of one rule over one enterprise's facts, and why."""

    outcome: str  # PASSED / FAILED / UNKNOWN
    explanation: str
    fact: str


def evaluate(criterion, facts: Mapping, *, region_names: Mapping[str, str] | None = None) -> Evaluation:
    """Evaluate an automatic criterion (a Rule, or anything with fact/operator/value) over `facts`.

    `region_names` (code -> name), when given, lets the explanation name the regions, not just their codes.
    """
    try:
        rule = criterion if isinstance(criterion, Rule) else rule_of(criterion)
    except RuleInvalid as exc:
        return Evaluation(UNKNOWN, _("This criterion cannot be checked: %(reason)s") % {"reason": exc}, "")
    spec = FACTS[rule.fact]
    label = capfirst(spec.label)
    actual = facts.get(rule.fact)
    if actual is None or actual == "":
        text = _("%(fact)s: no data in the registry") % {"fact": label}
        return Evaluation(UNKNOWN, f"{text} {_MARK[UNKNOWN]}", rule.fact)
    names = region_names or {}
    holds = _holds(spec, rule, actual)
    outcome = PASSED if holds else FAILED
    shown = _show(spec, actual, names)
    if rule.operator in _SYMBOLS:
        symbol = _SYMBOLS[rule.operator][0 if holds else 1]
        text = f"{label} {shown} {symbol} {_show(spec, rule.value, names)}"
    elif rule.operator == "is_true":
        text = f"{label}: {shown}"
    else:
        expected = ", ".join(_show(spec, v, names) for v in rule.value)
        params = {"fact": label, "actual": shown, "expected": expected}
        if rule.operator == "in":
            text = (
                _("%(fact)s %(actual)s is one of %(expected)s")
                if holds
                else _("%(fact)s %(actual)s is not one of %(expected)s")
            ) % params
        else:
            text = (
                _("%(fact)s %(actual)s lies within %(expected)s")
                if holds
                else _("%(fact)s %(actual)s does not lie within %(expected)s")
            ) % params
    return Evaluation(outcome, f"{text} {_MARK[outcome]}", rule.fact)


def _holds(spec: Fact, rule: Rule, actual: object) -> bool:
    op, expected = rule.operator, rule.value
    if spec.type == NUMBER:
        value = Decimal(str(actual))
        target = Decimal(str(expected))
        return {
            "gte": value >= target,
            "gt": value > target,
            "lte": value <= target,
            "lt": value < target,
            "eq": value == target,
        }[op]
    if op == "is_true":
        return actual is True
    if op == "eq":
        return actual == expected if spec.type == BOOLEAN else str(actual) == str(expected)
    if op == "in":
        return str(actual) in expected
    if op == "within":
        return any(str(actual).startswith(subtree_prefix(code)) for code in expected)
    return False


def _show(spec: Fact, value: object, region_names: Mapping[str, str]) -> str:
    """A value as a reader sees it: grouped numbers, yes/no, labels with codes."""
    if spec.type == NUMBER:
        number = Decimal(str(value))
        if number == number.to_integral_value():
            return f"{int(number):,}"
        return f"{number.normalize():,f}"
    if spec.type == BOOLEAN:
        return _("yes") if value else _("no")
    if spec.type == REGION:
        name = region_names.get(str(value))
        return f"{name} ({value})" if name else str(value)
    if spec.name == "kind":
        try:
            return str(EnterpriseKind(value).label)
        except ValueError:
            return str(value)
    if spec.name == "industry_section" and value in SECTIONS:
        return f"{value} {SECTIONS[value][0]}"
    return str(value)


def show_value(fact: str, value: object, region_names: Mapping[str, str] | None = None) -> str:
    """A stored value of a fact as a reader sees it (for "headcount changed 1,200 → 800")."""
    spec = FACTS[fact]
    try:
        return _show(spec, value, region_names or {})
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def describe(criterion, *, region_names: Mapping[str, str] | None = None) -> str:
    """A rule in words, for the published criteria: "Headcount ≥ 1,000"."""
    try:
        rule = criterion if isinstance(criterion, Rule) else rule_of(criterion)
    except RuleInvalid as exc:
        return str(exc)
    spec = FACTS[rule.fact]
    label = capfirst(spec.label)
    names = region_names or {}
    if rule.operator in _SYMBOLS:
        return f"{label} {_SYMBOLS[rule.operator][0]} {_show(spec, rule.value, names)}"
    if rule.operator == "is_true":
        return f"{label}: {_('yes')}"
    expected = ", ".join(_show(spec, v, names) for v in rule.value)
    if rule.operator == "in":
        return _("%(fact)s is one of %(expected)s") % {"fact": label, "expected": expected}
    return _("%(fact)s lies within %(expected)s") % {"fact": label, "expected": expected}


# --- dates -------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + int(months)
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
