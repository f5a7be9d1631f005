"""No link to a page the person cannot use (issue 16): a panel member reading a referral through the
meeting's papers sees the child's name, not a link to a child's record that would answer 404; the
referrer, whose agency is involved, gets the link."""

from __future__ import annotations

from django.urls import reverse

from panels import services
from panels.models import Meeting
from tests.panels.conftest import CIRCULATION_DAY, at


def version(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


def test_the_child_is_linked_only_for_someone_the_record_opens_for(
    client, clock, irap_meeting, make_submitted, council_only_child, panel_admin, icb_member
):
    referral = make_submitted(child=council_only_child)
    services.agenda_item_add_referral(
        actor=panel_admin, meeting=irap_meeting, referral=referral, version=version(irap_meeting)
    )
    clock.move_to(at(CIRCULATION_DAY), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    child_url = reverse("children:detail", args=[referral.child.pk])

    client.force_login(icb_member)
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert page.status_code == 200
    assert referral.child.full_name in page.content.decode()
    assert f'href="{child_url}"' not in page.content.decode()
    assert client.get(child_url).status_code == 404

    client.force_login(referral.referrer)
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert f'href="{child_url}"' in page.content.decode()
    assert client.get(child_url).status_code == 200
