"""The Django admin is the platform operator's alone (issue 12): not mounted unless
DJANGO_ADMIN_PATH is set, never open to anyone who signs in to the service, and showing no child,
audit row or token. No account with an agency is a superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import override_settings
from django.urls import clear_url_caches, path

from casework.models import ApiToken, AuditEvent, ChildViewLog, Role, User
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"

urlpatterns = []  # filled below: the project's URLs with the admin at a secret path


def _operator_urls():
    from config.urls import urlpatterns as project

    return [*project, path("ops-7f3a/", admin.site.urls)]


@pytest.fixture
def mounted_admin():
    global urlpatterns
    urlpatterns = _operator_urls()
    clear_url_caches()
    with override_settings(ROOT_URLCONF=__name__):
        yield
    clear_url_caches()


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("operator@platform.example", PASSWORD, full_name="Olu Operator")


def test_no_admin_without_the_setting(client, operator):
    client.force_login(operator)
    assert client.get("/admin/").status_code in {302, 404}
    client.logout()
    assert client.get("/admin/login/").status_code == 302  # to the service's sign-in, not an admin


def test_partnership_administrator_is_not_let_in(client, mounted_admin, hampshire):
    admin_person = UserFactory(agency=hampshire, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    client.force_login(admin_person)
    response = client.get("/ops-7f3a/")
    assert response.status_code == 302 and "/ops-7f3a/login/" in response["Location"]
    assert client.get("/ops-7f3a/casework/user/").status_code == 302


def test_even_a_flagged_superuser_with_an_agency_is_not_let_in(client, mounted_admin, hampshire):
    person = UserFactory(agency=hampshire, is_superuser=True, is_staff=True)
    client.force_login(person)
    assert client.get("/ops-7f3a/casework/user/").status_code == 302


def test_operator_sees_no_children_tokens_or_audit(client, mounted_admin, operator, child, social_worker):
    client.force_login(operator)
    index = client.get("/ops-7f3a/")
    assert index.status_code == 200
    registered = {model._meta.model_name for model in admin.site._registry}
    assert (
        not {"child", "auditevent", "childviewlog", "apitoken", "accessrequest", "fundingpackage"}
        & registered
    )
    assert ApiToken not in admin.site._registry and AuditEvent not in admin.site._registry
    assert ChildViewLog not in admin.site._registry
    people = client.get("/ops-7f3a/casework/user/").content.decode()
    assert social_worker.full_name in people
    form = client.get(f"/ops-7f3a/casework/user/{social_worker.pk}/change/").content.decode()
    assert "is_superuser" not in form and "is_staff" not in form


def test_operator_cannot_sign_in_to_the_service(client, operator):
    response = client.post("/sign-in/", {"username": operator.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()


def test_operator_adds_an_agency_through_the_service_with_an_audit_event(client, mounted_admin, operator):
    client.force_login(operator)
    response = client.post(
        "/ops-7f3a/casework/agency/add/",
        {
            "name": "Portsmouth City Council Children's Services",
            "kind": "childrens_services",
            "partnership": "HIOW",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="agency.created", actor=operator).exists()


def test_the_demo_has_no_superuser_and_no_staff(db, settings, tmp_path):
    from config.demo import load_demo

    settings.PRIVATE_STORAGE_ROOT = tmp_path
    load_demo()
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert User.objects.filter(roles__contains=[Role.PARTNERSHIP_ADMINISTRATOR]).count() == 2


def test_the_operator_must_finish_two_step_verification_before_the_admin(client, mounted_admin, operator):
    response = client.post("/ops-7f3a/login/", {"username": operator.email, "password": PASSWORD})
    assert response.status_code == 302
    index = client.get("/ops-7f3a/")
    # Signed in with a password only: sent to set up an authenticator app, never into the admin.
    assert index.status_code == 302 and "/ops-7f3a/" not in index["Location"].split("?")[0]
    assert client.get("/ops-7f3a/casework/user/").status_code == 302
