"""factory_boy factories (Faker en_GB). Children get synthetic NHS numbers from the 999 range."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils import timezone
from faker import Faker

from casework.models import (
    Agency,
    AgencyKind,
    Child,
    Involvement,
    InvolvementRole,
    LegalStatus,
    Role,
    Team,
    User,
)
from casework.nhs import synthetic_nhs_number

factory.Faker._DEFAULT_LOCALE = "en_GB"

TEST_RNG = random.Random(20261122)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Council {n} Children's Services")
    kind = AgencyKind.CHILDRENS_SERVICES
    partnership = "Hampshire and Isle of Wight"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Children in Care Team {n}")


STAFF_SURNAMES = (
    "Adeyemi",
    "Brackenbury",
    "Castellano",
    "Dunmore",
    "Ellingham",
    "Fairweather",
    "Gallacher",
    "Hollingsworth",
    "Ibbotson",
    "Jaworski",
    "Kilbride",
    "Lindqvist",
    "Nakamura",
    "Oyelaran",
    "Penhaligon",
    "Quarshie",
    "Rasmussen",
    "Szymanski",
    "Thistlethwaite",
)
_fake = Faker("en_GB")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.gov.uk")
    # Staff surnames come from a list Faker never gives a child, so a test that checks a child's
    # name is absent from a page cannot trip over the signed-in person's name in the header.
    full_name = factory.LazyAttributeSequence(
        lambda o, n: f"{_fake.first_name()} {STAFF_SURNAMES[n % len(STAFF_SURNAMES)]}"
    )
    agency = factory.SubFactory(AgencyFactory)
    roles = factory.LazyFunction(lambda: [Role.SOCIAL_WORKER])
    # Hashed before the row is written (one INSERT, not an INSERT and an UPDATE), built or created;
    # a password passed in is hashed the same way.
    password = factory.Transformer("correct horse battery staple", transform=make_password)


class ChildFactory(factory.django.DjangoModelFactory):
    """A child registered by `owning_agency`, which is involved as lead. Pass involved=[...] for more."""

    class Meta:
        model = Child
        skip_postgeneration_save = True

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=TEST_RNG.randrange(365 * 2, 365 * 17))
    )
    nhs_number = factory.LazyFunction(lambda: synthetic_nhs_number(TEST_RNG))
    case_number = factory.Sequence(lambda n: f"CS{100000 + n}")
    legal_status = LegalStatus.CHILD_IN_NEED
    owning_agency = factory.SubFactory(AgencyFactory)
    created_by = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..owning_agency"))

    @factory.post_generation
    def involved(obj, create, extracted, **kwargs):
        if not create:
            return
        Involvement.objects.create(
            child=obj, agency=obj.owning_agency, role=InvolvementRole.LEAD, added_by=obj.created_by
        )
        for agency in extracted or []:
            Involvement.objects.create(
                child=obj, agency=agency, role=InvolvementRole.OTHER, added_by=obj.created_by
            )


class PanelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "panels.Panel"

    name = factory.Sequence(lambda n: f"Joint Solutions Panel {n}")
    kind = "jsp"
    host_agency = factory.SubFactory(AgencyFactory)
    partnership = factory.SelfAttribute("host_agency.partnership")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "panels.Meeting"

    panel = factory.SubFactory(PanelFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=28))


def agenda_item_for(*, referral, meeting, actor, position: int = 1):
    """Put a submitted referral on `meeting`'s agenda as the agenda services would: the referral
    moves to "on agenda" and an AgendaItem row names it (for the running and decisions tests)."""
    from panels.models import AgendaItem
    from referrals import services as referral_services

    referral = referral_services.referral_place_on_agenda(actor=actor, referral=referral, meeting=meeting)
    return AgendaItem.objects.create(
        meeting=meeting,
        kind="referral",
        referral=referral,
        title=f"{referral.child.initials}: {referral.get_pathway_display()}",
        added_by=actor,
        position=position,
    )


def attendance_for(meeting, *people, status: str = "present", recorded_by=None):
    """Record people as present (or `status`) at `meeting` directly, without the service's checks."""
    from panels.models import Attendance, Membership

    made = []
    for person in people:
        seat = Membership.objects.current(on=meeting.date).get(panel=meeting.panel, person=person)
        row, _ = Attendance.objects.update_or_create(
            meeting=meeting,
            membership=seat,
            defaults={"status": status, "recorded_by": recorded_by or person},
        )
        made.append(row)
    return made


