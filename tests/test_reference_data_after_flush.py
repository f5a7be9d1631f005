"""The rows data migrations load (DST care domains, default pathway settings) are back after a
transactional test's flush, however the test asked for its transactional database
(tests/conftest.py: pytest_runtest_teardown)."""

from __future__ import annotations

import pytest

from pathways.models import DSTDomain
from tests.conftest import _flushes


@pytest.mark.django_db(transaction=True)
def test_a_test_marked_transactional_flushes(request):
    assert _flushes(request.node)


def test_a_test_asking_for_transactional_db_flushes(request, transactional_db):
    assert _flushes(request.node)


def test_a_test_in_a_transaction_does_not(request, db):
    assert not _flushes(request.node)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_emptying_the_domains(request):
    DSTDomain.objects.all().delete()  # the flush at its end empties them too


@pytest.mark.django_db(transaction=True)
def test_the_next_test_finds_the_domains_again():
    """Run right after the test above (pytest-django runs transactional tests after the others, in
    file order), this failed before the teardown hook: nothing put the domains back after a test
    marked transactional, and a later module fixture loading the demo found no DST care domains."""
    assert DSTDomain.objects.count() == 10
