"""factory_boy factories (Faker en_GB). Children get synthetic NHS numbers from the 999 range."""

from __future__ import annotations

import datetime as dt
import random

import factory
from django.db import models
from django.utils import timezone

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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.gov.uk")
    full_name = factory.Faker("name")
    agency = factory.SubFactory(AgencyFactory)
    roles = factory.LazyFunction(lambda: [Role.SOCIAL_WORKER])
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


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