def signed_decision_for(item, *, chair, shares=(), **fields):
    """A decision on `item`, signed by `chair`, written straight to the table (for the minutes and
    letters tests, which must not depend on the decisions services). `shares` is a list of
    (agency, percentage, amount) tuples."""
    from decimal import Decimal

    from panels.models import Decision, DecisionShare

    values = {
        "outcome": "agreed_with_conditions",
        "rationale": "Overnight support keeps the child at home and at school.",
        "conditions": "Review the support plan after 12 weeks.",
        "cost": Decimal("1486.40"),
        "cost_period": "weekly",
        "review_date": dt.date(2026, 10, 8),
        "status": "signed",
        "signed_by": chair,
        "signed_at": timezone.now(),
        "recorded_by": chair,
        "was_quorate": True,
        **fields,
    }
    decision = Decision.objects.create(agenda_item=item, referral=item.referral, **values)
    for agency, percentage, amount in shares:
        DecisionShare.objects.create(
            decision=decision,
            agency=agency,
            basis="percentage",
            value=Decimal(percentage),
            amount=Decimal(amount),
        )
    return decision


class ActionFactory(factory.django.DjangoModelFactory):
    """An action-log row written straight to the table, numbered after the panel's last one (not
    safe under concurrency: the service locks the panel; tests create rows one at a time)."""

    class Meta:
        model = "panels.Action"
        skip_postgeneration_save = True

    panel = factory.SubFactory(PanelFactory)
    number = factory.LazyAttribute(
        lambda o: (o.panel.actions.aggregate(n=models.Max("number"))["n"] or 0) + 1
    )
    action = factory.Sequence(lambda n: f"Report back on placement stability, item {n}")
    desired_outcome = "Members are assured the plan is working"
    created_by = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..panel.host_agency"))

    @factory.post_generation
    def owners(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.owners.set(extracted)

    @factory.post_generation
    def owner_agencies(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.owner_agencies.set(extracted)


def tracker_referral_for(
    *,
    child,
    meeting,
    referrer,
    status: str = "decided",
    pathway: str = "joint_package",
    urgency: str = "routine",
    outcome: str | None = None,
    decision_status: str = "signed",
    cost=None,
    cost_period: str = "weekly",
    weeks_per_year: int = 52,
    shares=(),
    review_date=None,
    position: int = 1,
):
    """A referral the panel has seen, written straight to the tables (for the tracker tests, which
    must not depend on the agenda or decisions services): the referral, a referral agenda item at
    `meeting` and, with `outcome`, a decision of `decision_status` whose `shares` are
    (agency, amount per period) pairs."""
    from decimal import Decimal

    from panels.models import AgendaItem, Decision, DecisionShare
    from referrals.models import Referral

    referral = Referral.objects.create(
        child=child,
        panel=meeting.panel,
        meeting=meeting,
        pathway=pathway,
        urgency=urgency,
        status=status,
        referrer=referrer,
        referrer_agency=referrer.agency,
        created_by=referrer,
    )
    item = AgendaItem.objects.create(
        meeting=meeting,
        kind="referral",
        referral=referral,
        title=f"{child.initials}: referral",
        added_by=referrer,
        position=position,
    )
    if outcome:
        amounts = [Decimal(str(amount)) for _, amount in shares]
        signed = decision_status != "draft"
        decision = Decision.objects.create(
            agenda_item=item,
            referral=referral,
            outcome=outcome,
            rationale="Agreed by the panel.",
            status=decision_status,
            cost=Decimal(str(cost)) if cost is not None else (sum(amounts, Decimal(0)) if amounts else None),
            cost_period=cost_period,
            weeks_per_year=weeks_per_year,
            review_date=review_date,
            recorded_by=referrer,
            signed_by=referrer if signed else None,
            signed_at=timezone.now() if signed else None,
        )
        for agency, amount in shares:
            DecisionShare.objects.create(
                decision=decision,
                agency=agency,
                basis="amount",
                value=Decimal(str(amount)),
                amount=Decimal(str(amount)),
            )
    return referral


# --- One factory per workflow state (data-hub's OrderPaidFactory) ---------------------------------
# Each state is reached through the services the pages use, one step after another, so a referral
# made here carries the status history, signatures, notices and audit events a real one would; the
# one exception, the complete draft, is written straight to the tables (complete_referral_rows: the
# rows its services write, proved by tests/referrals/test_complete_rows.py).
# Each factory's extra people (signers, the meeting) default to new people of the referring
# agency; pass the personas to use them instead. Each level takes its own arguments and hands the
# rest to the state before it.


def _involved_icb(child):
    """The ICB involved with `child` (the option's health half), or None: a council-only option."""
    return next(
        (
            involvement.agency
            for involvement in child.involvements.select_related("agency")
            if involvement.agency.kind == AgencyKind.ICB and involvement.ended_on is None
        ),
        None,
    )


# What a complete referral holds: tests/referrals/test_journey_services.complete_referral writes it
# through the services, complete_referral_rows straight to the tables (the same rows).
COMPLETE_SECTIONS = {
    "referrer": {"referrer_relationship": "Allocated social worker"},
    "needs": {"assessed_needs": "Autism and severe anxiety."},
    "support": {"current_support": "CAMHS weekly."},
    "permanency": {"permanency_plan": "Return home with support."},
    "education": {
        "education_change": False,
        "education_current_school": "Oakwood School",
        "education_school_type": "special",
    },
    "elsewhere": {"considered_elsewhere": "Short breaks panel."},
    "child_voice": {"child_voice": "Wants to stay near her brother."},
    "parents_voice": {"parents_voice": "Mother agrees."},
    "reason": {
        "reason_for_referral": "Placement at risk.",
        "summary_of_circumstances": "Escalating crisis.",
    },
}
COMPLETE_OPTION = {"description": "Residential short breaks", "cost": Decimal("1234.56"), "period": "weekly"}
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n165\n%%EOF\n"
)


def complete_option_shares(referral, *, council, icb):
    """The option's split: 50/50 between `council` and `icb`, or the council's alone when the ICB is
    not involved with the child (a share names only an agency involved with the child, issue 12)."""
    if icb is not None and referral.child.involvements.filter(agency=icb, ended_on__isnull=True).exists():
        return [(council, "percentage", Decimal("50")), (icb, "percentage", Decimal("50"))]
    return [(council, "percentage", Decimal("100"))]


def complete_evidence_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("assessment.pdf", MINIMAL_PDF, "application/pdf")


def complete_referral_rows(referral, actor, icb, council):
    """A draft made complete as tests/referrals/test_journey_services.complete_referral makes it
    (every section, one option, one document), written straight to the tables in about 15
    statements instead of the services' 215: the same referral fields, option, shares, evidence
    (the file stored and checked as an upload is) and audit events, in the same order.
    tests/referrals/test_complete_rows.py compares the two field by field. Only for a draft with no
    signatures (the services then write nothing else). Returns the referral as now stored."""
    from casework.audit import current_ip, diff, snapshot
    from casework.models import AuditEvent
    from referrals.evidence import store_upload
    from referrals.models import Evidence, Option, OptionShare, Referral, Status
    from referrals.services.state import (
        OPTION_FIELDS,
        OPTION_HOURS_FIELDS,
        OPTION_PLACEMENT_FIELDS,
        SECTION_FIELDS,
    )

    referral = Referral.objects.select_related("child", "panel").get(pk=referral.pk)
    if referral.status != Status.DRAFT or referral.options.exists() or referral.evidence.exists():
        raise ValueError("complete_referral_rows completes a new draft only")
    events = []
    for section, fields in COMPLETE_SECTIONS.items():
        allowed = SECTION_FIELDS[section]
        before = snapshot(referral, allowed)
        for name, value in fields.items():
            setattr(referral, name, value)
        changes = diff(before, snapshot(referral, allowed))
        if changes:
            events.append((f"referral.section.{section}", referral, str(referral), changes))
    option = Option(referral=referral, position=1, is_recommended=True, **COMPLETE_OPTION)
    option.full_clean(exclude=["referral"])
    shares = complete_option_shares(referral, council=council, icb=icb)
    stored = store_upload(complete_evidence_upload())
    referral.updated_at = timezone.now()
    referral.save()
    option.save()
    OptionShare.objects.bulk_create(
        [OptionShare(option=option, agency=a, basis=b, value=v) for a, b, v in shares]
    )
    option_fields = (*OPTION_FIELDS, *OPTION_PLACEMENT_FIELDS, *OPTION_HOURS_FIELDS)
    events.append(
        (
            "referral.option.saved",
            option,
            str(option),
            {
                **diff({}, snapshot(option, option_fields)),
                "shares": [None, [[a.pk, b, str(v)] for a, b, v in shares]],
            },
        )
    )
    evidence = Evidence.objects.create(
        referral=referral,
        title="",
        original_name=stored.display_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor,
    )
    events.append(
        (
            "referral.evidence.added",
            evidence,
            str(evidence),
            {"name": [None, evidence.original_name], "sha256": [None, evidence.sha256]},
        )
    )
    ip = current_ip.get()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                action=action,
                object_type=obj._meta.label,
                object_id=str(obj.pk),
                object_repr=text[:300],
                child=referral.child,
                changes=changes,
                ip_address=ip,
            )
            for action, obj, text, changes in events
        ]
    )
    return referral


