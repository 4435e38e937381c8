"""The unified social credit code wrapper: python-stdnum's cn.uscc plus the registration authorities it misses."""

import pytest
from django.utils import translation

from sibao.core.identifiers import (
    USCC_AUTHORITIES,
    InvalidIdentifier,
    credit_code_build,
    credit_code_is_valid,
    credit_code_validate,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def check_character(body: str) -> str:
    """GB 32100-2015 check character, written out here as an independent oracle for the wrapper."""
    assert len(body) == 17
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return ALPHABET[(31 - total % 31) % 31]


def code_for(authority: str, entity_type: str = "1", region: str = "410104", organisation: str = "MA40XK2N7") -> str:
    body = f"{authority}{entity_type}{region}{organisation}"
    return body + check_character(body)


def test_oracle_agrees_with_a_published_example():
    assert check_character("91110000600037341") == "L"
    assert credit_code_validate("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize("authority", sorted(USCC_AUTHORITIES))
def test_every_registration_authority_is_accepted(authority):
    code = code_for(authority)
    assert credit_code_validate(code) == code
    assert credit_code_is_valid(code)


def test_the_authorities_are_those_of_gb_32100():
    assert set("123456789ANY") == USCC_AUTHORITIES


@pytest.mark.parametrize("authority", ["0", "B", "C", "H", "X"])
def test_other_authorities_are_refused(authority):
    code = code_for(authority)
    with pytest.raises(InvalidIdentifier, match="registration authority"):
        credit_code_validate(code)


def test_build_matches_the_oracle():
    for authority in USCC_AUTHORITIES:
        assert credit_code_build(authority, "1", "410104", "MA40XK2N7") == code_for(authority)


def test_wrong_check_character_is_refused():
    code = code_for("9")
    wrong = code[:17] + next(c for c in ALPHABET if c != code[17])
    with pytest.raises(InvalidIdentifier, match="check character"):
        credit_code_validate(wrong)
    assert not credit_code_is_valid(wrong)


@pytest.mark.parametrize("length", [0, 1, 17, 19, 20])
def test_wrong_length_is_refused(length):
    code = (code_for("9") * 2)[:length]
    with pytest.raises(InvalidIdentifier, match="18 characters"):
        credit_code_validate(code)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_alphabet_are_refused(letter):
    code = code_for("9")
    bad = code[:10] + letter + code[11:]
    with pytest.raises(InvalidIdentifier) as caught:
        credit_code_validate(bad)
    assert letter in str(caught.value)


@pytest.mark.parametrize("junk", ["#", "中", "*", "_"])
def test_symbols_are_refused(junk):
    code = code_for("9")
    with pytest.raises(InvalidIdentifier):
        credit_code_validate(code[:12] + junk + code[13:])


def test_region_part_must_be_digits():
    body = "91" + "41A104" + "MA40XK2N7"
    with pytest.raises(InvalidIdentifier, match="region"):
        credit_code_validate(body + check_character(body))


@pytest.mark.parametrize(
    "written",
    [
        lambda c: c.lower(),
        lambda c: c.swapcase(),
        lambda c: "".join(chr(ord(ch) + 0xFEE0) for ch in c),  # full-width letters and digits
        lambda c: "  " + c + " ",
        lambda c: "\u3000" + c + "\u3000",  # ideographic spaces
        lambda c: "\u00a0" + c,  # no-break space pasted from a web page
        lambda c: f"{c[:2]} {c[2:8]} {c[8:]}",
        lambda c: f"{c[:2]}-{c[2:8]}-{c[8:]}",
        lambda c: "\t" + c + "\n",
    ],
    ids=["lower", "mixed", "full-width", "spaces", "ideographic-space", "nbsp", "inner-spaces", "dashes", "tabs"],
)
def test_input_is_normalised_not_refused(written):
    code = code_for("9")
    assert credit_code_validate(written(code)) == code


def test_full_width_lowercase_with_letter_authority():
    code = code_for("Y")
    written = "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())
    assert credit_code_validate(written) == code


def test_normalisation_does_not_rescue_a_bad_checksum():
    code = code_for("9")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(InvalidIdentifier):
        credit_code_validate(" " + wrong.lower() + " ")


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English whatever the catalogues hold."""
    with translation.override("en"):
        yield
