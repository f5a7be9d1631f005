# ruff: noqa: F811 - fixtures imported from the panels and pathways test modules are used as arguments
"""A stale edit (409) never loses the person's typing (issue 12).

For each page with a version or fingerprint check: two people open the edit page, A saves, B saves
from the page as it was. B gets 409 and the same page back, with every field B typed, A's saved
text beside it and who saved it, and the form's hidden version moved on, so B's second save (the
page's own form, sent again) goes through. The pages are checked without a browser for duplicate
ids and for an error summary whose link lands on a real id. The API keeps answering 409 in JSON,
with the saved version in the body.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from panels import services as panel_services
from panels.models import Decision, DecisionLetter, Minutes
from pathways import services as escalation_services
from pathways.models import EscalationMeeting, EscalationStatus
from tests.panels.conftest import (  # noqa: F401 - fixtures
    action,
    another_child,  # noqa: F401 - a fixture of `held`
    clock,
    council_member,
    icb_member,
    irap,
    irap_meeting,
    item,
    make_submitted,
    meeting_day,
    panel_admin,
    private_storage,
    quorate,
    second_icb_member,
    submitted_referral,
)
from tests.panels.test_minutes_services import held  # noqa: F401 - a held meeting with signed decisions
from tests.panels.test_running_views import _decision_post
from tests.pathways.conftest import amelia, cc_assessing, cc_case, s117_case, s117_fields  # noqa: F401
from tests.pathways.test_escalation_fixtures import rsg, sgm  # noqa: F401

D = dt.date


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class _Ids(HTMLParser):
    """Every id on the page, and the links of its error summary."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.summary_links: list[str] = []
        self._summary_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if self._summary_depth:
            self._summary_depth += 1
            if tag == "a" and attrs.get("href", "").startswith("#"):
                self.summary_links.append(attrs["href"][1:])
        elif "govuk-error-summary" in (attrs.get("class") or "").split():
            self._summary_depth = 1

    def handle_endtag(self, tag):
        if self._summary_depth:
            self._summary_depth -= 1

    def handle_startendtag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])


def assert_page_sound(html: str) -> None:
    """No id twice, and the error summary links to an id that is on the page."""
    parser = _Ids()
    parser.feed(html)
    twice = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not twice, f"duplicate ids: {sorted(twice)}"
    assert parser.summary_links, "the error summary has no link"
    for target in parser.summary_links:
        assert target in parser.ids, f"the error summary links to #{target}, which is not on the page"


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def page_form_data(form) -> dict[str, list[str]]:
    """What the 409 page's form sends when the person presses save again."""
    return {key: values for key, values in form.data.lists() if key != "csrfmiddlewaretoken"}


def assert_stale_page(response, *, typed: list[str], saved: list[str], saved_by: str) -> str:
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this while you were editing" in html
    assert "<title>Error: " in html
    for text in typed:
        assert text in html, f"B's typing is lost: {text!r}"
    for text in saved:
        assert text in html, f"A's saved text is not shown: {text!r}"
    assert f"by {saved_by}" in html
    assert_page_sound(html)
    return html


# --- Panels: actions ------------------------------------------------------------------------------


def test_action_edit(action, panel_admin, panel_chair, council_member, hampshire):
    url = reverse("panels:action_edit", args=[action.pk])
    a, b = _client(panel_admin), _client(panel_chair)
    assert hidden_value(a.get(url).content.decode(), "version") == "1"
    assert hidden_value(b.get(url).content.decode(), "version") == "1"
    first = a.post(url, {"version": 1, "action": "Young people attend twice a year", "due_on": "1/6/2026"})
    assert first.status_code == 302
    mine = {
        "version": 1,
        "action": "Invite the children in care council",
        "desired_outcome": "Young people shape the agenda",
        "owners": [council_member.pk],
        "owner_agencies": [hampshire.pk],
        "due_on": "30/4/2026",
    }
    stale = b.post(url, mine)
    html = assert_stale_page(
        stale,
        typed=[
            "Invite the children in care council",
            "Young people shape the agenda",
            "30/4/2026",
            "30 April 2026",
        ],
        saved=["Young people attend twice a year", "1 June 2026"],
        saved_by="Adam Clerk",
    )
    assert hidden_value(html, "version") == "2"
    again = b.post(url, page_form_data(stale.context["form"]))
    assert again.status_code == 302
    action.refresh_from_db()
    assert action.action == "Invite the children in care council" and action.version == 3
    assert action.due_on == D(2026, 4, 30)


