"""Giving a leaver's funding packages, as the person recording them, to a colleague
(funding/services/reassign.py, issue 16: the team view of My work). The receiver records the
packages that have not ended, is told, and sees their shares waiting on My work; each package has a
history line and an audit event; an ended package keeps its maker; a receiver whose role does not
record packages, another agency's manager or person, moves nothing. A share has no approver of its
own to give (any finance approver of its agency within their limit approves it)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification
from casework.my_work import my_work_items
from funding import services
from funding.models import FundingPackage, PackageEvent


def _kinds(user):
    return sorted(item.kind for item in my_work_items(user=user))


def test_the_receiver_records_the_packages_and_is_told(
    existing_package, service_manager, council_finance, council_head_of_finance
):
    assert "funding.share_waiting" in _kinds(council_finance)
    (moved,) = services.packages_reassign(
        actor=service_manager, person=council_finance, receiver=council_head_of_finance
    )
    assert moved.pk == existing_package.pk
    assert FundingPackage.objects.get(pk=existing_package.pk).created_by == council_head_of_finance
    assert existing_package.versions.get().created_by == council_finance  # who made the version stays
    event = AuditEvent.objects.get(action="funding.package.maker_changed")
    assert event.actor == service_manager and event.object_id == str(existing_package.pk)
    assert event.changes == {"created_by": [council_finance.pk, council_head_of_finance.pk]}
    line = PackageEvent.objects.get(package=existing_package, action="given to someone else")
    assert line.actor == service_manager and "given to Harriet Vault" in line.text
    assert Notification.objects.filter(
        user=council_head_of_finance, subject__contains="gave you 1 funding package of"
    ).exists()
    assert "funding.share_waiting" in _kinds(council_head_of_finance)
    assert "funding.share_waiting" not in _kinds(council_finance)


def test_the_team_page_offers_it(
    client, existing_package, service_manager, council_finance, council_head_of_finance
):
    client.force_login(service_manager)
    rows = client.get(reverse("my_work_team")).context["with_work"]
    (row,) = [r for r in rows if r.person == council_finance]
    assert ("Funding packages not ended, as the person recording them", 1) in row.to_give
    response = client.post(
        reverse("my_work_team_give", args=[council_finance.pk]),
        {"what": "funding_packages", "to": council_head_of_finance.pk},
    )
    assert response.status_code == 302
    assert FundingPackage.objects.get(pk=existing_package.pk).created_by == council_head_of_finance


def test_an_ended_package_and_a_second_give_are_left_alone(
    existing_package, service_manager, council_finance, council_head_of_finance
):
    FundingPackage.objects.filter(pk=existing_package.pk).update(
        status="ended", ended_on=existing_package.created_at.date(), end_reason="Placement ended"
    )
    with pytest.raises(ValidationError) as refused:
        services.packages_reassign(
            actor=service_manager, person=council_finance, receiver=council_head_of_finance
        )
    assert refused.value.message_dict == {"to": ["Fiona Cash has no funding packages to give"]}
    assert FundingPackage.objects.get(pk=existing_package.pk).created_by == council_finance
    assert not AuditEvent.objects.filter(action="funding.package.maker_changed").exists()


def test_a_receiver_who_does_not_record_packages_is_refused(
    existing_package, service_manager, council_finance, social_worker
):
    with pytest.raises(ValidationError) as refused:
        services.packages_reassign(actor=service_manager, person=council_finance, receiver=social_worker)
    assert refused.value.message_dict == {
        "to": ["Sam Okafor's role does not allow recording funding packages"]
    }
    assert FundingPackage.objects.get(pk=existing_package.pk).created_by == council_finance


def test_an_outsider_moves_nothing(
    client, existing_package, outsider, service_manager, council_finance, council_head_of_finance
):
    with pytest.raises(NotAllowed):
        services.packages_reassign(actor=outsider, person=council_finance, receiver=council_head_of_finance)
    with pytest.raises(NotAllowed):
        services.packages_reassign(actor=service_manager, person=council_finance, receiver=outsider)
    client.force_login(outsider)
    url = reverse("my_work_team_give", args=[council_finance.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"what": "funding_packages", "to": outsider.pk}).status_code == 404
    assert FundingPackage.objects.get(pk=existing_package.pk).created_by == council_finance
