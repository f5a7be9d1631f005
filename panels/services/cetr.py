"""The CETR safeguard at the panel (casework.cetr says the rule), and the family's SENDIASS referral.

seeds 003 supplementary recommendation 4: "All children with disabilities and complex health needs
who are on a pathway for admission to residential placement longer than 38 weeks per year should be
part of a Care, Education and Treatment Review process. No decision should be made without
multi-agency agreement and commitment." So a decision agreeing such an option is not signed until
a CETR, or a named senior person's override, is recorded for the item's referral and still valid.

seeds 003 recommendation 2: "Where an admission to a residential placement for 38 weeks or more is
being considered, children, young people and their parents should have access to advice and support
through their jointly commissioned and suitably resourced local Special Educational Needs and
Disability Information Advice and Support Service, with allocation of a 'navigator' to work with the
family where this is identified as being necessary." Signing the decision on such an item raises
that referral as an action on the panel's log, once per item: the chair need not remember it, the
action log is where the panel follows it up, and the owner can close it (with the impact) if the
family already has a caseworker.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from casework.cetr import require_cetr
from casework.models import CetrRecord, User
from panels.models import Action, AgendaItem, Decision
from panels.services.actions import action_create

__all__ = [
    "SENDIASS_ACTION",
    "decision_require_cetr",
    "item_considers_long_residential",
    "raise_sendiass_action",
]

SENDIASS_ACTION = (
    "Refer the family to SENDIASS (Special Educational Needs and Disability Information Advice and Support "
    "Service) for advice and support, and a navigator where needed: a residential placement of 38 weeks or "
    "more a year was considered"
)


def decision_require_cetr(*, decision: Decision, agenda_item: AgendaItem) -> CetrRecord | None:
    """Refuse (ValidationError on "option") a decision on a residential option of 38 weeks or more
    without the child's CETR or a senior override; the record it rests on otherwise."""
    option = decision.option
    if option is None or not option.needs_cetr:
        return None
    referral = agenda_item.referral
    if referral is None:  # check_item refuses it first: decisions are on referrals
        raise ValidationError({"agenda_item": ["Decisions are made on referrals on the agenda"]})
    return require_cetr(referral=referral, placement=True, field="option")


def item_considers_long_residential(agenda_item: AgendaItem) -> bool:
    """Whether any option on the item's referral is a residential placement of 38 weeks or more."""
    referral = agenda_item.referral
    return referral is not None and any(option.needs_cetr for option in referral.options.all())


def raise_sendiass_action(*, actor: User, decision: Decision, agenda_item: AgendaItem) -> Action | None:
    """The SENDIASS action for an item that considered a long residential placement, once per item."""
    referral = agenda_item.referral
    if referral is None or not item_considers_long_residential(agenda_item):
        return None
    if Action.objects.filter(agenda_item=agenda_item, action=SENDIASS_ACTION).exists():
        return None
    panel = agenda_item.meeting.panel
    owner = referral.referrer_agency
    return action_create(
        actor=actor,
        panel=panel,
        action=SENDIASS_ACTION,
        desired_outcome=(
            f"{referral.child.given_name}'s family has advice and support through SENDIASS while the placement is "
            "considered (seeds 003 recommendation 2)"
        ),
        owner_agencies=[owner] if owner.partnership == panel.partnership else [],
        meeting=agenda_item.meeting,
        agenda_item=agenda_item,
    )
