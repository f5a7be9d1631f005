"""Minutes: drafted from attendance, declarations and decisions (children by initials only), edited
with a version check, approved by the chair only, circulated to the members after the commit, and
due N working days after the meeting (seeds 002, Joint Funding Panel 3.14), across Easter and
Christmas with closure days.

The meeting's record is written straight to the tables (tests.factories), not through the
attendance and decisions services, so these tests stand on their own. The people, IRAP and the two
submitted referrals (Amelia Hart's, Ben Lowe's) are built once for the module (tests/worlds.py):
each test starts from them in its own savepoint, with stored files (the minutes' PDFs) in a folder
of its own as before (the minutes read none of the referrals' evidence).
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core import mail
from pypdf import PdfReader

from casework import pdf
from casework.access import NotAllowed
from casework.models import AgencyKind, AuditEvent, BackgroundJob, JobStatus, Notification, Role
from casework.services import InvalidTransition
from casework.tasks import run_job
from panels import services
from panels.jobs import MINUTES_PDF
from panels.models import (
    AgencyRecommendation,
    ClosureDay,
    Declaration,
    Membership,
    Minutes,
    MinutesStatus,
)
from panels.selectors import meeting_deadlines, minutes_due
from tests.factories import (
    AgencyFactory,
    MeetingFactory,
    PanelFactory,
    UserFactory,
    agenda_item_for,
    attendance_for,
    signed_decision_for,
)
from tests.panels.conftest import MEETING_DAY, at, seat, submit_referral
from tests.worlds import SUBMITTED_TO_IRAP, amelia_submitted_to_irap, module_world, parts_of

D = dt.date


def _build() -> SimpleNamespace:
    """`amelia_submitted_to_irap()` and Ben Lowe (tests/panels/conftest.py's `another_child`) with
    his own referral submitted to the same meeting."""
    import time_machine

    from tests.factories import ChildFactory

    made = amelia_submitted_to_irap()
    with time_machine.travel(at(D(2026, 3, 2)), tick=False):
        made["another_child"] = ChildFactory(
            given_name="Ben",
            family_name="Lowe",
            owning_agency=made["hampshire"],
            created_by=made["social_worker"],
            allocated_social_worker=made["social_worker"],
            involved=[made["hiow_icb"]],
        )
        made["ben_referral"] = submit_referral(
            child=made["another_child"],
            meeting=made["irap_meeting"],
            social_worker=made["social_worker"],
            team_manager=made["team_manager"],
            service_manager=made["service_manager"],
            hampshire=made["hampshire"],
            hiow_icb=made["hiow_icb"],
        )
    return SimpleNamespace(**made)


_world, world = module_world(_build)
(
    hampshire,
    hiow_icb,
    hampshire_team,
    social_worker,
    team_manager,
    service_manager,
    panel_chair,
    child,
    panel_admin,
    council_member,
    icb_member,
    second_icb_member,
    irap,
    irap_meeting,
    submitted_referral,
    another_child,
    ben_referral,
) = parts_of(*SUBMITTED_TO_IRAP, "another_child", "ben_referral")


@pytest.fixture
def make_submitted(world):
    """Here, the world's submitted referral of the child asked for (Amelia's or Ben's) rather than a
    new one: `held` asks for them this way, and keeps tests/panels/conftest.py's `make_submitted`
    in the modules that import it."""

    def made(*, child=None):
        if child is None or child.pk == world.child.pk:
            return world.submitted_referral
        assert child.pk == world.another_child.pk, "only Amelia's and Ben's referrals are built here"
        return world.ben_referral

    return made


@pytest.fixture(autouse=True)
def _panels_clock(clock):
    """Every test on the panels' clock, as the shared `irap` fixture put them."""


@pytest.fixture
def held(
    irap_meeting,
    make_submitted,
    another_child,
    panel_chair,
    council_member,
    icb_member,
    second_icb_member,
    panel_admin,
    hampshire,
    hiow_icb,
    social_worker,
    clock,
):
    """The 9 April 2026 IRAP meeting, held: two referral items (Amelia Hart, Ben Lowe), one
    member's apologies with a deputy sitting for her, a declaration, and a signed decision each."""
    first = make_submitted()
    second = make_submitted(child=another_child)
    item1 = agenda_item_for(referral=first, meeting=irap_meeting, actor=panel_admin, position=1)
    item2 = agenda_item_for(referral=second, meeting=irap_meeting, actor=panel_admin, position=2)
    clock.move_to(at(MEETING_DAY, 16), tick=False)
    deputy = UserFactory(
        full_name="Dora Deputy",
        agency=hiow_icb,
        roles=[Role.PANEL_MEMBER],
        email="dora.deputy@hiow.example.nhs.uk",
    )
    Membership.objects.create(
        panel=irap_meeting.panel,
        person=deputy,
        agency=hiow_icb,
        role="member",
        starts_on=D(2026, 1, 1),
        deputy_for=seat(irap_meeting.panel, second_icb_member),
    )
    attendance_for(irap_meeting, panel_chair, council_member, icb_member, recorded_by=panel_admin)
    attendance_for(irap_meeting, second_icb_member, status="apologies", recorded_by=panel_admin)
    (dep,) = attendance_for(irap_meeting, deputy, recorded_by=panel_admin)
    dep.deputy_for = seat(irap_meeting.panel, second_icb_member)
    dep.save()
    Declaration.objects.create(
        agenda_item=item1,
        membership=seat(irap_meeting.panel, council_member),
        interest="Knows Amelia's family through a school governors' board",
        action="no_part_in_decision",
        recorded_by=panel_admin,
    )
    sen = AgencyFactory(name="Hampshire SEN Service", kind=AgencyKind.SEN, partnership=hampshire.partnership)
    decision1 = signed_decision_for(
        item1,
        chair=panel_chair,
        shares=[(hampshire, "50", "743.20"), (hiow_icb, "50", "743.20")],
        lead_agency=hampshire,
        key_worker=social_worker,
        rationale="Amelia Hart is at risk of family breakdown; HART family support is in place.",
        starts_on=D(2026, 5, 1),
    )
    AgencyRecommendation.objects.create(decision=decision1, agency=sen, due_on=D(2026, 4, 14))
    decision2 = signed_decision_for(
        item2,
        chair=panel_chair,
        outcome="declined",
        rationale="Needs can be met by the current plan.",
        cost=None,
    )
    return SimpleNamespace(
        meeting=irap_meeting,
        items=[item1, item2],
        decisions=[decision1, decision2],
        referrals=[first, second],
        deputy=deputy,
    )


def test_draft_lists_attendance_declarations_and_decisions_with_initials_only(held, panel_admin):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)

    body = minutes.body
    assert minutes.status == MinutesStatus.DRAFT and minutes.version == 1
    present = body.split("Present")[1].split("Apologies")[0]
    assert "Peter Hale" in present and "Paula Member" in present and "Irene Grant" in present
    assert "Dora Deputy" in present and "deputising for Ivan Moss" in present
    assert "Ivan Moss" in body.split("Apologies")[1].split("Absent")[0]
    assert "Quorum: the meeting was quorate" in body
    assert f"1. Referral {held.referrals[0].pk} for AH" in body
    assert f"2. Referral {held.referrals[1].pk} for BL" in body
    assert "Paula Member (Hampshire County Council Children's Services): Knows AH's family" in body
    assert "Remained but took no part in the decision" in body
    assert "Decision: Agreed with conditions (signed by Peter Hale on 9 April 2026)" in body
    assert "Conditions: Review the support plan after 12 weeks." in body
    assert "Lead agency: Hampshire County Council Children's Services" in body
    assert "Key worker: Sam Okafor" in body
    assert "Agreed cost: £1,486.40 a week from 1 May 2026" in body
    assert "- NHS Hampshire and Isle of Wight ICB: £743.20 a week (50%)" in body
    assert "Review date: 8 October 2026" in body
    assert "- Hampshire SEN Service: to respond by 14 April 2026 (Awaiting response)" in body
    assert "Decision: Declined with reasons" in body
    # The child only by initials: not the names, whatever case they were typed in.
    for name in ("Amelia", "Hart", "HART", "Ben", "Lowe"):
        assert name not in body
    assert "AH is at risk of family breakdown; AH family support" in body
    assert AuditEvent.objects.filter(action="minutes.drafted", object_id=str(minutes.pk)).exists()


