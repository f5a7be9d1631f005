"""Run the meeting for a long agenda (issue 16): the agenda overview with each item's state,
attendance and the live quorum, and one page per item with its previous and next items and its
decision form closed until the chair opens it. Through the test client, without JavaScript.

Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, is built
once for the module (tests/worlds.py): each test starts from it in its own savepoint."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from casework.models import ChildViewLog
from panels import services
from panels.forms.running import DecisionForm
from panels.models import AgendaItem, Decision, Membership
from referrals.models import Option, OptionShare, Referral
from tests.factories import ChildFactory, MeetingFactory, PanelFactory, UserFactory
from tests.panels.conftest import REVIEW, at, client_for, run_item_url, run_url, seat
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

D = dt.date

stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


def _on_agenda(meeting, *, child, referrer, agencies, n):
    referral = Referral.objects.create(
        child=child,
        panel=meeting.panel,
        meeting=meeting,
        pathway="joint_package",
        status="on_agenda",
        referrer=referrer,
        referrer_agency=referrer.agency,
        created_by=referrer,
        reason_for_referral=f"Reason {n}",
    )
    for position in (1, 2):
        option = Option.objects.create(
            referral=referral,
            position=position,
            description=f"Option {position}",
            cost=Decimal("1000.00"),
            period="weekly",
            is_recommended=position == 1,
        )
        OptionShare.objects.bulk_create(
            [OptionShare(option=option, agency=a, basis="percentage", value=Decimal("50")) for a in agencies]
        )
    return AgendaItem.objects.create(
        meeting=meeting, kind="referral", referral=referral, title=f"Item {n}", added_by=referrer, position=n
    )


@pytest.fixture
def twenty(quorate, item, irap, panel_chair, panel_admin, social_worker, hampshire, hiow_icb):
    """A 20-item agenda: `item` first, then 19 more; every other one with a declaration."""
    items = [item]
    for n in range(2, 21):
        child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
        made = _on_agenda(quorate, child=child, referrer=social_worker, agencies=[hampshire, hiow_icb], n=n)
        if n % 2:
            services.declaration_record(
                actor=panel_chair,
                agenda_item=made,
                membership=seat(irap, panel_chair),
                interest="x",
                action="remained",
            )
        items.append(made)
    return items


def _agreed(actor, item, lead, **extra):
    return services.decision_record(
        actor=actor,
        agenda_item=item,
        fields={"outcome": "agreed_as_recommended", "rationale": "Agreed", "lead_agency": lead}
        | {"review_date": REVIEW}
        | extra,
    )


def _state_of(html: str, item) -> str:
    row = re.search(rf'<tr class="govuk-table__row" id="agenda-item-{item.pk}">(.*?)</tr>', html, re.S)
    assert row, f"item {item.pk} is not on the overview"
    return re.search(r'<strong class="govuk-tag[^"]*">([^<]+)</strong>', row.group(1)).group(1)


# --- The overview -------------------------------------------------------------------------------


def test_the_overview_shows_each_items_state_attendance_and_quorum(
    twenty, quorate, panel_chair, panel_admin, hampshire, sen
):
    first, second, third, fourth, fifth = twenty[:5]
    _agreed(panel_admin, second, hampshire)  # a draft: discussed
    services.decision_sign(actor=panel_chair, decision=_agreed(panel_admin, third, hampshire))
    deferred = services.decision_record(
        actor=panel_admin,
        agenda_item=fourth,
        fields={"outcome": "deferred", "rationale": "Waiting for the health assessment"},
    )
    services.decision_sign(actor=panel_chair, decision=deferred)
    # SEN has no member at the meeting: its part is a recommendation to it.
    services.decision_sign(actor=panel_chair, decision=_agreed(panel_admin, fifth, sen))

    html = client_for(panel_chair).get(run_url(quorate)).content.decode()
    assert [_state_of(html, i) for i in twenty[:5]] == [
        "Not started",
        "Discussed: draft decision",
        "Decided",
        "Deferred",
        "Recommended",
    ]
    assert "Not started: 16; Discussed: draft decision: 1; Decided: 1; Recommended: 1; Deferred: 1." in html
    for made in twenty:
        assert f'href="{run_item_url(made)}"' in html
    # Quorum and attendance in one place; no decision form and no papers on the overview.
    assert 'id="quorum"' in html and "Quorate" in html and 'id="attendance"' in html
    assert "Correct attendance" in html  # a decision is signed: attendance is corrected with a reason
    assert "Record the decision" not in html and "Reason 2" not in html


def test_the_overview_logs_the_children_it_lists_and_the_item_page_its_child(twenty, quorate, panel_chair):
    client = client_for(panel_chair)
    client.get(run_url(quorate))
    assert not ChildViewLog.objects.filter(user=panel_chair).exists()
    client.get(run_item_url(twenty[3]))
    assert list(ChildViewLog.objects.filter(user=panel_chair).values_list("child_id", flat=True)) == [
        twenty[3].referral.child_id
    ]


# --- An item's page -----------------------------------------------------------------------------


def test_an_items_page_links_its_neighbours_and_keeps_the_decision_form_closed(twenty, quorate, panel_chair):
    client = client_for(panel_chair)
    first, second, last = twenty[0], twenty[1], twenty[-1]
    html = client.get(run_item_url(second)).content.decode()
    assert "item 2 of 20" in html
    assert (
        f'href="{run_item_url(first)}" rel="prev"' in html
        and f'href="{run_item_url(twenty[2])}" rel="next"' in html
    )
    assert f'href="{reverse("referrals:detail", args=[second.referral_id])}"' in html
    assert f'<details class="govuk-details" id="item-{second.pk}-decision-form">' in html
    assert "Record the decision on item 2" in html
    assert 'rel="prev"' not in client.get(run_item_url(first)).content.decode()
    assert 'rel="next"' not in client.get(run_item_url(last)).content.decode()
    # Only this item's papers.
    assert "Reason 2" in html and "Reason 3" not in html


def test_a_form_with_errors_opens_on_the_items_page_and_a_save_returns_to_it(
    twenty, quorate, panel_chair, hampshire
):
    client = client_for(panel_chair)
    second = twenty[1]
    prefix = f"item-{second.pk}"
    url = reverse("panels:run_decision", args=[quorate.pk, second.pk])
    bad = client.post(url, {f"{prefix}-outcome": "agreed_as_recommended", f"{prefix}-rationale": "Typed"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert f'<details class="govuk-details" id="item-{second.pk}-decision-form" open>' in html
    assert "Enter the review date" in html and "Choose the lead agency" in html and "Typed" in html
    assert html.startswith("<!DOCTYPE html>") and "<title>Error: Item 2" in html

    good = client.post(
        url,
        {
            f"{prefix}-outcome": "deferred",
            f"{prefix}-rationale": "Waiting for the health assessment",
        },
    )
    assert good.status_code == 302 and good.url == run_item_url(second) + "#decision"
    decision = Decision.objects.get(agenda_item=second)
    signed = client.post(reverse("panels:run_decision_sign", args=[quorate.pk, decision.pk]))
    assert signed.url == run_item_url(second) + "#decision"
    dec = client.post(
        reverse("panels:run_declaration", args=[quorate.pk, second.pk]),
        {f"{prefix}-dec-interest": "Typed"},
    )
    assert dec.status_code == 200 and "Choose the member declaring an interest" in dec.content.decode()


def test_a_stale_edit_answers_409_with_the_form_open_beside_the_saved_draft(
    twenty, quorate, panel_chair, panel_admin, hampshire
):
    second = twenty[1]
    draft = _agreed(panel_admin, second, hampshire)
    prefix = f"item-{second.pk}"
    page = client_for(panel_chair).get(run_item_url(second)).content.decode()
    seen = re.search(rf'name="{prefix}-seen_fingerprint" value="([^"]+)"', page).group(1)
    services.decision_record(
        actor=panel_admin,
        agenda_item=second,
        fields={"outcome": "deferred", "rationale": "Someone else's words"},
        decision=draft,
        seen_fingerprint=seen,
    )
    response = client_for(panel_chair).post(
        reverse("panels:run_decision", args=[quorate.pk, second.pk]),
        {
            f"{prefix}-decision": draft.pk,
            f"{prefix}-seen_fingerprint": seen,
            f"{prefix}-outcome": "deferred",
            f"{prefix}-rationale": "My words",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this while you were editing" in html and "My words" in html
    assert f'<details class="govuk-details" id="item-{second.pk}-decision-form" open>' in html


def test_labels_and_hints_agree():
    """A field some outcomes need says when in its hint and is not marked "(optional)"."""
    form = DecisionForm(options=[], agencies=[])
    html = str(form["review_date"].as_field_group()) + str(form["lead_agency"].as_field_group())
    html += str(form["conditions"].as_field_group()) + str(form["option"].as_field_group())
    assert "Required when" in html and "(optional)" not in html
    # Empty, they are left to the rules of the outcome (panels/services/decision_rules.py).
    form = DecisionForm({"outcome": "deferred", "rationale": "Later"}, options=[], agencies=[])
    assert form.is_valid(), form.errors


# --- Access -------------------------------------------------------------------------------------


def test_another_partnership_and_other_meetings_items_are_404(
    twenty, quorate, outsider, leicester, panel_chair, social_worker, next_meeting, panel_admin
):
    item = twenty[1]
    # A Leicester panel's chair: not a member of this panel, another partnership.
    leicester_panel = PanelFactory(name="Leicester JSP", kind="jsp", host_agency=leicester)
    leicester_chair = UserFactory(agency=leicester, roles=["panel_member"], full_name="Lena Chair")
    Membership.objects.create(
        panel=leicester_panel, person=leicester_chair, agency=leicester, role="chair", starts_on=D(2026, 1, 1)
    )
    MeetingFactory(panel=leicester_panel, date=quorate.date)
    for person in (outsider, leicester_chair):
        client = client_for(person)
        assert client.get(run_url(quorate)).status_code == 404
        assert client.get(run_item_url(item)).status_code == 404
    # An item of another meeting, or no item, under this meeting's address.
    other = AgendaItem.objects.create(
        meeting=next_meeting, kind="other_business", title="AOB", added_by=panel_admin
    )
    chair = client_for(panel_chair)
    assert chair.get(reverse("panels:run_item", args=[quorate.pk, other.pk])).status_code == 404
    assert chair.get(reverse("panels:run_item", args=[quorate.pk, 999999])).status_code == 404
    assert chair.get(f"/panels/meetings/{quorate.pk}/run/items/abc/").status_code == 404
    # A withdrawn item is no longer on the agenda.
    AgendaItem.objects.filter(pk=twenty[5].pk).update(withdrawn_at=at(quorate.date))
    assert chair.get(run_item_url(twenty[5])).status_code == 404
    assert chair.post(run_item_url(item)).status_code == 405
    # Within the partnership, without the meeting's papers: the same refusal as the overview's.
    assert client_for(social_worker).get(run_item_url(item)).status_code == 403


# --- Queries ------------------------------------------------------------------------------------


def test_the_overview_and_an_items_page_take_a_fixed_number_of_queries(
    twenty, quorate, panel_chair, panel_admin, hampshire, django_assert_max_num_queries
):
    for made in twenty[:6]:
        services.decision_sign(actor=panel_chair, decision=_agreed(panel_admin, made, hampshire))
    _agreed(panel_admin, twenty[6], hampshire)
    client = client_for(panel_chair)
    # session, user, savepoint, meeting with panel, access (the chair's seat), members, attendance,
    # quorum agencies, the agenda's items with child, their current decisions, the decisions'
    # recommendations, can_run, the list-view log insert, the header's counts, session save: none per item.
    with django_assert_max_num_queries(20):
        response = client.get(run_url(quorate))
    assert len(response.context["page"].lines) == 20
    # The item's page: the same as the chair's page of one item, plus the agenda's lines.
    for made in (twenty[0], twenty[6], twenty[12]):
        with django_assert_max_num_queries(32):
            response = client.get(run_item_url(made))
        assert response.status_code == 200


def test_other_business_needs_no_decision(quorate, item, panel_chair, panel_admin):
    aob = AgendaItem.objects.create(
        meeting=quorate, kind="other_business", title="Any other business", added_by=panel_admin, position=2
    )
    client = client_for(panel_chair)
    assert _state_of(client.get(run_url(quorate)).content.decode(), aob) == "No decision needed"
    html = client.get(run_item_url(aob)).content.decode()
    assert "Item 2: Any other business" in html and "Record the decision" not in html
    assert f'href="{run_item_url(item)}" rel="prev"' in html
