"""A partnership administrator sets up panels: a new panel, its terms and settings, its members
and its closure days (panels.access.can_manage_panel). Never its agendas, papers, packs,
decisions, minutes or letters: those carry children's data and stay with the panel's chair and
administrators (can_administer). Another partnership's administrator gets 404 throughout.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from casework.access import NotAllowed
from casework.models import AgencyKind, AuditEvent, Role
from panels import access, services
from panels.models import ClosureDay, Membership, Panel
from panels.selectors.actions import tracker_referrals
from panels.urls import urlpatterns as panel_urlpatterns
from tests.factories import ActionFactory, AgencyFactory, UserFactory, agenda_item_for, signed_decision_for
from tests.panels.conftest import D

HIOW = "Hampshire and Isle of Wight"

# The pages can_manage_panel opens, and those anyone of the partnership may see.
MANAGED = {"settings", "member_add", "member_end", "closure_day_add", "closure_day_remove"}
PARTNERSHIP_PAGES = {"list", "new", "meetings", "meeting", "meeting_calendar", "detail", "recommendations"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def office(db):
    """The partnership's own office: involved with no child, so the role alone is tested."""
    return AgencyFactory(
        name="Hampshire and Isle of Wight partnership office", kind=AgencyKind.OTHER, partnership=HIOW
    )


@pytest.fixture
def hants_admin(office):
    return UserFactory(
        email="alex.admin@hiow.example.gov.uk",
        full_name="Alex Admin",
        agency=office,
        roles=[Role.PARTNERSHIP_ADMINISTRATOR],
    )


def _settings_post(panel: Panel, **changes) -> dict:
    data = {
        "name": panel.name,
        "kind": panel.kind,
        "purpose": "Agrees joint funding for children with complex needs.",
        "cadence_rule": "monthly",
        "cadence_weekday": "3",
        "cadence_week_of_month": "2",
        "cadence_interval_weeks": "4",
        "meeting_starts_at": "12:30",
        "meeting_ends_at": "14:00",
        "meeting_location": "Elizabeth II Court, Winchester",
        "papers_due_working_days": "7",
        "circulation_working_days": "5",
        "decision_letter_working_days": "3",
        "minutes_working_days": "3",
        "absent_agency_response_working_days": "3",
        "papers_reminder_working_days": "3",
        "sign_off_reminder_working_days": "2",
        "review_reminder_days": "28",
        "quorum_members_per_agency": "2",
    }
    data.update(changes)
    return data


def test_a_new_panel_is_added_then_its_terms_are_set(hants_admin, hampshire, hiow_icb, clock):
    client = _client(hants_admin)
    assert f'href="{reverse("panels:new")}"' in client.get(reverse("panels:list")).content.decode()
    response = client.post(
        reverse("panels:new"),
        {"name": "Hampshire Joint Solutions Panel", "kind": "jsp", "host_agency": hampshire.pk},
    )
    panel = Panel.objects.get(name="Hampshire Joint Solutions Panel")
    assert response.status_code == 302 and response["Location"] == reverse("panels:settings", args=[panel.pk])
    assert panel.partnership == HIOW and panel.host_agency == hampshire
    assert AuditEvent.objects.get(action="panel.created", object_id=str(panel.pk)).actor == hants_admin

    response = client.post(
        reverse("panels:settings", args=[panel.pk]),
        _settings_post(panel, papers_due_working_days="8", quorum_agencies=[hampshire.pk, hiow_icb.pk]),
    )
    assert response.status_code == 302
    panel.refresh_from_db()
    assert panel.papers_due_working_days == 8 and set(panel.quorum_agencies.all()) == {hampshire, hiow_icb}
    event = AuditEvent.objects.get(action="panel.settings_changed", object_id=str(panel.pk))
    assert event.actor == hants_admin and event.changes["papers_due_working_days"] == [7, 8]

    # The panel's page offers the administrator its settings, members and closure days only.
    page = client.get(reverse("panels:detail", args=[panel.pk])).content.decode()
    for name in ("settings", "member_add", "closure_day_add"):
        assert reverse(f"panels:{name}", args=[panel.pk]) in page
    for name in ("meetings_generate", "meeting_schedule", "letter_template"):
        assert reverse(f"panels:{name}", args=[panel.pk]) not in page


