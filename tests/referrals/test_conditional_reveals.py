"""The referral form's follow-ups under the answers that ask them (issue 16, GOV.UK conditional
reveals): the earlier referral under "A review", and section 5's chain (seeds 002: "If yes: has
the child got an EHC plan? If yes, has this proposal been discussed with the SEN team? SEN team
comments"). Each is in the page without JavaScript, asked only when its answer is chosen, and its
error sits next to it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from referrals.models import Referral
from tests.factories import DraftReferralFactory

pytestmark = pytest.mark.django_db


def _block(page: str, option_id: str) -> str:
    start = page.index(f'id="conditional-{option_id}"')
    return page[start : page.index("\n      </div>", start)]


def test_the_earlier_referral_is_asked_under_a_review(sam, child, panel, social_worker):
    earlier = DraftReferralFactory(child=child, referrer=social_worker, panel=panel)
    page = sam.get(reverse("referrals:start", args=[child.pk])).content.decode()

    review = re.search(r'<input[^>]*name="request_type"[^>]*value="review"[^>]*>', page).group(0)
    assert 'data-aria-controls="conditional-id_request_type_1"' in review
    block = _block(page, "id_request_type_1")
    assert "govuk-radios__conditional--hidden" in page.split('id="conditional-id_request_type_1"')[0][-80:]
    assert 'name="review_of"' in block and f'value="{earlier.pk}"' in block
    assert page.count('name="review_of"') == 1


def test_without_an_earlier_referral_nothing_is_revealed(sam, child):
    page = sam.get(reverse("referrals:start", args=[child.pk])).content.decode()
    assert "data-aria-controls" not in page
    assert '<input type="hidden" name="review_of" value="">' in page


def test_a_review_without_the_earlier_referral_says_so_next_to_it(sam, child, panel, social_worker):
    DraftReferralFactory(child=child, referrer=social_worker, panel=panel)
    response = sam.post(
        reverse("referrals:start", args=[child.pk]),
        {"panel": panel.pk, "pathway": "joint_package", "request_type": "review", "urgency": "routine"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    block = _block(page, "id_request_type_1")
    assert 'class="govuk-radios__conditional" id="conditional-id_request_type_1"' in page  # open
    assert 'id="id_review_of-error"' in block
    assert "Choose the earlier referral whose funding this reviews" in block


def test_a_new_request_drops_an_earlier_referral_chosen_before(sam, child, panel, social_worker):
    earlier = DraftReferralFactory(child=child, referrer=social_worker, panel=panel)
    response = sam.post(
        reverse("referrals:start", args=[child.pk]),
        {
            "panel": panel.pk,
            "pathway": "joint_package",
            "request_type": "new",
            "review_of": earlier.pk,
            "urgency": "routine",
        },
    )
    assert response.status_code == 302
    started = Referral.objects.exclude(pk=earlier.pk).get(child=child)
    assert started.review_of is None


def test_section_5s_follow_ups_are_nested_under_yes(sam, draft):
    page = sam.get(reverse("referrals:section", args=[draft.pk, "education"])).content.decode()

    change = _block(page, "id_education_change_0")
    assert 'name="education_has_ehc_plan"' in change
    assert 'data-aria-controls="conditional-id_education_has_ehc_plan_0"' in change
    assert 'data-aria-controls="conditional-id_education_discussed_with_sen_0"' in page
    assert 'name="education_sen_comments"' in _block(page, "id_education_discussed_with_sen_0")
    # Each question once, the school questions outside the reveals.
    for name in ("education_has_ehc_plan", "education_discussed_with_sen", "education_sen_comments"):
        assert page.count(f'name="{name}"') in (1, 2)  # radios: one per answer
    assert 'name="education_current_school"' not in change
    assert "(optional)" not in page


def test_answering_no_empties_the_follow_ups_that_were_hidden(sam, draft):
    url = reverse("referrals:section", args=[draft.pk, "education"])
    response = sam.post(
        url,
        {
            "education_change": "False",
            "education_has_ehc_plan": "True",
            "education_discussed_with_sen": "True",
            "education_sen_comments": "Typed before the answer changed",
            "education_current_school": "Oakwood School",
            "education_school_type": "special",
            "then": "stay",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.education_change is False
    assert draft.education_has_ehc_plan is None
    assert draft.education_discussed_with_sen is None
    assert draft.education_sen_comments == ""


def test_yes_keeps_every_follow_up(sam, draft):
    url = reverse("referrals:section", args=[draft.pk, "education"])
    sam.post(
        url,
        {
            "education_change": "True",
            "education_has_ehc_plan": "True",
            "education_discussed_with_sen": "True",
            "education_sen_comments": "The SEN team agree",
            "education_current_school": "Oakwood School",
            "education_school_type": "special",
            "then": "stay",
        },
    )
    draft.refresh_from_db()
    assert draft.education_discussed_with_sen is True
    assert draft.education_sen_comments == "The SEN team agree"
    page = sam.get(url).content.decode()
    # Chosen answers show their follow-ups open.
    assert 'class="govuk-radios__conditional" id="conditional-id_education_change_0"' in page
    assert 'class="govuk-radios__conditional" id="conditional-id_education_discussed_with_sen_0"' in page
