"""One winner for sign-off (issue 13): two managers signing at once, a signature crossing a return,
and one manager's double submit. The loser always gets InvalidTransition (409) saying who did what
and when, never NotAllowed (403) about their role. The races run on two database connections, 20
rounds each; then the same answers through the page and the API, one after the other.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.access import NotAllowed
from casework.services import InvalidTransition
from referrals import services
from referrals.models import Referral, SignOff, SignOffDecision, Status, StatusChange
from tests.factories import PanelFactory
from tests.referrals.test_journey_services import complete_referral

ROUNDS = 8
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def half_past_nine(time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 30, tzinfo=LONDON), tick=False)


@pytest.fixture
def make_awaiting_tm(child, social_worker, hampshire, hiow_icb):
    """make_awaiting_tm() → a complete referral for Amelia, sent to her social worker's team manager."""
    panel = PanelFactory(name="Hampshire IRAP (sign-off)", host_agency=hampshire)

    def make() -> Referral:
        referral = services.referral_create(
            actor=social_worker, child=child, panel=panel, pathway="joint_package"
        )
        complete_referral(referral, social_worker, hiow_icb, hampshire)
        return services.referral_send_for_sign_off(
            actor=social_worker, referral=Referral.objects.get(pk=referral.pk)
        )

    return make


@pytest.fixture
def awaiting_tm(make_awaiting_tm):
    return make_awaiting_tm()


def sign(actor):
    return lambda seen: services.referral_sign(actor=actor, referral=seen, expected_status=seen.status)


def give_back(actor):
    return lambda seen: services.referral_return(
        actor=actor, referral=seen, comments="Add the CAMHS report.", expected_status=seen.status
    )


def race(referral_pk: int, *moves: Callable) -> list[object]:
    """Each move reads the referral on its own connection (the page each manager opened), then all
    act together."""
    barrier = threading.Barrier(len(moves))
    results: list[object] = [None] * len(moves)

    def run(index: int, move: Callable) -> None:
        try:
            seen = Referral.objects.get(pk=referral_pk)
            barrier.wait(timeout=10)
            results[index] = move(seen)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def one_winner(results: list[object], names: list[str]) -> int:
    losers = [i for i, r in enumerate(results) if isinstance(r, Exception)]
    assert len(losers) == 1, results
    lost = results[losers[0]]
    assert isinstance(lost, InvalidTransition), results  # never NotAllowed (a 403)
    won = 1 - losers[0]
    assert names[won] in str(lost), (str(lost), names)
    return won


def back_to_the_team_manager(referral: Referral, *, social_worker, service_manager) -> None:
    """Between rounds: whatever won, the referral waits for a team manager again."""
    referral.refresh_from_db()
    if referral.status == Status.AWAITING_SERVICE_MANAGER:
        services.referral_return(actor=service_manager, referral=referral, comments="Again, please.")
    services.referral_send_for_sign_off(actor=social_worker, referral=Referral.objects.get(pk=referral.pk))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "first,second",
    [(sign, sign), (sign, give_back), (give_back, sign), (give_back, give_back)],
    ids=["sign-sign", "sign-return", "return-sign", "return-return"],
)
def test_two_team_managers_acting_at_once_have_one_winner(
    first, second, awaiting_tm, team_manager, second_team_manager, social_worker, service_manager
):
    people = [team_manager, second_team_manager]
    for _ in range(ROUNDS):
        changes_before = StatusChange.objects.filter(referral=awaiting_tm).count()
        offs_before = SignOff.objects.filter(referral=awaiting_tm).count()
        results = race(awaiting_tm.pk, first(people[0]), second(people[1]))
        won = one_winner(results, [p.full_name for p in people])
        awaiting_tm.refresh_from_db()
        expected = Status.AWAITING_SERVICE_MANAGER if (first, second)[won] is sign else Status.RETURNED
        assert awaiting_tm.status == expected
        assert StatusChange.objects.filter(referral=awaiting_tm).count() == changes_before + 1
        assert SignOff.objects.filter(referral=awaiting_tm).count() == offs_before + 1
        back_to_the_team_manager(awaiting_tm, social_worker=social_worker, service_manager=service_manager)


