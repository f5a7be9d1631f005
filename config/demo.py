"""The demo, loaded in one transaction by `manage.py seed_demo` (config/management/commands): each
app's demo module adds its part, in order, through the app's own services. Idempotent: a second run
finds everything and makes nothing."""

from __future__ import annotations

from django.db import transaction

from casework import demo as people_demo
from funding.demo import load_funding
from panels.demo import load_meetings, load_panels
from pathways.demo import load_pathways
from referrals.demo import load_referrals


@transaction.atomic
def load_demo(*, out=None) -> dict[str, int]:
    made = people_demo.load_people()
    created = {**made.created, "children": 0, "panels": 0, "meetings": 0}
    panels_made = load_panels(start=people_demo.REFERENCE_DAY)
    created["panels"] = panels_made["panels"]
    created["meetings"] = panels_made["meetings"]
    created["children"] = people_demo.load_children(made)
    created["referrals"] = load_referrals()
    # A meeting held today and the next one, run through the panel services (panels/demo.py), the
    # funding package's first approval (funding/demo.py), and a case on each pathway.
    for what, n in load_meetings().items():
        created[what] = created.get(what, 0) + n
    created["approvals"] = load_funding()
    created["pathway cases"] = load_pathways()
    return created