class DraftReferralFactory(factory.django.DjangoModelFactory):
    """A draft referral started by `referrer` (referrals.services.referral_create)."""

    class Meta:
        model = "referrals.Referral"
        skip_postgeneration_save = True

    child = factory.SubFactory(ChildFactory)
    referrer = factory.SubFactory(UserFactory, agency=factory.SelfAttribute("..child.owning_agency"))
    panel = factory.SubFactory(
        PanelFactory, kind="irap", host_agency=factory.SelfAttribute("..child.owning_agency")
    )
    pathway = "joint_package"
    urgency = "routine"

    @classmethod
    def _create(cls, model_class, *, child, referrer, panel, **fields):
        from referrals import services

        return services.referral_create(actor=referrer, child=child, panel=panel, **fields)


class CompleteReferralFactory(DraftReferralFactory):
    """A draft with every section written, one option (split 50/50 between `council` and `icb`, or
    the council's alone when no ICB is involved) and one document: ready to send for sign-off.
    Written by complete_referral_rows (the services' rows in 18 statements instead of 215)."""

    council = factory.SelfAttribute("child.owning_agency")
    icb = factory.LazyAttribute(lambda o: _involved_icb(o.child))

    @classmethod
    def _create(cls, model_class, *, council, icb, **kwargs):
        referral = super()._create(model_class, **kwargs)
        return complete_referral_rows(referral, referral.referrer, icb, council)


