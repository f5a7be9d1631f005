"""factory_boy factories (Faker en_GB). Children get synthetic NHS numbers from the 999 range."""

from __future__ import annotations

import datetime as dt
import random

import factory
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
