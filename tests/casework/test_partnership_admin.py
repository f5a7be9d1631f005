"""Partnership administration (issue 12): a partnership administrator runs their own partnership's
agencies, teams, people and service accounts in the service's pages, and nothing else.

Alex (Hampshire and Isle of Wight) administers; Kim (Leicester, Leicestershire and Rutland) tries
every Hampshire administration page and gets the same 404 as a missing one. Each rule has a test
that tries to break it: no child's record by virtue of the role, no raising one's own privileges,
no move into another partnership, no superuser or staff.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from casework import access
from casework import services as core_services
from casework.administration import services
from casework.administration.urls import urlpatterns as admin_urlpatterns
from casework.models import (
    Agency,
    AgencyKind,
    ApiToken,
    AuditEvent,
    BackgroundJob,
    JobStatus,
    Role,
    Team,
    TokenScope,
    User,
)
from casework.services import InvalidTransition
from tests.factories import AgencyFactory, TeamFactory, UserFactory

HIOW = "Hampshire and Isle of Wight"
LLR = "Leicester, Leicestershire and Rutland"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _events(action: str, obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(obj.pk)))


@pytest.fixture
def leicester_team(leicester):
    return TeamFactory(agency=leicester, name="Disabled Children's Service")


@pytest.fixture
def hiow_team(hiow_icb):
    return TeamFactory(agency=hiow_icb, name="All Age Continuing Care")


@pytest.fixture
def finance_system(hampshire, hants_admin):
    return services.service_account_create(
        actor=hants_admin,
        name="Finance system export",
        email="finance-export@hants.example.gov.uk",
        agency=hampshire,
        roles=[Role.FINANCE_APPROVER],
    )


# --- Agencies and teams ---------------------------------------------------------------------------


def test_agencies_are_added_to_the_administrators_own_partnership(hants_admin, leics_admin, hampshire):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:agency_new"),
        {"name": "Isle of Wight Council", "kind": AgencyKind.CHILDRENS_SERVICES, "partnership": LLR},
    )
    agency = Agency.objects.get(name="Isle of Wight Council")
    assert response.status_code == 302 and response["Location"] == reverse(
        "administration:agency", args=[agency.pk]
    )
    assert agency.partnership == HIOW  # the typed partnership is ignored: there is no such field
    assert _events("agency.created", agency)[0].actor == hants_admin
    with pytest.raises(access.NotAllowed):
        core_services.agency_create(actor=leics_admin, name="Sneaky", kind=AgencyKind.OTHER, partnership=HIOW)


def test_an_nhs_body_needs_an_ods_code_and_the_page_keeps_the_typing(hants_admin):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:agency_new"), {"name": "Solent NHS Trust", "kind": AgencyKind.NHS_TRUST}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page and "Enter the ODS code" in page
    assert 'value="Solent NHS Trust"' in page
    assert not Agency.objects.filter(name="Solent NHS Trust").exists()


def test_an_agency_is_changed_but_never_moved_to_another_partnership(hants_admin, hiow_icb):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:agency_edit", args=[hiow_icb.pk]),
        {"name": "NHS HIOW ICB", "kind": AgencyKind.ICB, "ods_code": " d9y0v ", "partnership": LLR},
    )
    assert response.status_code == 302
    hiow_icb.refresh_from_db()
    assert (hiow_icb.name, hiow_icb.ods_code, hiow_icb.partnership) == ("NHS HIOW ICB", "D9Y0V", HIOW)
    [event] = _events("agency.updated", hiow_icb)
    assert event.actor == hants_admin and event.changes["ods_code"] == ["QRL", "D9Y0V"]
    with pytest.raises(ValidationError) as error:
        services.agency_update(actor=hants_admin, agency=hiow_icb, name="NHS HIOW ICB", kind=AgencyKind.ICB)
    assert "ods_code" in error.value.message_dict


def test_teams_are_added_and_renamed(hants_admin, hampshire, hampshire_team):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:team_new", args=[hampshire.pk]), {"name": "Leaving Care Team"}
    )
    assert response.status_code == 302
    team = Team.objects.get(agency=hampshire, name="Leaving Care Team")
    assert _events("team.created", team)
    response = client.post(
        reverse("administration:team_rename", args=[team.pk]), {"name": hampshire_team.name}
    )
    assert response.status_code == 200 and "already has a team called" in response.content.decode()
    response = client.post(
        reverse("administration:team_rename", args=[team.pk]), {"name": "Care Leavers Team"}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Care Leavers Team"
    assert _events("team.renamed", team)[0].changes == {"name": ["Leaving Care Team", "Care Leavers Team"]}


# --- People ---------------------------------------------------------------------------------------


def test_an_invited_person_gets_a_link_to_set_their_password(
    hants_admin, hampshire, hampshire_team, django_capture_on_commit_callbacks
):
    client = _client(hants_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("administration:person_invite"),
            {
                "full_name": "Nina Newton",
                "email": "Nina.Newton@hants.example.gov.uk",
                "job_title": "Social worker",
                "agency": hampshire.pk,
                "teams": [hampshire_team.pk],
                "roles": [Role.SOCIAL_WORKER],
            },
        )
    person = User.objects.get(email="nina.newton@hants.example.gov.uk")
    assert response.status_code == 302 and response["Location"] == reverse(
        "administration:person", args=[person.pk]
    )
    assert not person.has_usable_password() and person.is_active and not person.is_service_account
    assert list(person.teams.all()) == [hampshire_team] and person.roles == [Role.SOCIAL_WORKER]
    assert _events("user.created", person)[0].actor == hants_admin
    assert _events("user.invited", person)[0].actor == hants_admin

    [message] = mail.outbox
    assert message.to == ["nina.newton@hants.example.gov.uk"]
    assert "invited" in message.subject
    link = re.search(r"https?://\S+", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    match = resolve("/" + path)
    assert match.url_name == "password_reset_confirm"
    assert force_str(urlsafe_base64_decode(match.kwargs["uidb64"])) == str(person.pk)
    assert default_token_generator.check_token(person, match.kwargs["token"])
    assert link in message.alternatives[0][0]  # the HTML part carries the same link
    assert "/" + path == reverse("password_reset_confirm", kwargs=match.kwargs)

    # Once the password is set, the link stops working and no new invitation goes.
    person.set_password("a long new password 2026")
    person.save()
    assert not default_token_generator.check_token(person, match.kwargs["token"])
    with pytest.raises(InvalidTransition):
        services.invitation_resend(actor=hants_admin, person=person)


def test_an_invitation_can_be_sent_again(hants_admin, hampshire, django_capture_on_commit_callbacks):
    person = services.person_invite(
        actor=hants_admin, email="late@hants.example.gov.uk", full_name="Lee Late", agency=hampshire, roles=[]
    )
    mail.outbox.clear()
    client = _client(hants_admin)
    assert client.get(reverse("administration:invitation_resend", args=[person.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("administration:invitation_resend", args=[person.pk]))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["late@hants.example.gov.uk"]]
    assert len(_events("user.invited", person)) == 2


def test_invitations_refuse_a_taken_email_and_teams_of_another_agency(
    hants_admin, hampshire, hiow_team, social_worker
):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:person_invite"),
        {"full_name": "Sam Again", "email": social_worker.email.upper(), "agency": hampshire.pk},
    )
    assert "An account with this e-mail address already exists" in response.content.decode()
    response = client.post(
        reverse("administration:person_invite"),
        {
            "full_name": "Tom Teams",
            "email": "tom@hants.example.gov.uk",
            "agency": hampshire.pk,
            "teams": [hiow_team.pk],
        },
    )
    assert response.status_code == 200 and f"Choose teams of {hampshire.name}" in _text(response)
    assert not User.objects.filter(email="tom@hants.example.gov.uk").exists()


def test_roles_and_delegated_limits(hants_admin, council_finance, social_worker):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:person_edit", args=[council_finance.pk]),
        {
            "full_name": "Fiona Cash",
            "job_title": "Head of finance",
            "roles": [Role.FINANCE_APPROVER],
            "delegated_limit": "150000",
        },
    )
    assert response.status_code == 302
    council_finance.refresh_from_db()
    assert council_finance.delegated_limit == Decimal("150000.00")
    [event] = _events("user.updated", council_finance)
    assert event.changes["delegated_limit"] == ["100000.00", "150000.00"]

    # Only finance approvers have a limit.
    response = client.post(
        reverse("administration:person_edit", args=[social_worker.pk]),
        {"full_name": social_worker.full_name, "roles": [Role.SOCIAL_WORKER], "delegated_limit": "5000"},
    )
    assert (
        response.status_code == 200
        and "Only finance approvers have a delegated limit" in response.content.decode()
    )
    social_worker.refresh_from_db()
    assert social_worker.delegated_limit is None
    response = client.post(
        reverse("administration:person_edit", args=[social_worker.pk]),
        {"full_name": social_worker.full_name, "roles": [Role.SOCIAL_WORKER], "delegated_limit": "1" * 14},
    )
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()


def test_the_partnership_administrator_role_is_granted_to_another_person_with_an_audit_event(
    hants_admin, service_manager
):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:person_edit", args=[service_manager.pk]),
        {
            "full_name": service_manager.full_name,
            "roles": [Role.SERVICE_MANAGER, Role.PARTNERSHIP_ADMINISTRATOR],
        },
    )
    assert response.status_code == 302
    service_manager.refresh_from_db()
    assert access.is_partnership_administrator(service_manager)
    assert _events("user.partnership_administrator_granted", service_manager)[0].actor == hants_admin
    services.person_update(
        actor=hants_admin,
        person=service_manager,
        full_name=service_manager.full_name,
        roles=[Role.SERVICE_MANAGER],
    )
    assert _events("user.partnership_administrator_removed", service_manager)


def test_an_administrator_cannot_raise_their_own_privileges(hants_admin, hiow_icb, hiow_team):
    client = _client(hants_admin)
    # The page for their own account offers name and job title only, and ignores anything else sent.
    page = client.get(reverse("administration:person_edit", args=[hants_admin.pk])).content.decode()
    assert 'name="roles"' not in page and 'name="delegated_limit"' not in page
    response = client.post(
        reverse("administration:person_edit", args=[hants_admin.pk]),
        {
            "full_name": "Alex A. Admin",
            "roles": [Role.PARTNERSHIP_ADMINISTRATOR, Role.AUDITOR, Role.SOCIAL_WORKER],
            "delegated_limit": "9999999",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    hants_admin.refresh_from_db()
    assert hants_admin.full_name == "Alex A. Admin"
    assert hants_admin.roles == [Role.PARTNERSHIP_ADMINISTRATOR] and hants_admin.delegated_limit is None
    assert not hants_admin.is_superuser and not hants_admin.is_staff

    # The services refuse it too.
    with pytest.raises(access.NotAllowed):
        services.person_update(
            actor=hants_admin,
            person=hants_admin,
            full_name="Alex",
            roles=[Role.PARTNERSHIP_ADMINISTRATOR, Role.AUDITOR],
        )
    with pytest.raises(access.NotAllowed):
        services.person_move(actor=hants_admin, person=hants_admin, agency=hiow_icb, teams=[hiow_team])
    with pytest.raises(access.NotAllowed):
        services.person_deactivate(actor=hants_admin, person=hants_admin)
    for name in ("person_move", "person_deactivate", "person_reactivate"):
        assert client.post(reverse(f"administration:{name}", args=[hants_admin.pk])).status_code == 403
    hants_admin.refresh_from_db()
    assert (
        hants_admin.agency.name != hiow_icb.name
        and hants_admin.is_active
        and hants_admin.roles == [Role.PARTNERSHIP_ADMINISTRATOR]
    )


def test_nobody_is_made_a_superuser_or_staff(hants_admin, social_worker, hampshire):
    client = _client(hants_admin)
    client.post(
        reverse("administration:person_edit", args=[social_worker.pk]),
        {
            "full_name": social_worker.full_name,
            "roles": [Role.SOCIAL_WORKER],
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    client.post(
        reverse("administration:person_invite"),
        {
            "full_name": "Op",
            "email": "op@hants.example.gov.uk",
            "agency": hampshire.pk,
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert (
        not User.objects.filter(is_superuser=True).exists()
        and not User.objects.filter(is_staff=True).exists()
    )
    # A platform operator is not administered by anyone in a partnership.
    operator = User.objects.create_superuser("ops@platform.example", "x" * 20, full_name="Olu Operator")
    assert client.get(reverse("administration:person", args=[operator.pk])).status_code == 404
    staff = UserFactory(agency=hampshire, is_staff=True)
    assert client.get(reverse("administration:person", args=[staff.pk])).status_code == 404


def test_people_move_between_teams_and_agencies_of_their_partnership(
    hants_admin, social_worker, hampshire, hampshire_team, hiow_icb, hiow_team
):
    client = _client(hants_admin)
    other_team = TeamFactory(agency=hampshire, name="Children in Care Team (South)")
    response = client.post(
        reverse("administration:person_move", args=[social_worker.pk]),
        {"agency": hampshire.pk, "teams": [other_team.pk]},
    )
    assert response.status_code == 302
    assert list(social_worker.teams.all()) == [other_team]
    [event] = _events("user.moved", social_worker)
    assert event.changes == {"teams": [[hampshire_team.pk], [other_team.pk]]}

    response = client.post(
        reverse("administration:person_move", args=[social_worker.pk]),
        {"agency": hiow_icb.pk, "teams": [hiow_team.pk]},
    )
    assert response.status_code == 302
    social_worker.refresh_from_db()
    assert social_worker.agency == hiow_icb and list(social_worker.teams.all()) == [hiow_team]


def test_a_move_waits_for_the_persons_children_to_be_reallocated(hants_admin, social_worker, child, hiow_icb):
    with pytest.raises(ValidationError) as error:
        services.person_move(actor=hants_admin, person=social_worker, agency=hiow_icb, teams=[])
    assert "allocated social worker of 1 child" in error.value.message_dict["agency"][0]
    social_worker.refresh_from_db()
    assert social_worker.agency.partnership == HIOW and social_worker.agency != hiow_icb


def test_nobody_is_moved_into_another_partnership(
    hants_admin, leics_admin, social_worker, leicester, leicester_team
):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:person_move", args=[social_worker.pk]),
        {"agency": leicester.pk, "teams": [leicester_team.pk]},
    )
    assert response.status_code == 200 and "Choose an agency of your partnership" in response.content.decode()
    with pytest.raises(access.NotAllowed):
        services.person_move(actor=hants_admin, person=social_worker, agency=leicester, teams=[])
    # Nor can Leicester's administrator pull a Hampshire person in, or move themselves into Hampshire.
    with pytest.raises(access.NotAllowed):
        services.person_move(
            actor=leics_admin, person=social_worker, agency=leicester, teams=[leicester_team]
        )
    with pytest.raises(access.NotAllowed):
        services.person_move(actor=leics_admin, person=leics_admin, agency=social_worker.agency, teams=[])
    social_worker.refresh_from_db()
    leics_admin.refresh_from_db()
    assert social_worker.agency.partnership == HIOW and leics_admin.agency.partnership == LLR
    assert not AuditEvent.objects.filter(action="user.moved").exists()


def test_closing_an_account_ends_its_session_and_tokens(
    hants_admin, social_worker, django_capture_on_commit_callbacks
):
    worker_client = _client(social_worker)
    assert worker_client.get(reverse("children:list")).status_code == 200
    token, secret = core_services.api_token_create(actor=social_worker, user=social_worker, name="Mine")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/me/").status_code == 200

    client = _client(hants_admin)
    assert client.get(reverse("administration:person_deactivate", args=[social_worker.pk])).status_code == 200
    response = client.post(reverse("administration:person_deactivate", args=[social_worker.pk]))
    assert response.status_code == 302
    social_worker.refresh_from_db()
    assert not social_worker.is_active
    assert _events("user.deactivated", social_worker)[0].actor == hants_admin
    assert worker_client.get(reverse("children:list")).status_code == 302  # to sign in
    assert api.get("/api/me/").status_code in {401, 403}
    # Twice is a conflict, not a second event.
    assert (
        client.post(reverse("administration:person_deactivate", args=[social_worker.pk])).status_code == 409
    )

    assert (
        client.post(reverse("administration:person_reactivate", args=[social_worker.pk])).status_code == 302
    )
    social_worker.refresh_from_db()
    assert social_worker.is_active and _events("user.reactivated", social_worker)
    assert api.get("/api/me/").status_code == 200


# --- Service accounts and their tokens --------------------------------------------------------------


def test_service_accounts_never_have_a_password_or_administer(hants_admin, hampshire, finance_system):
    assert finance_system.is_service_account and not finance_system.has_usable_password()
    assert finance_system.agency == hampshire
    assert _events("user.created", finance_system)[0].changes["is_service_account"] == [None, True]
    with pytest.raises(ValidationError):
        services.service_account_create(
            actor=hants_admin,
            name="Admin bot",
            email="bot@hants.example.gov.uk",
            agency=hampshire,
            roles=[Role.PARTNERSHIP_ADMINISTRATOR],
        )
    with pytest.raises(ValidationError):
        services.person_update(
            actor=hants_admin, person=finance_system, full_name="x", roles=[Role.PARTNERSHIP_ADMINISTRATOR]
        )
    page = _client(hants_admin).get(reverse("administration:service_account_new")).content.decode()
    assert 'value="partnership_administrator"' not in page
    # A service account never signs in to the pages: it has no password to sign in with.
    response = Client().post(
        reverse("login"), {"username": finance_system.email, "password": "anything at all"}
    )
    assert response.status_code == 200 and "_auth_user_id" not in Client().session


def test_a_service_account_token_is_shown_once_and_listed_without_its_secret(
    hants_admin, finance_system, hampshire, child
):
    client = _client(hants_admin)
    page_url = reverse("administration:person", args=[finance_system.pk])
    response = client.post(
        reverse("administration:token_new", args=[finance_system.pk]),
        {"name": "Nightly export", "expires_in_days": "30", "scope": TokenScope.READ_ONLY},
    )
    assert response.status_code == 200
    secret = re.search(r'id="token-secret"[^>]*value="([^"]+)"', response.content.decode()).group(1)
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=finance_system)
    assert (token.name, token.scope, token.created_by) == (
        "Nightly export",
        TokenScope.READ_ONLY,
        hants_admin,
    )
    assert _events("api_token.created", token)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/me/").status_code == 200

    listing = client.get(page_url).content.decode()
    token.refresh_from_db()
    expires = f"{timezone.localtime(token.expires_at):%-d %B %Y}"
    used = f"{timezone.localtime(token.last_used_at):%-d %B %Y %H:%M}"
    assert "Nightly export" in listing and "Read only" in listing and expires in listing and used in listing
    assert secret not in listing and token.digest not in listing
    assert secret not in client.get(reverse("administration:service_accounts")).content.decode()

    response = client.post(reverse("administration:token_revoke", args=[finance_system.pk, token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == hants_admin and _events("api_token.revoked", token)
    assert api.get("/api/me/").status_code in {401, 403}


def test_a_token_limited_to_named_operations(hants_admin, finance_system):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:token_new", args=[finance_system.pk]),
        {"name": "Packages", "expires_in_days": "30", "scope": TokenScope.OPERATIONS},
    )
    assert response.status_code == 200 and "Choose at least one operation" in response.content.decode()
    response = client.post(
        reverse("administration:token_new", args=[finance_system.pk]),
        {"name": "Full", "expires_in_days": "30", "scope": TokenScope.FULL},
    )
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        reverse("administration:token_new", args=[finance_system.pk]),
        {"name": "Me", "expires_in_days": "30", "scope": TokenScope.OPERATIONS, "operations": ["api-me"]},
    )
    token = ApiToken.objects.get(user=finance_system)
    assert token.scope == TokenScope.OPERATIONS and token.operations == ["api-me"]


def test_tokens_are_made_here_only_for_service_accounts(hants_admin, social_worker):
    client = _client(hants_admin)
    response = client.post(
        reverse("administration:token_new", args=[social_worker.pk]),
        {"name": "Impersonate", "expires_in_days": "30", "scope": TokenScope.READ_ONLY},
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


# --- Nobody else, and no other partnership --------------------------------------------------------


def _admin_urls(objects: dict[str, object]) -> list[str]:
    """Every administration URL, with Hampshire's objects for its ids."""
    urls = []
    for pattern in admin_urlpatterns:
        assert isinstance(pattern, URLPattern)
        names = re.findall(r"<str:(\w+)>", str(pattern.pattern))
        kwargs = {
            name: objects[f"{pattern.name}:{name}"] if f"{pattern.name}:{name}" in objects else objects[name]
            for name in names
        }
        urls.append(reverse(f"administration:{pattern.name}", kwargs=kwargs))
    return urls


