"""Issue 15, "Smaller rule gaps found": one test per rule, through the services (and the page or API
where the rule is about what a person is shown), citing the seed line where there is one.

The clock is Monday 2 March 2026, 09:30 in London (tests/pathways/conftest.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AuditEvent
from panels import services as panel_services
from panels.models import Meeting
from pathways import access as pathway_access
from pathways import services
from pathways.models import CaseEvent, CaseKind, PathwayCase, Status
from tests.panels import conftest as panels_conftest
from tests.pathways.conftest import *  # noqa: F403  (Amelia, the clock, the cases)
from tests.pathways.conftest import at

# The IRAP panel and its members (tests/panels/conftest.py), as fixtures of this module too.
globals().update(
    {
        name: getattr(panels_conftest, name)
        for name in ("irap", "panel_admin", "council_member", "icb_member", "second_icb_member")
    }
)

D = dt.date


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Section 117: one case per detention -------------------------------------------------------------


def test_a_second_section_117_case_for_the_same_detention_is_refused(
    s117_case, social_worker, amelia, hampshire, s117_fields
):
    """seeds 000 line 31: "Section 117 aftercare – legal duty of aftercare for individuals discharged
    from certain forms of compulsory detention": one duty, so one case, per detention."""
    with pytest.raises(ValidationError) as error:
        services.s117_open(
            actor=social_worker, child=amelia, lead_agency=hampshire, case_worker=None, fields=s117_fields
        )
    assert "already has a Section 117 case for the detention on 3 November 2025" in str(
        error.value.message_dict["detained_on"]
    )
    assert PathwayCase.objects.filter(kind=CaseKind.SECTION_117).count() == 1

    # A later detention is a new duty.
    later = {**s117_fields, "detained_on": D(2026, 2, 2), "discharged_on": None}
    services.s117_open(
        actor=social_worker, child=amelia, lead_agency=hampshire, case_worker=None, fields=later
    )
    assert PathwayCase.objects.filter(kind=CaseKind.SECTION_117).count() == 2


def test_the_second_section_117_case_is_a_field_error_on_the_page_and_a_400_in_the_api(
    client, s117_case, social_worker, amelia, hampshire, hiow_icb
):
    body = {
        "lead_agency": hampshire.pk,
        "detention_section": "3",
        "responsible_icb": hiow_icb.pk,
        "responsible_council": hampshire.pk,
    }
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:start", args=[amelia.pk, "section-117"]), {**body, "detained_on": "03/11/2025"}
    )
    html = page.content.decode()
    assert page.status_code == 200 and "govuk-error-summary" in html
    assert 'href="#id_detained_on"' in html and "already has a Section 117 case" in html

    answer = api(social_worker).post(
        f"/api/children/{amelia.pk}/pathway-cases/section-117/",
        {**body, "detained_on": "2025-11-03"},
        format="json",
    )
    assert answer.status_code == 400
    assert "already has a Section 117 case" in answer.json()["detained_on"][0]
    assert PathwayCase.objects.filter(kind=CaseKind.SECTION_117).count() == 1


# --- Complex Lives while Continuing Care is open -----------------------------------------------------


def test_complex_lives_while_continuing_care_is_open_needs_a_reason_recorded_and_audited(
    cc_case, social_worker, amelia, hampshire
):
    """seeds 000 line 31: "A complex lives MDT is held if the child is not covered by these routes
    but still has an unmet health need": alongside an open Continuing Care case, say why."""
    opening = {
        "actor": social_worker,
        "child": amelia,
        "lead_agency": hampshire,
        "case_worker": None,
        "unmet_need": "Sleep disorder",
    }
    with pytest.raises(ValidationError) as error:
        services.complex_lives_open(**opening)
    assert "open Continuing Care case" in error.value.message_dict["reason"][0]

    case = services.complex_lives_open(
        **opening, reason="The DST covers health needs, not the housing crisis"
    )
    event = CaseEvent.objects.get(case=case, what__startswith="Opened while Continuing Care case")
    assert event.note == "The DST covers health needs, not the housing crisis"
    audit = AuditEvent.objects.get(action="pathways.complex_lives_alongside_cc")
    assert audit.changes["continuing_care_case"] == cc_case.pk


