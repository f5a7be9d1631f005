"""The API for running a meeting: quorum, attendance, declarations, decisions, recommendations."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AgencyKind
from panels.models import AgencyRecommendation, Decision
from tests.factories import AgencyFactory, UserFactory, attendance_for
from tests.panels.conftest import seat
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

# Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, built
# once for the module (tests/worlds.py): each test starts from it in its own savepoint.
stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


D = dt.date


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _decision_body(hampshire, **extra):
    return {
        "outcome": "agreed_as_recommended",
        "rationale": "Meets her needs.",
        "lead_agency": hampshire.pk,
        "review_date": "2026-10-09",
        **extra,
    }


def test_attendance_and_quorum(
    meeting_day, irap, panel_admin, panel_chair, council_member, icb_member, second_icb_member
):
    client = api_as(panel_admin)
    url = reverse("api-meeting-attendance", args=[meeting_day.pk])
    for person in (panel_chair, council_member, icb_member):
        response = client.post(url, {"membership": seat(irap, person).pk, "status": "present"}, format="json")
        assert response.status_code == 200, response.json()
    quorum = client.get(reverse("api-meeting-quorum", args=[meeting_day.pk])).json()
    assert quorum["is_quorate"] is False
    assert [(a["present"], a["required"]) for a in quorum["agencies"]] == [(2, 2), (1, 2)]
    client.post(url, {"membership": seat(irap, second_icb_member).pk, "status": "present"}, format="json")
    assert client.get(reverse("api-meeting-quorum", args=[meeting_day.pk])).json()["is_quorate"] is True
    assert len(client.get(url).json()) == 4

    bad = client.post(url, {"membership": 999999, "status": "maybe"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()
    unknown = client.post(url, {"membership": 999999, "status": "present"}, format="json")
    assert unknown.status_code == 400 and "membership" in unknown.json()
    assert (
        api_as(council_member)
        .post(url, {"membership": seat(irap, council_member).pk, "status": "absent"}, format="json")
        .status_code
        == 403
    )


def test_declarations(meeting_day, item, irap, panel_chair, icb_member):
    client = api_as(panel_chair)
    url = reverse("api-item-declarations", args=[item.pk])
    bad = client.post(
        url, {"membership": seat(irap, icb_member).pk, "interest": "", "action": "remained"}, format="json"
    )
    assert bad.status_code == 400 and "interest" in bad.json()
    made = client.post(
        url,
        {"membership": seat(irap, icb_member).pk, "interest": "Knows the family", "action": "remained"},
        format="json",
    )
    assert made.status_code == 201
    assert len(client.get(reverse("api-meeting-declarations", args=[meeting_day.pk])).json()) == 1
    assert client.delete(reverse("api-declaration", args=[made.json()["id"]])).status_code == 204


def test_decision_record_edit_sign_correct(
    meeting_day,
    item,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    hampshire,
    hiow_icb,
):
    admin = api_as(panel_admin)
    url = reverse("api-item-decision", args=[item.pk])
    # seeds 002: a meeting that is not quorate (here: no chair present) can only recommend or defer.
    irap = meeting_day.panel
    irap.inquorate_without_chair = True
    irap.save()
    not_quorate = admin.post(url, _decision_body(hampshire, outcome="declined"), format="json")
    assert not_quorate.status_code == 400 and "not quorate" in not_quorate.json()["outcome"][0]
    attendance_for(meeting_day, panel_chair, council_member, icb_member, second_icb_member)

    split = admin.post(
        url,
        _decision_body(
            hampshire,
            shares=[
                {"agency": hampshire.pk, "basis": "percentage", "value": "60"},
                {"agency": hiow_icb.pk, "basis": "percentage", "value": "30"},
            ],
        ),
        format="json",
    )
    assert split.status_code == 400
    assert split.json()["shares"] == ["The percentages add up to 90%, not 100%"]
    assert admin.post(url, _decision_body(hampshire, option=987654), format="json").status_code == 400
    assert admin.post(url, {"outcome": "nope"}, format="json").status_code == 400

    made = admin.post(url, _decision_body(hampshire), format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["status"] == "draft" and body["cost"] == "1234.56"
    assert sorted(s["amount"] for s in body["shares"]) == ["617.28", "617.28"]
    assert admin.post(url, _decision_body(hampshire), format="json").status_code == 409  # one per item

    decision_url = reverse("api-decision", args=[body["id"]])
    seen = body["fingerprint"]
    edited = admin.patch(decision_url, {"rationale": "Changed.", "fingerprint": seen}, format="json")
    assert edited.status_code == 200 and edited.json()["rationale"] == "Changed."
    assert len(edited.json()["shares"]) == 2
    # A second editor still holding the first version is refused, not allowed to overwrite.
    stale = admin.patch(decision_url, {"rationale": "Mine instead.", "fingerprint": seen}, format="json")
    assert stale.status_code == 409 and "Someone else saved this draft" in stale.json()["detail"]

    sign_url = reverse("api-decision-sign", args=[body["id"]])
    assert admin.post(sign_url).status_code == 403
    signed = api_as(panel_chair).post(sign_url)
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    assert admin.patch(decision_url, {"rationale": "Too late"}, format="json").status_code == 409
    assert api_as(panel_chair).post(sign_url).status_code == 409

    correct_url = reverse("api-decision-correct", args=[body["id"]])
    assert admin.post(correct_url, {"correction_reason": ""}, format="json").status_code == 400
    corrected = admin.post(
        correct_url, {"correction_reason": "Wrong review date", "review_date": "2026-11-09"}, format="json"
    )
    assert corrected.status_code == 201
    assert (corrected.json()["version"], corrected.json()["status"]) == (2, "draft")
    assert Decision.objects.get(pk=body["id"]).status == "superseded"


def test_outsider_gets_404_everywhere(meeting_day, item, outsider, panel_admin):
    client = api_as(outsider)
    for method, url in [
        ("get", reverse("api-meeting-quorum", args=[meeting_day.pk])),
        ("get", reverse("api-meeting-attendance", args=[meeting_day.pk])),
        ("post", reverse("api-meeting-attendance", args=[meeting_day.pk])),
        ("get", reverse("api-meeting-declarations", args=[meeting_day.pk])),
        ("post", reverse("api-item-declarations", args=[item.pk])),
        ("delete", reverse("api-declaration", args=[1])),
        ("post", reverse("api-item-decision", args=[item.pk])),
        ("get", reverse("api-decision", args=[1])),
        ("post", reverse("api-decision-sign", args=[1])),
        ("get", reverse("api-recommendation", args=[1])),
        ("post", reverse("api-recommendation-respond", args=[1])),
        ("get", "/api/meetings/x%00/quorum/"),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    assert client.get(reverse("api-recommendations")).json()["count"] == 0


def test_recommendations_mine_and_respond(
    meeting_day,
    item,
    hampshire,
    panel_admin,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    social_worker,
):
    sen = AgencyFactory(name="Hampshire SEN", kind=AgencyKind.SEN, partnership=hampshire.partnership)
    manager = UserFactory(agency=sen, roles=["finance_approver"])
    attendance_for(meeting_day, panel_chair, council_member, icb_member, second_icb_member)
    made = api_as(panel_admin).post(
        reverse("api-item-decision", args=[item.pk]), _decision_body(sen), format="json"
    )
    api_as(panel_chair).post(reverse("api-decision-sign", args=[made.json()["id"]]))
    recommendation = AgencyRecommendation.objects.get()
    assert recommendation.due_on == D(2026, 4, 14)

    client = api_as(manager)
    listing = client.get(reverse("api-recommendations")).json()
    assert [r["id"] for r in listing["results"]] == [recommendation.pk]
    assert (
        api_as(social_worker).get(reverse("api-recommendation", args=[recommendation.pk])).status_code == 404
    )
    respond = reverse("api-recommendation-respond", args=[recommendation.pk])
    assert client.post(respond, {"accept": False}, format="json").status_code == 400
    answered = client.post(respond, {"accept": False, "reason": "No budget"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "declined"
    assert client.post(respond, {"accept": True}, format="json").status_code == 409