def test_action_close_after_an_edit(action, panel_admin, panel_chair):
    close = reverse("panels:action_close", args=[action.pk])
    edit = reverse("panels:action_edit", args=[action.pk])
    b = _client(panel_chair)
    assert b.get(close).status_code == 200
    assert _client(panel_admin).post(edit, {"version": 1, "action": "Attend the board"}).status_code == 302
    mine = {"version": 1, "completed_on": "2/3/2026", "actual_impact": "Two young people now attend"}
    stale = b.post(close, mine)
    html = assert_stale_page(
        stale,
        typed=["Two young people now attend", "2/3/2026"],
        saved=["Attend the board"],
        saved_by="Adam Clerk",
    )
    assert hidden_value(html, "version") == "2"
    assert b.post(close, page_form_data(stale.context["form"])).status_code == 302
    action.refresh_from_db()
    assert action.status == "closed" and action.actual_impact == "Two young people now attend"


def test_an_update_typed_while_the_action_was_closed_is_kept_to_copy(action, panel_admin, council_member):
    owner = _client(council_member)
    detail = reverse("panels:action", args=[action.pk])
    assert owner.get(detail).status_code == 200
    panel_services.action_close(
        actor=panel_admin, action=action, version=1, completed_on=D(2026, 3, 2), actual_impact="Done"
    )
    refused = owner.post(
        reverse("panels:action_add_update", args=[action.pk]), {"text": "Workshop booked for September"}
    )
    html = assert_stale_page(
        refused, typed=["Workshop booked for September"], saved=["Closed"], saved_by="Adam Clerk"
    )
    assert "Add update" not in html  # closed: no save that would be refused again


def test_action_api_409_carries_the_saved_version(action, panel_admin):
    api = APIClient()
    api.force_authenticate(panel_admin)
    url = reverse("api-action", args=[action.pk])
    assert api.patch(url, {"version": 1, "action": "First"}, format="json").status_code == 200
    stale = api.patch(url, {"version": 1, "action": "Second"}, format="json")
    assert stale.status_code == 409
    body = stale.json()
    assert "Someone else changed this action" in body["detail"]
    assert body["current"]["version"] == 2 and body["current"]["action"] == "First"


# --- Panels: the agenda ----------------------------------------------------------------------------


def test_agenda_any_other_business(irap_meeting, panel_admin, panel_chair):
    url = reverse("panels:agenda_add_other", args=[irap_meeting.pk])
    a, b = _client(panel_admin), _client(panel_chair)
    assert hidden_value(a.get(url).content.decode(), "version") == "1"
    assert hidden_value(b.get(url).content.decode(), "version") == "1"
    first = a.post(url, {"version": 1, "title": "Budget update", "description": "Quarter 4 figures"})
    assert first.status_code == 302
    mine = {"version": 1, "title": "Transitions protocol", "description": "Draft for comment by May"}
    stale = b.post(url, mine)
    html = assert_stale_page(
        stale,
        typed=["Transitions protocol", "Draft for comment by May"],
        saved=["Budget update"],
        saved_by="Adam Clerk",
    )
    assert hidden_value(html, "version") == "2"
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    titles = list(irap_meeting.agenda_items.values_list("title", flat=True))
    assert "Budget update" in titles and "Transitions protocol" in titles


# --- Panels: moving and cancelling a meeting ------------------------------------------------------