@pytest.fixture
def hampshire_objects(hampshire, hampshire_team, social_worker, finance_system):
    token, _ = core_services.api_token_create(
        actor=finance_system.agency.users.filter(roles__contains=[Role.PARTNERSHIP_ADMINISTRATOR]).get(),
        user=finance_system,
        name="Export",
        scope=TokenScope.READ_ONLY,
    )
    return {
        "pk": social_worker.pk,
        "agency:pk": hampshire.pk,
        "agency_edit:pk": hampshire.pk,
        "team_new:pk": hampshire.pk,
        "team_rename:pk": hampshire_team.pk,
        "token_new:pk": finance_system.pk,
        "token_revoke:pk": finance_system.pk,
        "token_pk": token.pk,
        "background_job_retry:pk": BackgroundJob.objects.create(
            kind="notice.email", object_id=1, partnership=hampshire.partnership, status=JobStatus.FAILED
        ).pk,
    }


def test_another_partnerships_administrator_gets_404_on_every_hampshire_url(
    leics_admin, hampshire_objects, hampshire, social_worker
):
    client = _client(leics_admin)
    urls = _admin_urls(hampshire_objects)
    own_lists = {
        reverse(f"administration:{n}")
        for n in (
            "index",
            "agencies",
            "agency_new",
            "people",
            "person_invite",
            "service_accounts",
            "service_account_new",
            "background_work",
            "access_reviews",
        )
    }
    for url in urls:
        if url in own_lists:
            continue  # Kim's own partnership's pages
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"name": "x", "full_name": "x", "roles": [Role.AUDITOR]})
            assert response.status_code == 404, (method, url, response.status_code)
    assert len(urls) - len(own_lists) >= 12
    # And Kim's lists show nothing of Hampshire's.
    for url in own_lists:
        page = _text(client.get(url))
        assert hampshire.name not in page and social_worker.full_name not in page, url
    social_worker.refresh_from_db()
    assert social_worker.is_active and social_worker.roles == [Role.SOCIAL_WORKER]