def test_a_new_panel_belongs_to_the_administrators_partnership(
    hants_admin, leics_admin, leicester, hampshire, clock
):
    response = _client(hants_admin).post(
        reverse("panels:new"), {"name": "Sneaky", "kind": "jsp", "host_agency": leicester.pk}
    )
    assert response.status_code == 200 and "Choose an agency of your partnership" in _text(response)
    with pytest.raises(NotAllowed):
        services.panel_create(actor=leics_admin, name="Sneaky", kind="jsp", host_agency=hampshire)
    assert not Panel.objects.filter(name="Sneaky").exists()


def test_only_a_partnership_administrator_adds_panels(social_worker, panel_admin, clock):
    for person in (social_worker, panel_admin):
        client = _client(person)
        assert client.get(reverse("panels:new")).status_code == 404
        assert client.post(reverse("panels:new"), {"name": "X", "kind": "jsp"}).status_code == 404
        assert f'href="{reverse("panels:new")}"' not in client.get(reverse("panels:list")).content.decode()
    with pytest.raises(NotAllowed):
        services.panel_create(actor=panel_admin, name="X", kind="jsp", host_agency=panel_admin.agency)


def test_members_and_closure_days(hants_admin, irap, service_manager, panel_chair, clock):
    client = _client(hants_admin)
    response = client.post(
        reverse("panels:member_add", args=[irap.pk]), {"person": service_manager.pk, "role": "member"}
    )
    assert response.status_code == 302
    seat = Membership.objects.get(panel=irap, person=service_manager, ends_on__isnull=True)
    added = AuditEvent.objects.get(action="panel.member_added", object_id=str(irap.pk))
    assert added.actor == hants_admin and added.changes["person"] == [None, service_manager.pk]

    response = client.post(reverse("panels:member_end", args=[irap.pk, seat.pk]), {"ends_on": ""})
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.ends_on == D(2026, 3, 2)

    response = client.post(
        reverse("panels:closure_day_add", args=[irap.pk]),
        {"day": "29/12/2026", "reason": "Christmas shutdown"},
    )
    assert response.status_code == 302
    closure = ClosureDay.objects.get(panel=irap, day=dt.date(2026, 12, 29))
    assert client.post(reverse("panels:closure_day_remove", args=[irap.pk, closure.pk])).status_code == 302
    assert not ClosureDay.objects.filter(pk=closure.pk).exists()
    assert {e.action for e in AuditEvent.objects.filter(actor=hants_admin)} >= {
        "panel.member_added",
        "panel.member_ended",
        "panel.closure_day_added",
        "panel.closure_day_removed",
    }


def test_an_administrator_cannot_seat_themselves_or_a_service_account(hants_admin, irap, office, clock):
    page = _client(hants_admin).get(reverse("panels:member_add", args=[irap.pk])).content.decode()
    assert f'value="{hants_admin.pk}"' not in page
    with pytest.raises(NotAllowed):
        services.membership_add(actor=hants_admin, panel=irap, person=hants_admin, role="chair")
    response = _client(hants_admin).post(
        reverse("panels:member_add", args=[irap.pk]), {"person": hants_admin.pk, "role": "chair"}
    )
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    bot = UserFactory(agency=office, is_service_account=True, roles=[])
    with pytest.raises(Exception, match="service account cannot sit"):
        services.membership_add(actor=hants_admin, panel=irap, person=bot, role="member")
    assert not Membership.objects.filter(panel=irap, person__in=[hants_admin, bot]).exists()


