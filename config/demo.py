"""The demo, loaded in one transaction by `manage.py seed_demo` (config/management/commands): each
app's demo module adds its part, in order, through the app's own services. Idempotent: a second run
finds everything and makes nothing.

`history=True` (seed_demo's default, so `make run`) then adds a year of panel history at a working
volume (config/demo_history.py); the tests' load_demo() leaves it out to stay quick."""

from __future__ import annotations

from django.db import transaction

from casework import demo as people_demo
from funding.demo import load_funding
from panels.demo import load_meetings, load_panels
from pathways.demo import load_authorisers, load_escalation, load_pathways
from referrals.demo import load_referrals


@transaction.atomic
def load_demo(*, out=None, history: bool = False) -> dict[str, int]:
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
    # The escalation ladder's forums: each partnership's authorisers, and a child on the ladder.
    created["escalation authorisers"] = load_authorisers()
    created["escalations"] = load_escalation()
    if history:
        from config.demo_history import load_history

        for what, n in load_history().items():
            created[f"history {what}"] = n
    return created