def test_meeting_move(irap_meeting, panel_admin, panel_chair):
    url = reverse("panels:meeting_move", args=[irap_meeting.pk])
    a, b = _client(panel_admin), _client(panel_chair)
    assert hidden_value(a.get(url).content.decode(), "version") == "1"
    assert hidden_value(b.get(url).content.decode(), "version") == "1"
    first = a.post(url, {"version": 1, "date": "16/04/2026", "reason": "Room double booked"})
    assert first.status_code == 302
    mine = {"version": 1, "date": "23/04/2026", "reason": "Chair on leave that week"}
    stale = b.post(url, mine)
    html = assert_stale_page(
        stale,
        typed=["23/04/2026", "Chair on leave that week"],
        saved=["Room double booked"],
        saved_by="Adam Clerk",
    )
    assert hidden_value(html, "version") == "2"
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    irap_meeting.refresh_from_db()
    assert irap_meeting.date == D(2026, 4, 23)


def test_a_move_typed_while_the_meeting_was_cancelled_is_kept_to_copy(irap_meeting, panel_admin, panel_chair):
    move = reverse("panels:meeting_move", args=[irap_meeting.pk])
    cancel = reverse("panels:meeting_cancel", args=[irap_meeting.pk])
    b = _client(panel_chair)
    assert b.get(move).status_code == 200
    assert _client(panel_admin).post(cancel, {"version": 1, "reason": "Panel paused"}).status_code == 302
    stale = b.post(move, {"version": 1, "date": "23/04/2026", "reason": "Chair on leave that week"})
    html = stale.content.decode()
    assert stale.status_code == 409
    assert "Chair on leave that week" in html and "Cancelled" in html
    assert_page_sound(html)


# --- Panels: decision drafts on the chair's page --------------------------------------------------


def _decision_form(response, item):
    return next(view.form for view in response.context["page"].items if view.item.pk == item.pk)


def test_decision_draft(quorate, item, panel_chair, panel_admin):
    url = reverse("panels:run_decision", args=[quorate.pk, item.pk])
    prefix = f"item-{item.pk}"
    a, b = _client(panel_chair), _client(panel_admin)
    assert a.post(url, _decision_post(item, rationale="First thoughts.")).status_code == 302
    draft = Decision.objects.get(agenda_item=item)
    run = reverse("panels:run_item", args=[quorate.pk, item.pk])
    seen_by_a = hidden_value(a.get(run).content.decode(), f"{prefix}-seen_fingerprint")
    seen_by_b = hidden_value(b.get(run).content.decode(), f"{prefix}-seen_fingerprint")
    assert seen_by_a == seen_by_b
    saved = a.post(
        url,
        _decision_post(
            item, decision=draft.pk, seen_fingerprint=seen_by_a, rationale="The chair's agreed wording."
        ),
    )
    assert saved.status_code == 302
    mine = _decision_post(
        item,
        decision=draft.pk,
        seen_fingerprint=seen_by_b,
        rationale="Meets her needs at home.",
        conditions="Reviewed after the first term",
        key_worker="tara.bell@hants.example.gov.uk",
    )
    stale = b.post(url, mine)
    html = assert_stale_page(
        stale,
        typed=["Meets her needs at home.", "Reviewed after the first term", "tara.bell@hants.example.gov.uk"],
        saved=["The chair&#x27;s agreed wording."],
        saved_by="Peter Hale",
    )
    draft.refresh_from_db()
    assert hidden_value(html, f"{prefix}-seen_fingerprint") == panel_services.draft_fingerprint(draft)
    assert b.post(url, page_form_data(_decision_form(stale, item))).status_code == 302
    draft.refresh_from_db()
    assert (
        draft.rationale == "Meets her needs at home." and draft.conditions == "Reviewed after the first term"
    )


def test_a_first_draft_typed_while_someone_else_recorded_one(quorate, item, panel_chair, panel_admin):
    url = reverse("panels:run_decision", args=[quorate.pk, item.pk])
    a, b = _client(panel_chair), _client(panel_admin)
    assert a.post(url, _decision_post(item, rationale="The chair's draft.")).status_code == 302
    stale = b.post(url, _decision_post(item, rationale="The administrator's draft."))
    html = assert_stale_page(
        stale,
        typed=["The administrator&#x27;s draft."],
        saved=["The chair&#x27;s draft."],
        saved_by="Peter Hale",
    )
    draft = Decision.objects.get(agenda_item=item)
    assert hidden_value(html, f"item-{item.pk}-decision") == str(draft.pk)
    assert b.post(url, page_form_data(_decision_form(stale, item))).status_code == 302
    assert Decision.objects.get(agenda_item=item).rationale == "The administrator's draft."


