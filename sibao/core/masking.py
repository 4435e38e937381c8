"""Masking of personal data for display."""


def mask_middle(value: str | None, keep_start: int = 3, keep_end: int = 4) -> str:
    """`41010519900307123X` -> `410***********123X`; short values are masked whole."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(value: str | None) -> str:
    """`13812345678` -> `138****5678`."""
    return mask_middle(value, 3, 4)


# Fields holding personal data, by name wherever they appear (records, audit changes, exports).
PERSONAL_FIELDS = {"contact_phone": mask_phone, "phone": mask_phone}


def mask_field(name: str, value):
    """The value as someone without the right to see it in full may see it."""
    masker = PERSONAL_FIELDS.get(name)
    return masker(str(value)) if masker and value not in (None, "") else value


def mask_id_number(value: str | None) -> str:
    """`41010519900307123X` -> `410***********123X`."""
    return mask_middle(value, 3, 4)
