"""Who may override the CETR safeguard (casework.cetr) for a child: the senior people the child's
partnership names for escalation (EscalationAuthoriser) at the grade its escalation settings set
for going ahead without a CETR (cetr_override_min_seniority).

seeds 002 s8: escalation "should only occur with the authorisation of either a Service Group
Manager or Assistant Director or their equivalents within the partner organisations"; s3: "For
autistic children and young people and children and young people with a learning disability a CeTR
must be held before escalation occurs". Going ahead without the CETR is the same partnership's
senior decision on every route, so the referral, panel and funding routes ask the ladder's people.

Registered with casework.cetr by module name (ADR 0011: the core imports no app). Two queries: the
partnership's authorisers, and its escalation settings.
"""

from __future__ import annotations

from casework.cetr import SeniorPeople, cetr_override_authorisers
from casework.models import Child
from pathways.models import EscalationAuthoriser, Seniority
from pathways.selectors.escalations import escalation_settings_for

__all__ = ["partnership_cetr_overriders"]


@cetr_override_authorisers
def partnership_cetr_overriders(child: Child) -> SeniorPeople | None:
    """The partnership's named senior people at the override's grade, by user id with their job
    title; None when the partnership has named nobody for escalation."""
    partnership = child.owning_agency.partnership
    rows = list(
        EscalationAuthoriser.objects.filter(
            active=True, user__is_active=True, user__agency__partnership=partnership
        ).only("user_id", "seniority", "job_title", "active")
    )
    if not rows:
        return None
    grade = escalation_settings_for(child).cetr_override_min_seniority
    return SeniorPeople(
        titles={row.user_id: row.job_title for row in rows if row.at_least(grade)},
        grade=Seniority(grade).label,
    )
