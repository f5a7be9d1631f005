"""Yes/no follow-ups as GOV.UK conditional reveals (issue 16, "Forms and words"): a follow-up is drawn
under the answer that asks it (casework.forms.GovUKForm.reveals, templates/govuk/field.html), is
shown without JavaScript (GOV.UK Frontend hides it only once its script runs), is required only when
that answer is chosen, and is emptied when another answer is chosen."""

from __future__ import annotations

import re

from django import forms

from casework.forms import GovUKForm
from pathways.forms import PackageForm


class _Form(GovUKForm):
    placement = forms.ChoiceField(
        label="Will the placement change?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the placement will change"},
    )
    details = forms.CharField(
        label="Give details of the change",
        max_length=200,
        error_messages={"required": "Enter the details of the change"},
    )
    school = forms.ChoiceField(
        label="Will the school change?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        required=False,
    )
    school_name = forms.CharField(label="New school", max_length=200, required=False)

    reveals = {"placement": {"yes": ("details", "school")}, "school": {"yes": ("school_name",)}}


def _conditional(html: str, option_id: str) -> str:
    """The conditional block an option controls, as rendered."""
    match = re.search(
        rf'<div class="govuk-radios__conditional[^"]*" id="conditional-{option_id}">(.*?)\n      </div>',
        html,
        re.S,
    )
    assert match, f"no conditional block for {option_id}"
    return match.group(0)


def test_the_follow_up_is_drawn_under_its_answer_and_not_again_below():
    form = _Form()
    html = str(form["placement"].as_field_group())

    assert (
        'id="id_placement_0" name="placement" type="radio" value="yes" data-aria-controls="conditional-id_placement_0"'
        in html
    )
    assert 'value="no">' in html  # "No" reveals nothing
    block = _conditional(html, "id_placement_0")
    # Hidden only by GOV.UK Frontend's script (.govuk-frontend-supported): shown without it.
    assert "govuk-radios__conditional--hidden" in block
    assert 'name="details"' in block and 'name="school"' in block
    # The follow-up's own follow-up, nested inside the first block.
    nested = _conditional(html, "id_school_0")
    assert 'name="school_name"' in nested
    assert html.index('id="conditional-id_placement_0"') < html.index('id="conditional-id_school_0"')
    assert "Give details of the change</label>" in block  # required when asked: not "(optional)"
    assert [field.name for field in form] == ["placement"]


def test_a_chosen_answer_shows_its_follow_up_open():
    form = _Form(data={"placement": "yes", "details": ""})
    form.is_valid()
    block = _conditional(str(form["placement"].as_field_group()), "id_placement_0")

    assert 'class="govuk-radios__conditional" id="conditional-id_placement_0"' in block
    # The follow-up's error sits next to it, inside the block.
    assert 'id="id_details-error"' in block and "Enter the details of the change" in block


def test_the_follow_up_is_required_only_when_its_answer_is_chosen():
    asked = _Form(data={"placement": "yes", "details": ""})
    assert not asked.is_valid()
    assert asked.errors == {"details": ["Enter the details of the change"]}

    not_asked = _Form(data={"placement": "no", "details": ""})
    assert not_asked.is_valid(), not_asked.errors


def test_every_error_at_once_when_the_question_is_unanswered():
    form = _Form(data={})
    assert not form.is_valid()
    # The follow-up is not asked until "Yes" is chosen, so only the question is missing.
    assert form.errors == {"placement": ["Say whether the placement will change"]}


def test_what_was_typed_under_another_answer_is_not_kept():
    form = _Form(
        data={"placement": "no", "details": "A move to Oakwood", "school": "yes", "school_name": "Oakwood"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["details"] == ""
    # Nested: the school question was hidden with "No", so its own follow-up is emptied too.
    assert form.cleaned_data["school"] == "" and form.cleaned_data["school_name"] == ""

    kept = _Form(data={"placement": "yes", "details": "A move", "school": "yes", "school_name": "Oakwood"})
    assert kept.is_valid(), kept.errors
    assert kept.cleaned_data["school_name"] == "Oakwood"


def test_a_personal_health_budgets_outcome_is_asked_under_yes():
    form = PackageForm()
    html = str(form["phb_offered"].as_field_group())
    assert 'name="phb_outcome"' in _conditional(html, "id_phb_offered_0")
    assert "phb_outcome" not in [field.name for field in form]

    declined = PackageForm(data={"started_on": "2/3/2026", "phb_offered": "no", "phb_outcome": "Agreed"})
    assert declined.is_valid(), declined.errors
    assert declined.cleaned_data["phb_outcome"] == ""
    offered = PackageForm(data={"started_on": "2/3/2026", "phb_offered": "yes", "phb_outcome": "Agreed"})
    assert offered.is_valid(), offered.errors
    assert offered.cleaned_data["phb_outcome"] == "Agreed"