def test_draft_queries_do_not_grow_with_the_agenda(held, panel_admin, django_assert_max_num_queries):
    # can_administer (1-3), lock the meeting (1), attendance (1), agenda items (1), declarations
    # with member and agency (3), current decisions (1), their shares and agencies (2),
    # recommendations and agencies (2), quorum agencies (1), existing minutes (1), insert (1),
    # audit (1), savepoints.
    with django_assert_max_num_queries(22):
        services.minutes_draft(actor=panel_admin, meeting=held.meeting)


def test_draft_needs_the_meeting_to_have_happened(irap_meeting, panel_admin):
    with pytest.raises(InvalidTransition, match="on or after the day"):
        services.minutes_draft(actor=panel_admin, meeting=irap_meeting)


def test_draft_refused_to_a_member(held, icb_member):
    with pytest.raises(NotAllowed):
        services.minutes_draft(actor=icb_member, meeting=held.meeting)


def test_redraft_needs_the_current_version(held, panel_admin):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    with pytest.raises(InvalidTransition, match=r"already drafted, version 1 \(Adam Clerk saved them"):
        services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    with pytest.raises(InvalidTransition, match="Someone else changed"):
        services.minutes_draft(actor=panel_admin, meeting=held.meeting, version=minutes.version + 1)
    again = services.minutes_draft(actor=panel_admin, meeting=held.meeting, version=minutes.version)
    assert again.version == 2


