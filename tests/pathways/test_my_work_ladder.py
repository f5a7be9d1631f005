"""The move to adult services and the escalation ladder on My work (pathways/my_work.py, issue 16).

The clock is Monday 2 March 2026, 09:30 in London. Amelia was born on 10 June 2011: the "tell the
adult team" step (at 14) is due now, by her 16th birthday (the next step's age).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casework.my_work import my_work_count, my_work_items
from pathways import services
from pathways.models import EscalationLevel, EscalationRoute
from tests.factories import ChildFactory
from tests.pathways.conftest import D, at
from tests.pathways.test_escalation_fixtures import *  # noqa: F403 (fixtures)


def _of(user, kind):
    return [i for i in my_work_items(user=user) if i.kind == kind]


def test_transition_step_is_the_case_workers_until_recorded(cc_case, clinician, social_worker, outsider):
    (item,) = _of(clinician, "pathways.transition_step")
    assert "Tell the adult team" in item.title
    assert item.due_on == D(2027, 6, 10) and not item.overdue
    assert item.url == reverse("pathways:cc_transition", args=[cc_case.pk])
    assert item.child.pk == cc_case.child_id
    assert not _of(social_worker, "pathways.transition_step")
    assert my_work_items(user=outsider) == []
    services.cc_record_transition_step(
        actor=clinician, case=cc_case, step="adult_team_told_on", on_date=D(2026, 3, 2)
    )
    # The checklist is due from 10 June 2027, more than 28 days away: nothing to do yet.
    assert not _of(clinician, "pathways.transition_step")
    assert my_work_count(user=clinician) == len(my_work_items(user=clinician))


def test_transition_step_is_prompted_reminder_days_before(cc_case, clinician, amelia):
    amelia.date_of_birth = D(2012, 3, 20)  # 14 on 20 March 2026: 18 days away
    amelia.save(update_fields=["date_of_birth"])
    (item,) = _of(clinician, "pathways.transition_step")
    assert item.detail == "Due from 20 March 2026"
    amelia.date_of_birth = D(2012, 4, 20)  # 14 on 20 April: 49 days away, past the 28 days
    amelia.save(update_fields=["date_of_birth"])
    assert not _of(clinician, "pathways.transition_step")


def test_adult_package_overdue_past_18(cc_case, clinician, amelia):
    amelia.date_of_birth = D(2008, 2, 1)  # 18 on 1 February 2026, nothing recorded
    amelia.save(update_fields=["date_of_birth"])
    (item,) = _of(clinician, "pathways.transition_step")
    assert "Tell the adult team" in item.title and item.overdue
    amelia.date_of_birth = D(2007, 12, 1)  # 18 more than 60 days ago: no more prompts
    amelia.save(update_fields=["date_of_birth"])
    assert not _of(clinician, "pathways.transition_step")


def test_rsg_meeting_due_to_chair_and_authoriser(
    rsg, clinician, sgm, social_worker, outsider, clock, hampshire, hiow_icb
):
    for person in (clinician, sgm):
        (item,) = _of(person, "pathways.rsg_meeting_due")
        assert item.due_on == D(2026, 3, 3) and not item.overdue
        assert item.title == "Hold the Rapid Solutions Group's first meeting"
        assert item.detail == "Due by 09:30 on 3 March 2026"
        assert item.url == reverse("pathways:escalation_meeting", args=[rsg.pk])
    assert not _of(social_worker, "pathways.rsg_meeting_due")
    assert my_work_items(user=outsider) == []
    clock.move_to(at(D(2026, 3, 3), 10), tick=False)
    (late,) = _of(clinician, "pathways.rsg_meeting_due")
    assert late.overdue
    services.escalation_record_meeting(
        actor=social_worker,
        escalation=rsg,
        held_at=at(D(2026, 3, 3), 9),
        chair=clinician,
        agencies=[hampshire, hiow_icb],
        attendees="Nadia Khan (ICB)",
        notes="Options reviewed",
    )
    (after,) = _of(clinician, "pathways.rsg_meeting_due")
    # Twice a week: the next 3 days 12 hours after the last.
    assert after.detail == "Due by 21:30 on 6 March 2026" and not after.overdue


def test_erg_report_due_monthly(erg, director, clinician, social_worker, clock):
    assert not _of(clinician, "pathways.rsg_meeting_due")  # the RSG has moved on to the ERG
    (item,) = _of(director, "pathways.erg_report_due")
    assert item.due_on == D(2026, 4, 2) and item.detail == "No report yet"
    assert item.url == reverse("pathways:escalation_report", args=[erg.pk])
    services.escalation_record_report(
        actor=social_worker, escalation=erg, reported_on=D(2026, 3, 2), progress="Placement found"
    )
    (after,) = _of(director, "pathways.erg_report_due")
    assert after.due_on == D(2026, 4, 2) and after.detail == "Last report 2 March 2026"
    services.escalation_resolve(actor=social_worker, escalation=erg, outcome="Home with support")
    assert not _of(director, "pathways.erg_report_due")


@pytest.fixture
def many(clock, hampshire, hiow_icb, social_worker, clinician, sgm):
    def make(n):
        for _ in range(n):
            child = ChildFactory(
                owning_agency=hampshire,
                created_by=social_worker,
                involved=[hiow_icb],
                date_of_birth=D(2011, 6, 10),
            )
            services.cc_open(
                actor=social_worker,
                child=child,
                lead_agency=hiow_icb,
                case_worker=clinician,
                referral_received_on=D(2026, 2, 16),
            )
            services.escalation_open(
                actor=social_worker,
                child=child,
                route=EscalationRoute.EMERGENCY,
                summary="In A&E",
                level=EscalationLevel.RSG,
                authorised_by=sgm,
                reason="No placement",
                chair=clinician,
            )

    return make


def test_query_count_fixed_whatever_the_number(client, many, clinician, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    many(1)
    client.force_login(clinician)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my_work"))
    many(20)
    # The same queries for 21 transition steps, 21 RSGs and 21 decisions as for one of each: the
    # feeds (one each), the escalation settings once, the openable children, the page's counts.
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse("my_work"))
    # The page lists each group's first items and counts them all; the whole list has every one.
    everything = my_work_items(user=clinician)
    kinds = [i.kind for i in everything]
    assert kinds.count("pathways.transition_step") == 21
    assert kinds.count("pathways.rsg_meeting_due") == 21
    assert my_work_count(user=clinician) == len(kinds) == page.context["my_work"].count
    assert dt.date(2026, 3, 3) in {i.due_on for i in page.context["items"]}