# --- Panels: decision letters and minutes ---------------------------------------------------------


def test_decision_letter(held, panel_admin, panel_chair):
    letter = panel_services.letter_prepare(actor=panel_admin, decision=held.decisions[0])
    url = reverse("panels:letter_edit", args=[held.meeting.pk, letter.pk])
    a, b = _client(panel_admin), _client(panel_chair)
    seen = hidden_value(a.get(url).content.decode(), "fingerprint")
    assert hidden_value(b.get(url).content.decode(), "fingerprint") == seen
    first = a.post(url, {"subject": "Decision for AH", "body": "Dear Sam,\nAgreed.", "fingerprint": seen})
    assert first.status_code == 302
    stale = b.post(
        url,
        {
            "subject": "Panel decision for AH",
            "body": "Dear Sam,\nAgreed with conditions.",
            "fingerprint": seen,
        },
    )
    html = assert_stale_page(
        stale,
        typed=["Panel decision for AH", "Agreed with conditions."],
        saved=["Decision for AH", "Dear Sam,<br>Agreed."],
        saved_by="Adam Clerk",
    )
    letter.refresh_from_db()
    assert hidden_value(html, "fingerprint") == panel_services.letter_fingerprint(letter)
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    letter = DecisionLetter.objects.get(pk=letter.pk)
    assert letter.subject == "Panel decision for AH" and letter.body == "Dear Sam,\nAgreed with conditions."


def test_minutes(held, panel_admin, panel_chair):
    panel_services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    url = reverse("panels:minutes", args=[held.meeting.pk])
    a, b = _client(panel_admin), _client(panel_chair)
    assert hidden_value(a.get(url).content.decode(), "version") == "1"
    assert hidden_value(b.get(url).content.decode(), "version") == "1"
    assert a.post(url, {"body": "Minutes as the clerk wrote them", "version": 1}).status_code == 302
    stale = b.post(url, {"body": "Minutes as the chair remembers them", "version": 1})
    html = assert_stale_page(
        stale,
        typed=["Minutes as the chair remembers them"],
        saved=["Minutes as the clerk wrote them"],
        saved_by="Adam Clerk",
    )
    assert hidden_value(html, "version") == "2"
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    assert Minutes.objects.get(meeting=held.meeting).body == "Minutes as the chair remembers them"


# --- Pathway cases --------------------------------------------------------------------------------


def test_section_117_aftercare_plan(s117_case, social_worker, team_manager):
    url = reverse("pathways:s117_plan", args=[s117_case.pk])
    a, b = _client(social_worker), _client(team_manager)
    seen = hidden_value(a.get(url).content.decode(), "seen")
    assert hidden_value(b.get(url).content.decode(), "seen") == seen
    base = {"discharged_on": "12/1/2026", "seen": seen}
    assert (
        a.post(url, {**base, "plan_needs": "Weekly CAMHS sessions", "plan_services": "CAMHS"}).status_code
        == 302
    )
    mine = {
        **base,
        "plan_needs": "Daily support at school",
        "plan_services": "Learning support assistant",
        "plan_providers": "Basingstoke Academy",
        "cto_in_force": "on",
    }
    stale = b.post(url, mine)
    html = assert_stale_page(
        stale,
        typed=["Daily support at school", "Learning support assistant", "Basingstoke Academy"],
        saved=["Weekly CAMHS sessions", "CAMHS"],
        saved_by="Sam Okafor",
    )
    assert hidden_value(html, "seen") != seen
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    s117_case.section_117.refresh_from_db()
    plan = s117_case.section_117
    assert plan.plan_needs == "Daily support at school" and plan.cto_in_force is True


