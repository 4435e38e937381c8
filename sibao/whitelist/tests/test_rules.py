"""Automatic criteria without a database: validation, three-valued evaluation and its explanation."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import translation

from sibao.enterprises.models import Enterprise
from sibao.whitelist import rules
from sibao.whitelist.rules import FAILED, PASSED, UNKNOWN, Rule, RuleInvalid, evaluate, validate_rule

FACTS = {
    "headcount": 1200,
    "output_value": "12000.50",
    "region": "410104001",
    "city_operation_support": True,
    "key_project": False,
    "kind": "enterprise",
    "industry_section": "C",
    "industry_division": "14",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def check(fact, operator, value, facts=FACTS, **names):
    return evaluate(validate_rule(fact, operator, value), facts, region_names=names.get("names"))


# --- evaluation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "outcome", "text"),
    [
        ("gte", 1000, PASSED, "Headcount 1,200 ≥ 1,000 ✓"),
        ("gte", 1200, PASSED, "Headcount 1,200 ≥ 1,200 ✓"),
        ("gte", 1500, FAILED, "Headcount 1,200 < 1,500 ✗"),
        ("gt", 1200, FAILED, "Headcount 1,200 ≤ 1,200 ✗"),
        ("gt", 1000, PASSED, "Headcount 1,200 > 1,000 ✓"),
        ("lte", 1200, PASSED, "Headcount 1,200 ≤ 1,200 ✓"),
        ("lte", 800, FAILED, "Headcount 1,200 > 800 ✗"),
        ("lt", 2000, PASSED, "Headcount 1,200 < 2,000 ✓"),
        ("lt", 1200, FAILED, "Headcount 1,200 ≥ 1,200 ✗"),
        ("eq", 1200, PASSED, "Headcount 1,200 = 1,200 ✓"),
        ("eq", 1201, FAILED, "Headcount 1,200 ≠ 1,201 ✗"),
    ],
)
def test_number_comparisons_say_what_was_compared(operator, value, outcome, text):
    result = check("headcount", operator, value)
    assert (result.outcome, result.explanation) == (outcome, text)


def test_the_explanation_is_in_the_active_language():
    with translation.override("zh-hans"):
        assert check("headcount", "gte", 1000).explanation == "员工人数 1,200 ≥ 1,000 ✓"


def test_decimal_output_value_compares_exactly_and_reads_grouped():
    result = check("output_value", "gte", 10000)
    assert result.outcome == PASSED
    assert result.explanation == "Annual output / investment (10k yuan) 12,000.5 ≥ 10,000 ✓"
    assert check("output_value", "gt", "12000.5").outcome == FAILED
    assert check("output_value", "eq", 12000.50).outcome == PASSED


@pytest.mark.parametrize(
    ("codes", "outcome"),
    [
        (["410104"], PASSED),  # its district
        (["410100"], PASSED),  # its city
        (["410000"], PASSED),  # its province
        (["410104001"], PASSED),  # the street itself
        (["410103", "410104"], PASSED),  # any of several
        (["410103"], FAILED),  # another district of the same city
        (["410800"], FAILED),  # another city
        (["410104002"], FAILED),  # another street
    ],
)
def test_within_is_the_subtree_of_any_listed_region(codes, outcome):
    assert check("region", "within", codes).outcome == outcome


def test_within_names_the_regions_when_names_are_given():
    result = check("region", "within", ["410104"], names={"410104": "管城回族区", "410104001": "北下街街道"})
    assert result.explanation == "Region 北下街街道 (410104001) lies within 管城回族区 (410104) ✓"
    failed = check("region", "within", ["410800"])
    assert failed.explanation == "Region 410104001 does not lie within 410800 ✗"


def test_in_lists_the_allowed_values():
    result = check("industry_section", "in", ["C", "D"])
    assert result.outcome == PASSED
    assert (
        result.explanation
        == "Industry section C Manufacturing is one of C Manufacturing, D Electricity, heat, gas and water supply ✓"
    )
    assert check("industry_division", "in", ["13", "14"]).outcome == PASSED
    failed = check("industry_division", "in", ["13", "15"])
    assert (failed.outcome, failed.explanation) == (FAILED, "Industry division 14 is not one of 13, 15 ✗")


def test_is_true_and_equality_of_yes_no_facts():
    assert check("city_operation_support", "is_true", None).explanation == "City-operation support: yes ✓"
    failed = check("key_project", "is_true", None)
    assert (failed.outcome, failed.explanation) == (FAILED, "Key project: no ✗")
    assert check("key_project", "eq", False).outcome == PASSED


def test_kind_reads_as_its_label():
    result = check("kind", "eq", "project")
    assert (result.outcome, result.explanation) == (FAILED, "Kind Enterprise ≠ Project ✗")


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_fact_is_unknown_not_failed(missing):
    facts = {**FACTS, "industry_division": missing}
    result = check("industry_division", "in", ["14"], facts=facts)
    assert (result.outcome, result.explanation) == (UNKNOWN, "Industry division: no data in the registry ?")
    absent = evaluate(Rule("headcount", "gte", 1), {})
    assert absent.outcome == UNKNOWN


def test_a_stored_rule_that_no_longer_validates_is_unknown_with_the_reason():
    class Stored:
        fact, operator, value = "headcount", "gte", "many"

    result = evaluate(Stored(), FACTS)
    assert result.outcome == UNKNOWN
    assert "cannot be checked" in result.explanation


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "operator", "value", "field", "words"),
    [
        ("staff", "gte", 1, "fact", "Unknown registry fact “staff”"),
        ("", "gte", 1, "fact", "Unknown registry fact"),
        ("headcount", "between", 1, "operator", "Unknown operator “between”"),
        ("region", "gte", 1, "operator", "“gte” cannot be used with region; use one of: eq, within"),
        ("headcount", "within", ["410104"], "operator", "cannot be used with headcount"),
        ("headcount", "in", [1, 2], "operator", "cannot be used"),
        ("city_operation_support", "gte", 1, "operator", "cannot be used"),
        ("headcount", "gte", "many", "value", "Headcount is compared with a number, not “many”"),
        ("headcount", "gte", None, "value", "compared with a number"),
        ("headcount", "gte", True, "value", "compared with a number"),
        ("headcount", "gte", "NaN", "value", "compared with a number"),
        ("key_project", "eq", "yes", "value", "Key project is compared with true or false"),
        ("city_operation_support", "is_true", False, "value", "takes no value"),
        ("industry_section", "in", [], "value", "Give at least one value"),
        ("industry_section", "in", ["Z"], "value", "not a GB/T 4754 section"),
        ("industry_section", "in", 7, "value", "Give a list of values"),
        ("industry_division", "in", ["99"], "value", "not a GB/T 4754 division"),
        ("kind", "eq", "factory", "value", "“factory” is not a kind"),
        ("kind", "eq", ["park"], "value", "one text value"),
        ("region", "within", ["4101"], "value", "not a division code"),
        ("region", "within", "", "value", "Give at least one value"),
    ],
)
def test_a_wrong_rule_is_refused_with_a_clear_message(fact, operator, value, field, words):
    with pytest.raises(RuleInvalid) as caught:
        validate_rule(fact, operator, value)
    assert list(caught.value.fields) == [field]
    assert words in caught.value.fields[field][0]


def test_values_are_normalised():
    assert validate_rule("headcount", "gte", "1,000").value == 1000
    assert validate_rule("headcount", "gte", 1000.0).value == 1000
    assert validate_rule("output_value", "gte", "2500.5").value == 2500.5
    assert validate_rule("industry_section", "in", "c, D").value == ["C", "D"]
    assert validate_rule("industry_division", "in", ["7", "14"]).value == ["07", "14"]
    assert validate_rule("region", "within", "410104，410800").value == ["410104", "410800"]
    assert validate_rule("city_operation_support", "is_true", "").value is None


def test_describe_reads_a_rule():
    assert rules.describe(validate_rule("headcount", "gte", 1000)) == "Headcount ≥ 1,000"
    assert rules.describe(validate_rule("key_project", "is_true", None)) == "Key project: yes"
    assert (
        rules.describe(validate_rule("industry_division", "in", ["13", "14"])) == "Industry division is one of 13, 14"
    )


# --- facts and dates ----------------------------------------------------------------------------------


def test_facts_of_an_enterprise_are_json_safe_and_complete():
    enterprise = Enterprise(
        headcount=1200,
        output_value=Decimal("12000.50"),
        region_id="410104001",
        city_operation_support=True,
        key_project=False,
        kind="enterprise",
        industry_section="C",
        industry_division="14",
    )
    facts = rules.facts_of(enterprise)
    assert facts == FACTS
    assert json.loads(json.dumps(facts)) == facts
    assert set(rules.FACT_BY_ATTRIBUTE) >= {"region_id", "headcount", "output_value"}


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (dt.date(2026, 5, 4), 12, dt.date(2027, 5, 4)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 5, 4), 0, dt.date(2026, 5, 4)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(start, months, end):
    assert rules.add_months(start, months) == end


@pytest.mark.parametrize(
    ("code", "prefix"),
    [("410000", "41"), ("410100", "4101"), ("410104", "410104"), ("410104001", "410104001"), ("410171", "410171")],
)
def test_subtree_prefix(code, prefix):
    assert rules.subtree_prefix(code) == prefix
