"""The referral rule in its two shapes (referrals/access.py, issue 17): referrals_visible_to (the
child rule OR a live papers grant, for a referral or a few) and referrals_listed_for (the same
referrals as one UNION, for the list of all of them, `referrals/all/` and `/api/referrals/`). They
must agree for everyone, whatever the grants: these tests try to make them differ.

The ICB members see the council-only child's referral only through the circulated papers.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from casework import access as casework_access
from panels import services
from panels.models import Meeting
from referrals import access, selectors
from tests.factories import referral_row
from tests.panels.conftest import *  # noqa: F403  (the shared panel fixtures)
from tests.panels.conftest import CIRCULATION_DAY, MEETING_DAY, at, seat


def version(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


def listed(user) -> set[int]:
    return set(access.referrals_listed_for(user=user).values_list("pk", flat=True))


def visible(user) -> set[int]:
    return set(access.referrals_visible_to(user=user).values_list("pk", flat=True))


def agree(*people) -> None:
    for person in people:
        assert listed(person) == visible(person), person
        shown = selectors.referral_list(user=person)
        assert shown.count() == len(list(shown)) == len(visible(person)), person


def test_a_papers_grant_shows_the_granted_referral_and_nothing_else(
    clock,
    irap,
    irap_meeting,
    make_submitted,
    council_only_child,
    child,
    social_worker,
    panel_admin,
    icb_member,
    second_icb_member,
    outsider,
):
    on_agenda = make_submitted(child=council_only_child)
    services.agenda_item_add_referral(
        actor=panel_admin,
        meeting=irap_meeting,
        referral=on_agenda,
        version=version(irap_meeting),
        lead_member=seat(irap, second_icb_member),
    )
    # Another referral of the same council-only child, never on an agenda: no grant reaches it.
    elsewhere = referral_row(child=council_only_child, panel=irap, referrer=social_worker)
    # A referral of a child the ICB is involved with: the ICB sees it without any grant.
    shared = referral_row(child=child, panel=irap, referrer=social_worker)

    assert listed(icb_member) == {shared.pk}
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    assert listed(icb_member) == {shared.pk, on_agenda.pk}
    assert elsewhere.pk not in listed(icb_member)
    assert listed(social_worker) >= {on_agenda.pk, elsewhere.pk, shared.pk}
    assert listed(outsider) == set()
    agree(icb_member, second_icb_member, social_worker, panel_admin, outsider)

    # The day after the meeting the member's copy is gone, the lead member's item stays.
    clock.move_to(at(MEETING_DAY + dt.timedelta(days=1)), tick=False)
    assert listed(icb_member) == {shared.pk}
    assert listed(second_icb_member) == {shared.pk, on_agenda.pk}
    agree(icb_member, second_icb_member)


def test_a_withdrawn_item_and_a_revoked_grant_give_nothing(
    clock, irap, irap_meeting, make_submitted, council_only_child, panel_admin, icb_member
):
    from panels.models import PapersGrant

    first = make_submitted(child=council_only_child)
    second = make_submitted(child=council_only_child)
    items = [
        services.agenda_item_add_referral(
            actor=panel_admin, meeting=irap_meeting, referral=r, version=version(irap_meeting)
        )
        for r in (first, second)
    ]
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    assert listed(icb_member) == {first.pk, second.pk}
    services.agenda_item_withdraw(
        actor=panel_admin, item=items[0], version=version(irap_meeting), reason="Moved away"
    )
    assert listed(icb_member) == {second.pk}
    agree(icb_member)
    PapersGrant.objects.filter(person=icb_member).update(revoked_at=clock_now())
    assert listed(icb_member) == set()
    agree(icb_member)


def clock_now():
    from django.utils import timezone

    return timezone.now()


def test_a_child_grant_shows_that_childs_referrals_only(
    irap, council_only_child, another_child, social_worker, icb_member, hampshire
):
    from tests.factories import ChildFactory

    other_council_only = ChildFactory(owning_agency=hampshire, created_by=social_worker)
    granted = referral_row(child=council_only_child, panel=irap, referrer=social_worker)
    not_granted = referral_row(child=other_council_only, panel=irap, referrer=social_worker)
    casework_access.grant_child_view(user=icb_member, child=council_only_child)
    assert granted.pk in listed(icb_member)
    assert not_granted.pk not in listed(icb_member)
    agree(icb_member)
    casework_access.revoke_child_view(user=icb_member, child=council_only_child)
    assert granted.pk not in listed(icb_member)
    agree(icb_member)


def test_an_unusable_person_sees_none(irap, council_only_child, social_worker):
    referral_row(child=council_only_child, panel=irap, referrer=social_worker)
    social_worker.is_active = False
    assert list(access.referrals_listed_for(user=social_worker)) == []
    assert list(access.referrals_listed_for(user=None)) == []


def test_the_list_is_one_query_without_an_or_over_subplans(
    clock,
    irap,
    irap_meeting,
    make_submitted,
    council_only_child,
    panel_admin,
    icb_member,
    django_assert_num_queries,
):
    """The list's rule is a UNION of joins: no EXISTS left under an OR for PostgreSQL to guess at
    (bench/README.md: that guess made the list read every child)."""
    referral = make_submitted(child=council_only_child)
    services.agenda_item_add_referral(
        actor=panel_admin, meeting=irap_meeting, referral=referral, version=version(irap_meeting)
    )
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    rows = access.referrals_listed_for(user=icb_member)
    with django_assert_num_queries(1):
        assert list(rows.values_list("pk", flat=True)) == [referral.pk]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "SubPlan" not in plan, plan
    assert "Index Cond: (person_id = " in plan or "person_id = " in plan, plan
