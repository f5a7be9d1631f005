"""The import's forms: the file, the sheet of a workbook, the columns. They only parse what was
sent; the rules are moving_in.services'."""

from __future__ import annotations

from typing import cast

from django import forms
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from casework.forms import GovUKForm
from moving_in import fields as F
from moving_in.reading import HEADER_ALLOWANCE


class UploadForm(GovUKForm):
    file = forms.FileField(
        label="Upload a file",
        error_messages={"required": "Select a CSV or XLSX file", "empty": "The selected file is empty"},
    )

    def __init__(self, *args, max_bytes: int, max_rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "file"
        ].help_text = f"A CSV or XLSX spreadsheet smaller than {max_bytes / (1024 * 1024):g} MB, with up to {max_rows:,} children"
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx"


class ConfirmForm(GovUKForm):
    """A confirmation: no fields, the button is the answer."""


class SheetForm(GovUKForm):
    sheet = forms.ChoiceField(
        label="Which sheet holds the children?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the sheet that holds the children"},
    )

    def __init__(self, *args, sheets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["sheet"]).choices = [(name, name) for name in sheets]


def column_name(index: int, heading: str) -> str:
    letter = get_column_letter(index + 1)
    return f"{heading} (column {letter})" if heading else f"Column {letter} (no heading)"


class MappingForm(GovUKForm):
    """Which row holds the headings, and for each of our fields which of their columns fills it."""

    header_row = forms.TypedChoiceField(label="Which row holds the column headings?", coerce=int)

    def __init__(self, *args, table: list[list[str]], lines: list[int], header_row: int, **kwargs):
        super().__init__(*args, **kwargs)
        rows = table[: HEADER_ALLOWANCE + 1]
        lines = lines or list(range(1, len(table) + 1))
        cast(forms.ChoiceField, self.fields["header_row"]).choices = [
            (i, f"Row {lines[i]}: {', '.join(c for c in row[:6] if c)[:90] or '(blank)'}")
            for i, row in enumerate(rows)
        ]
        self.fields["header_row"].help_text = "Rows above it (a title, a merged heading) are left out"
        headings = table[header_row] if table else []
        width = max((len(r) for r in table[: header_row + 50]), default=0)
        columns = [(str(i), column_name(i, headings[i] if i < len(headings) else "")) for i in range(width)]
        for field in F.FIELDS:
            self.fields[field.name] = forms.TypedChoiceField(
                label=field.label,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "Not in this file"), *columns],
                help_text=field.hint or ("Needed" if field.required else ""),
            )

    def mapping(self) -> dict[str, int | None]:
        return {field.name: self.cleaned_data.get(field.name) for field in F.FIELDS}
