"""Every CSV export's cells: a formula is written as text, None as an empty cell."""

import pytest

from apps.core import spreadsheet


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_is_text(start):
    assert spreadsheet.cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize(
    ("value", "written"), [("Billing", "Billing"), (None, ""), (3, 3), ("", "")]
)
def test_anything_else_is_itself(value, written):
    assert spreadsheet.cell(value) == written