def test_stale_edit_is_a_conflict_with_an_explanation(held, panel_admin, panel_chair):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    services.minutes_edit(actor=panel_chair, minutes=minutes, version=1, body="First edit")
    with pytest.raises(InvalidTransition, match="Someone else changed these minutes"):
        services.minutes_edit(actor=panel_admin, minutes=minutes, version=1, body="Second edit")
    minutes.refresh_from_db()
    assert minutes.body == "First edit" and minutes.version == 2


def test_edit_checks_the_text(held, panel_admin):
    from django.core.exceptions import ValidationError

    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    with pytest.raises(ValidationError) as caught:
        services.minutes_edit(actor=panel_admin, minutes=minutes, version=1, body="   ")
    assert caught.value.message_dict == {"body": ["Enter the minutes"]}


def test_only_the_chair_approves_and_then_editing_stops(held, panel_admin, panel_chair, icb_member):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    for person in (panel_admin, icb_member):
        with pytest.raises(NotAllowed, match="chair or vice-chair"):
            services.minutes_approve(actor=person, minutes=minutes, version=1)
    with pytest.raises(InvalidTransition, match="read the latest version"):
        services.minutes_approve(actor=panel_chair, minutes=minutes, version=7)

    approved = services.minutes_approve(actor=panel_chair, minutes=minutes, version=1)

    assert approved.status == MinutesStatus.APPROVED and approved.approved_by == panel_chair
    with pytest.raises(InvalidTransition, match="now approved by the chair"):
        services.minutes_edit(
            actor=panel_admin, minutes=approved, version=approved.version, body="Late change"
        )
    with pytest.raises(InvalidTransition, match="already been approved"):
        services.minutes_approve(actor=panel_chair, minutes=approved, version=approved.version)


def test_a_vice_chair_may_approve(held, panel_admin, council_member):
    Membership.objects.filter(panel=held.meeting.panel, person=council_member).update(role="vice_chair")
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    assert services.minutes_approve(actor=council_member, minutes=minutes, version=1).status == "approved"


def test_circulation_needs_approval(held, panel_admin):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    with pytest.raises(InvalidTransition, match="must approve"):
        services.minutes_circulate(actor=panel_admin, minutes=minutes)