def test_complex_lives_asks_for_the_reason_only_while_continuing_care_is_open(
    client, social_worker, amelia, hampshire
):
    client.force_login(social_worker)
    url = reverse("pathways:start", args=[amelia.pk, "complex-lives"])
    assert 'name="reason"' not in client.get(url).content.decode()
    services.complex_lives_open(
        actor=social_worker, child=amelia, lead_agency=hampshire, case_worker=None, unmet_need="Sleep"
    )


def test_the_complex_lives_reason_field_is_shown_and_required_with_continuing_care_open(
    client, cc_case, social_worker, amelia, hampshire
):
    client.force_login(social_worker)
    url = reverse("pathways:start", args=[amelia.pk, "complex-lives"])
    assert 'name="reason"' in client.get(url).content.decode()
    page = client.post(url, {"lead_agency": hampshire.pk, "unmet_need": "Sleep"})
    assert page.status_code == 200 and "say why a Complex Lives case is needed" in page.content.decode()
    answer = api(social_worker).post(
        f"/api/children/{amelia.pk}/pathway-cases/complex-lives/",
        {"lead_agency": hampshire.pk, "unmet_need": "Sleep"},
        format="json",
    )
    assert answer.status_code == 400 and "reason" in answer.json()
    assert not PathwayCase.objects.filter(kind=CaseKind.COMPLEX_LIVES).exists()
    services.case_close(actor=social_worker, case=cc_case, reason="Opened in error")
    assert 'name="reason"' not in client.get(url).content.decode()
    assert Status.CLOSED == PathwayCase.objects.get(pk=cc_case.pk).status


# --- A meeting in the past; a held meeting's status --------------------------------------------------


def test_a_meeting_in_the_past_is_scheduled_only_when_confirmed(irap, panel_admin):
    with pytest.raises(ValidationError) as error:
        panel_services.meeting_schedule(actor=panel_admin, panel=irap, date=D(2026, 2, 26))
    assert error.value.message_dict["date"] == [panel_services.PAST_DATE_UNCONFIRMED]
    assert not Meeting.objects.filter(panel=irap, date=D(2026, 2, 26)).exists()
    held = panel_services.meeting_schedule(
        actor=panel_admin, panel=irap, date=D(2026, 2, 26), in_the_past=True
    )
    assert held.is_held and held.status_label == "Held"
    today = panel_services.meeting_schedule(actor=panel_admin, panel=irap, date=D(2026, 3, 2))
    assert not today.is_held and today.status_label == "Scheduled"


def test_the_schedule_page_asks_to_confirm_a_date_in_the_past_next_to_the_date(client, irap, panel_admin):
    client.force_login(panel_admin)
    url = reverse("panels:meeting_schedule", args=[irap.pk])
    form = client.get(url).content.decode()
    assert "Yes, schedule a meeting in the past" in form and 'name="in_the_past"' in form
    page = client.post(url, {"date": "26/02/2026"})
    html = page.content.decode()
    assert page.status_code == 200 and "govuk-error-summary" in html
    assert 'href="#id_date"' in html and "confirm you are scheduling a meeting in the past" in html
    assert not Meeting.objects.filter(panel=irap).exists()
    done = client.post(url, {"date": "26/02/2026", "in_the_past": "on"})
    assert done.status_code == 302
    assert Meeting.objects.get(panel=irap).date == D(2026, 2, 26)


def test_a_meeting_whose_day_has_passed_shows_held(client, clock, irap, panel_admin):
    meeting = panel_services.meeting_schedule(actor=panel_admin, panel=irap, date=D(2026, 3, 12))
    client.force_login(panel_admin)
    detail = reverse("panels:meeting", args=[meeting.pk])
    assert ">Scheduled</strong>" in client.get(detail).content.decode()
    clock.move_to(at(D(2026, 3, 13)), tick=False)
    client.force_login(panel_admin)  # a new day's sign-in
    html = client.get(detail).content.decode()
    assert ">Held</strong>" in html and ">Scheduled</strong>" not in html


# --- IFR decisions: only the people who may record them see the form -----------------------------------


