"""Demo data: two real partnerships, a person for every role, about forty synthetic children.

Deterministic (seeded) and idempotent: each record is looked up by a natural key first, so a
second run changes nothing. NHS numbers come from the 999 range reserved for synthetic patients.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db.models import QuerySet
from faker import Faker

from casework import services
from casework.models import (
    Agency,
    AgencyKind,
    Child,
    DSRRating,
    Gender,
    Involvement,
    InvolvementRole,
    LegalStatus,
    ParentCarer,
    Role,
    SchoolType,
    Team,
    User,
)
from casework.nhs import synthetic_nhs_number

DEMO_PASSWORD = "demo-casework-2026"  # noqa: S105 - demo data only; seed_demo refuses production


@dataclass(frozen=True)
class DemoAgency:
    key: str
    name: str
    kind: str
    partnership: str
    ods_code: str = ""


HIOW = "Hampshire and Isle of Wight"
LLR = "Leicester, Leicestershire and Rutland"

AGENCIES = [
    DemoAgency("hants", "Hampshire County Council Children's Services", AgencyKind.CHILDRENS_SERVICES, HIOW),
    DemoAgency("hants-sen", "Hampshire County Council SEN Service", AgencyKind.SEN, HIOW),
    DemoAgency("hiow-icb", "NHS Hampshire and Isle of Wight ICB", AgencyKind.ICB, HIOW, "QRL"),
    DemoAgency(
        "leics",
        "Leicestershire County Council Children and Family Services",
        AgencyKind.CHILDRENS_SERVICES,
        LLR,
    ),
    DemoAgency("leics-sen", "Leicestershire County Council SEND Service", AgencyKind.SEN, LLR),
    # Hosts Leicester's Joint Solutions Panel (panels/demo.py); no children or people of its own.
    DemoAgency(
        "leicester", "Leicester City Council Social Care and Early Help", AgencyKind.CHILDRENS_SERVICES, LLR
    ),
    DemoAgency("llr-icb", "NHS Leicester, Leicestershire and Rutland ICB", AgencyKind.ICB, LLR, "QK1"),
]

TEAMS = {
    "hants": ["Children with Disabilities Team (North)", "Children in Care Team (South)"],
    "hants-sen": ["SEN Casework Team"],
    "hiow-icb": ["All Age Continuing Care"],
    "leics": ["Disabled Children's Service", "Children in Care Service"],
    "leics-sen": ["SEN Assessment Team"],
    "llr-icb": ["Children's Continuing Care"],
}

# (e-mail local part, name, agency key, roles, delegated limit)
PEOPLE = [
    ("social.worker", "Sam Okafor", "hants", [Role.SOCIAL_WORKER], None),
    ("team.manager", "Tara Bell", "hants", [Role.TEAM_MANAGER], None),
    ("service.manager", "Sunita Rao", "hants", [Role.SERVICE_MANAGER, Role.PANEL_MEMBER], None),
    ("panel.admin", "Paul Adeyemi", "hants", [Role.PANEL_ADMINISTRATOR], None),
    ("panel.chair", "Helen Marsh", "hants", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], None),
    ("finance", "Fiona Cash", "hants", [Role.FINANCE_APPROVER], Decimal("100000.00")),
    ("auditor", "Audrey Check", "hants", [Role.AUDITOR], None),
    ("admin", "Alex Admin", "hants", [Role.PARTNERSHIP_ADMINISTRATOR], None),
    ("sen.officer", "Grace Whitfield", "hants-sen", [Role.PANEL_MEMBER], None),
    ("sen.finance", "Simon Budd", "hants-sen", [Role.FINANCE_APPROVER], Decimal("75000.00")),
    ("nurse.assessor", "Nadia Khan", "hiow-icb", [Role.HEALTH_ASSESSOR, Role.PANEL_MEMBER], None),
    ("icb.finance", "Ian Ledger", "hiow-icb", [Role.FINANCE_APPROVER], Decimal("250000.00")),
    ("icb.commissioner", "Owen Price", "hiow-icb", [Role.PANEL_MEMBER], None),
    # The ICB's IFR panel (panels/demo.py): its chair and administrator record IFR decisions.
    ("ifr.chair", "Dr Ruth Adams", "hiow-icb", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], None),
    ("ifr.admin", "Imogen Reed", "hiow-icb", [Role.PANEL_ADMINISTRATOR], None),
    ("social.worker", "Lucy Patel", "leics", [Role.SOCIAL_WORKER], None),
    ("team.manager", "Mark Dunn", "leics", [Role.TEAM_MANAGER], None),
    ("service.manager", "Rachel Green", "leics", [Role.SERVICE_MANAGER, Role.PANEL_MEMBER], None),
    ("panel.admin", "Omar Shah", "leics", [Role.PANEL_ADMINISTRATOR], None),
    ("panel.chair", "Judith Kerr", "leics", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], None),
    ("finance", "Derek Pound", "leics", [Role.FINANCE_APPROVER], Decimal("100000.00")),
    ("auditor", "Iris Vance", "leics", [Role.AUDITOR], None),
    ("admin", "Kim Admin", "leics", [Role.PARTNERSHIP_ADMINISTRATOR], None),
    ("sen.officer", "Ben Carter", "leics-sen", [Role.PANEL_MEMBER], None),
    ("sen.finance", "Hannah Moss", "leics-sen", [Role.FINANCE_APPROVER], Decimal("75000.00")),
    ("nurse.assessor", "Priya Nair", "llr-icb", [Role.HEALTH_ASSESSOR, Role.PANEL_MEMBER], None),
    ("icb.finance", "George Tallis", "llr-icb", [Role.FINANCE_APPROVER], Decimal("250000.00")),
    ("icb.commissioner", "Farah Iqbal", "llr-icb", [Role.PANEL_MEMBER], None),
    # The LLR ICB's IFR panel (panels/demo.py), as Hampshire and Isle of Wight's.
    ("ifr.chair", "Dr Anil Mehta", "llr-icb", [Role.PANEL_CHAIR, Role.PANEL_MEMBER], None),
    ("ifr.admin", "Claire Fenton", "llr-icb", [Role.PANEL_ADMINISTRATOR], None),
]

EMAIL_DOMAINS = {
    "hants": "hants.demo.gov.uk",
    "hants-sen": "hants-sen.demo.gov.uk",
    "hiow-icb": "hiow.demo.nhs.uk",
    "leics": "leics.demo.gov.uk",
    "leics-sen": "leics-sen.demo.gov.uk",
    "llr-icb": "llr.demo.nhs.uk",
}

CHILDREN_PER_COUNCIL = 20
# The case numbers of the children config/demo_history.py adds (a year of panel history): the rest of
# the demo picks its children from the others, so loading the history changes none of its choices.
HISTORY_CASE_PREFIX = "Y"
REFERENCE_DAY = dt.date(2026, 11, 1)  # fixed, so the data is the same whichever day it is loaded


def base_children(children: QuerySet[Child]) -> QuerySet[Child]:
    """The demo's own children, without those of the year of history (config/demo_history.py)."""
    return children.exclude(case_number__startswith=HISTORY_CASE_PREFIX)


