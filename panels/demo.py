"""Demo panels with their terms of reference, members, and a year of meetings (idempotent)."""

from __future__ import annotations

import datetime as dt

from casework.models import Agency, Role, User
from panels import services
from panels.cadence import meeting_dates
from panels.models import Meeting, MemberRole, Membership, Panel

PANELS = [
    {
        "name": "Hampshire Integrated Resource Allocation Panel",
        "kind": "irap",
        "host": "Hampshire County Council Children's Services",
        "purpose": "Agrees joint packages for children with complex needs across children's services, SEN and "
        "the ICB, and how their cost is shared (Joint Working Arrangements, January 2026).",
        "cadence_rule": "monthly",
        "cadence_weekday": 3,
        "cadence_week_of_month": 2,
        "meeting_starts_at": dt.time(14, 0),
        "meeting_ends_at": dt.time(15, 30),
        "meeting_location": "Microsoft Teams",
    },
    {
        "name": "Leicestershire Joint Funding Panel (Complex Cases)",
        "kind": "jfp",
        "host": "Leicestershire County Council Children and Family Services",
        "purpose": "Provides access for young people and their families to appropriate support programmes "
        "through multi-agency collaboration (Terms of Reference, September 2019).",
        "cadence_rule": "monthly",
        "cadence_weekday": 1,
        "cadence_week_of_month": 2,
        "meeting_starts_at": dt.time(12, 30),
        "meeting_ends_at": dt.time(14, 0),
        "meeting_location": "County Hall, Glenfield, and Microsoft Teams",
    },
]

# Seats by role of the demo people (roles in casework/demo.py).
SEATS = {Role.PANEL_CHAIR: MemberRole.CHAIR, Role.PANEL_ADMINISTRATOR: MemberRole.ADMINISTRATOR}


def load_panels(*, start: dt.date, months: int = 12) -> dict[str, int]:
    made = {"panels": 0, "meetings": 0}
    for spec in PANELS:
        panel = Panel.objects.filter(name=spec["name"]).first()
        if panel is None:
            host = Agency.objects.get(name=spec["host"])
            settings = {k: v for k, v in spec.items() if k not in {"name", "kind", "host"}}
            panel = services.panel_create(
                actor=None, name=spec["name"], kind=spec["kind"], host_agency=host, **settings
            )
            panel.quorum_agencies.set(Agency.objects.filter(partnership=host.partnership))
            made["panels"] += 1
        _seat_members(panel)
        until = start + dt.timedelta(days=31 * months)
        for day in meeting_dates(panel, start=start, until=until):
            if not Meeting.objects.filter(panel=panel, date=day).exists():
                services.meeting_schedule(actor=None, panel=panel, date=day)
                made["meetings"] += 1
    return made


def _seat_members(panel: Panel) -> None:
    people = User.objects.filter(agency__partnership=panel.partnership, is_active=True).select_related(
        "agency"
    )
    for person in people:
        role = next((seat for role, seat in SEATS.items() if role in person.roles), None)
        if role is None and Role.PANEL_MEMBER in person.roles:
            role = MemberRole.MEMBER
        if role is not None and not Membership.objects.filter(panel=panel, person=person).exists():
            services.membership_add(
                actor=None, panel=panel, person=person, role=role, starts_on=dt.date(2026, 1, 1)
            )
