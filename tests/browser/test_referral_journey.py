"""A referral's whole journey in a real browser (Debian Chromium through Playwright), with axe-core.

The social worker writes the referral section by section from its task list, adds an option split
50/50 between the council and the ICB, attaches evidence and sends it for sign-off; the team
manager and then the service manager sign; the social worker submits it to a meeting. Once with
JavaScript and once without: every step is a plain form, so the journey must work either way.
axe-core needs JavaScript to run, so the accessibility checks run in the JavaScript variant.

`transactional_db` comes first in each signature so the data is committed and visible to the live
server's thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from referrals import services
from referrals.models import Referral, Status
from tests.browser.conftest import assert_accessible
from tests.factories import PanelFactory
from tests.referrals.test_journey_services import MINIMAL_PDF, complete_referral

# Evidence files go to this test's own folder (tests/conftest.py; the live server runs in this process).
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_storage")]

DESCRIPTION = "Residential short breaks, two nights a week"

# Each section of the referral form: its task-list link, then each question's answer by its label.
# Education's yes/no questions are radio groups, answered by the group's legend and the choice.
TEXT_SECTIONS = {
    "Referrer and relationship to the child": {"Your relationship to the child": "Allocated social worker"},
    "1. Assessed needs": {"Brief summary of assessed needs": "Autism and severe anxiety."},
    "2. Support in place": {
        "Are there currently any support services or interventions in place?": "CAMHS weekly."
    },
    "4. Permanency plan": {"What is the permanency plan for the child?": "Return home with support."},
    "6. Considered elsewhere": {
        "Has funding, support or intervention been considered elsewhere?": "Short breaks panel."
    },
    "7. The child's voice": {"The child or young person's voice": "Wants to stay near her brother."},
    "8. Parents' and carers' views": {"The parents' and carers' voice": "Mother agrees."},
    "Reason for referral and summary of circumstances": {
        "Reason for referral to the panel": "Placement at risk.",
        "Summary of the circumstances which warrant the referral": "Escalating crisis at home.",
    },
}
EDUCATION_CHOICES = {
    "Might this request involve a change of school placement or affect the child's education in any way?": "Yes",
    "Has the child got an education, health and care (EHC) plan?": "Yes",
    "Has this proposal been discussed with the SEN team?": "Yes",
    "Is the school mainstream, special or other?": "Special",
}
EDUCATION_TEXT = {
    "The SEN team's comments": "Oakwood can meet need; no extra funding.",
    "Name of current school": "Oakwood School",
}


@pytest.fixture
def panel(hampshire):
    return PanelFactory(name="Hampshire Joint Solutions Panel", host_agency=hampshire)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def success_banner(page: Page):
    return page.locator(".govuk-notification-banner--success")


def status_tag(page: Page):
    """The referral's status: the first tag under the referral page's heading."""
    return page.locator("h1 + p .govuk-tag").first


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/"))


def task_status(page: Page, title: str):
    return page.locator(
        ".govuk-task-list__item", has=page.get_by_role("link", name=title, exact=True)
    ).locator(".govuk-task-list__status")


def fill_section(
    page: Page, task: str, answers: dict[str, str], *, before_saving: Callable[[], None] | None = None
) -> None:
    """From the task list: open the section, answer each question by its label, save, and back."""
    page.get_by_role("link", name=task, exact=True).click()
    expect(heading(page)).to_have_text(task)
    for label, value in answers.items():
        page.get_by_label(label, exact=True).fill(value)
    if before_saving:
        before_saving()
    page.get_by_role("button", name="Save and return to task list").click()
    expect(heading(page)).to_have_text("Referral form")
    expect(success_banner(page)).to_contain_text("Saved")
    expect(task_status(page, task)).to_have_text("Completed")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_write_sign_sign_submit(
    transactional_db,
    social_worker,
    team_manager,
    service_manager,
    child,
    hampshire,
    hiow_icb,
    panel,
    meeting,
    live_server,
    new_page,
    sign_in,
    tmp_path,
    javascript,
):
    # Accessibility failures are collected and reported together at the end, so that one page's
    # violation does not hide whether the rest of the journey works.
    inaccessible: list[str] = []

    def check_accessible() -> None:
        if not javascript:  # axe-core is JavaScript: it cannot run in a page without
            return
        try:
            assert_accessible(page)
        except pytest.fail.Exception as failure:
            inaccessible.append(str(failure))

    page = new_page(java_script_enabled=javascript)
    if not javascript:
        page.goto(f"{live_server.url}/sign-in/")
        expect(page.locator("body")).not_to_have_class(re.compile(r"js-enabled"))

    # --- Sam, the social worker, starts a referral from the child's record ---------------------
    sign_in(page, social_worker.email)
    expect(heading(page)).to_have_text("My work")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Children").click()
    page.get_by_role("link", name="HART, Amelia").click()
    expect(heading(page)).to_have_text("Amelia Hart")
    page.get_by_role("link", name="Start a referral").click()

    expect(heading(page)).to_have_text("Start a referral")
    page.get_by_label("Panel", exact=True).select_option(label=panel.name)
    page.get_by_label("Joint package or placement").check()
    expect(page.get_by_label("A new request")).to_be_checked()
    expect(page.get_by_label("Routine")).to_be_checked()
    page.get_by_role("button", name="Start referral").click()

    expect(page).to_have_url(re.compile(r"/referrals/\d+/tasks/$"))
    referral_url = page.url.removesuffix("tasks/")
    referral = Referral.objects.get(child=child)
    expect(heading(page)).to_have_text("Referral form")
    expect(success_banner(page)).to_contain_text("Draft referral started")
    expect(task_status(page, "3. IRO comments")).to_have_text("Not needed")  # not looked after
    expect(task_status(page, "Send for sign-off")).to_have_text("Cannot send yet")
    check_accessible()

    # --- Every section, through the task list, by the questions' labels ------------------------
    for number, (task, answers) in enumerate(TEXT_SECTIONS.items()):
        fill_section(page, task, answers, before_saving=check_accessible if number == 0 else None)

    def answer_education() -> None:
        # Each follow-up sits under the answer that asks it (a conditional reveal, open once "Yes"
        # is chosen): answer the question, then what it reveals. A group holds its follow-ups'
        # answers too, so its own "Yes" is the first.
        for question, choice in EDUCATION_CHOICES.items():
            page.get_by_role("group", name=question).get_by_label(choice, exact=True).first.check()
        for label, value in EDUCATION_TEXT.items():
            page.get_by_label(label, exact=True).fill(value)

    fill_section(page, "5. Education", {}, before_saving=answer_education)

    # --- An option, first with a split that does not add up -----------------------------------
    page.get_by_role("link", name="Options and costs", exact=True).click()
    expect(heading(page)).to_have_text("Options and costs")
    expect(page.locator("main")).to_contain_text("No options yet.")
    check_accessible()
    page.get_by_role("link", name="Add an option").click()
    expect(heading(page)).to_have_text("Add an option")
    page.get_by_label("Describe the option").fill(DESCRIPTION)
    page.get_by_label("Provider").fill("Oak House")
    page.get_by_label(re.compile(r"^Cost( \(optional\))?$")).fill("£1,234.56")
    page.get_by_role("group", name="How often is this cost paid?").get_by_label("Weekly").check()
    split = page.get_by_role("group", name="How is the cost split between agencies?")
    expect(split.get_by_label("As percentages of the cost")).to_be_checked()
    # Each agency's row is labelled with its name (and "(optional)": blank means it pays nothing).
    council_share = page.get_by_label(re.compile(rf"^{re.escape(hampshire.name)}\b"))
    icb_share = page.get_by_label(re.compile(rf"^{re.escape(hiow_icb.name)}\b"))
    council_share.fill("50")
    icb_share.fill("40")
    page.get_by_role("button", name="Add option").click()

    expect(page).to_have_title(re.compile(r"^Error: Add an option"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    if javascript:
        expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary on load
    error_link = summary.get_by_role("link", name="The percentages add up to 90%, not 100%")
    percentages = split.get_by_label("As percentages of the cost")
    percentages_id = percentages.get_attribute("id")
    expect(error_link).to_have_attribute("href", f"#{percentages_id}")
    expect(split).to_contain_text("The percentages add up to 90%, not 100%")
    # Nothing typed is lost.
    expect(page.get_by_label("Describe the option")).to_have_value(DESCRIPTION)
    expect(page.get_by_label(re.compile(r"^Cost( \(optional\))?$"))).to_have_value("£1,234.56")
    expect(council_share).to_have_value("50")
    expect(icb_share).to_have_value("40")
    check_accessible()
    error_link.click()
    if javascript:
        expect(percentages).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"#{percentages_id}$"))

    icb_share.fill("50")
    page.get_by_role("button", name="Add option").click()
    expect(heading(page)).to_have_text("Options and costs")
    expect(success_banner(page)).to_contain_text("Option 1 added")
    option_card = page.locator(".govuk-summary-card", has_text="Option 1")
    expect(option_card).to_contain_text("Recommended")
    expect(option_card).to_contain_text("£617.28")  # each agency's weekly half
    check_accessible()
    page.get_by_role("link", name="Return to the task list").click()
    expect(task_status(page, "Options and costs")).to_have_text("Completed")

    # --- Evidence ------------------------------------------------------------------------------
    pdf = tmp_path / "assessment.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.get_by_role("link", name="Evidence", exact=True).click()
    expect(heading(page)).to_have_text("Evidence")
    page.get_by_label("Upload a file").set_input_files(pdf)
    page.get_by_label("Title").fill("CAMHS assessment, March 2026")
    page.get_by_role("button", name="Upload file").click()
    expect(success_banner(page)).to_contain_text("assessment.pdf uploaded")
    evidence_table = page.get_by_role("table", name="Evidence attached")
    expect(
        evidence_table.get_by_role("link", name="CAMHS assessment, March 2026", exact=True)
    ).to_be_visible()
    check_accessible()
    page.get_by_role("link", name="Return to the task list").click()

    # --- Send for sign-off ---------------------------------------------------------------------
    expect(page.locator("main")).not_to_contain_text("Incomplete")
    expect(task_status(page, "Send for sign-off")).to_have_text("Ready to send")
    page.get_by_role("link", name="Send for sign-off").click()
    expect(heading(page)).to_have_text("Send for sign-off")
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page).to_have_url(referral_url)
    expect(success_banner(page)).to_contain_text("Sent to your team manager for sign-off")
    expect(status_tag(page)).to_have_text("Awaiting team manager")
    sign_out(page)

    # --- Tara, the team manager, sees it waiting and signs on the referral page ----------------
    sign_in(page, team_manager.email)
    expect(heading(page)).to_have_text("My work")
    referrals_link = page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name=re.compile(r"^Referrals")
    )
    expect(referrals_link).to_contain_text("1 awaiting your sign-off")
    referrals_link.click()
    page.get_by_role("link", name="Awaiting my sign-off").click()
    expect(page.get_by_role("heading", level=2, name="Awaiting my sign-off")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("1 referral")
    page.get_by_role("link", name="HART, Amelia").click()

    expect(page).to_have_url(referral_url)
    expect(heading(page)).to_have_text(f"Referral to {panel.name}")
    expect(page.locator("main")).to_contain_text("You are signing as team manager")
    expect(page.get_by_role("link", name="CAMHS assessment, March 2026", exact=True)).to_be_visible()
    check_accessible()
    page.get_by_label("Comments").fill("Proportionate and well evidenced.")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(success_banner(page)).to_contain_text("Signed")
    expect(status_tag(page)).to_have_text("Awaiting service manager")
    sign_out(page)

    # --- Sunita, the service manager, signs on the sign page -----------------------------------
    sign_in(page, service_manager.email)
    expect(
        page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Referrals"))
    ).to_contain_text("1 awaiting your sign-off")
    page.goto(f"{referral_url}sign/")
    expect(heading(page)).to_have_text("Sign off the referral")
    expect(page.locator("main")).to_contain_text("You are signing as service manager")
    check_accessible()
    page.get_by_label("Comments").fill("Agreed.")
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page).to_have_url(referral_url)
    expect(success_banner(page)).to_contain_text("Signed")
    expect(status_tag(page)).to_have_text("Ready to submit")
    sign_out(page)

    # --- Sam submits it to the meeting ---------------------------------------------------------
    sign_in(page, social_worker.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile(r"^Referrals")).click()
    page.get_by_role("link", name="HART, Amelia").click()
    expect(status_tag(page)).to_have_text("Ready to submit")
    page.get_by_role("link", name="Submit to a meeting").click()
    expect(heading(page)).to_have_text("Submit to a meeting")
    meeting_choice = page.get_by_label(re.compile(rf"^{meeting.date:%A %-d %B %Y} – papers due "))
    expect(meeting_choice).to_be_visible()
    check_accessible()
    meeting_choice.check()
    page.get_by_role("button", name="Submit referral").click()

    expect(page).to_have_url(referral_url)
    expect(success_banner(page)).to_contain_text(f"Submitted to {meeting}")
    expect(status_tag(page)).to_have_text("Submitted")
    expect(page.locator("h1 + p")).not_to_contain_text("Late paper")
    sign_offs = page.get_by_role("table", name="Signatures and returns")
    expect(sign_offs).to_contain_text("Tara Bell")
    expect(sign_offs).to_contain_text("Sunita Rao")
    expect(sign_offs).to_contain_text("Agreed.")
    check_accessible()

    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED
    assert referral.meeting == meeting
    assert not referral.is_late_paper
    if inaccessible:
        pytest.fail("\n\n".join(inaccessible), pytrace=False)


def test_outsider_gets_page_not_found_for_a_referral_and_its_evidence(
    transactional_db, outsider, social_worker, child, hampshire, hiow_icb, panel, live_server, page, sign_in
):
    draft = services.referral_create(actor=social_worker, child=child, panel=panel, pathway="joint_package")
    referral = complete_referral(draft, social_worker, hiow_icb, hampshire)
    evidence = referral.evidence.get()

    sign_in(page, outsider.email)
    expect(heading(page)).to_have_text("My work")

    for path in (f"/referrals/{referral.pk}/", f"/referrals/{referral.pk}/evidence/{evidence.pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 404, path
        expect(page).to_have_title(re.compile(r"^Page not found – "))
        expect(heading(page)).to_have_text("Page not found")
        expect(page.locator("main")).not_to_contain_text("Amelia")
        expect(page.locator("main")).not_to_contain_text("assessment.pdf")
    assert_accessible(page)
