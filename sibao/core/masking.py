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
