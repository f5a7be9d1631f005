"""Escalation authorisers and settings, kept by the partnership administrator (issue 12; seeds
002, Complex Care Escalation Process). Who holds which grade is data of the partnership: its
administrator records it for others of their partnership, never for themselves, and sets the
partnership's clocks. None of it shows a child or an escalation; another partnership gets 404.
"""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from casework.access import NotAllowed
from casework.models import AgencyKind, AuditEvent, Role
from casework.services import InvalidTransition
from pathways import access, services
from pathways.models import (
    EscalationAuthoriser,
    EscalationLevel,
    EscalationRoute,
    EscalationSettings,
    Seniority,
)
from pathways.selectors import escalation_settings_for
from tests.factories import AgencyFactory, UserFactory

HIOW = "Hampshire and Isle of Wight"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def hants_admin(db):
    office = AgencyFactory(
        name="Hampshire and Isle of Wight partnership office", kind=AgencyKind.OTHER, partnership=HIOW
    )
    return UserFactory(agency=office, full_name="Alex Admin", roles=[Role.PARTNERSHIP_ADMINISTRATOR])


def test_an_authoriser_added_here_may_authorise_an_escalation(
    hants_admin, service_manager, social_worker, clinician, amelia
):
    client = _client(hants_admin)
    response = client.post(
        reverse("pathways:authoriser_add"),
        {
            "user": service_manager.pk,
            "seniority": Seniority.SERVICE_GROUP_MANAGER,
            "job_title": "Service Group Manager, Children's Services",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("pathways:authorisers")
    row = EscalationAuthoriser.objects.get(user=service_manager)
    assert row.active and row.seniority == Seniority.SERVICE_GROUP_MANAGER
    event = AuditEvent.objects.get(action="pathways.escalation_authoriser_added", object_id=str(row.pk))
    assert event.actor == hants_admin and event.changes["user"] == [None, service_manager.pk]
    assert event.child is None

    # The grade is what the escalation ladder checks.
    opened = services.escalation_open(
        actor=social_worker,
        child=amelia,
        route=EscalationRoute.EMERGENCY,
        summary="In A&E since Saturday",
        level=EscalationLevel.RSG,
        authorised_by=service_manager,
        reason="No placement through the usual routes",
        chair=clinician,
    )
    assert opened.steps.get().authoriser_seniority == Seniority.SERVICE_GROUP_MANAGER

    page = _text(client.get(reverse("pathways:authorisers")))
    assert "Service Group Manager, Children's Services" in page and service_manager.full_name in page
    assert amelia.family_name not in page


def test_an_authoriser_is_ended_and_can_be_added_again(hants_admin, service_manager):
    row = services.escalation_authoriser_add(
        actor=hants_admin, user=service_manager, seniority=Seniority.SERVICE_GROUP_MANAGER, job_title="SGM"
    )
    with pytest.raises(ValidationError, match="already an authoriser"):
        services.escalation_authoriser_add(
            actor=hants_admin, user=service_manager, seniority=Seniority.DIRECTOR, job_title="Director"
        )
    client = _client(hants_admin)
    assert client.get(reverse("pathways:authoriser_end", args=[row.pk])).status_code == 200
    assert client.post(reverse("pathways:authoriser_end", args=[row.pk])).status_code == 302
    row.refresh_from_db()
    assert not row.active and not row.at_least(Seniority.SERVICE_GROUP_MANAGER)
    assert AuditEvent.objects.filter(
        action="pathways.escalation_authoriser_ended", object_id=str(row.pk)
    ).exists()
    assert client.post(reverse("pathways:authoriser_end", args=[row.pk])).status_code == 409

    again = services.escalation_authoriser_add(
        actor=hants_admin, user=service_manager, seniority=Seniority.ASSISTANT_DIRECTOR, job_title="AD"
    )
    assert again.pk == row.pk and again.active and again.seniority == Seniority.ASSISTANT_DIRECTOR
    readded = AuditEvent.objects.filter(action="pathways.escalation_authoriser_added", object_id=str(row.pk))
    assert readded.count() == 2 and readded.order_by("pk").last().changes["active"] == [False, True]


def test_an_administrator_never_records_their_own_grade(hants_admin):
    page = _client(hants_admin).get(reverse("pathways:authoriser_add")).content.decode()
    assert f'value="{hants_admin.pk}"' not in page
    with pytest.raises(NotAllowed):
        services.escalation_authoriser_add(
            actor=hants_admin, user=hants_admin, seniority=Seniority.DIRECTOR, job_title="Director"
        )
    response = _client(hants_admin).post(
        reverse("pathways:authoriser_add"),
        {"user": hants_admin.pk, "seniority": Seniority.DIRECTOR, "job_title": "Director"},
    )
    assert response.status_code == 200 and "Choose a person of your partnership" in _text(response)
    assert not EscalationAuthoriser.objects.filter(user=hants_admin).exists()


def test_service_accounts_and_closed_accounts_are_not_authorisers(hants_admin, hampshire):
    bot = UserFactory(agency=hampshire, is_service_account=True)
    gone = UserFactory(agency=hampshire, is_active=False)
    for person in (bot, gone):
        with pytest.raises(ValidationError, match="account is open"):
            services.escalation_authoriser_add(
                actor=hants_admin, user=person, seniority=Seniority.DIRECTOR, job_title="Director"
            )


def test_the_partnerships_settings_start_from_the_default_and_are_audited(hants_admin, amelia):
    EscalationSettings.objects.create(partnership="", rsg_meetings_per_week=3)
    client = _client(hants_admin)
    form = _text(client.get(reverse("pathways:escalation_settings")))
    assert 'name="rsg_meetings_per_week"' in form and 'value="3"' in form
    response = client.post(
        reverse("pathways:escalation_settings"),
        {
            "rsg_first_meeting_hours": "48",
            "rsg_meetings_per_week": "3",
            "erg_min_days_between_meetings": "7",
            "erg_report_interval_months": "1",
            "rsg_min_seniority": Seniority.SERVICE_GROUP_MANAGER,
            "jsp_min_seniority": Seniority.SERVICE_GROUP_MANAGER,
            "erg_min_seniority": Seniority.DIRECTOR,
            "cetr_override_min_seniority": Seniority.ASSISTANT_DIRECTOR,
        },
    )
    assert response.status_code == 302
    row = EscalationSettings.objects.get(partnership=HIOW)
    assert (row.rsg_first_meeting_hours, row.rsg_meetings_per_week) == (48, 3)
    assert escalation_settings_for(amelia).pk == row.pk
    event = AuditEvent.objects.get(action="pathways.escalation_settings_changed", object_id=str(row.pk))
    assert event.actor == hants_admin and event.changes == {"rsg_first_meeting_hours": [24, 48]}
    assert EscalationSettings.objects.get(partnership="").rsg_first_meeting_hours == 24  # the default stays

    response = client.post(reverse("pathways:escalation_settings"), {"rsg_meetings_per_week": "9"})
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    with pytest.raises(NotAllowed):
        services.escalation_settings_update(
            actor=hants_admin, partnership="", fields={"rsg_meetings_per_week": 1}
        )


def test_another_partnership_and_other_roles_get_404(
    leics_admin, hants_admin, service_manager, social_worker
):
    row = services.escalation_authoriser_add(
        actor=hants_admin, user=service_manager, seniority=Seniority.DIRECTOR, job_title="Director"
    )
    urls = [
        reverse("pathways:authorisers"),
        reverse("pathways:authoriser_add"),
        reverse("pathways:authoriser_end", args=[row.pk]),
        reverse("pathways:escalation_settings"),
    ]
    for person in (social_worker, service_manager):
        client = _client(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
            assert client.post(url, {"rsg_meetings_per_week": "1"}).status_code == 404, (person, url)
    leics = _client(leics_admin)
    assert leics.get(urls[2]).status_code == 404 and leics.post(urls[2]).status_code == 404
    assert service_manager.full_name not in _text(leics.get(urls[0]))
    response = leics.post(
        urls[1], {"user": service_manager.pk, "seniority": Seniority.DIRECTOR, "job_title": "Director"}
    )
    assert response.status_code == 200 and "Choose a person of your partnership" in _text(response)
    with pytest.raises(NotAllowed):
        services.escalation_authoriser_end(actor=leics_admin, authoriser=row)
    with pytest.raises(NotAllowed):
        services.escalation_settings_update(
            actor=leics_admin, partnership=HIOW, fields={"rsg_meetings_per_week": 1}
        )
    row.refresh_from_db()
    assert row.active and not EscalationSettings.objects.filter(partnership=HIOW).exists()
    services.escalation_authoriser_end(actor=hants_admin, authoriser=row)
    with pytest.raises(InvalidTransition):
        services.escalation_authoriser_end(actor=hants_admin, authoriser=row)


def test_the_role_sees_no_escalation(hants_admin, amelia):
    assert not access.escalations_visible_to(user=hants_admin).exists()
    assert not access.cases_visible_to(user=hants_admin).exists()
