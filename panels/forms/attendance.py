"""The "Correct attendance" form: which member, present or not, and why. The rule and its checks are
panels/services/attendance.py; its ValidationErrors come back next to these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from casework.forms import GovUKForm
from panels.models import Attendance, Membership
from panels.services.attendance import NOT_RECORDED

__all__ = ["AttendanceCorrectionForm"]


class AttendanceCorrectionForm(GovUKForm):
    """One member's attendance corrected. Each seat's attendance as the page showed it travels in a
    hidden `seen_<seat>` field, so a correction made over someone else's is refused (409), not
    saved blind."""

    membership = forms.TypedChoiceField(
        label="Whose attendance is wrong?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the member whose attendance is wrong"},
    )
    present = forms.TypedChoiceField(
        label="Were they at the meeting?",
        choices=[("yes", "Yes, they were present"), ("no", "No, they were not present")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether they were present"},
    )
    reason = forms.CharField(
        label="Why is the attendance being corrected?",
        help_text="Each decision that changes gets a new version with this reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter why the attendance is being corrected",
            "max_length": "The reason must be 2000 characters or fewer",
        },
    )

    def __init__(
        self, *args: Any, members: list[Membership], attendance: dict[int, Attendance], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        for seat in members:
            row = attendance.get(seat.pk)
            now = row.get_status_display().lower() if row is not None else "not recorded"
            choices.append(
                (
                    seat.pk,
                    f"{seat.person.full_name}, {seat.get_role_display().lower()} ({seat.agency.name}): {now}",
                )
            )
            self.fields[f"seen_{seat.pk}"] = forms.CharField(
                required=False,
                widget=forms.HiddenInput,
                initial=row.status if row is not None else NOT_RECORDED,
            )
        self.fields["membership"].choices = choices

    def seen(self, seat_pk: int) -> str | None:
        """The chosen seat's attendance as the page showed it (None: not sent)."""
        return self.cleaned_data.get(f"seen_{seat_pk}") or None
