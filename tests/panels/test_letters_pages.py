# ruff: noqa: F811 - `held` is a fixture imported from test_minutes_services
"""Decision letter pages and API: the meeting's list (due and overdue, recipients), prepare, edit,
send without JavaScript, the letter template page, the PDF download's access matrix (the referral's
visibility plus the panel's administrators; the outsider 404), and query counts on 20+ rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AgencyKind, AuditEvent, ChildViewLog, Role
from panels import services
from panels.models import AgendaItem, DecisionLetter, LetterRecipient
from referrals.models import Referral
from tests.factories import AgencyFactory, UserFactory, signed_decision_for
from tests.panels.conftest import at
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
def sen_officer(hampshire):
    """Someone in the partnership whose agency is not involved with the children."""
    sen = AgencyFactory(name="Hampshire SEN Service", kind=AgencyKind.SEN, partnership=hampshire.partnership)
    return UserFactory(agency=sen, roles=[Role.SOCIAL_WORKER, Role.SERVICE_MANAGER], full_name="Sean Other")


@pytest.fixture
def sent_letter(held, panel_admin, django_capture_on_commit_callbacks):
    letter = services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_send(actor=panel_admin, letter=letter)
    letter.refresh_from_db()
    return letter


def test_journey_prepare_edit_send_without_javascript(
    held, panel_admin, clock, django_capture_on_commit_callbacks
):
    meeting = held.meeting
    admin = _client(panel_admin)
    listing = reverse("panels:letters", args=[meeting.pk])
    text = admin.get(listing).content.decode()
    assert "Not prepared" in text and "14 Apr 2026" in text and "Overdue" not in text
    assert "Amelia" not in text

    decision = held.decisions[0]
    prepare = reverse("panels:letter_prepare", args=[meeting.pk, decision.pk])
    assert admin.get(prepare).status_code == 200
    response = admin.post(prepare)
    letter = DecisionLetter.objects.get(decision=decision)
    assert response["Location"] == reverse("panels:letter_edit", args=[meeting.pk, letter.pk])
    assert admin.post(prepare).status_code == 409  # prepared already

    edit = reverse("panels:letter_edit", args=[meeting.pk, letter.pk])
    page = admin.get(edit).content.decode()
    assert "Dear Sam Okafor" in page
    from panels.services.letters import letter_fingerprint

    seen = letter_fingerprint(letter)
    bad = admin.post(edit, {"subject": "", "body": "Dear Sam, kept text", "fingerprint": seen})
    assert bad.status_code == 200 and "Enter the subject" in bad.content.decode()
    assert "Dear Sam, kept text" in bad.content.decode()
    assert (
        admin.post(
            edit, {"subject": "Decision for AH", "body": "Dear Sam,\nAgreed.", "fingerprint": seen}
        ).status_code
        == 302
    )
    assert admin.post(edit, {"subject": "Stale", "body": "Stale", "fingerprint": seen}).status_code == 409

    clock.move_to(at(D(2026, 4, 15)), tick=False)
    admin = _client(panel_admin)  # the old session has timed out
    assert "Overdue" in admin.get(listing).content.decode()
    send = reverse("panels:letter_send", args=[meeting.pk, letter.pk])
    assert "Dear Sam,<br>Agreed." in admin.get(send).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(send).status_code == 302
    assert len(mail.outbox) == 2
    text = admin.get(listing).content.decode()
    assert "Sent" in text and "Sam Okafor (Referrer): e-mailed" in text
    assert text.count(">Overdue<") == 1  # the other decision's letter is still owed
    assert admin.post(send).status_code == 409
    assert LetterRecipient.objects.filter(letter=letter).count() == 2


def test_letters_pages_for_administrators_only(held, icb_member, social_worker, outsider, panel_admin):
    meeting = held.meeting
    letter = services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    urls = [
        reverse("panels:letters", args=[meeting.pk]),
        reverse("panels:letter_prepare", args=[meeting.pk, held.decisions[1].pk]),
        reverse("panels:letter_edit", args=[meeting.pk, letter.pk]),
        reverse("panels:letter_send", args=[meeting.pk, letter.pk]),
        reverse("panels:letter_template", args=[meeting.panel.pk]),
    ]
    for url in urls:
        assert _client(icb_member).get(url).status_code == 403, url
        assert _client(social_worker).post(url).status_code == 403, url
        assert _client(outsider).get(url).status_code == 404, url
        assert _client(outsider).post(url).status_code == 404, url
    assert (
        _client(panel_admin).get(reverse("panels:letter_edit", args=[meeting.pk, 10**6])).status_code == 404
    )
    assert _client(panel_admin).get(reverse("panels:letter_edit", args=[meeting.pk, "x"])).status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("social_worker", 200),  # the referrer: sees the referral
        ("service_manager", 200),
        ("icb_member", 200),  # the ICB is involved with the child
        ("panel_admin", 200),
        ("sen_officer", 404),  # same partnership, not involved with the child
        ("outsider", 404),
    ],
)
def test_letter_pdf_access_and_log(sent_letter, who, expected, request):
    user = request.getfixturevalue(who)
    client = _client(user)
    response = client.get(reverse("panels:letter_pdf", args=[sent_letter.pk]))
    assert response.status_code == expected
    assert client.post(reverse("panels:letter_pdf", args=[sent_letter.pk])).status_code in (expected, 405)
    logged = AuditEvent.objects.filter(
        action="letter.pdf_downloaded", object_id=str(sent_letter.pk), actor=user
    )
    if expected == 200:
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert logged.count() == 1
        assert ChildViewLog.objects.filter(user=user, channel="pdf").count() == 1
    else:
        assert not logged.exists()
        assert _api(user).get(f"/api/letters/{sent_letter.pk}/").status_code == 404
        assert _api(user).get(f"/api/letters/{sent_letter.pk}/recipients/").status_code == 404
        assert _api(user).post(f"/api/letters/{sent_letter.pk}/send/").status_code == 404


def test_template_page_lists_placeholders_and_keeps_typing(held, panel_admin):
    url = reverse("panels:letter_template", args=[held.meeting.panel.pk])
    client = _client(panel_admin)
    text = client.get(url).content.decode()
    assert "{child_initials}" in text and "{cost_split}" in text
    response = client.post(url, {"template": ""})
    assert response.status_code == 200 and "Enter the letter template" in response.content.decode()
    assert client.post(url, {"template": "Dear {referrer_name}, {referrer.__class__}"}).status_code == 302
    held.meeting.panel.refresh_from_db()
    assert held.meeting.panel.decision_letter_template == "Dear {referrer_name}, {referrer.__class__}"


# --- Many rows: query counts ---------------------------------------------------------------------


@pytest.fixture
def many_letters(held, panel_admin, panel_chair, social_worker, hampshire, hiow_icb, child):
    """22 more signed decisions on the meeting, each with a sent letter and two recipients."""
    meeting = held.meeting
    for n in range(22):
        referral = Referral.objects.create(
            child=child,
            panel=meeting.panel,
            meeting=meeting,
            pathway="joint_package",
            status="on_agenda",
            referrer=social_worker,
            referrer_agency=hampshire,
            created_by=social_worker,
        )
        item = AgendaItem.objects.create(
            meeting=meeting,
            kind="referral",
            referral=referral,
            title="Item",
            added_by=panel_admin,
            position=n + 3,
        )
        decision = signed_decision_for(
            item, chair=panel_chair, shares=[(hampshire, "50", "743.20"), (hiow_icb, "50", "743.20")]
        )
        letter = DecisionLetter.objects.create(
            decision=decision, subject="s", body="b", created_by=panel_admin
        )
        LetterRecipient.objects.create(
            letter=letter, person=social_worker, email=social_worker.email, capacity="Referrer"
        )
        LetterRecipient.objects.create(
            letter=letter, person=panel_chair, email=panel_chair.email, capacity="Other"
        )
    return meeting


def test_letters_page_queries(many_letters, panel_admin, django_assert_max_num_queries):
    client = _client(panel_admin)
    # 1 session, 2 user, 3 meeting with panel, 4-6 can_administer, 7 closure days, 8 decisions with
    # item, referral, child and referrer, 9 their letters, 10 the letters' recipients with people,
    # 11 the one read-log insert (issue 12), savepoints around the request.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("panels:letters", args=[many_letters.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("govuk-table__row") == 25  # header + 24 decisions


def test_letters_api_queries(many_letters, panel_admin, django_assert_max_num_queries):
    client = _api(panel_admin)
    # The same as the page (session, user, meeting, can_administer, closures, decisions, letters,
    # recipients, the read-log insert), plus the session save.
    with django_assert_max_num_queries(15):
        response = client.get(f"/api/meetings/{many_letters.pk}/letters/")
    assert response.status_code == 200 and len(response.json()) == 24


# --- API ---------------------------------------------------------------------------------------


def test_api_prepare_edit_send_recipients(
    held, panel_admin, icb_member, outsider, django_capture_on_commit_callbacks
):
    admin = _api(panel_admin)
    decision = held.decisions[0]
    assert _api(outsider).post(f"/api/decisions/{decision.pk}/letter/").status_code == 404
    assert _api(outsider).get(f"/api/meetings/{held.meeting.pk}/letters/").status_code == 404
    assert _api(icb_member).get(f"/api/meetings/{held.meeting.pk}/letters/").status_code == 403
    assert _api(icb_member).post(f"/api/decisions/{decision.pk}/letter/").status_code == 403

    created = admin.post(f"/api/decisions/{decision.pk}/letter/")
    assert created.status_code == 201
    letter = created.json()
    assert letter["child_initials"] == "AH" and letter["sent_at"] is None and letter["recipients"] == []
    assert admin.post(f"/api/decisions/{decision.pk}/letter/").status_code == 409

    url = f"/api/letters/{letter['id']}/"
    bad = admin.patch(url, {"subject": "", "body": "", "fingerprint": letter["fingerprint"]}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"subject", "body"}
    edited = admin.patch(
        url, {"subject": "New", "body": "Dear Sam", "fingerprint": letter["fingerprint"]}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["body"] == "Dear Sam"
    stale = admin.patch(
        url, {"subject": "x", "body": "y", "fingerprint": letter["fingerprint"]}, format="json"
    )
    assert stale.status_code == 409
    assert _api(icb_member).patch(url, {"subject": "x", "body": "y"}, format="json").status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        sent = admin.post(url + "send/")
    assert sent.status_code == 200 and sent.json()["sent_at"]
    assert admin.post(url + "send/").status_code == 409
    recipients = admin.get(url + "recipients/").json()
    assert [(r["capacity"], bool(r["sent_at"])) for r in recipients] == [
        ("Referrer", True),
        ("Service manager (budget holder)", True),
    ]
    assert admin.get(url).json()["pdf_url"] == reverse("panels:letter_pdf", args=[letter["id"]])
    rows = admin.get(f"/api/meetings/{held.meeting.pk}/letters/").json()
    assert [r["letter"]["id"] if r["letter"] else None for r in rows] == [letter["id"], None]
