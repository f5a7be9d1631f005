"""Time to decision's test world (issue 18): twelve referrals to Hampshire IRAP with known milestones,
written straight to the tables (as tests/factories.referral_row does) so the tests are about what the
report computes, and `direct`: every figure worked out again from those tables with the shared
working-days module and a percentile written here, never through reporting.summaries.

Referral i (0 to 11) is started on 5 January 2026 + 3i days at 10:00; signed off (i%4 + 1) days
later unless i = 11; submitted (i%3 + 2) days after that unless i >= 10; decided (i%5 + 5) days
after that unless i >= 9. Referrals 0 to 8 are Hampshire children's services' (Sam Social
Worker's), 9 to 11 the ICB's (the clinician's): fewer than 5, so the ICB's row of the agency
breakdown is suppressed. Every fourth referral was deferred once first, referral 5 returned for
more information once; a decided referral's latest outcome is declined when i%3 = 2, else agreed.
Referrals 0, 1, 3, 4, 6 and 7 have a package, agreed (i%2 + 3) days after the decision and starting
10 days after that. Every other referral was a late paper. The final decisions of referrals 0 to 5
made a recommendation to SEN (absent), due 3 March; 0 to 4 answered it i days after the meeting.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils import timezone

from casework.working_days import working_days_between
from funding import services as funding_services
from funding.models import FundingPackage, PackageVersion
from panels.models import AgencyRecommendation, AgendaItem, Decision
from referrals.models import Referral, StatusChange
from tests.factories import ChildFactory, MeetingFactory, referral_row
from tests.funding.conftest import terms
from tests.panels.conftest import at

D = dt.date
N = 12
MEETING_ON = D(2026, 2, 26)


def percentile(values: list[int], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont, written again: linear between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def build(
    *,
    irap,
    held,
    social_worker,
    clinician,
    panel_admin,
    council_finance,
    provider,
    hampshire,
    hiow_icb,
    sen,
) -> list[Referral]:
    referrals = []
    # A referral is on a meeting's agenda once: its deferral and its return were at earlier meetings.
    earlier = {
        "deferred": MeetingFactory(panel=irap, date=D(2026, 2, 12)),
        "returned": MeetingFactory(panel=irap, date=D(2026, 2, 19)),
    }
    for i in range(N):
        referrer = social_worker if i < 9 else clinician
        child = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb, sen])
        referral = referral_row(child=child, panel=irap, referrer=referrer, status="draft")
        started = at(D(2026, 1, 5) + dt.timedelta(days=3 * i), 10, 0)
        status = "draft"
        signed = submitted = decided = None
        if i < 11:
            signed = started + dt.timedelta(days=i % 4 + 1)
            StatusChange.objects.create(
                referral=referral, new_status="ready_to_submit", actor=referrer, at=signed
            )
            status = "ready_to_submit"
        if signed and i < 10:
            submitted = signed + dt.timedelta(days=i % 3 + 2)
            StatusChange.objects.create(
                referral=referral, new_status="submitted", actor=referrer, at=submitted
            )
            status = "submitted"
        if submitted and i < 9:
            decided = submitted + dt.timedelta(days=i % 5 + 5)
            StatusChange.objects.create(referral=referral, new_status="decided", actor=referrer, at=decided)
            status = "decided"
        Referral.objects.filter(pk=referral.pk).update(
            created_at=started, status=status, submitted_at=submitted, is_late_paper=i % 2 == 0
        )

        def decide(outcome: str, recorded_at: dt.datetime, referral=referral) -> Decision:
            meeting = earlier.get(outcome, held)
            item = AgendaItem.objects.create(
                meeting=meeting,
                kind="referral",
                referral=referral,
                title="Joint package",
                added_by=panel_admin,
                position=AgendaItem.objects.filter(meeting=meeting).count() + 1,
            )
            return Decision.objects.create(
                agenda_item=item,
                referral=referral,
                outcome=outcome,
                rationale="Recorded for the report.",
                recorded_by=panel_admin,
                recorded_at=recorded_at,
            )

        if decided:
            if i % 4 == 0:
                decide("deferred", decided - dt.timedelta(days=2))
            if i == 5:
                decide("returned", decided - dt.timedelta(days=1))
            final = decide("declined" if i % 3 == 2 else "agreed_as_recommended", decided)
            if i < 6:
                AgencyRecommendation.objects.create(
                    decision=final,
                    agency=sen,
                    due_on=D(2026, 3, 3),
                    status="accepted" if i < 5 else "awaiting",
                    responded_at=at(MEETING_ON + dt.timedelta(days=i), 9, 0) if i < 5 else None,
                )
            if i in (0, 1, 3, 4, 6, 7):
                agreed = decided + dt.timedelta(days=i % 2 + 3)
                package = funding_services.package_create_existing(
                    actor=council_finance,
                    child=child,
                    pathway="joint_package",
                    terms=terms(
                        provider,
                        (hampshire, "percentage", "50"),
                        (hiow_icb, "percentage", "50"),
                        starts_on=timezone.localtime(agreed).date() + dt.timedelta(days=10),
                    ),
                )
                FundingPackage.objects.filter(pk=package.pk).update(referral=referral, agreed_at=agreed)
        referral.refresh_from_db()
        referrals.append(referral)
    return referrals


@dataclass
class Direct:
    """One referral's milestones and stage lengths, read from its own rows."""

    referral: Referral
    stages: dict[str, int | None]
    outcome: str
    deferrals: int
    returns: int


def _day(value):
    return timezone.localtime(value).date() if value is not None else None


def direct(referral: Referral) -> Direct:
    changes = StatusChange.objects.filter(referral=referral)

    def first(status):
        found = changes.filter(new_status=status).order_by("at").first()
        return found.at if found else None

    started = referral.created_at
    signed = first("ready_to_submit")
    submitted = first("submitted") or referral.submitted_at
    decided = first("decided")
    packages = FundingPackage.objects.filter(referral=referral, agreed_at__isnull=False).order_by("agreed_at")
    agreed = packages.first().agreed_at if packages.exists() else None
    version = (
        PackageVersion.objects.filter(package__referral=referral, number=1).order_by("starts_on").first()
    )
    starts = version.starts_on if version else None

    def wd(a, b):
        a, b = (_day(a) if isinstance(a, dt.datetime) else a), (_day(b) if isinstance(b, dt.datetime) else b)
        return working_days_between(a, b) if a and b else None

    decisions = list(
        Decision.objects.filter(referral=referral).exclude(status="superseded").order_by("recorded_at")
    )
    return Direct(
        referral=referral,
        stages={
            "to_sign_off": wd(started, signed),
            "to_submission": wd(signed, submitted),
            "to_decision": wd(submitted, decided),
            "to_funding": wd(decided, agreed),
            "to_package_start": wd(agreed, starts),
            "started_to_decided": wd(started, decided),
        },
        outcome=decisions[-1].outcome if decisions else "",
        deferrals=sum(1 for d in decisions if d.outcome == "deferred"),
        returns=sum(1 for d in decisions if d.outcome == "returned"),
    )


def answer_days() -> list[int]:
    """Working days from the meeting to each answer (the answered recommendations)."""
    return [
        working_days_between(MEETING_ON, _day(r.responded_at))
        for r in AgencyRecommendation.objects.filter(responded_at__isnull=False)
    ]
