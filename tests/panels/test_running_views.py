"""The chair's page and the recommendation pages, through the test client without JavaScript.

Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, is built
once for the module (tests/worlds.py): each test starts from it in its own savepoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from casework.models import ChildViewLog
from panels import services
from panels.models import AgencyRecommendation, AgendaItem, Attendance, Decision, Membership, PapersGrant
from referrals.models import Option, OptionShare, Referral
from tests.factories import AgencyFactory, ChildFactory
from tests.panels.conftest import REVIEW, at, client_for, run_item_url, run_url, seat
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

D = dt.date

stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


def _decision_post(item, **extra):
    prefix = f"item-{item.pk}"
    option = Option.objects.get(referral=item.referral)
    data = {
        f"{prefix}-outcome": "agreed_as_recommended",
        f"{prefix}-option": option.pk,
        f"{prefix}-rationale": "Meets her needs.",
        f"{prefix}-lead_agency": item.referral.referrer_agency_id,
        f"{prefix}-cost": "1234.56",
        f"{prefix}-cost_period": "weekly",
        f"{prefix}-review_date": "9/10/2026",
        f"{prefix}-share_basis": "percentage",
    }
    for share in option.shares.all():
        data[f"{prefix}-share_{share.agency_id}"] = "50"
    data.update({f"{prefix}-{k}": v for k, v in extra.items()})
    return data


# --- Access ------------------------------------------------------------------------------------


def test_who_sees_the_chairs_page(meeting_day, item, panel_chair, panel_admin, council_member, social_worker):
    url = run_url(meeting_day)
    for person in (panel_chair, panel_admin):
        response = client_for(person).get(url)
        assert response.status_code == 200
        assert b"Save attendance" in response.content
        assert b"Record the decision" in client_for(person).get(run_item_url(item)).content
    # A member without the papers, and a social worker of the partnership: visible meeting, no entry.
    for person in (council_member, social_worker):
        assert client_for(person).get(url).status_code == 403
        assert client_for(person).get(run_item_url(item)).status_code == 403
    PapersGrant.objects.create(
        meeting=meeting_day, person=council_member, reason="member", starts_at=at(D(2026, 4, 1))
    )
    response = client_for(council_member).get(url)
    assert response.status_code == 200
    assert b"Save attendance" not in response.content
    response = client_for(council_member).get(run_item_url(item))
    assert response.status_code == 200 and b"Record the decision" not in response.content
    assert ChildViewLog.objects.filter(user=council_member, child=item.referral.child).exists()


def test_the_outsider_gets_404_everywhere(meeting_day, item, outsider, panel_chair, panel_admin):
    decision_pk = 1
    urls = [
        ("get", run_url(meeting_day)),
        ("post", run_url(meeting_day)),
        ("get", run_item_url(item)),
        ("post", run_item_url(item)),
        ("post", reverse("panels:run_attendance", args=[meeting_day.pk])),
        ("get", reverse("panels:run_attendance", args=[meeting_day.pk])),
        ("post", reverse("panels:run_declaration", args=[meeting_day.pk, item.pk])),
        ("post", reverse("panels:run_declaration_remove", args=[meeting_day.pk, 1])),
        ("post", reverse("panels:run_decision", args=[meeting_day.pk, item.pk])),
        ("post", reverse("panels:run_decision_sign", args=[meeting_day.pk, decision_pk])),
        ("get", reverse("panels:run_decision_correct", args=[meeting_day.pk, decision_pk])),
        ("get", reverse("panels:recommendation_respond", args=[1])),
        ("post", reverse("panels:recommendation_chase", args=[1])),
        ("get", "/panels/meetings/abc/run/"),
    ]
    client = client_for(outsider)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url
    response = client.get(reverse("panels:recommendations"))
    assert response.status_code == 200 and response.context["page"].paginator.count == 0


# --- Attendance and declarations -----------------------------------------------------------------


def test_attendance_is_saved_and_quorum_shown(
    meeting_day, irap, panel_admin, panel_chair, council_member, icb_member, second_icb_member
):
    client = client_for(panel_admin)
    response = client.get(run_url(meeting_day))
    assert b"Not quorate" in response.content
    data = {
        f"status_{seat(irap, p).pk}": "present"
        for p in (panel_chair, council_member, icb_member, second_icb_member)
    }
    response = client.post(reverse("panels:run_attendance", args=[meeting_day.pk]), data)
    assert response.status_code == 302
    assert Attendance.objects.filter(status="present").count() == 4
    page = client.get(run_url(meeting_day))
    assert (
        b"2 of 2 present" in page.content
        and b"Quorate" in page.content
        and b"Not quorate" not in page.content
    )


def test_attendance_errors_are_shown_next_to_the_member(item, irap, panel_admin, council_member, icb_member):
    meeting = item.meeting  # before the meeting day: nobody can be present yet
    council = seat(irap, council_member)
    data = {f"status_{council.pk}": "present", f"status_{seat(irap, icb_member).pk}": "apologies"}
    response = client_for(panel_admin).post(reverse("panels:run_attendance", args=[meeting.pk]), data)
    assert response.status_code == 200
    form = response.context["attendance_form"]
    assert "record who is present" in form.errors[f"status_{council.pk}"][0]
    assert b"There is a problem" in response.content
    assert Attendance.objects.get().status == "apologies"


def test_a_declaration_is_recorded_and_removed(meeting_day, item, irap, panel_chair, icb_member):
    client = client_for(panel_chair)
    url = reverse("panels:run_declaration", args=[meeting_day.pk, item.pk])
    prefix = f"item-{item.pk}-dec"
    bad = client.post(url, {f"{prefix}-membership": seat(irap, icb_member).pk, f"{prefix}-interest": "Typed"})
    assert bad.status_code == 200
    assert b"Choose the action taken" in bad.content and b"Typed" in bad.content
    ok = client.post(
        url,
        {
            f"{prefix}-membership": seat(irap, icb_member).pk,
            f"{prefix}-interest": "Knows the family",
            f"{prefix}-action": "left_the_room",
        },
    )
    assert ok.status_code == 302
    declaration = item.declarations.get()
    assert b"Knows the family" in client.get(run_item_url(item)).content
    client.post(reverse("panels:run_declaration_remove", args=[meeting_day.pk, declaration.pk]))
    assert not item.declarations.exists()


# --- Decisions ---------------------------------------------------------------------------------


def test_record_sign_and_correct_a_decision(quorate, item, panel_admin, panel_chair):
    admin = client_for(panel_admin)
    response = admin.post(reverse("panels:run_decision", args=[quorate.pk, item.pk]), _decision_post(item))
    assert response.status_code == 302, response.context and response.context["error_form"].errors
    decision = Decision.objects.get()
    assert decision.status == "draft" and decision.cost == Decimal("1234.56")

    # Editing the draft keeps the same decision.
    response = admin.post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]),
        _decision_post(
            item,
            decision=decision.pk,
            seen_fingerprint=services.draft_fingerprint(decision),
            rationale="Meets her needs; reviewed.",
        ),
    )
    assert response.status_code == 302
    assert Decision.objects.get().rationale == "Meets her needs; reviewed."

    sign_url = reverse("panels:run_decision_sign", args=[quorate.pk, decision.pk])
    assert admin.post(sign_url).status_code == 403
    assert client_for(panel_chair).post(sign_url).status_code == 302
    item.referral.refresh_from_db()
    assert item.referral.status == "decided"
    assert client_for(panel_chair).post(sign_url).status_code == 409
    # A signed decision is locked: the draft form cannot change it.
    locked = admin.post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]), _decision_post(item, decision=decision.pk)
    )
    assert locked.status_code == 409

    correct_url = reverse("panels:run_decision_correct", args=[quorate.pk, decision.pk])
    page = admin.get(correct_url)
    assert page.status_code == 200 and b"Reason for the correction" in page.content
    missing = admin.post(correct_url, _decision_post(item) | {"outcome": "deferred", "rationale": "x"})
    assert missing.status_code == 200 and b"Enter the reason for the correction" in missing.content
    data = {k.removeprefix(f"item-{item.pk}-"): v for k, v in _decision_post(item).items()}
    data |= {"outcome": "deferred", "rationale": "Wait for CAMHS.", "correction_reason": "Minuted wrongly"}
    assert admin.post(correct_url, data).status_code == 302
    assert list(Decision.objects.order_by("version").values_list("version", "status")) == [
        (1, "superseded"),
        (2, "draft"),
    ]


def test_bad_input_is_shown_next_to_the_field_with_the_typing_kept(quorate, item, panel_admin, hampshire):
    response = client_for(panel_admin).post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]),
        _decision_post(item, **{f"share_{hampshire.pk}": "60"}, cost="12.345x"),
    )
    assert response.status_code == 200
    form = response.context["error_form"]
    assert "cost" in form.errors
    assert b"12.345x" in response.content
    response = client_for(panel_admin).post(
        reverse("panels:run_decision", args=[quorate.pk, item.pk]),
        _decision_post(item, **{f"share_{hampshire.pk}": "60"}),
    )
    assert response.status_code == 200
    assert "add up to 110%" in str(response.context["error_form"].non_field_errors())
    assert not Decision.objects.exists()


def test_no_decision_without_quorum_on_the_page(meeting_day, item, panel_admin):
    """seeds 002: a meeting that is not quorate (the panel's rule: no chair) only recommends or defers."""
    irap = meeting_day.panel
    irap.inquorate_without_chair = True
    irap.save()
    response = client_for(panel_admin).post(
        reverse("panels:run_decision", args=[meeting_day.pk, item.pk]),
        _decision_post(item, outcome="declined"),
    )
    assert response.status_code == 200
    assert b"not quorate" in response.content


# --- Query count -------------------------------------------------------------------------------


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


def test_chairs_page_query_count_is_flat(
    quorate,
    item,
    irap,
    panel_chair,
    panel_admin,
    social_worker,
    hampshire,
    hiow_icb,
    django_assert_max_num_queries,
):
    services.decision_record(
        actor=panel_admin,
        agenda_item=item,
        fields={
            "outcome": "agreed_as_recommended",
            "rationale": "Agreed",
            "lead_agency": hampshire,
            "review_date": REVIEW,
        },
    )
    for n in range(2, 22):
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
    client = client_for(panel_chair)
    # The agenda page: the items and their states, no papers; none per item.
    with django_assert_max_num_queries(20):
        response = client.get(run_url(quorate))
    assert len(response.context["page"].lines) == 21
    # An item's page: session, user, savepoint, meeting with panel, can_view_running (chair's seat),
    # the item, members with person/agency/deputy, attendance, quorum agencies, the item with
    # referral/child/agency, options, their shares, the shares' agencies, declarations with member,
    # current decision with option/lead agency/key worker/signer, its shares, the shares' agencies,
    # its recommendations, the agenda's lines (items, decisions, recommendations), can_run and
    # can_sign, the partnership's agencies for the forms, one insert of the child view log, the
    # header's counts, session save, the item's child's CETR: the same whatever the agenda's length.
    for made in AgendaItem.objects.filter(meeting=quorate).order_by("position")[:3]:
        with django_assert_max_num_queries(32):
            response = client.get(run_item_url(made))
        assert len(response.context["page"].items) == 1
    assert ChildViewLog.objects.filter(user=panel_chair).count() == 3


# --- Recommendations ---------------------------------------------------------------------------


@pytest.fixture
def recommendation(quorate, item, sen, panel_admin, panel_chair):
    decision = services.decision_record(
        actor=panel_admin,
        agenda_item=item,
        fields={
            "outcome": "agreed_as_recommended",
            "rationale": "Agreed",
            "lead_agency": sen,
            "review_date": REVIEW,
        },
    )
    services.decision_sign(actor=panel_chair, decision=decision)
    return AgencyRecommendation.objects.get()


def test_recommendations_list_and_respond(recommendation, clock, sen_manager, panel_admin, social_worker):
    client = client_for(sen_manager)
    listing = client.get(reverse("panels:recommendations"))
    assert listing.status_code == 200 and b"Awaiting answer" in listing.content
    clock.move_to(at(D(2026, 4, 20)), tick=False)
    client = client_for(sen_manager)  # a new session on the later day
    assert b"Overdue" in client.get(reverse("panels:recommendations")).content

    # The panel's administrators see it; someone of another agency does not.
    assert (
        client_for(panel_admin)
        .get(reverse("panels:recommendation_respond", args=[recommendation.pk]))
        .status_code
        == 200
    )
    assert (
        client_for(social_worker)
        .get(reverse("panels:recommendation_respond", args=[recommendation.pk]))
        .status_code
        == 404
    )

    url = reverse("panels:recommendation_respond", args=[recommendation.pk])
    bad = client.post(url, {"answer": "decline"})
    assert bad.status_code == 200 and b"Enter the reason your agency declines" in bad.content
    assert client.post(url, {"answer": "accept"}).status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.status == "accepted"
    assert (
        client_for(panel_admin)
        .post(reverse("panels:recommendation_chase", args=[recommendation.pk]))
        .status_code
        == 409
    )


def test_administrators_chase_from_the_page(recommendation, panel_admin, sen_manager):
    response = client_for(panel_admin).post(reverse("panels:recommendation_chase", args=[recommendation.pk]))
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.last_chased_at is not None
    assert (
        client_for(sen_manager)
        .post(reverse("panels:recommendation_chase", args=[recommendation.pk]))
        .status_code
        == 403
    )


def test_recommendation_list_query_count(recommendation, sen, sen_manager, django_assert_max_num_queries):
    decision = recommendation.decision
    for n in range(22):
        other = AgencyFactory(name=f"Agency {n}", partnership=sen.partnership)
        AgencyRecommendation.objects.create(decision=decision, agency=other, due_on=D(2026, 4, 14))
        AgencyRecommendation.objects.create(
            decision=decision,
            agency=AgencyFactory(name=f"SEN twin {n}", partnership=sen.partnership),
            due_on=D(2026, 4, 14),
        )
    Membership.objects.create(
        panel=decision.agenda_item.meeting.panel,
        person=sen_manager,
        agency=sen,
        role="administrator",
        starts_on=D(2026, 1, 1),
    )
    client = client_for(sen_manager)
    # session, user, savepoint, count, one page with agency/meeting/panel/referral/child joined,
    # the one read-log insert (issue 12), the notices count, release, session save: no query per row.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("panels:recommendations"))
    assert len(response.context["page"].object_list) == 25