def email_for(local: str, agency_key: str) -> str:
    return f"{local}@{EMAIL_DOMAINS[agency_key]}"


@dataclass
class PeopleDemo:
    """What load_people made or found: the agencies, teams and people the other apps' demos use."""

    agencies: dict[str, Agency]
    teams: dict[str, list[Team]]
    people: dict[tuple[str, str], User]
    created: dict[str, int]


def load_people() -> PeopleDemo:
    """The two partnerships' agencies, teams and people (one of each role), idempotently. The whole
    demo is loaded by config/demo.py, which runs each app's part in order."""
    created = {"agencies": 0, "teams": 0, "people": 0}
    agencies: dict[str, Agency] = {}
    for spec in AGENCIES:
        agency = Agency.objects.filter(name=spec.name).first()
        if agency is None:
            agency = services.agency_create(
                actor=None,
                name=spec.name,
                kind=spec.kind,
                ods_code=spec.ods_code,
                partnership=spec.partnership,
            )
            created["agencies"] += 1
        agencies[spec.key] = agency

    teams: dict[str, list[Team]] = {}
    for key, names in TEAMS.items():
        teams[key] = []
        for name in names:
            team = Team.objects.filter(agency=agencies[key], name=name).first()
            if team is None:
                team = services.team_create(actor=None, agency=agencies[key], name=name)
                created["teams"] += 1
            teams[key].append(team)

    people: dict[tuple[str, str], User] = {}
    password_hash = make_password(DEMO_PASSWORD)
    for local, name, key, roles, limit in PEOPLE:
        email = email_for(local, key)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.user_create(
                actor=None,
                email=email,
                full_name=name,
                agency=agencies[key],
                roles=list(roles),
                teams=teams[key][:1],
                delegated_limit=limit,
            )
            # One hash for every demo person: hashing is deliberately slow.
            user.password = password_hash
            user.save(update_fields=["password"])
            created["people"] += 1
        people[(local, key)] = user
    created["authenticator apps"] = _load_demo_authenticators(people.values())
    return PeopleDemo(agencies=agencies, teams=teams, people=people, created=created)


def load_children(made: PeopleDemo) -> int:
    """Synthetic children in each partnership, allocated to its council's social worker."""
    count = 0
    for council, sen, icb in (("hants", "hants-sen", "hiow-icb"), ("leics", "leics-sen", "llr-icb")):
        count += _load_children(
            council=made.agencies[council],
            sen=made.agencies[sen],
            icb=made.agencies[icb],
            social_worker=made.people[("social.worker", council)],
            team=made.teams[council][0],
            seed=council,
        )
    return count


