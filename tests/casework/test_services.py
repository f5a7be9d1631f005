from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework import access, services
from casework.models import AccessRequestStatus, Involvement


def _fields(**overrides):
    base = {"given_name": "Ruby", "family_name": "Stone", "date_of_birth": dt.date(2015, 3, 2)}
    base.update(overrides)
    return base


def test_register_makes_the_agency_lead(social_worker, hampshire):
    child = services.child_register(actor=social_worker, fields=_fields(nhs_number="943 476 5919"))
    assert child.nhs_number == "9434765919"
    assert Involvement.objects.get(child=child).agency == hampshire
    assert access.get_child_for_user(user=social_worker, pk=child.pk) == child


def test_future_date_of_birth_is_refused(social_worker):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        services.child_register(actor=social_worker, fields=_fields(date_of_birth=tomorrow))
    assert "date_of_birth" in excinfo.value.message_dict


def test_invalid_nhs_number_is_refused(social_worker):
    with pytest.raises(ValidationError) as excinfo:
        services.child_register(actor=social_worker, fields=_fields(nhs_number="9434765918"))
    assert "check digit" in excinfo.value.message_dict["nhs_number"][0]


def test_duplicate_nhs_number_in_own_agency_says_so(child, social_worker):
    with pytest.raises(services.DuplicateNHSNumber) as excinfo:
        services.child_register(actor=social_worker, fields=_fields(nhs_number=child.nhs_number))
    assert excinfo.value.child == child


def test_duplicate_nhs_number_elsewhere_reveals_nothing(child, outsider):
    with pytest.raises(services.NHSNumberHeldElsewhere) as excinfo:
        services.child_register(actor=outsider, fields=_fields(nhs_number=child.nhs_number))
    message = excinfo.value.message_dict["nhs_number"][0]
    assert services.ACCESS_ASK_ANSWER in message
    assert child.given_name not in message and child.family_name not in message


def test_access_request_granted_involves_the_agency(child, outsider, team_manager, leicester):
    request = services.access_request_create(
        actor=outsider, nhs_number=child.nhs_number, reason="Moved to Leicester"
    )
    services.access_request_grant(actor=team_manager, request=request)
    assert request.status == AccessRequestStatus.GRANTED
    assert access.get_child_for_user(user=outsider, pk=child.pk) == child
    with pytest.raises(services.InvalidTransition):
        services.access_request_decline(actor=team_manager, request=request, note="Too late")


def test_access_request_cannot_be_decided_by_the_requester(child, outsider):
    request = services.access_request_create(actor=outsider, nhs_number=child.nhs_number, reason="Moved")
    with pytest.raises(access.NotAllowed):
        services.access_request_grant(actor=outsider, request=request)


def test_last_involvement_cannot_end(child, social_worker, hiow_icb, hampshire):
    services.involvement_end(
        actor=social_worker, involvement=Involvement.objects.get(child=child, agency=hiow_icb)
    )
    with pytest.raises(services.InvalidTransition):
        services.involvement_end(
            actor=social_worker, involvement=Involvement.objects.get(child=child, agency=hampshire)
        )


def test_finance_role_cannot_register_children(council_finance):
    with pytest.raises(access.NotAllowed):
        services.child_register(actor=council_finance, fields=_fields())


def test_nhs_bodies_need_an_ods_code(db):
    with pytest.raises(ValidationError) as excinfo:
        services.agency_create(actor=None, name="NHS Somewhere ICB", kind="icb")
    assert "ods_code" in excinfo.value.message_dict
    agency = services.agency_create(actor=None, name="NHS Somewhere ICB", kind="icb", ods_code=" qrl ")
    assert agency.ods_code == "QRL"
