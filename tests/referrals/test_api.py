"""The referrals REST API: the same services and access checks as the pages, answered in JSON.

Personas from tests/conftest.py: Sam (Hampshire social worker) writes the referral, Tara (his team
manager) and Sunita (service manager) sign it, Audrey (auditor) may read but not write, and Olive
from Leicester must learn nothing: not in a list, a count, a download or an action.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AuditEvent, ChildViewLog
from referrals import services
from referrals.models import Evidence, Option, Referral, SignOff, Status
from tests.factories import ChildFactory, MeetingFactory, PanelFactory, UserFactory
from tests.referrals.test_journey_services import MINIMAL_PDF

REFERRALS = "/api/referrals/"
MISSING = 10**9


def url(referral_or_pk: object, tail: str = "") -> str:
    pk = getattr(referral_or_pk, "pk", referral_or_pk)
    return f"{REFERRALS}{pk}/{tail}"


def api_as(user=None) -> APIClient:
    """A client signed in with a real session (the API's SessionAuthentication runs)."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def pdf(name: str = "assessment.pdf", content: bytes = MINIMAL_PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


SECTIONS = {
    "referrer": {"referrer_relationship": "Allocated social worker"},
    "needs": {"assessed_needs": "Autism and severe anxiety."},
    "support": {"current_support": "CAMHS weekly."},
    "permanency": {"permanency_plan": "Return home with support."},
    "education": {
        "education_change": False,
        "education_current_school": "Oakwood School",
        "education_school_type": "special",
    },
    "elsewhere": {"considered_elsewhere": "Short breaks panel."},
    "child_voice": {"child_voice": "Wants to stay near her brother."},
    "parents_voice": {"parents_voice": "Mother agrees."},
    "reason": {"reason_for_referral": "Placement at risk.", "summary_of_circumstances": "Escalating crisis."},
}


def an_option(hampshire, hiow_icb, **overrides) -> dict:
    body = {
        "description": "Residential short breaks",
        "provider": "Oak House",
        "cost": "1234.56",
        "period": "weekly",
        "starts_on": "2026-01-05",
        "ends_on": "2026-12-31",
        "shares": [
            {"agency": hampshire.pk, "basis": "percentage", "value": "50.00"},
            {"agency": hiow_icb.pk, "basis": "percentage", "value": "50.00"},
        ],
    }
    return {**body, **overrides}


@pytest.fixture
def panel(hampshire):
    return PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)


# --- The whole journey ----------------------------------------------------------------------------