def test_circulation_emails_current_members_after_commit_and_stores_the_pdf(
    held, panel_admin, panel_chair, django_capture_on_commit_callbacks
):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    minutes = services.minutes_approve(actor=panel_chair, minutes=minutes, version=1)
    Membership.objects.filter(
        panel=held.meeting.panel, person__email="paula.member@hants.example.gov.uk"
    ).update(
        ends_on=D(2026, 4, 9)  # leaves on the day: not a current member tomorrow
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        circulated = services.minutes_circulate(actor=panel_admin, minutes=minutes)
    assert mail.outbox == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()
    circulated.refresh_from_db()
    assert circulated.status == MinutesStatus.CIRCULATED and circulated.circulated_at is not None
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert "peter.chair@hants.example.gov.uk" in recipients
    assert "dora.deputy@hiow.example.nhs.uk" in recipients
    assert len(recipients) == len(set(recipients)) == 6
    message = mail.outbox[0]
    assert f"/panels/meetings/{held.meeting.pk}/minutes/" in message.body
    assert "Amelia" not in message.body and "AH" not in message.subject
    assert Notification.objects.filter(subject__startswith="Minutes of Hampshire IRAP").count() == 6

    assert circulated.pdf_name and len(circulated.pdf_sha256) == 64
    with pdf.open_stored_pdf(circulated.pdf_name) as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.metadata.title == "Minutes of Hampshire IRAP, 9 April 2026"
    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of" in text
    assert "Hampshire SEN Service" in text and "Amelia" not in text
    with pytest.raises(InvalidTransition, match="already been circulated"):
        services.minutes_circulate(actor=panel_admin, minutes=circulated)


def test_rendering_twice_keeps_the_first_pdf(
    held, panel_admin, panel_chair, django_capture_on_commit_callbacks
):
    minutes = services.minutes_draft(actor=panel_admin, meeting=held.meeting)
    services.minutes_approve(actor=panel_chair, minutes=minutes, version=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.minutes_circulate(actor=panel_admin, minutes=minutes)
    first = Minutes.objects.get(pk=minutes.pk)
    job = BackgroundJob.objects.get(kind=MINUTES_PDF, object_id=minutes.pk)
    assert (job.status, job.partnership) == (JobStatus.DONE, "Hampshire and Isle of Wight")
    assert job.summary == "Minutes PDF for Hampshire IRAP, 9 April 2026"
    assert run_job(job.pk) == "skipped"  # a redelivered message
    BackgroundJob.objects.filter(pk=job.pk).update(status=JobStatus.WAITING)  # as if owed again
    assert run_job(job.pk) == "done"  # runs, and finds the PDF stored
    services.minutes_store_pdf(minutes_id=10**9)  # gone: returns quietly
    assert Minutes.objects.get(pk=minutes.pk).pdf_sha256 == first.pdf_sha256
    assert len(list(pdf.pdf_dir().iterdir())) == 1


# --- Due dates in working days -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("meeting_day", "days", "closures", "due"),
    [
        # Thursday before Easter 2026: Good Friday 3 April and Easter Monday 6 April are skipped.
        (D(2026, 4, 2), 3, [], D(2026, 4, 9)),
        # The IRAP meeting of 9 April 2026: Fri 10, Mon 13, Tue 14.
        (D(2026, 4, 9), 3, [], D(2026, 4, 14)),
        # Before Christmas 2026 (Christmas Day Friday, Boxing Day substitute Monday 28 December),
        # with the council's shutdown on 29-31 December as closure days.
        (D(2026, 12, 23), 3, [D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31)], D(2027, 1, 5)),
        (D(2026, 12, 23), 3, [], D(2026, 12, 30)),
        # The panel's own setting, not a constant.
        (D(2026, 4, 9), 5, [], D(2026, 4, 16)),
    ],
)
def test_minutes_due_in_working_days(hampshire, meeting_day, days, closures, due):
    # A panel of its own: the module's IRAP already meets on 9 April 2026 (one meeting a day).
    irap = PanelFactory(name="Hampshire IRAP (deadlines)", kind="irap", host_agency=hampshire)
    irap.minutes_working_days = days
    irap.decision_letter_working_days = days
    irap.save()
    for day in closures:
        ClosureDay.objects.create(panel=irap, day=day, reason="Christmas shutdown")
    meeting = MeetingFactory(panel=irap, date=meeting_day)
    assert minutes_due(meeting, None).due_on == due
    assert meeting_deadlines(meeting).decision_letters_due == due


def test_minutes_overdue_until_circulated(irap_meeting, clock):
    clock.move_to(at(D(2026, 4, 14), 17), tick=False)
    assert not minutes_due(irap_meeting, None).overdue
    clock.move_to(at(D(2026, 4, 15), 9), tick=False)
    assert minutes_due(irap_meeting, None).overdue
    assert not minutes_due(irap_meeting, Minutes(status=MinutesStatus.CIRCULATED)).overdue
