"""The access rules, each with a test that tries to break it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from casework import access, services
from casework.models import Involvement
from tests.factories import AgencyFactory, ChildFactory, UserFactory


def test_involved_agencies_see_the_child(child, social_worker, clinician):
    assert access.get_child_for_user(user=social_worker, pk=child.pk) == child
    assert access.get_child_for_user(user=clinician, pk=child.pk) == child


def test_outsider_gets_404_exactly_like_a_missing_child(child, outsider):
    with pytest.raises(Http404) as forbidden:
        access.get_child_for_user(user=outsider, pk=child.pk)
    with pytest.raises(Http404) as missing:
        access.get_child_for_user(user=outsider, pk=10**9)
    assert str(forbidden.value) == str(missing.value)


@pytest.mark.parametrize("pk", ["abc", "", None, "1 OR 1=1", "9" * 40, "-1"])
def test_odd_ids_are_404_not_errors(social_worker, pk):
    with pytest.raises(Http404):
        access.get_child_for_user(user=social_worker, pk=pk)


def test_outsider_lists_and_counts_see_nothing(child, outsider, leicester_child):
    visible = access.children_visible_to(user=outsider)
    assert list(visible) == [leicester_child]
    assert visible.count() == 1


def test_no_duplicates_when_several_routes_give_access(child, social_worker, hampshire):
    access.grant_child_view(user=social_worker, child=child)
    assert access.children_visible_to(user=social_worker).count() == 1


def test_ended_involvement_stops_access(child, clinician, hiow_icb, social_worker):
    involvement = Involvement.objects.get(child=child, agency=hiow_icb)
    services.involvement_end(actor=social_worker, involvement=involvement)
    with pytest.raises(Http404):
        access.get_child_for_user(user=clinician, pk=child.pk)


def test_involvement_starting_in_the_future_does_not_give_access_yet(child, hampshire, social_worker):
    sen = AgencyFactory(name="Hampshire SEN", kind="sen", partnership=hampshire.partnership)
    sen_officer = UserFactory(agency=sen)
    services.involvement_add(
        actor=social_worker,
        child=child,
        agency=sen,
        role="education",
        started_on=timezone.localdate() + dt.timedelta(days=3),
    )
    assert not access.children_visible_to(user=sen_officer).filter(pk=child.pk).exists()


def test_individual_grant_lets_one_person_see_the_child(child, outsider, team_manager):
    services.child_grant_view(actor=team_manager, child=child, user=outsider)
    assert access.get_child_for_user(user=outsider, pk=child.pk) == child
    other_leicester = UserFactory(agency=outsider.agency)
    assert not access.children_visible_to(user=other_leicester).exists()
    services.child_revoke_view(actor=team_manager, child=child, user=outsider)
    with pytest.raises(Http404):
        access.get_child_for_user(user=outsider, pk=child.pk)


def test_inactive_or_agencyless_users_see_nothing(child, social_worker):
    social_worker.is_active = False
    assert not access.children_visible_to(user=social_worker).exists()
    homeless = UserFactory(agency=None)
    assert not access.children_visible_to(user=homeless).exists()


def test_auditor_can_view_but_not_change(child, auditor):
    assert access.get_child_for_user(user=auditor, pk=child.pk) == child
    with pytest.raises(access.NotAllowed):
        access.get_child_for_user(user=auditor, pk=child.pk, need="change")
    with pytest.raises(access.NotAllowed):
        services.child_update(actor=auditor, child=child, fields={"preferred_name": "X"})


def test_users_list_is_own_agency_only(social_worker, outsider, team_manager):
    assert set(access.users_visible_to(user=social_worker)) == {social_worker, team_manager}
    assert outsider not in access.users_visible_to(user=social_worker)


def test_access_requests_only_for_managers_of_the_owning_agency(child, outsider, team_manager, social_worker):
    request = services.access_request_create(
        actor=outsider, nhs_number=child.nhs_number, reason="New referral"
    )
    assert list(access.access_requests_for_decision(user=team_manager)) == [request]
    assert not access.access_requests_for_decision(user=social_worker).exists()
    assert not access.access_requests_for_decision(user=outsider).exists()
    with pytest.raises(Http404):
        access.get_access_request_for_decision(user=outsider, pk=request.pk)


def test_many_children_one_query(django_assert_num_queries, social_worker, hampshire):
    ChildFactory.create_batch(5, owning_agency=hampshire, created_by=social_worker)
    with django_assert_num_queries(1):
        assert len(list(access.children_visible_to(user=social_worker))) == 5


def test_list_count_counts_each_child_once(child, social_worker, hampshire):
    # An open involvement and one ending in the future are both current for the same agency.
    Involvement.objects.create(
        child=child,
        agency=hampshire,
        role="other",
        started_on=timezone.localdate() - dt.timedelta(days=10),
        ended_on=timezone.localdate() + dt.timedelta(days=10),
        added_by=social_worker,
    )
    assert access.visible_child_ids(user=social_worker).count() == 1
    assert access.children_visible_to(user=social_worker).count() == 1