def test_the_whole_journey_through_the_api(
    social_worker, team_manager, service_manager, child, panel, meeting, hampshire, hiow_icb
):
    sam = api_as(social_worker)
    response = sam.post(
        REFERRALS,
        {"child": child.pk, "panel": panel.pk, "pathway": "joint_package", "urgency": "urgent"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    referral = body["id"]
    assert (body["status"], body["urgency"], body["request_type"]) == ("draft", "urgent", "new")
    assert body["child"] == {"id": child.pk, "name": "Amelia Hart"}
    assert body["referrer"] == {"id": social_worker.pk, "name": "Sam Okafor"}
    assert {"needs", "options", "evidence"} <= set(body["problems"])

    # Sending too early lists what is missing, by section.
    early = sam.post(url(referral, "send-for-sign-off/"))
    assert early.status_code == 400
    assert {"needs", "reason", "options", "evidence"} <= set(early.json())

    for section, fields in SECTIONS.items():
        response = sam.patch(url(referral, f"sections/{section}/"), fields, format="json")
        assert response.status_code == 200, (section, response.json())
    assert set(response.json()["problems"]) == {"options", "evidence"}

    response = sam.post(url(referral, "options/"), an_option(hampshire, hiow_icb), format="json")
    assert response.status_code == 201, response.json()
    [option] = response.json()["options"]
    assert option["cost"] == "1234.56"
    assert option["is_recommended"] is True

    response = sam.post(url(referral, "evidence/"), {"file": pdf(), "title": "Needs assessment"})
    assert response.status_code == 201, response.json()
    [document] = response.json()["evidence"]
    assert (document["title"], document["name"]) == ("Needs assessment", "assessment.pdf")
    assert response.json()["problems"] == {}

    response = sam.post(url(referral, "send-for-sign-off/"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "awaiting_team_manager"

    response = api_as(team_manager).post(url(referral, "sign/"), {"comments": "Agreed."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "awaiting_service_manager"

    response = api_as(service_manager).post(url(referral, "sign/"), {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ready_to_submit"

    response = sam.post(url(referral, "submit/"), {"meeting": meeting.pk}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "submitted"
    assert body["meeting"] == {"id": meeting.pk, "date": meeting.date.isoformat()}
    assert body["is_late_paper"] is False
    assert body["submitted_by"] == {"id": social_worker.pk, "name": "Sam Okafor"}
    assert [row["status"] for row in body["status_history"]] == [
        "draft",
        "awaiting_team_manager",
        "awaiting_service_manager",
        "ready_to_submit",
        "submitted",
    ]
    assert [(s["stage"], s["decision"], s["signer"]["id"], s["comments"]) for s in body["sign_offs"]] == [
        ("team_manager", "signed", team_manager.pk, "Agreed."),
        ("service_manager", "signed", service_manager.pk, ""),
    ]
    assert body["problems"] == {}  # no longer editable: nothing is "missing" any more


def test_the_record_shows_costs_side_by_side_as_money_strings(social_worker, draft, hampshire, hiow_icb):
    sam = api_as(social_worker)
    sam.post(url(draft, "options/"), an_option(hampshire, hiow_icb), format="json")
    monthly = an_option(
        hampshire,
        hiow_icb,
        description="Specialist foster placement",
        cost="1000",
        period="monthly",
        starts_on=None,
        ends_on=None,
        shares=[
            {"agency": hampshire.pk, "basis": "amount", "value": "600"},
            {"agency": hiow_icb.pk, "basis": "amount", "value": "400.00"},
        ],
    )
    assert sam.post(url(draft, "options/"), monthly, format="json").status_code == 201
    one_off = an_option(hampshire, hiow_icb, description="Adaptations", cost="999.99", period="one_off")
    one_off["shares"] = [{"agency": hampshire.pk, "basis": "percentage", "value": "100"}]
    body = sam.post(url(draft, "options/"), one_off, format="json").json()

    weekly, monthly, once = body["options"]
    assert (weekly["position"], weekly["is_recommended"]) == (1, True)
    assert (weekly["weekly_cost"], weekly["annual_cost"]) == ("1234.56", "64197.12")
    assert weekly["shares"] == [
        {
            "agency": {"id": hampshire.pk, "name": hampshire.name},
            "basis": "percentage",
            "value": "50.00",
            "cost_per_period": "617.28",
            "weekly_cost": "617.28",
            "annual_cost": "32098.56",
        },
        {
            "agency": {"id": hiow_icb.pk, "name": hiow_icb.name},
            "basis": "percentage",
            "value": "50.00",
            "cost_per_period": "617.28",
            "weekly_cost": "617.28",
            "annual_cost": "32098.56",
        },
    ]
    # £12,000 a year is £230.77 a week; the shares of each column add up to it to the penny.
    assert (monthly["cost"], monthly["weekly_cost"], monthly["annual_cost"]) == (
        "1000.00",
        "230.77",
        "12000.00",
    )
    assert [(s["cost_per_period"], s["weekly_cost"], s["annual_cost"]) for s in monthly["shares"]] == [
        ("600.00", "138.46", "7200.00"),
        ("400.00", "92.31", "4800.00"),
    ]
    assert (once["weekly_cost"], once["annual_cost"]) == (None, None)
    assert once["shares"][0]["weekly_cost"] is None
    assert once["shares"][0]["cost_per_period"] == "999.99"


def test_the_record_has_sections_evidence_without_paths_and_logs_the_read(social_worker, complete):
    evidence = Evidence.objects.get(referral=complete)
    response = api_as(social_worker).get(url(complete))
    assert response.status_code == 200
    body = response.json()
    assert body["assessed_needs"] == "Autism and severe anxiety."
    assert body["education_change"] is False
    assert [s["key"] for s in body["sections"]] == [key for key, _title, _fields in services.SECTIONS]
    assert body["sections"][5] == {
        "key": "education",
        "title": "5. Education",
        "fields": [
            "education_change",
            "education_has_ehc_plan",
            "education_discussed_with_sen",
            "education_sen_comments",
            "education_current_school",
            "education_school_type",
        ],
    }
    assert body["problems"] == {}
    [document] = body["evidence"]
    assert (
        document["download_url"] == f"http://testserver{url(complete, f'evidence/{evidence.pk}/download/')}"
    )
    assert document["size"] == len(MINIMAL_PDF)
    assert document["content_type"] == "application/pdf"
    assert evidence.stored_name not in response.content.decode()
    assert "stored_name" not in document
    log = ChildViewLog.objects.get(child=complete.child)
    assert (log.user, log.channel, log.path) == (social_worker, "api", url(complete))


def test_download_gives_the_file_and_is_audited(social_worker, clinician, complete):
    evidence = Evidence.objects.get(referral=complete)
    for person in (social_worker, clinician):
        response = api_as(person).get(
            url(complete, f"evidence/{evidence.pk}/download/"), HTTP_ACCEPT="application/pdf"
        )
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == MINIMAL_PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="assessment.pdf"'
    downloads = AuditEvent.objects.filter(action="referral.evidence.downloaded", object_id=str(evidence.pk))
    assert {event.actor for event in downloads} == {social_worker, clinician}


def test_removed_evidence_is_gone_from_the_record_and_cannot_be_downloaded(social_worker, complete):
    evidence = Evidence.objects.get(referral=complete)
    sam = api_as(social_worker)
    response = sam.delete(url(complete, f"evidence/{evidence.pk}/"))
    assert response.status_code == 204
    body = sam.get(url(complete)).json()
    assert body["evidence"] == []
    assert body["problems"] == {"evidence": ["Attach at least one piece of evidence"]}
    assert sam.get(url(complete, f"evidence/{evidence.pk}/download/")).status_code == 404
    assert sam.delete(url(complete, f"evidence/{evidence.pk}/")).status_code == 404


def test_change_replace_recommend_and_remove_options(social_worker, draft, hampshire, hiow_icb):
    sam = api_as(social_worker)
    sam.post(url(draft, "options/"), an_option(hampshire, hiow_icb), format="json")
    sam.post(url(draft, "options/"), an_option(hampshire, hiow_icb, description="Second"), format="json")
    first, second = Option.objects.filter(referral=draft).order_by("position")

    changed = an_option(hampshire, hiow_icb, cost="2000.00", description="Changed")
    changed["shares"] = [{"agency": hiow_icb.pk, "basis": "amount", "value": "2000.00"}]
    response = sam.put(url(draft, f"options/{second.pk}/"), changed, format="json")
    assert response.status_code == 200, response.json()
    row = response.json()["options"][1]
    assert (row["description"], row["cost"], row["provider"]) == ("Changed", "2000.00", "Oak House")
    assert [s["agency"]["id"] for s in row["shares"]] == [hiow_icb.pk]

    response = sam.post(url(draft, f"options/{second.pk}/recommend/"))
    assert response.status_code == 200
    assert [o["is_recommended"] for o in response.json()["options"]] == [False, True]

    assert sam.delete(url(draft, f"options/{first.pk}/")).status_code == 204
    assert list(Option.objects.filter(referral=draft)) == [second]


def test_an_option_of_another_referral_is_not_found(social_worker, draft, child, panel, hampshire, hiow_icb):
    other = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="ifr")
    sam = api_as(social_worker)
    sam.post(url(other, "options/"), an_option(hampshire, hiow_icb), format="json")
    option = Option.objects.get(referral=other)
    assert (
        sam.put(
            url(draft, f"options/{option.pk}/"), an_option(hampshire, hiow_icb), format="json"
        ).status_code
        == 404
    )
    assert sam.delete(url(draft, f"options/{option.pk}/")).status_code == 404
    assert sam.post(url(draft, f"options/{option.pk}/recommend/")).status_code == 404
    assert Option.objects.filter(pk=option.pk).exists()


def test_changing_a_signed_referral_withdraws_the_signature(
    social_worker, team_manager, awaiting_team_manager
):
    api_as(team_manager).post(url(awaiting_team_manager, "sign/"), format="json")
    response = api_as(social_worker).patch(
        url(awaiting_team_manager, "sections/needs/"), {"assessed_needs": "Changed."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "draft"
    [signature] = body["sign_offs"]
    assert signature["withdrawn_at"] is not None
    assert "1. Assessed needs" in signature["withdrawn_reason"]


def test_return_then_withdraw(social_worker, team_manager, awaiting_team_manager):
    tara = api_as(team_manager)
    response = tara.post(url(awaiting_team_manager, "return/"), {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"comments": ["Enter what needs to change before you can sign"]}
    response = tara.post(
        url(awaiting_team_manager, "return/"), {"comments": "Add the CAMHS letter."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "returned"
    assert response.json()["status_history"][-1]["reason"] == "Add the CAMHS letter."

    sam = api_as(social_worker)
    response = sam.post(url(awaiting_team_manager, "withdraw/"), {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    response = sam.post(
        url(awaiting_team_manager, "withdraw/"), {"reason": "Family moved away"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    # A withdrawn referral is final.
    again = sam.post(url(awaiting_team_manager, "withdraw/"), {"reason": "Again"}, format="json")
    assert again.status_code == 409


def test_close_a_decided_referral(social_worker, draft):
    Referral.objects.filter(pk=draft.pk).update(status=Status.DECIDED)  # no decision service yet
    sam = api_as(social_worker)
    response = sam.post(url(draft, "close/"), {"reason": "because"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    response = sam.post(url(draft, "close/"), {"reason": "provision_accessed"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["closed_reason"]) == ("closed", "provision_accessed")


def test_closing_an_undecided_referral_is_a_conflict(social_worker, draft):
    response = api_as(social_worker).post(url(draft, "close/"), {"reason": "no_longer_needed"}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()


# --- Conflicts: 409 ---------------------------------------------------------------------------------


def test_signing_twice_is_a_conflict(service_manager, ready):
    response = api_as(service_manager).post(url(ready, "sign/"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("You gave this referral its second signature at ")
    assert response.json()["detail"].endswith(": it is no longer waiting for a signature")
    assert SignOff.objects.filter(referral=ready).count() == 2


def test_sending_twice_and_submitting_unsigned_are_conflicts(social_worker, awaiting_team_manager, meeting):
    sam = api_as(social_worker)
    assert sam.post(url(awaiting_team_manager, "send-for-sign-off/")).status_code == 409
    response = sam.post(url(awaiting_team_manager, "submit/"), {"meeting": meeting.pk}, format="json")
    assert response.status_code == 409


def test_a_submitted_referral_can_no_longer_be_changed(social_worker, ready, meeting, hampshire, hiow_icb):
    sam = api_as(social_worker)
    assert sam.post(url(ready, "submit/"), {"meeting": meeting.pk}, format="json").status_code == 200
    assert sam.patch(url(ready, "sections/needs/"), {"assessed_needs": "x"}, format="json").status_code == 409
    assert sam.post(url(ready, "options/"), an_option(hampshire, hiow_icb), format="json").status_code == 409
    assert sam.post(url(ready, "evidence/"), {"file": pdf()}).status_code == 409
    ready.refresh_from_db()
    assert ready.assessed_needs == "Autism and severe anxiety."


def test_the_writer_cannot_sign_their_own_referral(social_worker, awaiting_team_manager):
    response = api_as(social_worker).post(url(awaiting_team_manager, "sign/"), {}, format="json")
    assert response.status_code == 403


def test_a_meeting_of_another_panel_is_refused(social_worker, ready, hampshire):
    other = MeetingFactory(panel=PanelFactory(host_agency=hampshire))
    response = api_as(social_worker).post(url(ready, "submit/"), {"meeting": other.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"meeting": ["Choose a meeting of the panel this referral is for"]}


# --- The outsider: 404 everywhere, nothing in lists ----------------------------------------------

# (method, path under /api/referrals/{id}/, body); {o} is an option, {e} a document.
ENDPOINTS = [
    ("get", "", None),
    ("patch", "sections/needs/", {"assessed_needs": "Hacked"}),
    ("patch", "sections/nonsense/", {"x": 1}),
    ("post", "options/", {"description": "x"}),
    ("put", "options/{o}/", {"description": "x"}),
    ("delete", "options/{o}/", None),
    ("post", "options/{o}/recommend/", None),
    ("post", "evidence/", None),
    ("delete", "evidence/{e}/", None),
    ("get", "evidence/{e}/download/", None),
    ("post", "send-for-sign-off/", None),
    ("post", "sign/", {"comments": "ok"}),
    ("post", "return/", {"comments": "no"}),
    ("post", "submit/", {"meeting": 1}),
    ("post", "withdraw/", {"reason": "x"}),
    ("post", "close/", {"reason": "no_longer_needed"}),
]


@pytest.mark.parametrize(("method", "tail", "body"), ENDPOINTS)
def test_outsider_gets_the_same_404_as_for_a_missing_referral(
    outsider, awaiting_team_manager, method, tail, body
):
    referral = awaiting_team_manager
    option = Option.objects.get(referral=referral)
    evidence = Evidence.objects.get(referral=referral)
    tail = tail.format(o=option.pk, e=evidence.pk)
    client = api_as(outsider)
    kwargs = {"format": "json"} if body is not None else {}
    forbidden = getattr(client, method)(url(referral, tail), body, **kwargs)
    missing = getattr(client, method)(url(MISSING, tail), body, **kwargs)
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content == b'{"detail":"Page not found"}'
    # Even a broken body answers 404 first: the answer must not depend on what was sent.
    if method in {"post", "put", "patch"}:
        broken = getattr(client, method)(url(referral, tail), b"{not json", content_type="application/json")
        assert broken.status_code == 404
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_TEAM_MANAGER
    assert referral.assessed_needs == "Autism and severe anxiety."
    assert Option.objects.filter(pk=option.pk).exists()
    assert Evidence.objects.get(pk=evidence.pk).removed_at is None
    assert not SignOff.objects.filter(referral=referral).exists()
    assert not AuditEvent.objects.filter(actor=outsider).exists()
    assert not ChildViewLog.objects.filter(user=outsider).exists()


@pytest.mark.parametrize(
    ("query", "own_shown"),
    [
        ({}, True),
        ({"status": "awaiting_team_manager"}, False),
        ({"pathway": "joint_package"}, False),
        ({"urgency": "routine"}, True),
        ({"mine": "true"}, True),
        ({"awaiting_my_sign_off": "true"}, False),
    ],
)
def test_outsider_never_sees_hampshire_referrals_in_a_list_or_count(
    outsider, awaiting_team_manager, leicester_child, leicester, query, own_shown
):
    leicester_panel = PanelFactory(host_agency=leicester)
    own = services.referral_create(
        actor=outsider, child=leicester_child, panel=leicester_panel, pathway="ifr"
    )
    response = api_as(outsider).get(REFERRALS, query)
    assert response.status_code == 200
    body = response.json()
    ids = [row["id"] for row in body["results"]]
    assert awaiting_team_manager.pk not in ids
    assert ids == ([own.pk] if own_shown else [])
    assert body["count"] == len(ids)
    assert "Amelia" not in response.content.decode()


def test_outsider_cannot_filter_by_or_refer_to_a_hampshire_panel_or_child(
    outsider, panel, child, leicester_child
):
    client = api_as(outsider)
    response = client.get(REFERRALS, {"panel": panel.pk})
    assert response.status_code == 400
    assert response.json() == {"panel": [f"No panel with id {panel.pk} was found among those you can see"]}
    leicester_panel = PanelFactory(host_agency=leicester_child.owning_agency)
    hidden = client.post(
        REFERRALS, {"child": child.pk, "panel": leicester_panel.pk, "pathway": "ifr"}, format="json"
    )
    missing = client.post(
        REFERRALS, {"child": MISSING, "panel": leicester_panel.pk, "pathway": "ifr"}, format="json"
    )
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == {"child": [f"No child with id {child.pk} was found among those you can see"]}
    assert missing.json() == {"child": [f"No child with id {MISSING} was found among those you can see"]}
    refused = client.post(
        REFERRALS, {"child": leicester_child.pk, "panel": panel.pk, "pathway": "ifr"}, format="json"
    )
    assert refused.status_code == 400
    assert set(refused.json()) == {"panel"}
    assert not Referral.objects.exists()


@pytest.mark.parametrize("pk", ["abc", "-1", "0", "9" * 40, "1%20OR%201=1", "%00", "1.5", "%C3%A9"])
def test_odd_ids_in_urls_are_404_never_500(social_worker, complete, pk):
    option = Option.objects.get(referral=complete)
    client = api_as(social_worker)
    for path in (
        url(pk),
        url(pk, "sign/"),
        url(complete, f"options/{pk}/"),
        url(complete, f"evidence/{pk}/download/"),
        url(complete, f"evidence/{pk}/"),
        url(pk, f"options/{option.pk}/recommend/"),
    ):
        for method in ("get", "post", "put", "delete"):
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code in {404, 405}, (method, path, response.content)
            assert response["Content-Type"] == "application/json"
    response = client.get(url(pk))
    assert response.json() == {"detail": "Page not found"}


@pytest.mark.parametrize("tail", ["", "sign/", "evidence/1/download/"])
def test_not_signed_in_is_a_json_401_or_403(complete, tail):
    client = APIClient()
    response = client.get(url(complete, tail)) if tail != "sign/" else client.post(url(complete, tail))
    assert response.status_code in {401, 403}
    assert response["Content-Type"] == "application/json"
    assert APIClient().get(REFERRALS).status_code in {401, 403}


# --- The auditor: reads, never writes -------------------------------------------------------------


def test_auditor_reads_everything(auditor, complete):
    evidence = Evidence.objects.get(referral=complete)
    client = api_as(auditor)
    assert client.get(REFERRALS).json()["count"] == 1
    assert client.get(url(complete)).status_code == 200
    assert client.get(url(complete, f"evidence/{evidence.pk}/download/")).status_code == 200


@pytest.mark.parametrize(("method", "tail", "body"), [e for e in ENDPOINTS if e[0] != "get"])
def test_auditor_gets_403_on_every_write(auditor, awaiting_team_manager, method, tail, body):
    referral = awaiting_team_manager
    option = Option.objects.get(referral=referral)
    evidence = Evidence.objects.get(referral=referral)
    client = api_as(auditor)
    tail = tail.format(o=option.pk, e=evidence.pk)
    kwargs = {"format": "json"} if body is not None else {}
    response = getattr(client, method)(url(referral, tail), body, **kwargs)
    assert response.status_code == 403, response.content
    # The answer does not depend on the body (close asks the service, which says "not allowed"
    # first, so it needs a readable body).
    if method in {"post", "put", "patch"} and tail != "close/":
        broken = getattr(client, method)(url(referral, tail), b"{broken", content_type="application/json")
        assert broken.status_code == 403
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_TEAM_MANAGER
    assert not AuditEvent.objects.filter(actor=auditor).exists()


def test_auditor_cannot_start_a_referral(auditor, child, panel):
    client = api_as(auditor)
    body = {"child": child.pk, "panel": panel.pk, "pathway": "ifr"}
    assert client.post(REFERRALS, body, format="json").status_code == 403
    assert client.post(REFERRALS, b"{broken", content_type="application/json").status_code == 403
    assert not Referral.objects.exists()


# --- Bad input: 400 with field messages, never 500 -----------------------------------------------

NOT_MONEY = 'Enter an amount in pounds and pence as a number, like "1234.56"'
NOT_PENNIES = 'Enter pounds and pence, with no more than 2 decimal places, like "1234.56"'


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {
                "shares": [
                    {"agency": "{h}", "basis": "percentage", "value": "50"},
                    {"agency": "{i}", "basis": "percentage", "value": "40"},
                ]
            },
            "shares",
            "The percentages add up to 90%, not 100%",
        ),
        (
            {
                "cost": "100.00",
                "shares": [
                    {"agency": "{h}", "basis": "amount", "value": "60.00"},
                    {"agency": "{i}", "basis": "amount", "value": "39.99"},
                ],
            },
            "shares",
            "The amounts add up to £99.99, not the cost of £100.00",
        ),
        (
            {
                "shares": [
                    {"agency": "{h}", "basis": "percentage", "value": "50"},
                    {"agency": "{i}", "basis": "amount", "value": "617.28"},
                ]
            },
            "shares",
            "Use either percentages or amounts for every agency, not both",
        ),
        ({"shares": []}, "shares", "Say which agencies pay what share"),
        (
            {
                "shares": [
                    {"agency": "{h}", "basis": "percentage", "value": "50"},
                    {"agency": "{h}", "basis": "percentage", "value": "50"},
                ]
            },
            "shares",
            "Name each agency once",
        ),
        ({"cost": "-1.00"}, "cost", "Enter an amount of £0.00 or more"),
        ({"cost": "-0"}, "cost", "Enter an amount of £0.00 or more"),
        ({"cost": "abc"}, "cost", NOT_MONEY),
        ({"cost": "£1,000"}, "cost", NOT_MONEY),
        ({"cost": "12.345"}, "cost", NOT_PENNIES),
        ({"cost": "1e-7"}, "cost", NOT_PENNIES),
        ({"cost": "NaN"}, "cost", NOT_MONEY),
        ({"cost": "Infinity"}, "cost", NOT_MONEY),
        ({"cost": "1e20"}, "cost", "Enter £10,000,000 or less"),
        ({"cost": "9999999999.99"}, "cost", "Enter £10,000,000 or less"),
        ({"cost": "200000000", "period": "weekly"}, "cost", "Enter £10,000,000 or less"),
        ({"cost": None}, "cost", "This field may not be null."),
        ({"cost": ["1"]}, "cost", NOT_MONEY),
        ({"cost": ""}, "cost", NOT_MONEY),
        (
            {"starts_on": "2026-06-01", "ends_on": "2026-05-31"},
            "ends_on",
            "The end date must be on or after the start date",
        ),
        ({"starts_on": "31/02/2026"}, "starts_on", None),
        ({"period": "fortnightly"}, "period", '"fortnightly" is not a valid choice.'),
        ({"description": ""}, "description", "This field may not be blank."),
        ({"description": "x" * 5001}, "description", "Ensure this field has no more than 5000 characters."),
        ({"description": "a\x00b"}, "description", "Null characters are not allowed."),
        ({"provider": "x" * 201}, "provider", None),
        ({"shares": "half each"}, "shares", None),
        ({"shares": [{"agency": 10**30, "basis": "percentage", "value": "100"}]}, "shares", None),
        ({"shares": [{"agency": True, "basis": "percentage", "value": "100"}]}, "shares", None),
        ({"shares": [{"agency": "{h}", "basis": "percentage", "value": "-100"}]}, "shares", None),
        ({"shares": [{"agency": "{h}", "basis": "share", "value": "100"}]}, "shares", None),
    ],
)
def test_bad_options_are_a_400_naming_the_field(
    social_worker, draft, hampshire, hiow_icb, changes, field, message
):
    body = json.loads(
        json.dumps(an_option(hampshire, hiow_icb, **changes))
        .replace('"{h}"', str(hampshire.pk))
        .replace('"{i}"', str(hiow_icb.pk))
    )
    response = api_as(social_worker).post(url(draft, "options/"), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == {field}
    if message is not None:
        assert errors[field] == [message]
    assert not Option.objects.exists()


def test_money_as_a_json_number_is_accepted_and_answered_as_a_string(
    social_worker, draft, hampshire, hiow_icb
):
    body = an_option(hampshire, hiow_icb, cost=1234.5)
    response = api_as(social_worker).post(url(draft, "options/"), body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["options"][0]["cost"] == "1234.50"
    assert Option.objects.get().cost == Decimal("1234.50")


@pytest.mark.parametrize(
    ("section", "body", "field"),
    [
        ("nonsense", {"assessed_needs": "x"}, "section"),
        ("needs", {"child_voice": "x"}, "child_voice"),
        ("needs", {"made_up": "x"}, "made_up"),
        ("needs", {"assessed_needs": "x" * 10001}, "assessed_needs"),
        ("needs", {"assessed_needs": None}, "assessed_needs"),
        ("needs", {"assessed_needs": ["a list"]}, "assessed_needs"),
        ("needs", {"assessed_needs": "a\x00b"}, "assessed_needs"),
        ("education", {"education_change": "perhaps"}, "education_change"),
        ("education", {"education_school_type": "boarding"}, "education_school_type"),
        ("details", {"urgency": "yesterday"}, "urgency"),
        ("details", {"review_of": "abc"}, "review_of"),
        ("details", {"review_of": 10**30}, "review_of"),
    ],
)
def test_bad_sections_are_a_400_naming_the_field(social_worker, draft, section, body, field):
    response = api_as(social_worker).patch(url(draft, f"sections/{section}/"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert all(isinstance(m, str) and m for m in response.json()[field])
    draft.refresh_from_db()
    assert draft.assessed_needs == ""


def test_the_details_section_changes_urgency_and_links_a_review(social_worker, draft, child, panel):
    earlier = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="ifr")
    other_child = ChildFactory(owning_agency=child.owning_agency)
    unrelated = services.referral_create(actor=social_worker, child=other_child, panel=panel, pathway="ifr")
    sam = api_as(social_worker)
    response = sam.patch(
        url(draft, "sections/details/"), {"request_type": "review", "review_of": unrelated.pk}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"review_of"}
    response = sam.patch(
        url(draft, "sections/details/"),
        {"urgency": "emergency", "request_type": "review", "review_of": earlier.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["urgency"], response.json()["review_of"]) == ("emergency", earlier.pk)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": "DRAFT"}, "status"),
        ({"pathway": "JOINT_PACKAGE"}, "pathway"),
        ({"urgency": "soon"}, "urgency"),
        ({"panel": "abc"}, "panel"),
        ({"panel": str(MISSING)}, "panel"),
        ({"panel": "9" * 40}, "panel"),
        ({"mine": "perhaps"}, "mine"),
        ({"awaiting_my_sign_off": "2"}, "awaiting_my_sign_off"),
        ({"status": "draft\x00"}, "status"),
    ],
)
def test_unknown_filter_values_are_a_400(social_worker, draft, query, field):
    response = api_as(social_worker).get(REFERRALS, query)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {field}


def test_filters(
    social_worker, team_manager, service_manager, awaiting_team_manager, child, panel, hampshire
):
    other = services.referral_create(
        actor=team_manager,
        child=child,
        panel=PanelFactory(host_agency=hampshire),
        pathway="ifr",
        urgency="urgent",
    )

    def ids(user, **query):
        response = api_as(user).get(REFERRALS, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert set(ids(social_worker)) == {awaiting_team_manager.pk, other.pk}
    assert ids(social_worker, status="awaiting_team_manager") == [awaiting_team_manager.pk]
    assert ids(social_worker, panel=panel.pk) == [awaiting_team_manager.pk]
    assert ids(social_worker, pathway="ifr") == [other.pk]
    assert ids(social_worker, urgency="urgent") == [other.pk]
    assert ids(social_worker, mine="true") == [awaiting_team_manager.pk]
    assert ids(team_manager, mine="true") == [other.pk]
    assert ids(team_manager, awaiting_my_sign_off="true") == [awaiting_team_manager.pk]
    assert ids(team_manager, awaiting_my_sign_off="true", pathway="ifr") == []
    assert ids(service_manager, awaiting_my_sign_off="true") == []
    assert ids(social_worker, awaiting_my_sign_off="true") == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"comments": "x",}',
        b"\xff\xfe\xfa\x00garbage",
        json.dumps({"comments": "x"}).encode("utf-16"),
        '{"comments": "Zo\u00eb"}'.encode("latin-1"),
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
    ],
)
def test_malformed_bodies_are_400_never_500(
    social_worker, team_manager, child, panel, awaiting_team_manager, body
):
    draft = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="ifr")
    sam = api_as(social_worker)
    responses = [
        sam.post(REFERRALS, body, content_type="application/json"),
        sam.patch(url(draft, "sections/needs/"), body, content_type="application/json"),
        sam.post(url(draft, "options/"), body, content_type="application/json"),
        sam.put(
            url(awaiting_team_manager, f"options/{Option.objects.get().pk}/"),
            body,
            content_type="application/json",
        ),
        sam.post(url(draft, "submit/"), body, content_type="application/json"),
        sam.post(url(draft, "withdraw/"), body, content_type="application/json"),
        api_as(team_manager).post(url(awaiting_team_manager, "sign/"), body, content_type="application/json"),
        api_as(team_manager).post(
            url(awaiting_team_manager, "return/"), body, content_type="application/json"
        ),
    ]
    for response in responses:
        assert response.status_code == 400, (response.request["PATH_INFO"], response.content)
        assert response["Content-Type"] == "application/json"
    assert Referral.objects.count() == 2
    assert not SignOff.objects.exists()
    assert Referral.objects.get(pk=draft.pk).status == Status.DRAFT


def test_text_the_database_cannot_hold_is_a_400(social_worker, team_manager, draft, awaiting_team_manager):
    # JSON may escape half a UTF-16 pair, and NUL; PostgreSQL's UTF-8 text can hold neither.
    for text in ("\\ud800", "a\\u0000b"):
        response = api_as(social_worker).patch(
            url(draft, "sections/needs/"),
            f'{{"assessed_needs": "{text}"}}'.encode(),
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert set(response.json()) == {"assessed_needs"}
        response = api_as(team_manager).post(
            url(awaiting_team_manager, "sign/"),
            f'{{"comments": "{text}"}}'.encode(),
            content_type="application/json",
        )
        assert response.status_code == 400, response.content
        assert set(response.json()) == {"comments"}
    assert not SignOff.objects.exists()


def test_a_form_body_that_is_not_utf8_is_never_a_500(social_worker, draft):
    sam = api_as(social_worker)
    body = b"assessed_needs=\xff\xfe"
    assert sam.post(REFERRALS, body, content_type="application/x-www-form-urlencoded").status_code == 400
    changed = sam.patch(url(draft, "sections/needs/"), body, content_type="application/x-www-form-urlencoded")
    assert changed.status_code in {200, 400}  # Django reads undecodable bytes as U+FFFD


def test_an_end_date_before_the_start_is_refused_not_a_500(social_worker, draft, hampshire, hiow_icb):
    body = an_option(hampshire, hiow_icb, starts_on="2026-06-01", ends_on="2026-05-31")
    response = api_as(social_worker).post(url(draft, "options/"), body, format="json")
    assert response.status_code == 400
    assert not Option.objects.exists()


def test_an_empty_body_changes_nothing(social_worker, draft):
    response = api_as(social_worker).patch(
        url(draft, "sections/needs/"), b"", content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["assessed_needs"] == ""


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "The selected file is empty"),
        (
            SimpleUploadedFile("notes.pdf", b"just some text, not a PDF", "application/pdf"),
            "The selected file is called notes.pdf but is not a PDF: choose a PDF, Word document, PNG or JPEG",
        ),
        (
            SimpleUploadedFile("photo.png", MINIMAL_PDF, "image/png"),
            "The selected file is called photo.png but is a PDF: rename it or choose another file",
        ),
        (
            SimpleUploadedFile("script.exe", b"MZ\x90\x00binary", "application/octet-stream"),
            "The selected file must be a PDF, Word document, PNG or JPEG",
        ),
        (
            SimpleUploadedFile("broken.pdf", b"%PDF-1.4\n garbage", "application/pdf"),
            "The selected file is damaged and cannot be opened",
        ),
    ],
)
def test_bad_uploads_are_a_400_on_file(social_worker, draft, upload, message):
    response = api_as(social_worker).post(url(draft, "evidence/"), {"file": upload, "title": "Report"})
    assert response.status_code == 400, response.content
    assert response.json() == {"file": [message]}
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "No file"}, "file"),
        ({"file": "not a file", "title": "x"}, "file"),
        ({"file": "", "title": "x"}, "file"),
        ("long title", "title"),
    ],
)
def test_an_upload_without_a_file_or_with_a_bad_title_is_a_400(social_worker, draft, data, field):
    if data == "long title":
        data = {"file": pdf(), "title": "x" * 201}
    response = api_as(social_worker).post(url(draft, "evidence/"), data)
    assert response.status_code == 400, response.content
    assert set(response.json()) == {field}
    assert not Evidence.objects.exists()


def test_an_upload_must_be_multipart(social_worker, draft):
    response = api_as(social_worker).post(url(draft, "evidence/"), {"file": "x"}, format="json")
    assert response.status_code == 415
    assert "detail" in response.json()


# --- Query counts ---------------------------------------------------------------------------------


@pytest.fixture
def thirty_referrals(hampshire, hiow_icb, panel):
    referrals = []
    for _ in range(30):
        writer = UserFactory(agency=hampshire)
        child = ChildFactory(owning_agency=hampshire, created_by=writer, involved=[hiow_icb])
        referrals.append(services.referral_create(actor=writer, child=child, panel=panel, pathway="ifr"))
    return referrals


def test_list_query_count_does_not_grow_with_referrals(
    social_worker, thirty_referrals, django_assert_max_num_queries
):
    client = api_as(social_worker)
    # 1 session, 2 user, 3 savepoint (ATOMIC_REQUESTS), 4 count, 5 the page of referrals with
    # child, panel, meeting, referrer and agency joined, 6 the list view log insert (the children
    # named on the page), 7 release savepoint, then SESSION_SAVE_EVERY_REQUEST: 8 savepoint,
    # 9 session update, 10 release.
    with django_assert_max_num_queries(10):
        response = client.get(REFERRALS)
    assert response.json()["count"] == 30
    assert len(response.json()["results"]) == 25


def test_filtered_list_query_count(team_manager, thirty_referrals, panel, django_assert_max_num_queries):
    client = api_as(team_manager)
    # As above, plus 4 the panel filter's "can you see this panel" lookup; the awaiting-sign-off
    # filter is a subquery of the same count and page queries; the list view log insert (the filters,
    # though no child was shown).
    with django_assert_max_num_queries(11):
        response = client.get(
            REFERRALS, {"panel": panel.pk, "awaiting_my_sign_off": "true", "status": "draft"}
        )
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_record_query_count_is_fixed(
    social_worker,
    team_manager,
    service_manager,
    complete,
    meeting,
    hampshire,
    hiow_icb,
    django_assert_max_num_queries,
):
    sam = api_as(social_worker)
    for n in range(4):
        sam.post(
            url(complete, "options/"),
            an_option(hampshire, hiow_icb, description=f"Option {n}"),
            format="json",
        )
        sam.post(url(complete, "evidence/"), {"file": pdf(f"report {n}.pdf"), "title": f"Report {n}"})
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=complete)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_sign(actor=service_manager, referral=referral)
    referral = services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)
    # 1 session, 2 user, 3 savepoint, 4 access check, 5 the referral with its joins, 6 options,
    # 7 their shares with agencies, 8 evidence with uploaders, 9 sign-offs with signers, 10 status
    # history with actors, 11 view log insert, 12 release, 13-15 session save (savepoint, update,
    # release). A submitted referral can no longer change, so nothing is "missing" to look up.
    with django_assert_max_num_queries(15):
        response = sam.get(url(referral))
    body = response.json()
    assert (len(body["options"]), len(body["evidence"]), len(body["sign_offs"])) == (5, 5, 2)
    assert len(body["status_history"]) == 5
    assert body["problems"] == {}


def test_editable_record_query_count_is_fixed(
    social_worker, team_manager, service_manager, complete, hampshire, hiow_icb, django_assert_max_num_queries
):
    sam = api_as(social_worker)
    for n in range(4):
        sam.post(
            url(complete, "options/"),
            an_option(hampshire, hiow_icb, description=f"Option {n}"),
            format="json",
        )
        sam.post(url(complete, "evidence/"), {"file": pdf(f"report {n}.pdf")})
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=complete)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_sign(actor=service_manager, referral=referral)
    # As for a submitted referral (15), plus what still stops sending (services.completeness,
    # while it can be changed): 16 the options again, 17 their shares, 18 whether any evidence
    # is attached.
    with django_assert_max_num_queries(18):
        response = sam.get(url(referral))
    body = response.json()
    assert (len(body["options"]), len(body["evidence"]), len(body["sign_offs"])) == (5, 5, 2)
    assert body["status"] == "ready_to_submit"


# --- The schema -----------------------------------------------------------------------------------


def test_schema_includes_the_referrals_api(social_worker):
    response = api_as(social_worker).get(reverse("api-schema"))
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/referrals/:",
        "/api/referrals/{id}/:",
        "/api/referrals/{id}/sections/needs/:",
        "/api/referrals/{id}/options/{option_id}/recommend/:",
        "/api/referrals/{id}/evidence/{evidence_id}/download/:",
        "/api/referrals/{id}/send-for-sign-off/:",
        "/api/referrals/{id}/submit/:",
    ):
        assert path in text
