"""Section 5 of the referral (Education, seeds 002) restates what the child's record holds: a new
referral starts with the child's school, its type and EHC plan filled in, and the referrer may still
change them on the referral without changing the child's record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import AuditEvent
from casework.models import SchoolType as ChildSchoolType
from referrals import services
from referrals.models import Referral, SchoolType

pytestmark = pytest.mark.django_db


def _start(client, child, panel) -> Referral:
    response = client.post(
        reverse("referrals:start", args=[child.pk]),
        {"panel": panel.pk, "pathway": "joint_package", "request_type": "new", "urgency": "routine"},
    )
    assert response.status_code == 302
    return Referral.objects.get(child=child)


def test_a_new_referral_starts_with_the_childs_school_and_ehc_plan(sam, child, panel):
    child.school_name = "Oakwood School"
    child.school_type = ChildSchoolType.SPECIAL
    child.has_ehc_plan = True
    child.save()

    referral = _start(sam, child, panel)

    assert referral.education_current_school == "Oakwood School"
    assert referral.education_school_type == SchoolType.SPECIAL
    assert referral.education_has_ehc_plan is True
    # Whether the request changes the child's education is the referrer's to say.
    assert referral.education_change is None
    page = sam.get(reverse("referrals:section", args=[referral.pk, "education"])).content.decode()
    assert 'value="Oakwood School"' in page
    assert 'value="special" checked' in page
    assert "A new referral starts with the current school" in page


@pytest.mark.parametrize(
    ("school_name", "school_type", "expected_school", "expected_type"),
    [
        ("Riverside Academy", ChildSchoolType.MAINSTREAM, "Riverside Academy", SchoolType.MAINSTREAM),
        ("The Bridge", ChildSchoolType.ALTERNATIVE, "The Bridge", SchoolType.OTHER),
        ("", ChildSchoolType.NONE, "Not in school", SchoolType.OTHER),
        ("", "", "", ""),
    ],
)
def test_the_childs_school_type_in_the_forms_words(
    child, social_worker, panel, school_name, school_type, expected_school, expected_type
):
    child.school_name = school_name
    child.school_type = school_type
    child.has_ehc_plan = False
    child.save()

    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )

    assert referral.education_current_school == expected_school
    assert referral.education_school_type == expected_type
    assert referral.education_has_ehc_plan is False


def test_the_prefilled_answers_stay_editable_and_the_childs_record_is_untouched(sam, child, panel):
    child.school_name = "Oakwood School"
    child.school_type = ChildSchoolType.SPECIAL
    child.has_ehc_plan = True
    child.save()
    referral = _start(sam, child, panel)

    response = sam.post(
        reverse("referrals:section", args=[referral.pk, "education"]),
        {
            "education_change": "True",
            "education_has_ehc_plan": "True",
            "education_discussed_with_sen": "False",
            "education_current_school": "Hill Top School",
            "education_school_type": "mainstream",
            "then": "stay",
        },
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    child.refresh_from_db()
    assert referral.education_current_school == "Hill Top School"
    assert referral.education_school_type == SchoolType.MAINSTREAM
    assert child.school_name == "Oakwood School" and child.school_type == ChildSchoolType.SPECIAL


def test_the_start_is_audited_with_what_was_filled_in(child, social_worker, panel):
    child.school_name = "Oakwood School"
    child.save()
    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )

    event = AuditEvent.objects.get(action="referral.created", object_id=str(referral.pk))
    assert event.changes["education_current_school"] == [None, "Oakwood School"]
