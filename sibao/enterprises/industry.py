"""GB/T 4754-2017 industry classification: sections (门类) and the divisions (大类) in each."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# section letter -> (name, first division, last division)
SECTIONS: dict[str, tuple[str, int, int]] = {
    "A": (_("Agriculture, forestry, animal husbandry and fishery"), 1, 5),
    "B": (_("Mining"), 6, 12),
    "C": (_("Manufacturing"), 13, 43),
    "D": (_("Electricity, heat, gas and water supply"), 44, 46),
    "E": (_("Construction"), 47, 50),
    "F": (_("Wholesale and retail trade"), 51, 52),
    "G": (_("Transport, storage and postal services"), 53, 60),
    "H": (_("Accommodation and catering"), 61, 62),
    "I": (_("Information transmission, software and IT services"), 63, 65),
    "J": (_("Finance"), 66, 69),
    "K": (_("Real estate"), 70, 70),
    "L": (_("Leasing and business services"), 71, 72),
    "M": (_("Scientific research and technical services"), 73, 75),
    "N": (_("Water conservancy, environment and public facilities"), 76, 79),
    "O": (_("Resident services, repair and other services"), 80, 82),
    "P": (_("Education"), 83, 83),
    "Q": (_("Health and social work"), 84, 85),
    "R": (_("Culture, sports and entertainment"), 86, 90),
    "S": (_("Public administration, social security and social organisations"), 91, 96),
    "T": (_("International organisations"), 97, 97),
}

# Lazy, so a label is in the language of the page, not the language active when this module was imported.
SECTION_CHOICES = [(letter, format_lazy("{} {}", letter, name)) for letter, (name, _a, _b) in SECTIONS.items()]


def section_of_division(division: str) -> str | None:
    """The section a two-digit division belongs to, or None if there is no such division."""
    if len(division) != 2 or not division.isdigit():
        return None
    number = int(division)
    for letter, (_name, first, last) in SECTIONS.items():
        if first <= number <= last:
            return letter
    return None
