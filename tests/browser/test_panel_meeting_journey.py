"""Issue 5's journey, end to end, with JavaScript off: the administrator builds and circulates an
agenda; on the day the chair runs the meeting with one agency (SEN) absent, records a declaration,
signs a decision split three ways (the absent agency's part becomes a recommendation) and a
deferral; after the meeting the minutes are drafted, edited and approved, and the decision letters
are sent; the panel pack is ready for a member holding the papers.

The story moves across days with time_machine: the browser's server is live_server in this same
process, so its clock moves too (tick=True, so time passes while the browser works). Each move
signs people in again (sessions end after 30 idle minutes). Every page the journey reaches is
checked with axe-core in a second, JavaScript-enabled page signed in as the same person, since axe
needs JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from casework.models import AgencyKind, Role
from panels.models import AgendaItem, Decision, Membership
from referrals.models import Referral
from tests.browser.conftest import assert_accessible
from tests.factories import AgencyFactory, ChildFactory, MeetingFactory, PanelFactory, UserFactory
from tests.panels.conftest import submit_referral

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
SUBMITTED_ON = dt.date(2026, 3, 2)  # Monday; papers are due Friday 27 March (7 working days before)
AGENDA_DAY = dt.date(2026, 3, 30)  # Monday; circulation is due Wednesday 1 April (5 working days)
MEETING_DAY = dt.date(2026, 4, 9)  # Thursday (Easter falls between circulation and the meeting)
AFTER_DAY = dt.date(2026, 4, 10)  # Friday: minutes and letters


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock(transactional_db, time_machine):
    """Monday 2 March 2026, 09:30 London, before any persona or child is made."""
    time_machine.move_to(at(SUBMITTED_ON), tick=False)
    return time_machine


def test_meeting_from_agenda_to_letters_with_an_absent_agency(
    clock,
    hampshire,
    hiow_icb,
    child,
    social_worker,
    team_manager,
    service_manager,
    panel_chair,
    live_server,
    new_page,
    sign_in,
    mailoutbox,
):
    # --- Monday 2 March: the panel, its members and two referrals submitted in good time ---------
    sen = AgencyFactory(
        name="Hampshire County Council SEN and Education",
        kind=AgencyKind.SEN,
        partnership="Hampshire and Isle of Wight",
    )
    administrator = UserFactory(
        email="adam.clerk@hants.example.gov.uk",
        full_name="Adam Clerk",
        agency=hampshire,
        roles=[Role.PANEL_ADMINISTRATOR],
    )
    council_member = UserFactory(full_name="Paula Member", agency=hampshire, roles=[Role.PANEL_MEMBER])
    icb_member = UserFactory(full_name="Irene Grant", agency=hiow_icb, roles=[Role.PANEL_MEMBER])
    second_icb_member = UserFactory(full_name="Ivan Moss", agency=hiow_icb, roles=[Role.PANEL_MEMBER])
    sen_member = UserFactory(
        email="sian.evans@hants.example.gov.uk",
        full_name="Sian Evans",
        agency=sen,
        roles=[Role.PANEL_MEMBER],
    )
    panel = PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)
    panel.quorum_agencies.set([hampshire, hiow_icb])
    panel.quorum_members_per_agency = 2
    panel.save()
    for person, agency, role in [
        (panel_chair, hampshire, "chair"),
        (council_member, hampshire, "member"),
        (icb_member, hiow_icb, "member"),
        (second_icb_member, hiow_icb, "member"),
        (sen_member, sen, "member"),
    ]:
        Membership.objects.create(
            panel=panel, person=person, agency=agency, role=role, starts_on=dt.date(2026, 1, 1)
        )
    meeting = MeetingFactory(panel=panel, date=MEETING_DAY)
    other_child = ChildFactory(
        given_name="Ben",
        family_name="Cole",
        owning_agency=hampshire,
        created_by=social_worker,
        allocated_social_worker=social_worker,
        involved=[hiow_icb],
    )
    referrals = {}
    for someone in (child, other_child):
        referrals[someone.initials] = submit_referral(
            child=someone,
            meeting=meeting,
            social_worker=social_worker,
            team_manager=team_manager,
            service_manager=service_manager,
            hampshire=hampshire,
            hiow_icb=hiow_icb,
        )
    amelia, ben = referrals[child.initials], referrals[other_child.initials]
    assert not amelia.is_late_paper and not ben.is_late_paper
    amelia_title = f"Referral for {child.initials}: {amelia.get_pathway_display()}"
    ben_title = f"Referral for {other_child.initials}: {ben.get_pathway_display()}"

    def url(name: str, *args) -> str:
        return live_server.url + reverse(name, args=args)

    meeting_url = url("panels:meeting", meeting.pk)
    papers_url = url("panels:papers", meeting.pk)
    run_url = url("panels:run_meeting", meeting.pk)
    minutes_url = url("panels:minutes", meeting.pk)
    letters_url = url("panels:letters", meeting.pk)
    pack_url = url("panels:pack", meeting.pk)

    def signed_in(user, *, javascript: bool = False) -> Page:
        page = new_page(java_script_enabled=javascript)
        sign_in(page, user.email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        return page

    bugs: list[str] = []

    def known_bug(expectation: Callable[[], None], reason: str) -> None:
        """A step the app gets wrong today: noted, and the test is marked xfail at the end so that
        the rest of the journey still runs. Passes silently once the app is fixed."""
        try:
            expectation()
        except AssertionError:
            bugs.append(reason)

    checkers: dict[int, Page] = {}

    def checker(user) -> Page:
        """axe-core needs JavaScript: the same person, signed in again in a JavaScript page."""
        if user.pk not in checkers:
            checkers[user.pk] = signed_in(user, javascript=True)
        return checkers[user.pk]

    def check(reached: Page, user) -> None:
        axe_page = checker(user)
        axe_page.goto(reached.url)
        assert_accessible(axe_page)

    def next_day(day: dt.date, hour: int = 10) -> None:
        """Move the clock; sessions have timed out, so everyone signs in again."""
        clock.move_to(at(day, hour), tick=True)
        checkers.clear()

    # --- Monday 30 March: the administrator builds the agenda and circulates the papers -----------
    next_day(AGENDA_DAY)
    page = signed_in(administrator)
    page.goto(meeting_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting on Thursday 9 April 2026")
    check(page, administrator)
    page.get_by_role("link", name="Build the agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda for Thursday 9 April 2026")
    check(page, administrator)
    page.get_by_role("button", name="Build the agenda from the submitted referrals").click()
    expect(page.get_by_text("2 items added to the agenda")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    check(page, administrator)

    page.get_by_role("link", name=f"Lead member for {amelia_title}").click()
    check(page, administrator)
    page.get_by_label("Lead member").select_option(
        label="Irene Grant (Member, NHS Hampshire and Isle of Wight ICB)"
    )
    page.get_by_role("button", name="Save lead member").click()
    expect(page.locator("tbody tr", has_text=amelia_title)).to_contain_text("Irene Grant")

    # Ben's referral is taken first: whichever order building gave, put Ben at the top.
    first = rows.first.inner_text()
    if amelia_title in first:
        page.locator("tbody tr", has_text=ben_title).get_by_role("button", name="Up").click()
    else:
        page.locator("tbody tr", has_text=ben_title).get_by_role("button", name="Down").click()
        page.locator("tbody tr", has_text=ben_title).get_by_role("button", name="Up").click()
    expect(rows.first).to_contain_text(ben_title)
    expect(rows.nth(1)).to_contain_text(amelia_title)
    check(page, administrator)

    page.get_by_role("link", name="Circulate the papers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Circulate the papers")
    check(page, administrator)
    page.get_by_role("button", name="Circulate papers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Papers for Thursday 9 April 2026")
    expect(page.get_by_text("Papers circulated to the panel's members")).to_be_visible()
    check(page, administrator)

    # A member reads the papers (and the pack, made in the background as the papers went out).
    reader = signed_in(icb_member)
    reader.goto(meeting_url)
    reader.get_by_role("link", name="Papers for this meeting").click()
    expect(
        reader.get_by_text("Until the end of Thursday 9 April 2026; you keep the items you lead")
    ).to_be_visible()
    expect(reader.locator("table tbody tr").first).to_contain_text(ben_title)
    expect(reader.locator("tbody tr", has_text=amelia_title)).to_contain_text("Irene Grant")
    check(reader, icb_member)
    reader.goto(meeting_url)
    reader.get_by_role("link", name="Panel pack (PDF)").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Panel pack")
    expect(reader.get_by_role("link", name="Download the pack (PDF")).to_be_visible()
    check(reader, icb_member)

    # --- Thursday 9 April: the chair runs the meeting; SEN's member is absent ---------------------
    next_day(MEETING_DAY)
    chair = signed_in(panel_chair)
    chair.goto(meeting_url)
    chair.get_by_role("link", name="Run the meeting: attendance, quorum and decisions").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Run the meeting")
    expect(chair.locator("#quorum")).to_contain_text("Not quorate")
    check(chair, panel_chair)

    for person in (panel_chair, council_member, icb_member, second_icb_member):
        chair.get_by_role("group", name=person.full_name).get_by_label("Present").check()
    chair.get_by_role("group", name="Sian Evans").get_by_label("Absent").check()
    chair.get_by_role("button", name="Save attendance").click()
    expect(chair.get_by_text("Attendance saved")).to_be_visible()
    expect(chair.locator("#quorum")).to_contain_text("Quorate")
    expect(chair.locator("#quorum")).not_to_contain_text("Not quorate")
    expect(chair.get_by_text("2 of 2 present")).to_have_count(2)
    check(chair, panel_chair)

    amelia_item = AgendaItem.objects.get(meeting=meeting, referral=amelia)
    ben_item = AgendaItem.objects.get(meeting=meeting, referral=ben)
    # The agenda with each item's state; each item on its own page.
    expect(chair.locator(f"#agenda-item-{amelia_item.pk}")).to_contain_text("Not started")
    chair.locator(f"#agenda-item-{amelia_item.pk}").get_by_role("link").click()
    section = chair.locator(f"#item-{amelia_item.pk}")
    section.get_by_text(f"Record a declaration on item {amelia_item.position}").click()
    section.get_by_label("Member").select_option(label=f"Paula Member, member ({hampshire.name})")
    section.get_by_label("Interest declared").fill("Knows the family through a school governors' board.")
    section.get_by_label("Remained and took part").check()
    section.get_by_role("button", name="Record declaration").click()
    expect(chair.get_by_text("Declaration recorded")).to_be_visible()
    expect(chair.locator(f"#item-{amelia_item.pk}")).to_contain_text("Knows the family")
    check(chair, panel_chair)

    # Amelia: agreed, with the cost split three ways; SEN was not there, so its part is a recommendation.
    section = chair.locator(f"#item-{amelia_item.pk}")
    section.get_by_text(f"Record the decision on item {amelia_item.position}").click()
    section.get_by_label("Agreed as recommended").check()
    section.get_by_label("Rationale").fill("Short breaks keep her at home; education support at school.")
    section.get_by_label("Lead agency").select_option(label=hampshire.name)
    section.get_by_label("Percentage").check()
    section.get_by_label(f"{hampshire.name} share").fill("40")
    section.get_by_label(f"{hiow_icb.name} share").fill("40")
    section.get_by_label(f"{sen.name} share").fill("20")
    section.get_by_label("Review date").fill("09/10/2026")
    section.get_by_role("button", name="Save draft decision").click()
    expect(chair.get_by_text(f"Draft decision saved for item {amelia_item.position}")).to_be_visible()
    section = chair.locator(f"#item-{amelia_item.pk}")
    expect(section).to_contain_text("Draft decision")
    check(chair, panel_chair)
    section.get_by_role("button", name="Sign the decision").click()
    expect(
        chair.get_by_text("Decision signed: 1 absent agency must answer the recommendation")
    ).to_be_visible()
    section = chair.locator(f"#item-{amelia_item.pk}")
    expect(section.locator(".govuk-tag").first).to_have_text("Signed")
    costs = section.get_by_role("table", name="Where the costs fall")
    expect(costs.get_by_role("row", name=sen.name)).to_contain_text("20%")
    expect(costs.get_by_role("row", name=sen.name)).to_contain_text("Recommendation: awaiting response")
    for present in (hampshire, hiow_icb):
        expect(costs.get_by_role("row", name=present.name)).to_contain_text("40%")
        known_bug(
            lambda present=present: expect(costs.get_by_role("row", name=present.name)).to_contain_text(
                "Agreed", timeout=1_000
            ),
            f"{run_url}: after signing a decision that makes a recommendation to an absent agency, the "
            f"'Where the costs fall' Status cell of each PRESENT agency ({present.name}) is blank instead "
            "of 'Agreed' (templates/panels/running/_decision_summary.html: the {% empty %}Agreed branch "
            "of the loop over recommendations only shows when there are no recommendations at all)",
        )
    expect(section).to_contain_text(f"{sen.name}: awaiting response, answer due")
    check(chair, panel_chair)

    # Ben: deferred to the next meeting (nothing committed).
    chair.goto(run_url)
    expect(chair.locator(f"#agenda-item-{amelia_item.pk}")).to_contain_text("Recommended")
    chair.locator(f"#agenda-item-{ben_item.pk}").get_by_role("link").click()
    section = chair.locator(f"#item-{ben_item.pk}")
    section.get_by_text(f"Record the decision on item {ben_item.position}").click()
    section.get_by_label("Deferred").check()
    section.get_by_label("Rationale").fill("Waiting for the health assessment.")
    section.get_by_role("button", name="Save draft decision").click()
    expect(chair.get_by_text(f"Draft decision saved for item {ben_item.position}")).to_be_visible()
    chair.locator(f"#item-{ben_item.pk}").get_by_role("button", name="Sign the decision").click()
    expect(chair.get_by_text("Decision signed", exact=True)).to_be_visible()
    expect(chair.locator(f"#item-{ben_item.pk}").locator(".govuk-tag").first).to_have_text("Signed")
    check(chair, panel_chair)
    amelia.refresh_from_db()
    ben.refresh_from_db()
    assert (amelia.status, ben.status) == ("decided", "deferred")

    # The absent agency sees what it must answer.
    absent = signed_in(sen_member)
    absent.goto(f"{live_server.url}/panels/recommendations/")
    expect(absent.get_by_role("heading", level=1)).to_have_text("Recommendations to answer")
    row = absent.locator("tbody tr", has_text=child.initials)
    expect(row).to_contain_text(sen.name)
    expect(row).to_contain_text("Awaiting answer")
    expect(absent.locator("tbody tr")).to_have_count(1)
    check(absent, sen_member)

    # --- Friday 10 April: minutes drafted, edited and approved; decision letters sent -------------
    next_day(AFTER_DAY)
    page = signed_in(administrator)
    page.goto(meeting_url)
    page.get_by_role("link", name="Minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Minutes")
    check(page, administrator)
    page.get_by_role("link", name="Draft the minutes").click()
    check(page, administrator)
    page.get_by_role("button", name="Draft the minutes").click()
    expect(page.get_by_text("Minutes drafted from the meeting's record")).to_be_visible()
    minutes_box = page.get_by_label("Minutes")
    expect(minutes_box).to_contain_text(f"Referral {amelia.pk} for {child.initials}")
    expect(minutes_box).to_contain_text(f"Referral {ben.pk} for {other_child.initials}")
    check(page, administrator)
    drafted = minutes_box.input_value()
    minutes_box.fill(drafted + "\nThe chair thanked the members.")
    page.get_by_role("button", name="Save the minutes").click()
    expect(page.get_by_text("Minutes saved")).to_be_visible()

    chair = signed_in(panel_chair)
    chair.goto(minutes_url)
    chair.get_by_role("link", name="Approve the minutes").click()
    check(chair, panel_chair)
    chair.get_by_role("button", name="Approve the minutes").click()
    expect(chair.get_by_text("Minutes approved")).to_be_visible()
    expect(chair.locator("main .govuk-summary-list .govuk-tag").first).to_have_text("Approved by the chair")
    expect(chair.get_by_text("The chair thanked the members.")).to_be_visible()
    check(chair, panel_chair)

    page.goto(meeting_url)
    page.get_by_role("link", name="Decision letters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decision letters")
    assert page.url == letters_url
    check(page, administrator)
    for referral, someone in ((amelia, child), (ben, other_child)):
        page.get_by_role("link", name=f"Prepare the letter for referral {referral.pk}").click()
        check(page, administrator)
        page.get_by_role("button", name="Prepare the letter").click()
        expect(page.get_by_label("Letter")).to_contain_text(
            f"decision on the referral for {someone.initials}"
        )
        check(page, administrator)
        page.get_by_role("button", name="Save the letter").click()
        expect(page.get_by_text("Letter saved")).to_be_visible()
        sent_before = len(mailoutbox)
        page.get_by_role("link", name=f"Send the letter for referral {referral.pk}").click()
        check(page, administrator)
        page.get_by_role("button", name="Send the letter").click()
        expect(page.get_by_text("Letter sent to the referrer and their service manager")).to_be_visible()
        row = page.locator("tbody tr", has_text=f"Referral {referral.pk} ")
        expect(row).to_contain_text(f"{social_worker.full_name} (Referrer): e-mailed")
        expect(row).to_contain_text(
            f"{service_manager.full_name} (Service manager (budget holder)): e-mailed"
        )
        recipients = {address for message in mailoutbox[sent_before:] for address in message.to}
        assert recipients == {social_worker.email, service_manager.email}, recipients
        assert all(child.full_name not in m.body for m in mailoutbox[sent_before:])
    check(page, administrator)
    assert Decision.objects.filter(agenda_item__meeting=meeting, status="signed").count() == 2
    assert set(Referral.objects.filter(pk__in=[amelia.pk, ben.pk]).values_list("status", flat=True)) == {
        "decided",
        "deferred",
    }

    # --- After the meeting the lead member keeps only her item, and no pack (seeds 002 3.3) ------
    lead = signed_in(icb_member)
    lead.goto(meeting_url)
    expect(lead.get_by_role("link", name="Papers for this meeting")).to_be_visible()
    expect(lead.get_by_role("link", name="Panel pack (PDF)")).to_have_count(0)
    lead.goto(papers_url)
    expect(lead.locator("table tbody tr")).to_have_count(1)
    expect(lead.locator("table tbody tr")).to_contain_text(amelia_title)
    check(lead, icb_member)
    assert lead.request.get(pack_url).status == 404
    assert lead.request.get(url("panels:pack_download", meeting.pk, 1)).status == 404
    # The chair keeps the chair's copy: the ready pack, with every item.
    chair.goto(pack_url)
    expect(chair.locator("main .govuk-summary-list")).to_contain_text("Version1, made 30 March 2026")
    expect(chair.get_by_role("link", name="Download the pack (PDF")).to_be_visible()
    check(chair, panel_chair)
    if bugs:
        pytest.xfail("; ".join(bugs))
