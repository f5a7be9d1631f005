"""An escalation in a real browser without JavaScript: a Rapid Solutions Group is set up, meets, and
escalates to a Joint Solutions Panel (seeds 002). Then every page reached again in a second,
JavaScript-enabled page for the axe-core checks (axe needs JavaScript).

`transactional_db` comes first so the data is committed and visible to the live server's thread.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pathways.models import Escalation, EscalationLevel
from tests.browser.conftest import assert_accessible
from tests.pathways.test_escalation_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.browser


def test_rsg_to_jsp_without_javascript(
    transactional_db,
    live_server,
    new_page,
    sign_in,
    social_worker,
    clinician,
    child,
    hiow_icb,
    hampshire,
    sgm,
    jsp,
):
    reached: list[str] = []
    sw: Page = new_page(java_script_enabled=False)
    sign_in(sw, social_worker.email)
    sw.goto(f"{live_server.url}/pathways/children/{child.pk}/escalations/")
    reached.append(sw.url)
    expect(sw.locator("h1")).to_have_text("Escalations")
    sw.get_by_role("link", name="Escalate").click()
    reached.append(sw.url)

    # Bad input first: the error summary, and what was typed is kept.
    sw.get_by_label("Accident and Emergency or the Children's Hospital").check()
    sw.get_by_label("The crisis").fill("In A&E since Saturday; no safe placement")
    sw.get_by_role("button", name="Record the escalation").click()
    expect(sw.locator(".govuk-error-summary")).to_contain_text("Choose who authorised it")
    expect(sw.get_by_label("The crisis")).to_have_value("In A&E since Saturday; no safe placement")

    sw.get_by_label("Rapid Solutions Group").check()
    sw.get_by_label("Authorised by").select_option(str(sgm.pk))
    sw.get_by_label("Why escalate").fill("No placement through the usual routes")
    sw.get_by_label("Chair (optional)").select_option(str(clinician.pk))
    sw.get_by_role("button", name="Record the escalation").click()
    expect(sw.locator("h1")).to_have_text("Rapid Solutions Group")
    expect(sw.locator("#next-due")).to_contain_text("First meeting due by")
    expect(sw.locator("#chair")).to_have_text("Nadia Khan")
    escalation = Escalation.objects.get()
    reached.append(sw.url)

    sw.get_by_role("link", name="Record a meeting").click()
    reached.append(sw.url)
    now = timezone.localtime()
    sw.get_by_label("Date of the meeting").fill(now.strftime("%d/%m/%Y"))
    sw.get_by_label("Time the meeting started").fill(now.strftime("%H:%M"))
    sw.get_by_label("Chair", exact=True).select_option(str(clinician.pk))
    sw.get_by_label(hampshire.name).check()
    sw.get_by_label("Attendees").fill("Nadia Khan (ICB)\nSam Okafor (council)")
    sw.get_by_label("Notes").fill("No beds locally; two providers to call")
    sw.get_by_label("Actions").fill("Sam: call providers by Wednesday")
    sw.get_by_role("button", name="Record the meeting").click()
    expect(sw.locator("#next-due")).to_contain_text("Next meeting due by")
    expect(sw.locator("#missing")).to_contain_text(hiow_icb.name)

    sw.get_by_role("link", name="Escalate to the Joint Solutions Panel").click()
    reached.append(sw.url)
    sw.get_by_role("button", name="Escalate").click()
    expect(sw.locator(".govuk-error-summary")).to_be_visible()
    sw.get_by_label("Authorised by").select_option(str(sgm.pk))
    sw.get_by_label("Why escalate").fill("The RSG has exhausted local options")
    sw.get_by_label("Joint Solutions Panel").select_option(str(jsp.pk))
    sw.get_by_role("button", name="Escalate").click()
    expect(sw.locator("h1")).to_have_text("Joint Solutions Panel")
    expect(sw.locator("#step-jsp")).to_be_visible()
    expect(sw.locator("main")).to_contain_text(
        "Escalated to the Joint Solutions Panel: The RSG has exhausted"
    )
    escalation.refresh_from_db()
    assert escalation.level == EscalationLevel.JSP

    # The same pages with JavaScript, for axe-core (and one with errors showing).
    js: Page = new_page()
    sign_in(js, social_worker.email)
    for url in [*reached, f"{live_server.url}/pathways/escalations/{escalation.pk}/resolve/"]:
        js.goto(url)
        assert_accessible(js)
    js.get_by_role("button", name="Resolve the escalation").click()
    expect(js.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(js)
