# ruff: noqa: F811 - `held` is a fixture imported from test_minutes_services
"""The minutes page and API as people and systems use them: without JavaScript through the test
client, and through the REST API. Access: members seated on the meeting day, the chair and the
administrators read; others who can see the panel are refused (403); the outsider gets 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AuditEvent, Role
from panels import services
from panels.models import Membership, Minutes, MinutesStatus
from tests.factories import UserFactory
from tests.panels.test_minutes_services import held  # noqa: F401 - the held meeting fixture

D = dt.date


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def late_joiner(held, hampshire):
    """Joined the panel the day after the meeting: not one of its members that day."""
    person = UserFactory(agency=hampshire, roles=[Role.PANEL_MEMBER], full_name="Lee Later")
    Membership.objects.create(
        panel=held.meeting.panel, person=person, agency=hampshire, role="member", starts_on=D(2026, 4, 10)
    )
    return person


def _circulated(held, panel_admin, panel_chair, django_capture_on_commit_callbacks) -> Minutes:
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    services.minutes_approve(actor=panel_chair, minutes=minutes, version=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_circulate(actor=panel_admin, minutes=minutes)
    return Minutes.objects.get(pk=minutes.pk)


def test_journey_draft_edit_approve_circulate_without_javascript(
    held, panel_admin, panel_chair, django_capture_on_commit_callbacks
):
    url = reverse("panels:minutes", args=[held.meeting.pk])
    admin = _client(panel_admin)
    page = admin.get(url)
    assert page.status_code == 200 and "Not drafted" in page.content.decode()
    assert "Tuesday 14 April 2026" in page.content.decode()  # due: 3 working days after

    assert (
        admin.post(reverse("panels:minutes_draft", args=[held.meeting.pk]), {"version": 1}).status_code == 302
    )
    minutes = Minutes.objects.get(meeting=held.meeting)
    text = admin.get(url).content.decode()
    assert "Save the minutes" in text and "Amelia" not in text

    # An empty save keeps the page, with the error next to the field.
    response = admin.post(url, {"body": "", "version": minutes.version})
    assert response.status_code == 200 and "Enter the minutes" in response.content.decode()

    assert admin.post(url, {"body": "Edited minutes", "version": minutes.version}).status_code == 302
    # A second editor with the old version: 409, with an explanation, their text kept and the saved
    # version shown next to it.
    stale = admin.post(url, {"body": "My stale text", "version": minutes.version})
    body = stale.content.decode()
    assert stale.status_code == 409
    assert (
        "Someone else changed these minutes" in body and "My stale text" in body and "Edited minutes" in body
    )

    chair = _client(panel_chair)
    approve = reverse("panels:minutes_approve", args=[held.meeting.pk])
    assert "Edited minutes" in chair.get(approve).content.decode()
    assert chair.post(approve, {"version": 1}).status_code == 409  # read an older version
    assert chair.post(approve, {"version": 2}).status_code == 302
    assert admin.post(url, {"body": "Too late", "version": 3}).status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(reverse("panels:minutes_circulate", args=[held.meeting.pk])).status_code == 302
    minutes.refresh_from_db()
    assert minutes.status == MinutesStatus.CIRCULATED and minutes.pdf_name
    assert "Download the minutes (PDF)" in admin.get(url).content.decode()


def test_only_the_chair_may_approve_on_the_page(held, panel_admin, icb_member):
    services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    approve = reverse("panels:minutes_approve", args=[held.meeting.pk])
    assert _client(panel_admin).post(approve, {"version": 1}).status_code == 403
    assert _client(icb_member).get(approve).status_code == 403


def test_members_read_circulated_minutes_but_not_drafts(held, panel_admin, icb_member):
    services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    text = _client(icb_member).get(reverse("panels:minutes", args=[held.meeting.pk])).content.decode()
    assert "The minutes will be here once the chair has approved them" in text
    assert "Referral 1 for" not in text and "Decision:" not in text
    assert (
        _client(icb_member)
        .post(reverse("panels:minutes", args=[held.meeting.pk]), {"body": "x", "version": 1})
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("panel_chair", 200),
        ("panel_admin", 200),
        ("icb_member", 200),
        ("deputy", 200),
        ("social_worker", 403),
        ("late_joiner", 403),
        ("outsider", 404),
    ],
)
def test_pdf_download_access_and_log(
    held, who, expected, request, panel_admin, panel_chair, late_joiner, django_capture_on_commit_callbacks
):
    minutes = _circulated(held, panel_admin, panel_chair, django_capture_on_commit_callbacks)
    user = held.deputy if who == "deputy" else request.getfixturevalue(who)
    client = _client(user)
    response = client.get(reverse("panels:minutes_pdf", args=[held.meeting.pk]))
    assert response.status_code == expected
    page = client.get(reverse("panels:minutes", args=[held.meeting.pk]))
    assert page.status_code == expected
    logged = AuditEvent.objects.filter(action="minutes.pdf_downloaded", object_id=str(minutes.pk), actor=user)
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert logged.count() == 1
    else:
        assert not logged.exists()


def test_outsider_gets_404_on_every_minutes_url(held, outsider, panel_admin):
    services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    pk = held.meeting.pk
    client, api = _client(outsider), _api(outsider)
    for name in ("minutes", "minutes_draft", "minutes_approve", "minutes_circulate", "minutes_pdf"):
        url = reverse(f"panels:{name}", args=[pk])
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"version": 1, "body": "x"}).status_code == 404, name
    assert client.get(reverse("panels:minutes", args=["abc"])).status_code == 404
    assert client.get(reverse("panels:minutes", args=[10**20])).status_code == 404
    assert api.get(f"/api/meetings/{pk}/minutes/").status_code == 404
    assert (
        api.patch(f"/api/meetings/{pk}/minutes/", {"body": "x", "version": 1}, format="json").status_code
        == 404
    )
    for action in ("draft", "approve", "circulate"):
        assert (
            api.post(f"/api/meetings/{pk}/minutes/{action}/", {"version": 1}, format="json").status_code
            == 404
        )


def test_minutes_page_queries(held, panel_admin, django_assert_max_num_queries):
    services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    client = _client(panel_admin)
    # session, user, meeting with panel, can_administer (up to 3), seated member, minutes with
    # people (and the children it names, in the same query), can_administer and can_chair for the
    # buttons (up to 4), closure days, the one read-log insert (issue 12), savepoints.
    with django_assert_max_num_queries(17):
        assert client.get(reverse("panels:minutes", args=[held.meeting.pk])).status_code == 200


# --- API ---------------------------------------------------------------------------------------


def test_api_draft_edit_approve_circulate(
    held, panel_admin, panel_chair, icb_member, django_capture_on_commit_callbacks
):
    base = f"/api/meetings/{held.meeting.pk}/minutes/"
    admin = _api(panel_admin)
    assert admin.get(base).status_code == 409  # nothing drafted yet

    created = admin.post(base + "draft/", {}, format="json")
    assert created.status_code == 201
    data = created.json()
    assert data["status"] == "draft" and data["version"] == 1 and "Referral" in data["body"]
    assert data["due_on"] == "2026-04-14" and data["overdue"] is False
    assert admin.post(base + "draft/", {}, format="json").status_code == 409  # needs the version

    bad = admin.patch(base, {"body": "", "version": "x"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"body", "version"}
    assert admin.patch(base, {"body": "Edited", "version": 1}, format="json").json()["version"] == 2
    stale = admin.patch(base, {"body": "Stale", "version": 1}, format="json")
    assert stale.status_code == 409 and "Someone else changed" in stale.json()["detail"]

    assert _api(icb_member).get(base).json()["body"] is None  # a draft is not for members yet
    assert admin.post(base + "approve/", {"version": 2}, format="json").status_code == 403
    assert _api(panel_chair).post(base + "approve/", {}, format="json").status_code == 400
    approved = _api(panel_chair).post(base + "approve/", {"version": 2}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        circulated = admin.post(base + "circulate/", format="json")
    assert circulated.status_code == 200 and circulated.json()["circulated_at"]
    assert admin.get(base).json()["pdf_url"] == reverse("panels:minutes_pdf", args=[held.meeting.pk])
    assert _api(icb_member).get(base).json()["body"] == "Edited"
    assert admin.post(base + "circulate/", format="json").status_code == 409


def test_api_refuses_non_members_with_403(held, panel_admin, social_worker):
    services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    assert _api(social_worker).get(f"/api/meetings/{held.meeting.pk}/minutes/").status_code == 403