def test_people_without_the_role_get_404_everywhere(
    hampshire_objects, social_worker, team_manager, auditor, finance_system
):
    urls = _admin_urls(hampshire_objects)
    for person in (team_manager, auditor):
        client = _client(person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
            assert client.post(url, {"name": "x"}).status_code == 404, (person, url)
    anonymous = Client()
    assert anonymous.get(reverse("administration:index")).status_code == 302


def test_an_administrator_of_another_partnership_cannot_use_the_services(
    leics_admin, social_worker, hampshire, hampshire_team
):
    with pytest.raises(access.NotAllowed):
        services.person_update(actor=leics_admin, person=social_worker, full_name="x", roles=[Role.AUDITOR])
    with pytest.raises(access.NotAllowed):
        services.person_deactivate(actor=leics_admin, person=social_worker)
    with pytest.raises(access.NotAllowed):
        services.agency_update(actor=leics_admin, agency=hampshire, name="x", kind=AgencyKind.OTHER)
    with pytest.raises(access.NotAllowed):
        services.team_rename(actor=leics_admin, team=hampshire_team, name="x")
    with pytest.raises(access.NotAllowed):
        services.person_invite(
            actor=leics_admin, email="x@example.gov.uk", full_name="x", agency=hampshire, roles=[Role.AUDITOR]
        )
    with pytest.raises(access.NotAllowed):
        services.service_account_create(
            actor=leics_admin, name="x", email="y@example.gov.uk", agency=hampshire, roles=[]
        )
    with pytest.raises(access.NotAllowed):
        services.invitation_resend(actor=leics_admin, person=social_worker)
    assert not User.objects.filter(email__in=["x@example.gov.uk", "y@example.gov.uk"]).exists()


def test_the_role_shows_no_childs_record(hants_admin, hampshire, hiow_icb, child, social_worker):
    """The role adds nothing to what a person of the same agency sees: Alex in the ICB's partnership
    office sees no child, referral, package, pathway case, escalation, action or papers."""
    from funding.access import packages_visible_to
    from panels.access import actions_visible_to, papers_visible_to, recommendations_visible_to
    from pathways.access import cases_visible_to, escalations_visible_to
    from referrals.access import referrals_visible_to

    office = AgencyFactory(
        name="Hampshire and Isle of Wight partnership office", kind=AgencyKind.OTHER, partnership=HIOW
    )
    admin = UserFactory(agency=office, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    colleague = UserFactory(agency=hampshire, roles=[])
    scopes = (
        access.children_visible_to,
        referrals_visible_to,
        packages_visible_to,
        cases_visible_to,
        escalations_visible_to,
        actions_visible_to,
        papers_visible_to,
        recommendations_visible_to,
    )
    for scope in scopes:
        assert not scope(user=admin).exists(), scope.__name__
        # In an involved agency, the role sees exactly what a colleague with no role sees.
        assert set(scope(user=hants_admin).values_list("pk", flat=True)) == set(
            scope(user=colleague).values_list("pk", flat=True)
        ), scope.__name__
    client = _client(admin)
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 404
    assert child.nhs_number not in client.get(reverse("administration:people")).content.decode()


def test_only_administrators_see_the_administration_link(hants_admin, social_worker):
    link = f'href="{reverse("administration:index")}"'
    assert link in _client(hants_admin).get(reverse("home")).content.decode()
    assert link not in _client(social_worker).get(reverse("home")).content.decode()


# --- Pages and their queries --------------------------------------------------------------------


def test_the_pages_render(hants_admin, hampshire, hampshire_team, social_worker, finance_system, hiow_icb):
    client = _client(hants_admin)
    for url, text in (
        (reverse("administration:index"), "Administration"),
        (reverse("administration:agencies"), hiow_icb.name),
        (reverse("administration:agency", args=[hampshire.pk]), hampshire_team.name),
        (reverse("administration:people"), social_worker.full_name),
        (reverse("administration:people") + f"?agency={hiow_icb.pk}&state=all", "0 people"),
        (reverse("administration:person", args=[social_worker.pk]), hampshire_team.name),
        (reverse("administration:person", args=[hants_admin.pk]), "This is your own account"),
        (reverse("administration:service_accounts"), finance_system.full_name),
        (reverse("administration:person", args=[finance_system.pk]), "API tokens"),
        (reverse("administration:person_invite"), 'type="checkbox"'),
        (reverse("administration:person_move", args=[social_worker.pk]), hampshire_team.name),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in _text(response), url


def test_the_people_list_costs_the_same_for_thirty_people(
    hants_admin, hampshire, hiow_icb, hampshire_team, hiow_team, django_assert_max_num_queries
):
    for n in range(30):
        person = UserFactory(agency=hampshire if n % 2 else hiow_icb, full_name=f"Person {n:02}")
        person.teams.add(hampshire_team if n % 2 else hiow_team)
    client = _client(hants_admin)
    client.get(reverse("administration:people"))  # warm the session
    # The session; the administrator with their agency; the count; unread notices (header); the
    # agencies for the filter; the page of 25 people with their agencies; their teams (one
    # prefetch); the session's idle-timeout stamp saved; and the request's two savepoints and their
    # releases (ATOMIC_REQUESTS): 12, with 30 people or 3000.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("administration:people"))
    page = response.content.decode()
    assert response.status_code == 200 and "31 people" in page and "Person 00" in page
    assert page.count("govuk-table__row") == 26
    with django_assert_max_num_queries(12):
        assert client.get(reverse("administration:people") + "?page=2").status_code == 200
