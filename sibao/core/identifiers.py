"""Identifier validation: python-stdnum wrapped for its known gaps."""

import datetime as dt
import unicodedata

from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

# GB 32100-2015: the first character is the registration authority. python-stdnum only accepts digits
# there, but 机构编制 (1), 民政 (5), 工商 (9) ... and the letters A (军队), N (农业) and Y (其他) are all used.
USCC_AUTHORITIES = frozenset("123456789ANY")
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class InvalidIdentifier(ValueError):
    """The identifier is wrong; the message says how."""


# Invisible characters that copy-and-paste leaves around a value (BOM, zero-width space and joiners).
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def normalise_text(value: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), stray spaces and invisibles removed at both ends."""
    return unicodedata.normalize("NFKC", value).strip().strip(_INVISIBLE).strip()


def credit_code_compact(value: str) -> str:
    """The code in its plain form: upper case, no spaces or separators, full-width folded."""
    if len(value) == 18 and value.isascii() and value.isalnum() and value == value.upper():
        return value  # already plain: the common case in a large import
    return uscc.compact(normalise_text(value)).replace(" ", "")


def credit_code_validate(value: str) -> str:
    """Return the compact unified social credit code or raise InvalidIdentifier naming the fault."""
    code = credit_code_compact(value)
    if len(code) != 18:
        raise InvalidIdentifier(_("must have 18 characters, got %(n)d") % {"n": len(code)})
    bad = sorted({c for c in code if c not in _ALPHABET})
    if bad:
        raise InvalidIdentifier(_("contains characters not allowed in a credit code: %(c)s") % {"c": " ".join(bad)})
    if code[0] not in USCC_AUTHORITIES:
        raise InvalidIdentifier(_("registration authority %(c)s is not one of 1-9, A, N, Y") % {"c": repr(code[0])})
    if not code[2:8].isdigit():
        raise InvalidIdentifier(_("characters 3-8 (the region code) must be digits"))
    try:
        expected = uscc.calc_check_digit(code[:17])
    except (StdnumError, ValueError):
        raise InvalidIdentifier(_("cannot compute the check character")) from None
    if code[17] != expected:
        raise InvalidIdentifier(
            _("check character is %(given)s, expected %(expected)s")
            % {"given": repr(code[17]), "expected": repr(expected)}
        )
    return code


def credit_code_is_valid(value: str) -> bool:
    try:
        credit_code_validate(value)
    except InvalidIdentifier:
        return False
    return True


def credit_code_build(authority: str, entity_type: str, region: str, organisation: str) -> str:
    """Assemble a valid code from its parts (demo data and tests)."""
    body = f"{authority}{entity_type}{region}{organisation}"
    if len(body) != 17:
        raise InvalidIdentifier("the parts must make 17 characters")
    return body + uscc.calc_check_digit(body)


# Province-level codes a resident ID number may start with (GB/T 2260), plus 81/82/83: the residence
# permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证) use 810000/820000/830000, which
# python-stdnum's birth-place table does not know.
_ID_PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)


def resident_id_validate(value: str, *, today=None) -> str:
    """Return the 18-character resident ID number (upper-case X) or raise InvalidIdentifier naming the fault.

    python-stdnum's cn.ric gives the check digit; its birth-place check is replaced by a province check,
    because its table lacks the Hong Kong/Macao/Taiwan residence permits and counties created since.
    """
    number = value if len(value) == 18 and value.isascii() else ric.compact(normalise_text(value))
    if len(number) != 18:
        raise InvalidIdentifier(_("must have 18 characters, got %(n)d") % {"n": len(number)})
    number = number[:17] + number[17].upper()
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdentifier(_("must be 17 digits followed by a digit or X"))
    if number[:2] not in _ID_PROVINCES:
        raise InvalidIdentifier(_("starts with %(code)s, which is no province's code") % {"code": number[:2]})
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise InvalidIdentifier(
            _("check character is %(given)s, expected %(expected)s") % {"given": number[17], "expected": expected}
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentifier(_("characters 7-14 are not a date of birth")) from None
    if born.year < 1900 or (today is not None and born > today):
        raise InvalidIdentifier(_("date of birth %(date)s is not possible") % {"date": born.isoformat()})
    return number