def _load_children(
    *, council: Agency, sen: Agency, icb: Agency, social_worker: User, team: Team, seed: str
) -> int:
    rng = random.Random(f"casework-demo-{seed}")  # noqa: S311 - repeatable demo data, not secrets
    fake = Faker("en_GB")
    fake.seed_instance(f"casework-demo-{seed}")
    made = 0
    legal_statuses = [s.value for s in LegalStatus]
    for _ in range(CHILDREN_PER_COUNCIL):
        gender = rng.choice([Gender.FEMALE, Gender.MALE, Gender.MALE, Gender.FEMALE, Gender.NOT_KNOWN])
        given = fake.first_name_female() if gender == Gender.FEMALE else fake.first_name_male()
        family = fake.last_name()
        born = REFERENCE_DAY - dt.timedelta(days=rng.randrange(365 * 3, 365 * 17 + 200))
        nhs = synthetic_nhs_number(rng)
        case_number = f"{seed.upper()[:2]}{rng.randrange(100000, 999999)}"
        legal_status = rng.choice(legal_statuses)
        has_ehcp = rng.random() < 0.5
        school_type = rng.choice(
            [SchoolType.MAINSTREAM, SchoolType.SPECIAL, SchoolType.SPECIAL, SchoolType.ALTERNATIVE]
        )
        school = f"{fake.city()} {'Academy' if school_type == SchoolType.MAINSTREAM else 'School'}"
        flags = (rng.random() < 0.4, rng.random() < 0.5, rng.random() < 0.5)
        dsr = rng.choice(["", "", DSRRating.RED, DSRRating.AMBER, DSRRating.GREEN, DSRRating.BLUE])
        parent = (fake.name(), rng.choice(["Mother", "Father", "Grandmother", "Foster carer", "Aunt"]))
        involve_icb, involve_sen = rng.random() < 0.6, has_ehcp
        if Child.objects.filter(nhs_number=nhs).exists():
            continue  # loaded on an earlier run; the draws above keep the sequence stable
        ehc_plan_date = born + dt.timedelta(days=365 * 5) if has_ehcp else None
        if ehc_plan_date and ehc_plan_date > REFERENCE_DAY:
            ehc_plan_date = REFERENCE_DAY
        fields = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "nhs_number": nhs,
            "case_number": case_number,
            "gender": gender,
            "legal_status": legal_status,
            "has_ehc_plan": has_ehcp,
            "ehc_plan_date": ehc_plan_date,
            "school_name": school,
            "school_type": school_type,
            "learning_disability": flags[0],
            "autism": flags[1],
            "mental_health_needs": flags[2],
            "dsr_rating": dsr,
            "allocated_social_worker": social_worker,
            "allocated_team": team,
            "iro_name": fake.name() if legal_status in ("care_order_s31", "accommodated_s20") else "",
        }
        child = services.child_register(actor=social_worker, fields=fields)
        services.parent_carer_add(
            actor=social_worker,
            child=child,
            fields={
                "name": parent[0],
                "relationship": parent[1],
                "parental_responsibility": parent[1] != "Foster carer",
            },
        )
        for agency, wanted, role in (
            (icb, involve_icb, InvolvementRole.HEALTH_COMMISSIONER),
            (sen, involve_sen, InvolvementRole.EDUCATION),
        ):
            if wanted and not Involvement.objects.filter(child=child, agency=agency).exists():
                services.involvement_add(actor=social_worker, child=child, agency=agency, role=role)
        made += 1
    return made


def demo_totp_key(email: str) -> str:
    """The fixed authenticator secret (hex, as django-otp keeps it) of a demo person whose role needs
    two-step verification: made from the e-mail, so every demo has the same codes and
    `manage.py demo_totp <email>` can print them. Demo data only: seed_demo and demo_totp refuse
    production."""
    return hashlib.sha256(f"casework-demo-totp:{email.lower()}".encode()).hexdigest()[:40]


def _load_demo_authenticators(people) -> int:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from casework.mfa import AUTHENTICATOR_NAME, role_requires_mfa

    made = 0
    for user in people:
        if role_requires_mfa(user) and not TOTPDevice.objects.filter(user=user).exists():
            TOTPDevice.objects.create(
                user=user, name=AUTHENTICATOR_NAME, key=demo_totp_key(user.email), confirmed=True
            )
            made += 1
    return made


def sign_in_lines() -> list[str]:
    lines = []
    for local, name, key, roles, _limit in PEOPLE:
        labels = ", ".join(Role(r).label for r in roles)
        lines.append(f"  {email_for(local, key):40} {name:18} {labels}")
    return lines


def two_step_lines() -> list[str]:
    """For each demo person whose role needs two-step verification: the key to add to an
    authenticator app (or get today's code with `manage.py demo_totp <email>`)."""
    from casework.mfa import role_requires_mfa, secret_base32

    lines = []
    for local, _name, key, roles, _limit in PEOPLE:
        if role_requires_mfa(User(roles=list(roles))):
            email = email_for(local, key)
            lines.append(f"  {email:40} key {secret_base32(demo_totp_key(email))}")
    return lines


__all__ = [
    "DEMO_PASSWORD",
    "HISTORY_CASE_PREFIX",
    "base_children",
    "demo_totp_key",
    "load_children",
    "load_people",
    "sign_in_lines",
    "two_step_lines",
    "ParentCarer",
]
