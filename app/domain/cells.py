"""Text cells of the CSV files we write, made safe for spreadsheets (OWASP, "CSV
injection"), and read back exactly."""

# A cell starting with one of these is a formula to a spreadsheet; a leading quote is
# escaped too, so that `restore` undoes `neutralise` exactly (`import` reads what
# `export` wrote, byte for byte).
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet shows as text: a formula-like cell gets a leading `'`."""
    return "'" + value if value.startswith(_FORMULA) else value


def restore(value: str) -> str:
    """`neutralise` undone: a cell read back from one of our CSV files."""
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA:
        return value[1:]
    return value
