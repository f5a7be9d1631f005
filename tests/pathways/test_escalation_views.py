"""Escalation pages: the access matrix (outsider 404 everywhere, 403 for a role that may not
record), bad input kept on the form, 409 for an illegal step, overdue marked, pinned query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.models import ChildViewLog
from pathways import services
from pathways.models import Escalation, EscalationLevel
from tests.pathways.conftest import D, at
from tests.pathways.test_escalation_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db

PAGES = [
    ("escalation", []),
    ("escalation_meeting", []),
    ("escalation_cetr", []),
    ("escalation_report", []),
    ("escalation_resolve", []),
    ("escalation_escalate", ["jsp"]),
    ("escalation_escalate", ["erg"]),
    ("escalation_escalate", ["nonsense"]),
]


@pytest.mark.parametrize(("name", "extra"), PAGES)
def test_outsider_gets_404_on_every_escalation_page(client, outsider, rsg, name, extra):
    client.force_login(outsider)
    url = reverse(f"pathways:{name}", args=[rsg.pk, *extra])
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_outsider_gets_404_on_child_pages(client, outsider, amelia):
    client.force_login(outsider)
    for name in ("escalation_list", "escalation_open"):
        assert client.get(reverse(f"pathways:{name}", args=[amelia.pk])).status_code == 404
        assert client.post(reverse(f"pathways:{name}", args=[amelia.pk]), {}).status_code == 404


def test_bad_ids_are_404(client, social_worker):
    client.force_login(social_worker)
    for bad in ("abc", "99999999999999999999", "0", "-1"):
        assert client.get(reverse("pathways:escalation", args=[bad])).status_code == 404
        assert client.get(reverse("pathways:escalation_list", args=[bad])).status_code == 404
        assert client.post(reverse("pathways:escalation_resolve", args=[bad]), {}).status_code == 404


def test_unknown_level_is_404(client, social_worker, rsg):
    client.force_login(social_worker)
    assert client.get(reverse("pathways:escalation_escalate", args=[rsg.pk, "rsg"])).status_code == 404


def test_auditor_reads_but_may_not_record(client, auditor, rsg, amelia):
    client.force_login(auditor)
    assert client.get(reverse("pathways:escalation", args=[rsg.pk])).status_code == 200
    page = client.get(reverse("pathways:escalation_list", args=[amelia.pk]))
    assert page.status_code == 200 and b"Escalate</a>" not in page.content
    assert client.get(reverse("pathways:escalation_open", args=[amelia.pk])).status_code == 403
    for name in ("escalation_meeting", "escalation_resolve", "escalation_cetr"):
        assert client.get(reverse(f"pathways:{name}", args=[rsg.pk])).status_code == 403
        assert client.post(reverse(f"pathways:{name}", args=[rsg.pk]), {}).status_code == 403


def test_list_marks_overdue_first_meeting_and_logs_the_view(client, social_worker, rsg, amelia, clock):
    client.force_login(social_worker)
    html = client.get(reverse("pathways:escalation_list", args=[amelia.pk])).content.decode()
    assert "First meeting due by 3 March 2026, 09:30" in html and "Overdue" not in html
    clock.move_to(at(D(2026, 3, 3), 10), tick=False)
    client.force_login(social_worker)  # the session expired with the clock
    html = client.get(reverse("pathways:escalation_list", args=[amelia.pk])).content.decode()
    assert "Overdue" in html and "Nadia Khan" in html
    assert ChildViewLog.objects.filter(user=social_worker, child=amelia).exists()


def test_open_keeps_typing_on_error_then_succeeds(client, social_worker, amelia, sgm, clinician, clock):
    client.force_login(social_worker)
    url = reverse("pathways:escalation_open", args=[amelia.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Sunita Rao" in page.content.decode()
    data = {"route": "emergency", "summary": "In A&E since Saturday", "level": "rsg", "authorised_by": sgm.pk}
    page = client.post(url, data)
    html = page.content.decode()
    assert page.status_code == 200 and "govuk-error-summary" in html
    assert "In A&amp;E since Saturday" in html and "Enter why escalate" in html
    # The chair is checked by the service: its error lands next to the field.
    page = client.post(url, {**data, "reason": "Stuck"})
    assert "Choose who chairs" in page.content.decode()
    page = client.post(url, {**data, "reason": "Stuck", "chair": clinician.pk})
    esc = Escalation.objects.get()
    assert page.status_code == 302 and page.url == reverse("pathways:escalation", args=[esc.pk])


def test_rsg_meeting_then_jsp_then_409(client, social_worker, rsg, sgm, jsp, clinician, hampshire, clock):
    clock.move_to(at(D(2026, 3, 2), 16), tick=False)
    client.force_login(social_worker)
    url = reverse("pathways:escalation_meeting", args=[rsg.pk])
    bad = client.post(url, {"held_at": "31/02/2026", "held_time": "25:00", "chair": clinician.pk})
    assert "Enter a real date" in bad.content.decode()
    ok = client.post(
        url,
        {
            "seen": services.escalation_seen(rsg),
            "held_at": "02/03/2026",
            "held_time": "14:00",
            "chair": clinician.pk,
            "agencies": [hampshire.pk],
            "attendees": "Nadia, Sam",
            "notes": "No beds locally",
            "actions": "Sam: call providers",
        },
    )
    assert ok.status_code == 302
    html = client.get(reverse("pathways:escalation", args=[rsg.pk])).content.decode()
    assert "Next meeting due by 6 March 2026, 02:00" in html
    assert "No beds locally" in html and "NHS Hampshire and Isle of Wight ICB" in html  # missing agency
    esc_url = reverse("pathways:escalation_escalate", args=[rsg.pk, "jsp"])
    rsg.refresh_from_db()
    seen = services.escalation_seen(rsg)
    r = client.post(
        esc_url, {"seen": seen, "authorised_by": sgm.pk, "reason": "Exhausted", "target_panel": jsp.pk}
    )
    assert r.status_code == 302
    rsg.refresh_from_db()
    assert rsg.level == EscalationLevel.JSP
    again = {"seen": seen, "authorised_by": sgm.pk, "reason": "Again", "target_panel": jsp.pk}
    assert client.post(esc_url, again).status_code == 409
    assert client.post(url, {}).status_code == 200  # the form shows; posting a valid one would be 409


def test_cetr_block_shown_next_to_the_field(client, social_worker, rsg, sgm, jsp, amelia):
    amelia.autism = True
    amelia.save(update_fields=["autism"])
    client.force_login(social_worker)
    page = client.post(
        reverse("pathways:escalation_escalate", args=[rsg.pk, "jsp"]),
        {
            "seen": services.escalation_seen(rsg),
            "authorised_by": sgm.pk,
            "reason": "Exhausted",
            "target_panel": jsp.pk,
        },
    )
    html = page.content.decode()
    assert page.status_code == 200 and "record the Care, Education and Treatment Review first" in html
    assert 'id="cetr_override_reason-error"' in html or "cetr_override_reason" in html


def test_resolved_escalation_409(client, social_worker, rsg):
    seen = services.escalation_seen(rsg)
    services.escalation_resolve(actor=social_worker, escalation=rsg, outcome="Home")
    client.force_login(social_worker)
    url = reverse("pathways:escalation_resolve", args=[rsg.pk])
    assert client.post(url, {"seen": seen, "outcome": "x"}).status_code == 409
    without = client.post(url, {"outcome": "x"})  # no `seen`: a form error, nothing saved
    assert without.status_code == 200 and "did not say which version you opened" in without.content.decode()


def test_list_query_count_pinned(
    client, social_worker, amelia, sgm, clinician, hampshire, django_assert_max_num_queries
):
    for n in range(22):
        esc = services.escalation_open(
            actor=social_worker,
            child=amelia,
            route="emergency",
            summary=f"Crisis {n}",
            level="rsg",
            authorised_by=sgm,
            reason="x",
            chair=clinician,
        )
        services.escalation_record_meeting(
            actor=social_worker,
            escalation=esc,
            held_at=at(D(2026, 3, 2), 9, 30),
            chair=clinician,
            agencies=[hampshire],
            attendees="a",
            notes="n",
        )
    client.force_login(social_worker)
    # session, user, savepoint, child (visibility), view log insert, escalations, steps with
    # authoriser/chair/panel, meetings with chairs, reports, settings rows, the child's owning
    # agency (its partnership picks the settings), unread notifications (base page), release,
    # savepoint + session update + release: 16, whatever the number of escalations.
    with django_assert_max_num_queries(16):
        page = client.get(reverse("pathways:escalation_list", args=[amelia.pk]))
    assert (
        page.content.decode().count("Crisis") == 0
        and page.content.decode().count("Accident and Emergency") == 22
    )


def test_detail_query_count_pinned(
    client, social_worker, rsg, clinician, hampshire, django_assert_max_num_queries
):
    for hour in range(22):
        services.escalation_record_meeting(
            actor=social_worker,
            escalation=rsg,
            held_at=at(D(2026, 3, 2), 9, 30),
            chair=clinician,
            agencies=[hampshire],
            attendees="a",
            notes=f"Meeting {hour}",
        )
    client.force_login(social_worker)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("pathways:escalation", args=[rsg.pk]))
    assert page.content.decode().count("Meeting ") >= 22
