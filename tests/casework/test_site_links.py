"""Links that lead somewhere useful (issue 16, "Forms and words"): the API's documentation is not in
everyone's navigation (it is in the footer and on the account page), and e-mails link to the
address the site is served on (SITE_URL), wherever it runs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.core import mail
from django.urls import reverse

from casework.notifications import notify

ROOT = Path(__file__).resolve().parents[2]


def _navigation(page: str) -> str:
    match = re.search(r'<nav aria-label="Menu".*?</nav>', page, re.DOTALL)
    assert match, "the page has its navigation"
    return match.group(0)


def _footer(page: str) -> str:
    match = re.search(r'<footer class="govuk-template__footer">.*?</footer>', page, re.DOTALL)
    assert match, "the page has its footer"
    return match.group(0)


def test_the_api_is_in_the_footer_not_the_navigation(sam):
    page = sam.get(reverse("home")).content.decode()
    docs = reverse("api-docs")
    assert f'href="{docs}"' not in _navigation(page)
    assert ">API<" not in _navigation(page)
    assert f'<a class="govuk-footer__link" href="{docs}">API</a>' in _footer(page)


def test_the_account_page_links_to_the_api_documentation(sam):
    page = sam.get(reverse("account")).content.decode()
    main = page.split('<main class="govuk-main-wrapper" id="main-content">', 1)[1].split("</main>", 1)[0]
    assert f'href="{reverse("api-docs")}"' in main
    assert f'href="{reverse("api_tokens")}"' in main


def test_a_signed_out_page_offers_no_api_link(client, db):
    page = client.get(reverse("login")).content.decode()
    assert reverse("api-docs") not in page


def test_a_notice_email_links_to_the_address_the_site_is_served_on(
    settings, team_manager, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://casework.example.org/"
    mail.outbox = []
    path = reverse("referrals:awaiting")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[team_manager], subject="A referral awaits your sign-off", url=path)
    [message] = mail.outbox
    links = re.findall(r"https?://\S+", message.body)
    assert links == [f"https://casework.example.org{path}"]


def test_docker_compose_gives_every_app_container_the_site_address():
    """The worker sends the e-mails: web, worker and beat all get SITE_URL from .env."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["x-app"]["environment"]
    assert "SITE_URL" in environment
    assert environment["SITE_URL"].startswith("${SITE_URL")
