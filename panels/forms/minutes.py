"""Forms for the minutes and decision letters pages. They parse what was typed; the rules live in
panels/services/minutes.py and letters.py (their ValidationErrors come back next to the field)."""

from __future__ import annotations

from django import forms

from casework.forms import GovUKForm, VersionField
from casework.stale import NOT_SEEN
from panels.services.minutes import MINUTES_MAX_LENGTH

__all__ = ["LetterEditForm", "LetterTemplateForm", "MinutesApproveForm", "MinutesEditForm"]


class MinutesEditForm(GovUKForm):
    """Carries the version the editor opened, so a save over someone else's is refused (409)."""

    body = forms.CharField(
        label="Minutes",
        max_length=MINUTES_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true"}),
        error_messages={
            "required": "Enter the minutes",
            "max_length": f"The minutes must be {MINUTES_MAX_LENGTH:,} characters or fewer",
        },
        help_text="Refer to children only by their initials and referral number",
    )
    version = VersionField()


class MinutesApproveForm(GovUKForm):
    version = VersionField()


class LetterEditForm(GovUKForm):
    subject = forms.CharField(
        label="Subject",
        max_length=300,
        error_messages={
            "required": "Enter the subject",
            "max_length": "The subject must be 300 characters or fewer",
        },
    )
    body = forms.CharField(
        label="Letter",
        max_length=20000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 25, "spellcheck": "true"}),
        error_messages={
            "required": "Enter the letter",
            "max_length": "The letter must be 20,000 characters or fewer",
        },
        help_text="Refer to the child only by their initials",
    )
    fingerprint = forms.CharField(
        widget=forms.HiddenInput, max_length=64, error_messages={"required": NOT_SEEN}
    )


class LetterTemplateForm(GovUKForm):
    template = forms.CharField(
        label="Decision letter template",
        max_length=20000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true"}),
        error_messages={
            "required": "Enter the letter template",
            "max_length": "The template must be 20,000 characters or fewer",
        },
        help_text="Words in braces, such as {child_initials}, are filled in from the decision",
    )