def test_continuing_care_evidence(cc_assessing, social_worker, team_manager):
    url = reverse("pathways:cc_evidence", args=[cc_assessing.pk])
    a, b = _client(social_worker), _client(team_manager)
    seen = hidden_value(a.get(url).content.decode(), "seen")
    assert hidden_value(b.get(url).content.decode(), "seen") == seen
    theirs = {
        "seen": seen,
        "preferences": "Amelia wants to stay near her school",
        "holistic_assessment": "Mother is the main carer",
        "professional_reports": "CAMHS report of February",
    }
    assert a.post(url, theirs).status_code == 302
    mine = {
        "seen": seen,
        "preferences": "Amelia would like to live with her aunt",
        "holistic_assessment": "Aunt can care full time",
        "professional_reports": "School report and CAMHS report",
    }
    stale = b.post(url, mine)
    assert_stale_page(
        stale,
        typed=list(mine.values())[1:],
        saved=["Amelia wants to stay near her school", "Mother is the main carer"],
        saved_by="Sam Okafor",
    )
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    cc_assessing.continuing_care.refresh_from_db()
    assert cc_assessing.continuing_care.preferences == "Amelia would like to live with her aunt"


# --- Escalations ----------------------------------------------------------------------------------


def _meeting(clinician, hampshire, **extra):
    return {
        "held_at": "02/03/2026",
        "held_time": "15:00",
        "chair": clinician.pk,
        "agencies": [hampshire.pk],
        "attendees": "Nadia, Sam",
        **extra,
    }


def test_escalation_meeting(rsg, social_worker, team_manager, clinician, hampshire, clock):
    clock.move_to(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC), tick=False)
    url = reverse("pathways:escalation_meeting", args=[rsg.pk])
    a, b = _client(social_worker), _client(team_manager)
    seen = hidden_value(a.get(url).content.decode(), "seen")
    assert hidden_value(b.get(url).content.decode(), "seen") == seen
    first = a.post(url, _meeting(clinician, hampshire, seen=seen, held_time="14:00", notes="No beds locally"))
    assert first.status_code == 302
    mine = _meeting(clinician, hampshire, seen=seen, notes="Two providers called back", actions="Tara: visit")
    stale = b.post(url, mine)
    html = assert_stale_page(
        stale,
        typed=["Two providers called back", "Tara: visit", "15:00"],
        saved=["No beds locally", "14:00"],
        saved_by="Sam Okafor",
    )
    assert hidden_value(html, "seen") != seen
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    assert EscalationMeeting.objects.filter(step__escalation=rsg).count() == 2


def test_escalation_resolve(rsg, social_worker, team_manager, clinician, hampshire, clock):
    clock.move_to(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC), tick=False)
    url = reverse("pathways:escalation_resolve", args=[rsg.pk])
    b = _client(team_manager)
    seen = hidden_value(b.get(url).content.decode(), "seen")
    escalation_services.escalation_record_meeting(
        actor=social_worker,
        escalation=rsg,
        held_at=dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC),
        chair=clinician,
        agencies=[hampshire],
        attendees="Nadia, Sam",
        notes="A placement is offered from Monday",
    )
    stale = b.post(url, {"seen": seen, "outcome": "Placement found in Winchester"})
    assert_stale_page(stale, typed=["Placement found in Winchester"], saved=["Open"], saved_by="Sam Okafor")
    assert b.post(url, page_form_data(stale.context["form"])).status_code == 302
    rsg.refresh_from_db()
    assert rsg.status == EscalationStatus.RESOLVED and rsg.outcome == "Placement found in Winchester"


def test_a_resolution_after_someone_else_resolved_is_kept_to_copy(rsg, social_worker, team_manager):
    url = reverse("pathways:escalation_resolve", args=[rsg.pk])
    b = _client(team_manager)
    seen = hidden_value(b.get(url).content.decode(), "seen")
    escalation_services.escalation_resolve(actor=social_worker, escalation=rsg, outcome="Home with support")
    stale = b.post(url, {"seen": seen, "outcome": "Placement found in Winchester"})
    html = assert_stale_page(
        stale, typed=["Placement found in Winchester"], saved=["Home with support"], saved_by="Sam Okafor"
    )
    assert "Resolve the escalation</button>" not in html  # resolved: no save that would be refused again
    rsg.refresh_from_db()
    assert rsg.outcome == "Home with support"