class AwaitingTeamManagerReferralFactory(CompleteReferralFactory):
    """Sent for sign-off by its referrer (referral_send_for_sign_off)."""

    @classmethod
    def _create(cls, model_class, **kwargs):
        from referrals import services

        referral = super()._create(model_class, **kwargs)
        return services.referral_send_for_sign_off(actor=referral.referrer, referral=referral)


class AwaitingServiceManagerReferralFactory(AwaitingTeamManagerReferralFactory):
    """Signed by `team_manager` (referral_sign, the first signature)."""

    team_manager = factory.SubFactory(
        UserFactory, agency=factory.SelfAttribute("..child.owning_agency"), roles=[Role.TEAM_MANAGER]
    )

    @classmethod
    def _create(cls, model_class, *, team_manager, **kwargs):
        from referrals import services

        referral = super()._create(model_class, **kwargs)
        return services.referral_sign(actor=team_manager, referral=referral)


class SignedOffReferralFactory(AwaitingServiceManagerReferralFactory):
    """Signed by `service_manager` too: ready to submit (referral_sign, the second signature)."""

    service_manager = factory.SubFactory(
        UserFactory, agency=factory.SelfAttribute("..child.owning_agency"), roles=[Role.SERVICE_MANAGER]
    )

    @classmethod
    def _create(cls, model_class, *, service_manager, **kwargs):
        from referrals import services

        referral = super()._create(model_class, **kwargs)
        return services.referral_sign(actor=service_manager, referral=referral)


