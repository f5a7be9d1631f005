"""Pathway clocks on My work (pathways/my_work.py): the Continuing Care decision 6 weeks after the
referral, and an IFR's decision (issue 16). The clock is Monday 2 March 2026."""

from __future__ import annotations

import datetime as dt

from casework.my_work import my_work_count, my_work_items
from pathways import services

D = dt.date


def _kinds(user):
    return sorted(item.kind for item in my_work_items(user=user))


def test_continuing_care_decision_is_the_case_workers_until_decided(
    cc_case, clinician, social_worker, outsider
):
    (item,) = [i for i in my_work_items(user=clinician) if i.kind == "pathways.cc_decision_due"]
    # Referral received Monday 16 February: the decision is due 6 weeks later.
    assert item.due_on == cc_case.continuing_care.decision_due_on == D(2026, 3, 30)
    assert not item.overdue and item.child.pk == cc_case.child_id
    assert "pathways.cc_decision_due" not in _kinds(social_worker)  # not the case worker
    assert my_work_items(user=outsider) == [] and my_work_count(user=outsider) == 0


def test_cc_leaves_the_list_once_decided(cc_package, clinician):
    assert "pathways.cc_decision_due" not in _kinds(clinician)


def test_an_ifr_is_the_deciders_work_and_the_clinician_waits(
    ifr_case, clinician, icb_panel_admin, social_worker
):
    (waiting,) = [i for i in my_work_items(user=clinician) if i.kind.startswith("pathways.ifr")]
    assert waiting.kind == "pathways.ifr_awaiting_decision" and waiting.waiting_for == "The IFR panel"
    (decide,) = my_work_items(user=icb_panel_admin)
    assert decide.kind == "pathways.ifr_to_decide" and decide.due_on == ifr_case.ifr.decision_due_on
    assert my_work_count(user=icb_panel_admin) == 1
    assert not [k for k in _kinds(social_worker) if k.startswith("pathways.ifr")]
    services.ifr_decide(
        actor=icb_panel_admin, case=ifr_case, decision="more_information", reasons="Send the scan report"
    )
    (asked,) = [i for i in my_work_items(user=clinician) if i.kind.startswith("pathways.ifr")]
    assert asked.kind == "pathways.ifr_information_asked"
    assert _kinds(icb_panel_admin) == []
