"""A partnership administrator resets a person's lost authenticator app (issue 12): the app and
recovery codes go, every open session of that person ends at once, and it is audited; nobody resets
their own, and another partnership's administrator gets the 404 of a missing person."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import AuditEvent, Role
from tests.factories import UserFactory
from tests.mfa_helpers import authenticator_for, fresh_recovery_code


def test_reset_removes_the_app_and_ends_every_session(client, hampshire, council_finance):
    admin_person = UserFactory(agency=hampshire, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    fresh_recovery_code(council_finance)  # an app and recovery codes
    their_browser = Client()
    their_browser.force_login(council_finance)
    assert their_browser.get(reverse("home")).status_code == 200

    client.force_login(admin_person)
    page = client.get(reverse("administration:person", args=[council_finance.pk])).content.decode()
    assert reverse("administration:authenticator_reset", args=[council_finance.pk]) in page
    confirm = client.get(reverse("administration:authenticator_reset", args=[council_finance.pk]))
    assert confirm.status_code == 200 and "Reset" in confirm.content.decode()
    done = client.post(reverse("administration:authenticator_reset", args=[council_finance.pk]))
    assert done.status_code == 302

    assert not TOTPDevice.objects.filter(user=council_finance).exists()
    assert not StaticDevice.objects.filter(user=council_finance).exists()
    assert AuditEvent.objects.filter(action="user.authenticator_reset", actor=admin_person).count() == 1
    # Their open session is over: the next request is sent to sign in.
    answer = their_browser.get(reverse("home"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def test_nobody_resets_their_own_and_other_partnerships_get_404(client, hampshire, leicester):
    admin_person = UserFactory(agency=hampshire, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    authenticator_for(admin_person)
    client.force_login(admin_person)
    own = client.post(reverse("administration:authenticator_reset", args=[admin_person.pk]))
    assert own.status_code in {403, 404}
    assert TOTPDevice.objects.filter(user=admin_person).exists()

    leicester_admin = UserFactory(agency=leicester, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    client.force_login(leicester_admin)
    assert (
        client.post(reverse("administration:authenticator_reset", args=[admin_person.pk])).status_code == 404
    )
    assert TOTPDevice.objects.filter(user=admin_person).exists()


def test_other_people_keep_their_sessions(client, hampshire, council_finance, auditor):
    admin_person = UserFactory(agency=hampshire, roles=[Role.PARTNERSHIP_ADMINISTRATOR])
    authenticator_for(council_finance)
    bystander = Client()
    bystander.force_login(auditor)
    client.force_login(admin_person)
    client.post(reverse("administration:authenticator_reset", args=[council_finance.pk]))
    assert bystander.get(reverse("home")).status_code == 200
