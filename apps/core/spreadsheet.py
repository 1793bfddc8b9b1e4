"""CSV exports' one rule for a cell: a spreadsheet shows it as text, never runs it.

A cell starting with =, +, -, @, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV injection); it is prefixed with a quote, which they show as text.
None is an empty cell. Every CSV export (root-cause report and dashboard, feedback figures,
supervisors' reports) writes its cells through `cell`.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return "" if value is None else value