def test_the_administrator_never_gets_a_meetings_agenda_papers_decisions_minutes_or_letters(
    hants_admin, panel_admin, panel_chair, irap, irap_meeting, submitted_referral, child, clock
):
    item = agenda_item_for(referral=submitted_referral, meeting=irap_meeting, actor=panel_admin)
    decision = signed_decision_for(item, chair=panel_chair)
    logged = ActionFactory(panel=irap, action=f"Find a placement near {child.given_name}'s school")
    assert access.can_manage_panel(user=hants_admin, panel=irap)
    assert not access.can_administer(user=hants_admin, panel=irap)
    assert not access.can_read_papers(user=hants_admin, meeting=irap_meeting)
    assert not access.can_run_meeting(user=hants_admin, meeting=irap_meeting)
    assert not access.administered_panels(user=hants_admin).exists()
    assert not access.actions_visible_to(user=hants_admin).exists()
    assert not tracker_referrals(user=hants_admin, panel=irap).exists()
    assert tracker_referrals(user=panel_admin, panel=irap).exists()

    ids = {
        "pk": irap_meeting.pk,
        "item_pk": item.pk,
        "decision_pk": decision.pk,
        "declaration_pk": 1,
        "letter_pk": 1,
        "version": 1,
        "membership_pk": 1,
        "closure_pk": 1,
    }
    panel_level = {"letter_template", "actions", "action_new", "tracker", "tracker_csv", "tracker_xlsx"}
    panel_level |= {"meetings_generate", "meeting_schedule"}
    admin_client, chair_client = _client(hants_admin), _client(panel_admin)
    checked = 0
    for pattern in panel_urlpatterns:
        if (
            pattern.name in MANAGED | PARTNERSHIP_PAGES
            or pattern.name.startswith(("action", "recommendation"))
            and pattern.name not in panel_level
        ):
            continue
        names = re.findall(r"<str:(\w+)>", str(pattern.pattern))
        kwargs = {
            name: (irap.pk if name == "pk" and pattern.name in panel_level else ids[name]) for name in names
        }
        url = reverse(f"panels:{pattern.name}", kwargs=kwargs)
        response = admin_client.get(url)
        if response.status_code == 405:  # a POST-only action: try it
            response = admin_client.post(url)
        # The action log and the tracker list only what one may see: nothing, for the administrator.
        scoped = pattern.name in {"actions", "tracker", "tracker_csv", "tracker_xlsx"}
        assert response.status_code in ({200, 403, 404} if scoped else {403, 404}), url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        page = body.decode(errors="replace")
        assert child.family_name not in page and logged.action not in page, url
        checked += 1
    assert checked >= 25
    # The same pages are open to the panel's administrator, so the ids above are real.
    for name in ("agenda", "papers", "run_meeting", "minutes", "letters"):
        assert chair_client.get(reverse(f"panels:{name}", args=[irap_meeting.pk])).status_code == 200, name
    assert admin_client.get(reverse("referrals:detail", args=[submitted_referral.pk])).status_code == 404


def test_another_partnerships_administrator_gets_404(leics_admin, irap, clock, service_manager):
    closure = ClosureDay.objects.create(panel=irap, day=dt.date(2026, 12, 29))
    seat = Membership.objects.filter(panel=irap).first()
    client = _client(leics_admin)
    for url in (
        reverse("panels:detail", args=[irap.pk]),
        reverse("panels:settings", args=[irap.pk]),
        reverse("panels:member_add", args=[irap.pk]),
        reverse("panels:member_end", args=[irap.pk, seat.pk]),
        reverse("panels:closure_day_add", args=[irap.pk]),
        reverse("panels:closure_day_remove", args=[irap.pk, closure.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert (
            client.post(
                url, {"person": service_manager.pk, "role": "member", "day": "30/12/2026"}
            ).status_code
            == 404
        )
    assert not access.can_manage_panel(user=leics_admin, panel=irap)
    with pytest.raises(NotAllowed):
        services.closure_day_add(actor=leics_admin, panel=irap, day=dt.date(2026, 12, 30))
    with pytest.raises(NotAllowed):
        services.membership_add(actor=leics_admin, panel=irap, person=service_manager, role="member")
    assert ClosureDay.objects.filter(panel=irap).count() == 1
