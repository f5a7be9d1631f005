"""A Continuing Care case in a real browser, from the checklist to the multi-agency decision, without
JavaScript; then its pages again with JavaScript for the axe-core checks (axe needs JavaScript).

`transactional_db` comes first so the data is committed and visible to the live server's thread.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from pathways import services
from pathways.models import DSTDomain, PathwayCase, Status
from tests.browser.conftest import assert_accessible
from tests.pathways.conftest import complete_assessment

pytestmark = pytest.mark.browser


@pytest.fixture
def dst_domains(transactional_db):
    """A transactional test flushes the tables, data migrations' rows included: load them again."""
    import importlib

    from django.apps import apps

    importlib.import_module("pathways.migrations.0002_dst_domains_and_default_settings").load(apps, None)


def test_continuing_care_checklist_to_decision(
    transactional_db, dst_domains, live_server, new_page, sign_in, social_worker, clinician, child, hiow_icb
):
    received = timezone.localdate() - dt.timedelta(days=10)
    sw: Page = new_page(java_script_enabled=False)
    sign_in(sw, social_worker.email)
    sw.goto(f"{live_server.url}/pathways/children/{child.pk}/")
    sw.get_by_role("link", name="Start a Continuing Care case").click()
    sw.get_by_label("Lead agency").select_option(str(hiow_icb.pk))
    sw.get_by_label("Date the referral was received").fill(received.strftime("%d/%m/%Y"))
    sw.get_by_role("button", name="Start the case").click()
    expect(sw.locator("h1")).to_have_text("Continuing Care")
    case = PathwayCase.objects.get()

    sw.get_by_role("link", name="Record the checklist").click()
    sw.get_by_label("Date the checklist was completed").fill(received.strftime("%d/%m/%Y"))
    sw.get_by_role("group", name="Does the checklist show a full assessment is needed?").get_by_label(
        "Yes"
    ).check()
    sw.get_by_role("button", name="Save the checklist").click()
    expect(sw.locator("main .govuk-tag").first).to_have_text("Full assessment")

    nurse: Page = new_page(java_script_enabled=False)
    sign_in(nurse, clinician.email)
    nurse.goto(f"{live_server.url}/pathways/cases/{case.pk}/")
    nurse.get_by_role("link", name="Record the areas of evidence").click()
    nurse.get_by_label("The child's and family's preferences").fill("Amelia wants to stay at home")
    nurse.get_by_label("Holistic assessment, including carers").fill("Mum is the main carer")
    nurse.get_by_label("Reports and risk assessments from professionals").fill("Consultant letter")
    nurse.get_by_role("button", name="Save the evidence").click()

    nurse.get_by_role("link", name="Score the Decision Support Tool").click()
    for domain in DSTDomain.objects.all():
        level = "Priority" if domain.code == "breathing" else "Low"
        nurse.get_by_role("group", name=domain.name).get_by_label(level, exact=True).check()
    nurse.get_by_role("button", name="Save the scores").click()
    expect(nurse.locator("#prompt")).to_contain_text("suggests: needs that look like")

    nurse.get_by_role("link", name="Make the recommendation").click()
    nurse.get_by_label("Does not have continuing care needs").check()
    nurse.get_by_label("Reasons for the recommendation").fill("Breathing need is met by the community team")
    nurse.get_by_role("button", name="Make the recommendation").click()
    expect(nurse.locator(".govuk-error-summary")).to_contain_text("give a reason for recommending otherwise")
    expect(nurse.get_by_label("Reasons for the recommendation")).to_have_value(
        "Breathing need is met by the community team"
    )
    nurse.get_by_label("Reason for recommending otherwise than the DST prompt").fill("Stable for two years")
    nurse.get_by_role("button", name="Make the recommendation").click()
    expect(nurse.locator("#recommendation")).to_contain_text("Stable for two years")
    case.refresh_from_db()
    assert case.status == Status.RECOMMENDED

    # The multi-agency decision, recorded by the social worker; then the child's page shows it on
    # the one timeline.
    sw.goto(f"{live_server.url}/pathways/cases/{case.pk}/")
    sw.get_by_role("link", name="Record the multi-agency decision").click()
    sw.get_by_role("button", name="Record the decision").click()
    expect(sw.locator(".govuk-error-summary")).to_be_visible()
    sw.get_by_role("group", name="Multi-agency decision").get_by_label(
        "Does not have continuing care needs"
    ).check()
    sw.get_by_label("Date of the decision").fill(timezone.localdate().strftime("%d/%m/%Y"))
    sw.get_by_role("button", name="Record the decision").click()
    expect(sw.locator("h1")).to_have_text("Continuing Care")
    case.refresh_from_db()
    assert case.status == Status.DECIDED
    sw.goto(f"{live_server.url}{reverse('children:detail', args=[child.pk])}")
    expect(sw.locator("#timeline-table")).to_contain_text("Decision: does not have continuing care needs")
    expect(sw.locator("#timeline-table")).to_contain_text("Continuing Care referral received")

    # The same pages with JavaScript, for axe-core.
    js: Page = new_page()
    sign_in(js, clinician.email)
    for path in (
        f"/pathways/children/{child.pk}/",
        f"/pathways/cases/{case.pk}/",
        reverse("children:detail", args=[child.pk]),
    ):
        js.goto(f"{live_server.url}{path}")
        assert_accessible(js)
    other = services.cc_open(
        actor=social_worker,
        child=child,
        lead_agency=hiow_icb,
        case_worker=None,
        referral_received_on=received,
    )
    services.cc_record_checklist(
        actor=social_worker, case=other, completed_on=received, full_assessment_needed=True
    )
    for step in ("dst", "evidence", "recommendation"):
        js.goto(f"{live_server.url}/pathways/cases/{other.pk}/{step}/")
        assert_accessible(js)
    complete_assessment(other, clinician, level="high")
    services.cc_recommend(actor=clinician, case=other, recommendation="needs", reasons="High needs")
    js_sw: Page = new_page()
    sign_in(js_sw, social_worker.email)
    js_sw.goto(f"{live_server.url}/pathways/cases/{other.pk}/decision/")
    assert_accessible(js_sw)
    js_sw.get_by_role("button", name="Record the decision").click()
    expect(js_sw.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(js_sw)
    js.get_by_role("button", name="Make the recommendation").click()
    expect(js.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(js)
