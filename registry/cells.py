"""Writing values into workbooks people open: nothing a spreadsheet would run."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    """Text for a cell; a leading = + - @ tab or CR is escaped with an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