def test_nobody_is_shown_an_ifr_form_they_cannot_submit(
    client, ifr_case, social_worker, clinician, icb_panel_admin
):
    """seeds 000 line 31: an IFR is "Submitted to the IFR panel by the child's NHS clinician"; the
    panel's NHS administrators and chairs record its decision (pathways.access.can_decide_ifr)."""
    decision = reverse("pathways:ifr_decision", args=[ifr_case.pk])
    detail = reverse("pathways:case", args=[ifr_case.pk])
    for person in (social_worker, clinician):
        client.force_login(person)
        assert decision not in client.get(detail).content.decode()
        refused = client.get(decision)
        assert refused.status_code == 403 and 'name="decision"' not in refused.content.decode()
    client.force_login(social_worker)
    assert client.get(reverse("pathways:ifr_information", args=[ifr_case.pk])).status_code == 403
    assert client.get(reverse("pathways:ifr_appeal", args=[ifr_case.pk])).status_code == 403

    client.force_login(icb_panel_admin)
    assert decision in client.get(detail).content.decode()
    assert 'name="decision"' in client.get(decision).content.decode()
    done = client.post(decision, {"decision": "approved", "reasons": "Meets the exceptionality test"})
    assert done.status_code == 302
    assert PathwayCase.objects.get(pk=ifr_case.pk).status == Status.APPROVED


# --- The demo's panels meet as seeds 002 says; the demo's IFR panel can decide --------------------------


def test_the_demo_panels_meet_as_the_seeds_say(db):
    """seeds 002 line 88: "The Leicestershire meeting occurs every 4 weeks on a Thursday afternoon
    from 2pm to 330pm on MS Teams. Papers are due 2 weeks in advance"; lines 420 and 424: the Joint
    Funding Panel's papers "seven working days in advance", circulated "five working days prior"."""
    from casework import demo as people_demo
    from panels.demo import IFR_PANEL, load_panels
    from panels.models import MemberRole, Panel

    people_demo.load_people()
    load_panels(start=people_demo.REFERENCE_DAY, months=3)

    jsp = Panel.objects.get(name="Leicestershire Joint Solutions Panel")
    dates = list(jsp.meetings.order_by("date").values_list("date", "starts_at", "ends_at"))
    assert len(dates) >= 3
    assert all(day.weekday() == 3 for day, _, _ in dates)  # Thursdays
    assert {(later[0] - earlier[0]).days for earlier, later in zip(dates, dates[1:], strict=False)} == {28}
    assert {(s, e) for _, s, e in dates} == {(dt.time(14, 0), dt.time(15, 30))}
    assert jsp.papers_due_working_days == 10 and jsp.meeting_location == "Microsoft Teams"

    # Line 94: "The Leicester meeting occurs monthly on a Tuesday from 1230 to 2pm. On MS Teams.
    # Papers are due 1 week in advance."
    leicester = Panel.objects.get(name="Leicester Joint Solutions Panel")
    monthly = list(leicester.meetings.order_by("date").values_list("date", "starts_at", "ends_at"))
    assert len({day.month for day, _, _ in monthly}) == len(monthly) >= 3
    assert all(day.weekday() == 1 for day, _, _ in monthly)  # Tuesdays
    assert {(s, e) for _, s, e in monthly} == {(dt.time(12, 30), dt.time(14, 0))}
    assert leicester.papers_due_working_days == 5
    assert leicester.host_agency.name.startswith("Leicester City Council")

    jfp = Panel.objects.get(name="Leicestershire Joint Funding Panel (Complex Cases)")
    assert (jfp.papers_due_working_days, jfp.circulation_working_days) == (7, 5)

    ifr = Panel.objects.get(name=IFR_PANEL)
    seats = {m.person.email: m.role for m in ifr.memberships.select_related("person")}
    assert seats["ifr.chair@hiow.demo.nhs.uk"] == MemberRole.CHAIR
    assert seats["ifr.admin@hiow.demo.nhs.uk"] == MemberRole.ADMINISTRATOR
    assert all(email.endswith(".nhs.uk") for email in seats)
    for email in seats:
        person = ifr.memberships.get(person__email=email).person
        if seats[email] in (MemberRole.CHAIR, MemberRole.ADMINISTRATOR):
            assert pathway_access.can_decide_ifr(user=person)
    irap = Panel.objects.get(name="Hampshire Integrated Resource Allocation Panel")
    assert not irap.memberships.filter(person__email__startswith="ifr.").exists()
