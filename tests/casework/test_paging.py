"""casework/paging.py: the count and the page asked for in one query."""

from __future__ import annotations

import pytest

from casework.models import Notification
from casework.paging import WindowCountPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(social_worker):
    Notification.objects.bulk_create(
        Notification(user=social_worker, subject=f"Notice {n}") for n in range(25)
    )
    return Notification.objects.filter(user=social_worker).order_by("pk")


@pytest.mark.parametrize(
    ("asked", "number", "rows"),
    [(1, 1, 10), ("2", 2, 10), (3, 3, 5), (None, 1, 10), ("x", 1, 10), (0, 1, 10)],
)
def test_the_count_and_the_page_are_one_query(notices, django_assert_num_queries, asked, number, rows):
    with django_assert_num_queries(1):
        page = WindowCountPaginator(notices, 10).get_page(asked)
        assert (page.number, len(page.object_list), page.paginator.count, page.paginator.num_pages) == (
            number,
            rows,
            25,
            3,
        )
        assert [n.subject for n in page.object_list] == [
            f"Notice {n}" for n in range((number - 1) * 10, (number - 1) * 10 + rows)
        ]


def test_past_the_last_page_it_counts_and_shows_the_last_page(notices, django_assert_num_queries):
    with django_assert_num_queries(3):
        page = WindowCountPaginator(notices, 10).get_page(9)
        assert (page.number, len(page.object_list), page.paginator.count) == (3, 5, 25)


def test_no_rows_is_an_empty_first_page(social_worker, django_assert_num_queries):
    with django_assert_num_queries(2):
        page = WindowCountPaginator(
            Notification.objects.filter(user=social_worker).order_by("pk"), 10
        ).get_page(1)
        assert (page.number, list(page.object_list), page.paginator.count) == (1, [], 0)


def test_distinct_rows_are_counted_as_django_counts_them(notices, django_assert_num_queries):
    with django_assert_num_queries(2):
        page = WindowCountPaginator(notices.distinct(), 10).get_page(1)
        assert (page.paginator.count, len(page.object_list)) == (25, 10)


def test_a_page_number_past_any_real_page_is_counted_first(notices, django_assert_num_queries):
    with django_assert_num_queries(2):
        page = WindowCountPaginator(notices, 10).get_page("9" * 30)
        assert (page.number, len(page.object_list)) == (3, 5)