class SubmittedReferralFactory(SignedOffReferralFactory):
    """Submitted by its referrer to `meeting`, a meeting of its panel (referral_submit)."""

    meeting = factory.SubFactory(MeetingFactory, panel=factory.SelfAttribute("..panel"))

    @classmethod
    def _create(cls, model_class, *, meeting, **kwargs):
        from referrals import services

        referral = super()._create(model_class, **kwargs)
        return services.referral_submit(actor=referral.referrer, referral=referral, meeting=meeting)


class OnAgendaReferralFactory(SubmittedReferralFactory):
    """Put on its meeting's agenda by `panel_admin`, an administrator of the panel, through the
    agenda service (panels.services.agenda_item_add_referral): the referral is "on agenda" and
    `referral.agenda_items` names it."""

    panel_admin = factory.SubFactory(
        UserFactory,
        agency=factory.SelfAttribute("..child.owning_agency"),
        roles=[Role.PANEL_ADMINISTRATOR],
    )

    @classmethod
    def _create(cls, model_class, *, panel_admin, **kwargs):
        from panels import services as panel_services

        referral = super()._create(model_class, **kwargs)
        meeting = referral.meeting
        panel_services.agenda_item_add_referral(
            actor=panel_admin, meeting=meeting, referral=referral, version=meeting.version
        )
        referral.refresh_from_db()
        return referral


class SignedDecisionFactory(factory.Factory):
    """The panel's decision on `agenda_item`, recorded by `recorded_by` and signed by `chair`
    through the decision services (decision_record, decision_sign): the referral moves on, absent
    agencies get their recommendations and an agreed split becomes a funding package, as at a real
    meeting. The meeting must be able to decide: quorate and on or after its day (move the clock
    and record attendance first). `fields` and `shares` are decision_record's."""

    class Meta:
        model = dict  # built by the services; never instantiated

    agenda_item = None
    recorded_by = None
    chair = None
    fields = factory.LazyFunction(
        lambda: {
            "outcome": "agreed_as_recommended",
            "rationale": "Meets her needs.",
            "review_date": dt.date(2026, 10, 8),
        }
    )
    shares = None

    @classmethod
    def _create(cls, model_class, *, agenda_item, recorded_by, chair, fields, shares):
        from panels import services as panel_services

        values = {"lead_agency": agenda_item.referral.child.owning_agency, **fields}
        draft = panel_services.decision_record(
            actor=recorded_by, agenda_item=agenda_item, fields=values, shares=shares
        )
        return panel_services.decision_sign(actor=chair, decision=draft)

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise TypeError(
            "A signed decision is made by the services: use SignedDecisionFactory(), not .build()"
        )


class AgreedPackageFactory(factory.Factory):
    """The funding package of a signed `decision` with every agency's share approved through
    funding.services.share_approve, each by `approvers[agency]` (a finance approver of that agency
    with a high enough limit; one is made where none is given): the package is "agreed"."""

    class Meta:
        model = dict  # built by the services; never instantiated

    decision = None
    approvers = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *, decision, approvers):
        from funding import services as funding_services
        from funding.models import FundingPackage

        package = FundingPackage.objects.filter(decision=decision).first()
        if package is None:
            package = funding_services.package_create_from_decision(
                actor=decision.signed_by, decision=decision
            )
        for share in package.current_version.shares.select_related("agency").exclude(status="approved"):
            approver = approvers.get(share.agency) or UserFactory(
                agency=share.agency,
                roles=[Role.FINANCE_APPROVER],
                delegated_limit=share.annual_amount,
            )
            funding_services.share_approve(
                actor=approver, share=share, expected_version=package.version_number
            )
        package.refresh_from_db()
        return package

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise TypeError("An agreed package is made by the services: use AgreedPackageFactory(), not .build()")


def referral_row(*, child, panel, referrer, status="draft", meeting=None, **fields):
    """A referral row in `status`, written straight to the table with its status change, for tests
    about what reads referrals (My work, the team view) rather than the services that move them."""
    from referrals.models import Referral, StatusChange

    referral = Referral.objects.create(
        child=child,
        panel=panel,
        meeting=meeting,
        pathway="joint_package",
        status=status,
        referrer=referrer,
        referrer_agency=referrer.agency,
        created_by=referrer,
        **fields,
    )
    StatusChange.objects.create(referral=referral, new_status=status, actor=referrer)
    return referral
