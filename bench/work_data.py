"""Work items at national volume for bench/my_work.py: `generate.py --work` loads them.

Per ICB partnership (42): a Joint Funding Panel hosted by its largest council, with a chair (a new
person of the host council), the host council's panel administrator, every council's service
manager and the ICB's finance approver and first clinician as members; a meeting every fortnight
for the past year (held) and the next three months (scheduled, the next one not yet circulated).
Referrals (REFERRALS nationally, shared out by each council's number of children, of children who
involve their ICB) in every status: drafts, returned, awaiting a team manager's or service
manager's signature, ready to submit, submitted for the next meetings (some late papers), on the
next agenda, and decided at past meetings (signed decisions, the last fortnight's partly draft,
review dates, some due soon). A referring council's first social worker writes about a quarter of
its referrals, so the largest council's has hundreds of items. Agreed decisions have funding
packages split between the council and the ICB: those of the last ten weeks await approval (some
queried, some above the approver's delegated limit). Decisions of the last three months carry
recommendations to the absent ICB (some overdue); each meeting raises action-log actions owned by
a council's service manager and the ICB's finance approver, half still open, many overdue.

Like generate.py this bypasses services.py on purpose (bulk_create, no audit events): it is a data
set for timing reads, not a way to create records. Not loaded: pathway cases and escalations,
disputes, papers grants, letters and minutes (so held meetings of the last 60 days owe both).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

REFERRALS = 40_000
BATCH = 2_000
# Status shares of a council's referrals (decided ones sit on past meetings).
STATUS_SHARES = [
    ("decided", 45),
    ("on_agenda", 6),
    ("submitted", 6),
    ("draft", 20),
    ("returned", 8),
    ("awaiting_team_manager", 6),
    ("awaiting_service_manager", 5),
    ("ready_to_submit", 4),
]
ICB_DELEGATED_LIMIT = Decimal("100000.00")


def _fortnightly(today: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """Tuesdays a fortnight apart: a year back (held) and three months ahead (scheduled)."""
    tuesday = today - dt.timedelta(days=(today.weekday() - 1) % 7)  # the last Tuesday, or today
    if tuesday == today:
        tuesday -= dt.timedelta(days=14)
    past = [tuesday - dt.timedelta(days=14 * k) for k in range(27)]
    future = [tuesday + dt.timedelta(days=14 * k) for k in range(1, 7)]
    return sorted(past), future


def load_work(rng: random.Random, now: dt.datetime) -> dict[str, int]:
    from django.db import connection

    from casework.models import Agency, AgencyKind, Role, User
    from funding.models import FundingPackage, PackageVersion, Provider, ShareLine
    from panels.models import (
        Action,
        AgencyRecommendation,
        AgendaItem,
        Decision,
        Meeting,
        Membership,
        Panel,
    )
    from referrals.models import Referral, StatusChange

    today = now.date()
    councils = list(
        Agency.objects.filter(kind=AgencyKind.CHILDRENS_SERVICES).order_by("pk").values("pk", "partnership")
    )
    icb_of = dict(Agency.objects.filter(kind=AgencyKind.ICB).values_list("partnership", "pk"))
    people: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pk, agency_id, roles in User.objects.order_by("pk").values_list("pk", "agency_id", "roles"):
        for role in roles:
            people[(agency_id, role)].append(pk)
    # Children who involve their ICB, by owning council (every fourth, enough to draw from).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.owning_agency_id, c.id FROM casework_child c
            JOIN casework_involvement i ON i.child_id = c.id AND i.role = 'health_commissioner'
                 AND i.ended_on IS NULL
            WHERE c.id % 4 = 0
            """
        )
        children_of: dict[int, list[int]] = defaultdict(list)
        for agency_id, child_id in cursor.fetchall():
            children_of[agency_id].append(child_id)
    total_children = sum(len(v) for v in children_of.values())

    by_partnership: dict[str, list[int]] = defaultdict(list)
    for council in councils:
        by_partnership[council["partnership"]].append(council["pk"])
    User.objects.filter(roles__contains=[Role.FINANCE_APPROVER], agency__kind=AgencyKind.ICB).update(
        delegated_limit=ICB_DELEGATED_LIMIT
    )

    # Panels, chairs, memberships, meetings.
    hosts = {p: max(cs, key=lambda c: len(children_of[c])) for p, cs in by_partnership.items()}
    chairs = User.objects.bulk_create(
        User(
            email=f"panel.chair@agency{hosts[p]}.bench.example",
            full_name=f"Chair {p}",
            agency_id=hosts[p],
            roles=[Role.PANEL_CHAIR, Role.PANEL_MEMBER],
            password="!bench-no-sign-in",  # noqa: S106 - an unusable hash: nobody signs in
            date_joined=now,
        )
        for p in sorted(by_partnership)
    )
    chair_of = {u.agency_id: u.pk for u in chairs}
    panels = Panel.objects.bulk_create(
        Panel(name=f"{p} Joint Funding Panel", kind="jfp", partnership=p, host_agency_id=hosts[p])
        for p in sorted(by_partnership)
    )
    panel_of = {panel.partnership: panel for panel in panels}
    year_ago = today - dt.timedelta(days=400)
    memberships = []
    for p, panel in panel_of.items():
        host, icb = hosts[p], icb_of[p]
        memberships.append(Membership(panel=panel, person_id=chair_of[host], agency_id=host, role="chair"))
        admin = people[(host, Role.PANEL_ADMINISTRATOR)][0]
        memberships.append(Membership(panel=panel, person_id=admin, agency_id=host, role="administrator"))
        for council in by_partnership[p]:
            for sm in people[(council, Role.SERVICE_MANAGER)]:
                memberships.append(Membership(panel=panel, person_id=sm, agency_id=council, role="member"))
        for pk in people[(icb, Role.FINANCE_APPROVER)] + people[(icb, Role.HEALTH_ASSESSOR)][:1]:
            memberships.append(Membership(panel=panel, person_id=pk, agency_id=icb, role="member"))
    for m in memberships:
        m.starts_on = year_ago
    Membership.objects.bulk_create(memberships, batch_size=BATCH)

    past_dates, future_dates = _fortnightly(today)
    meetings = []
    for p, panel in panel_of.items():
        admin = people[(hosts[p], Role.PANEL_ADMINISTRATOR)][0]
        for date in past_dates:
            circulated = dt.datetime.combine(date - dt.timedelta(days=7), dt.time(9), dt.UTC)
            meetings.append(
                Meeting(
                    panel=panel, date=date, status="held", circulated_at=circulated, circulated_by_id=admin
                )
            )
        for n, date in enumerate(future_dates):
            circulated = None
            if n == 0 and date - today <= dt.timedelta(days=5):
                circulated = now
            meetings.append(
                Meeting(
                    panel=panel,
                    date=date,
                    status="scheduled",
                    circulated_at=circulated,
                    circulated_by_id=admin if circulated else None,
                )
            )
    meetings = Meeting.objects.bulk_create(meetings, batch_size=BATCH)
    past_of: dict[int, list[Meeting]] = defaultdict(list)
    future_of: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        (past_of if meeting.status == "held" else future_of)[meeting.panel_id].append(meeting)

    # Referrals.
    statuses = [s for s, _w in STATUS_SHARES]
    weights = [w for _s, w in STATUS_SHARES]
    referrals: list[Referral] = []
    for council in councils:
        c, p = council["pk"], council["partnership"]
        pool = children_of[c]
        if not pool:
            continue
        panel = panel_of[p]
        workers = people[(c, Role.SOCIAL_WORKER)]
        worker_weights = [6] + [1] * (len(workers) - 1)
        n = max(1, round(REFERRALS * len(pool) / total_children))
        for _ in range(n):
            status = rng.choices(statuses, weights)[0]
            meeting = None
            if status == "decided":
                meeting = rng.choice(past_of[panel.pk])
            elif status == "on_agenda":
                meeting = future_of[panel.pk][0]
            elif status == "submitted":
                meeting = rng.choice(future_of[panel.pk][:2])
            elif status in ("draft", "ready_to_submit") and rng.random() < 0.5:
                meeting = rng.choice(future_of[panel.pk][1:4])
            referrer = rng.choices(workers, worker_weights)[0]
            submitted = (
                dt.datetime.combine(meeting.date - dt.timedelta(days=14), dt.time(11), dt.UTC)
                if status in ("decided", "on_agenda", "submitted")
                else None
            )
            referrals.append(
                Referral(
                    child_id=rng.choice(pool),
                    panel=panel,
                    meeting=meeting,
                    pathway="joint_package",
                    status=status,
                    referrer_id=referrer,
                    referrer_agency_id=c,
                    created_by_id=referrer,
                    reason_for_referral="Needs a joint package of care across education, health and social care.",
                    submitted_at=submitted,
                    submitted_by_id=referrer if submitted else None,
                    is_late_paper=status == "submitted" and rng.random() < 0.1,
                )
            )
    referrals = Referral.objects.bulk_create(referrals, batch_size=BATCH)
    changes = [
        StatusChange(
            referral=r,
            old_status="draft",
            new_status=r.status,
            actor_id=r.referrer_id,
            at=now - dt.timedelta(days=rng.randrange(0, 20), hours=rng.randrange(0, 9)),
        )
        for r in referrals
        if r.status in ("awaiting_team_manager", "awaiting_service_manager", "returned", "ready_to_submit")
    ]
    StatusChange.objects.bulk_create(changes, batch_size=BATCH)

    # Agenda items and decisions.
    panel_partnership = {panel.pk: panel.partnership for panel in panels}
    on_meeting: dict[int, list[Referral]] = defaultdict(list)
    for r in referrals:
        if r.status in ("decided", "on_agenda"):
            on_meeting[r.meeting_id].append(r)
    meeting_by_id = {m.pk: m for m in meetings}
    items = []
    for meeting_id, rs in on_meeting.items():
        host = hosts[panel_partnership[meeting_by_id[meeting_id].panel_id]]
        admin = people[(host, Role.PANEL_ADMINISTRATOR)][0]
        for position, r in enumerate(rs, start=1):
            items.append(
                AgendaItem(
                    meeting_id=meeting_id,
                    kind="referral",
                    referral=r,
                    title=f"Referral {position}",
                    position=position,
                    added_by_id=admin,
                )
            )
    items = AgendaItem.objects.bulk_create(items, batch_size=BATCH)
    decisions = []
    recent = today - dt.timedelta(days=21)
    for item in items:
        meeting = meeting_by_id[item.meeting_id]
        if meeting.status != "held":
            continue
        host = hosts[panel_partnership[meeting.panel_id]]
        draft = meeting.date >= recent and rng.random() < 0.5
        outcome = rng.choices(
            ["agreed_as_recommended", "agreed_with_conditions", "deferred", "declined"], [70, 15, 10, 5]
        )[0]
        decisions.append(
            Decision(
                agenda_item=item,
                referral_id=item.referral_id,
                status="draft" if draft else "signed",
                outcome=outcome,
                rationale="Agreed by the partners present on the evidence in the papers.",
                lead_agency_id=item.referral.referrer_agency_id,
                recorded_by_id=people[(host, Role.PANEL_ADMINISTRATOR)][0],
                signed_by_id=None if draft else chair_of[host],
                signed_at=None if draft else dt.datetime.combine(meeting.date, dt.time(17), dt.UTC),
                review_date=meeting.date + dt.timedelta(days=rng.choice([91, 182, 273, 365])),
                was_quorate=True,
            )
        )
    decisions = Decision.objects.bulk_create(decisions, batch_size=BATCH)

    # Funding: agreed decisions get a package split between the council and the ICB.
    providers = Provider.objects.bulk_create(
        Provider(
            name=f"Bench Provider {k:03d}", kind=rng.choice(["residential", "fostering", "domiciliary_care"])
        )
        for k in range(200)
    )
    referral_by_id = {r.pk: r for r in referrals}
    awaiting_from = today - dt.timedelta(days=70)
    packages, specs = [], []
    for d in decisions:
        if not d.outcome.startswith("agreed") or rng.random() < 0.2:
            continue
        meeting = meeting_by_id[d.agenda_item.meeting_id]
        r = referral_by_id[d.referral_id]
        host = hosts[panel_partnership[meeting.panel_id]]
        awaiting = meeting.date >= awaiting_from
        packages.append(
            FundingPackage(
                child_id=r.child_id,
                decision=d,
                referral=r,
                panel_id=meeting.panel_id,
                pathway="joint_package",
                status="awaiting_approval" if awaiting else "agreed",
                created_by_id=people[(host, Role.PANEL_ADMINISTRATOR)][0],
            )
        )
        specs.append((meeting, r, awaiting))
    packages = FundingPackage.objects.bulk_create(packages, batch_size=BATCH)
    versions = []
    for package, (meeting, _r, _a) in zip(packages, specs, strict=True):
        versions.append(
            PackageVersion(
                package=package,
                number=1,
                effective_from=meeting.date,
                provider=rng.choice(providers),
                service_description="Residential placement with education and therapy",
                cost=Decimal(rng.randrange(500, 6000)),
                cost_period="weekly",
                starts_on=meeting.date,
                created_by_id=package.created_by_id,
            )
        )
    versions = PackageVersion.objects.bulk_create(versions, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE funding_fundingpackage SET current_version_id = %s WHERE id = %s",
            [(v.pk, v.package_id) for v in versions],
        )
    shares = []
    for version, (meeting, r, awaiting) in zip(versions, specs, strict=True):
        icb = icb_of[panel_partnership[meeting.panel_id]]
        half = (version.cost / 2).quantize(Decimal("0.01"))
        annual = (half * 52).quantize(Decimal("0.01"))
        since = dt.datetime.combine(meeting.date + dt.timedelta(days=1), dt.time(9), dt.UTC)
        for position, (agency, category) in enumerate([(r.referrer_agency_id, "social_care"), (icb, "icb")]):
            if awaiting:
                status = rng.choices(["awaiting", "queried", "approved"], [70, 10, 20])[0]
            else:
                status = "approved"
            approver = (people[(agency, Role.FINANCE_APPROVER)] or people[(agency, Role.SERVICE_MANAGER)])[0]
            shares.append(
                ShareLine(
                    version=version,
                    package_id=version.package_id,
                    position=position,
                    agency_id=agency,
                    category=category,
                    basis="percentage",
                    value=Decimal(50),
                    amount=half,
                    annual_amount=annual,
                    status=status,
                    decided_by_id=approver if status == "approved" else None,
                    decided_at=since + dt.timedelta(days=3) if status == "approved" else None,
                    query_text="Please confirm the weekly rate with the provider."
                    if status == "queried"
                    else "",
                    awaiting_since=since,
                )
            )
    ShareLine.objects.bulk_create(shares, batch_size=BATCH)

    # Recommendations to the absent ICB (and some to the council) on the last three months' decisions.
    quarter = today - dt.timedelta(days=91)
    recommendations = []
    for d in decisions:
        meeting = meeting_by_id[d.agenda_item.meeting_id]
        if meeting.date < quarter or d.status != "signed":
            continue
        r = referral_by_id[d.referral_id]
        due = meeting.date + dt.timedelta(days=5)
        if rng.random() < 0.25:
            icb = icb_of[panel_partnership[meeting.panel_id]]
            recommendations.append(
                AgencyRecommendation(decision=d, agency_id=icb, due_on=due, why="no member present")
            )
        if rng.random() < 0.08:
            recommendations.append(
                AgencyRecommendation(
                    decision=d, agency_id=r.referrer_agency_id, due_on=due, why="no member present"
                )
            )
    AgencyRecommendation.objects.bulk_create(recommendations, batch_size=BATCH)

    # The action log: five actions a meeting, owned by a council's service manager and the ICB's
    # finance approver; half still open.
    items_of: dict[int, list[AgendaItem]] = defaultdict(list)
    for item in items:
        items_of[item.meeting_id].append(item)
    actions, owners = [], []
    number: dict[int, int] = defaultdict(int)
    for meeting in sorted(meetings, key=lambda m: m.date):
        if meeting.status != "held":
            continue
        p = panel_partnership[meeting.panel_id]
        host, icb = hosts[p], icb_of[p]
        for _ in range(5):
            number[meeting.panel_id] += 1
            item = rng.choice(items_of[meeting.pk]) if items_of[meeting.pk] else None
            closed = rng.random() < 0.5
            due = meeting.date + dt.timedelta(days=28)
            actions.append(
                Action(
                    panel_id=meeting.panel_id,
                    number=number[meeting.panel_id],
                    created_on=meeting.date,
                    meeting=meeting,
                    agenda_item=item,
                    action="Confirm the placement's education offer with the SEN service and report back.",
                    desired_outcome="A costed education offer the panel can agree.",
                    partner_agency_id=icb,
                    due_on=due,
                    status="closed" if closed else "open",
                    completed_on=min(due, today) if closed else None,
                    created_by_id=people[(host, Role.PANEL_ADMINISTRATOR)][0],
                )
            )
            council = rng.choice([host, host, *by_partnership[p]])
            owners.append(
                [people[(council, Role.SERVICE_MANAGER)][0], *people[(icb, Role.FINANCE_APPROVER)][:1]]
            )
    actions = Action.objects.bulk_create(actions, batch_size=BATCH)
    Action.owners.through.objects.bulk_create(
        (
            Action.owners.through(action_id=a.pk, user_id=u)
            for a, us in zip(actions, owners, strict=True)
            for u in us
        ),
        batch_size=BATCH,
    )
    return {
        "panels": len(panels),
        "meetings": len(meetings),
        "referrals": len(referrals),
        "agenda_items": len(items),
        "decisions": len(decisions),
        "packages": len(packages),
        "shares": len(shares),
        "recommendations": len(recommendations),
        "actions": len(actions),
    }