@pytest.mark.django_db(transaction=True)
def test_a_team_managers_double_submit_has_one_winner_and_a_409(
    awaiting_tm, team_manager, social_worker, service_manager
):
    for _ in range(ROUNDS):
        signed_before = SignOff.objects.filter(referral=awaiting_tm, decision=SignOffDecision.SIGNED).count()
        results = race(awaiting_tm.pk, sign(team_manager), sign(team_manager))
        one_winner(
            results, ["You signed this referral as team manager", "You signed this referral as team manager"]
        )
        signed = SignOff.objects.filter(referral=awaiting_tm, decision=SignOffDecision.SIGNED).count()
        assert signed == signed_before + 1
        back_to_the_team_manager(awaiting_tm, social_worker=social_worker, service_manager=service_manager)


@pytest.mark.django_db(transaction=True)
def test_service_manager_and_panel_member_signing_or_returning_at_once_have_one_winner(
    make_awaiting_tm, team_manager, service_manager, panel_member
):
    """The second signature: a fresh referral each round, signed by the team manager."""
    people = [service_manager, panel_member]
    for round_ in range(ROUNDS):
        referral = services.referral_sign(actor=team_manager, referral=make_awaiting_tm())
        moves = (
            (sign(people[0]), give_back(people[1])) if round_ % 2 else (give_back(people[0]), sign(people[1]))
        )
        results = race(referral.pk, *moves)
        one_winner(results, [p.full_name for p in people])
        referral.refresh_from_db()
        assert referral.status in (Status.READY_TO_SUBMIT, Status.RETURNED)
        assert StatusChange.objects.filter(referral=referral).count() == 4  # created, sent, signed, one more


# --- One after the other: the service, the page and the API -------------------------------------


@pytest.mark.django_db
def test_a_second_identical_sign_is_a_409_naming_who_signed_not_a_403(awaiting_tm, team_manager):
    services.referral_sign(actor=team_manager, referral=Referral.objects.get(pk=awaiting_tm.pk))
    fresh = Referral.objects.get(pk=awaiting_tm.pk)  # the second click reads it after the first committed
    with pytest.raises(InvalidTransition, match="You signed this referral as team manager at 09:30"):
        services.referral_sign(actor=team_manager, referral=fresh)
    with pytest.raises(InvalidTransition, match="You signed this referral as team manager at 09:30"):
        services.referral_return(actor=team_manager, referral=fresh, comments="Wait")


@pytest.mark.django_db
def test_someone_who_could_never_sign_still_gets_403(awaiting_tm, service_manager, outsider):
    with pytest.raises(NotAllowed):
        services.referral_sign(actor=service_manager, referral=awaiting_tm)


@pytest.mark.django_db
def test_the_page_answers_a_double_submit_and_a_crossing_return_with_409(
    awaiting_tm, team_manager, second_team_manager
):
    url = reverse("referrals:sign", args=[awaiting_tm.pk])
    tara, tom = Client(), Client()
    tara.force_login(team_manager)
    tom.force_login(second_team_manager)
    assert 'name="status" value="awaiting_team_manager"' in tara.get(url).content.decode()
    form = {"status": "awaiting_team_manager", "decision": "sign", "comments": ""}
    assert tara.post(url, form).status_code == 302
    again = tara.post(url, form)
    assert again.status_code == 409
    assert "You signed this referral as team manager at 09:30" in again.content.decode()
    # Tom's page was open too; he returns it, after Tara signed.
    crossing = tom.post(url, {**form, "decision": "return", "comments": "Add the CAMHS report."})
    assert crossing.status_code == 409
    assert "Tara Bell signed this referral as team manager at 09:30" in crossing.content.decode()
    # An old form without the status field: still a 409, not a 403.
    old_form = tom.post(url, {"decision": "sign", "comments": ""})
    assert old_form.status_code == 409 and "Tara Bell signed" in old_form.content.decode()
    assert SignOff.objects.filter(referral=awaiting_tm).count() == 1


@pytest.mark.django_db
def test_the_api_answers_a_double_submit_with_409_naming_who_signed(
    awaiting_tm, team_manager, second_team_manager
):
    tara, tom = APIClient(), APIClient()
    tara.force_login(team_manager)
    tom.force_login(second_team_manager)
    url = f"/api/referrals/{awaiting_tm.pk}/sign/"
    assert tara.post(url, {}, format="json").status_code == 200
    again = tara.post(url, {}, format="json")
    assert again.status_code == 409
    assert "You signed this referral as team manager at 09:30" in again.json()["detail"]
    crossing = tom.post(
        f"/api/referrals/{awaiting_tm.pk}/return/",
        {"comments": "Add the CAMHS report.", "status": "awaiting_team_manager"},
        format="json",
    )
    assert crossing.status_code == 409
    assert "Tara Bell signed this referral as team manager at 09:30" in crossing.json()["detail"]
