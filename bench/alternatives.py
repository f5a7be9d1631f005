"""Candidate query shapes for the child list and search, timed beside the current ones.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/casework_bench .venv/bin/python bench/alternatives.py

Scratch copies of casework.access.children_visible_to and casework.selectors.child_search with the
changes bench/README.md proposes, so their effect is measured on the bench data before anyone edits
the application. Nothing here is imported by the application.

Shapes (the visible set, then the order of name-search results):
  original     a frozen copy of access.children_visible_to as first written: EXISTS(current
               involvement) OR EXISTS(guardian grant). The OR keeps PostgreSQL from turning either
               EXISTS into a semi-join: it filters every row with hashed subplans and guesses that
               75% of all children are visible.
  app          the application's own selectors.child_search (and child_list_count), as they are now.
  exists       EXISTS(current involvement) alone, a semi-join the planner estimates from the
               statistics of casework_involvement.agency_id; the user's grants are looked up first
               (one small indexed query) and OR-ed in as a literal id list only when there are any.
  exists+sort  exists, and name-search results ordered by (UPPER(family_name), UPPER(given_name),
               id), which no index provides, so the planner cannot walk the name-order index
               hoping to meet 25 prefix matches early (they are clustered in that order).
  union        id IN (current involvements' child ids UNION granted ids): estimates well, but a
               hash join loses the name order, so the list sorts the agency's whole set.
  ids          for the unsearched list, COUNT the visible ids without joining children.
  OVER ()      for a name search, the page of 25 and the total in one query (COUNT(*) OVER ()).

Scratch schema changes, made inside a transaction that is rolled back at the end (the bench
database stays as migrated):
  --covering-index  casework_involvement (agency_id, child_id) INCLUDE (started_on, ended_on), so
                    the "current involvement" test is answered from the index alone.
  --statistics N    ALTER COLUMN agency_id SET STATISTICS N and ANALYZE, so every agency (not just
                    the 100 most common) has its own row estimate.
  --proposed        both (N = 1000).
--pages also times the real list page: "app" as it is, "proposed" with selectors.child_search
replaced in-process by exists+sort (and the unsearched list counted from the ids), and
"proposed+window" with the view's paginator also replaced by one that counts a name search with
its page (COUNT(*) OVER ()).
"""

from __future__ import annotations

import argparse
import statistics
import types
import warnings

from benchdb import bench_database_url, setup_django
from children import PAGE_SIZE, Row, machine, measure, page_call, pick_agency

COVERING_INDEX = (
    "CREATE INDEX bench_scratch_involvement_cover ON casework_involvement (agency_id, child_id) "
    "INCLUDE (started_on, ended_on)"
)


def visible_ids(user):
    """Ids of the children the user may see: current involvements and grants, as one UNION."""
    from casework import access
    from casework.models import ChildUserObjectPermission

    involved = access.current_involvements(agency_id=user.agency_id).order_by().values("child_id")
    granted = (
        ChildUserObjectPermission.objects.filter(user_id=user.pk, permission__codename="view_child")
        .order_by()
        .values("content_object_id")
    )
    return involved.union(granted)


def granted_ids(user) -> list[int]:
    from casework.models import ChildUserObjectPermission

    return list(
        ChildUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename="view_child"
        ).values_list("content_object_id", flat=True)
    )


def children_visible_original(user):
    """A frozen copy of access.children_visible_to as it was first written, for comparison."""
    from django.db.models import Exists, OuterRef

    from casework import access
    from casework.models import Child, ChildUserObjectPermission

    involved = access.current_involvements(agency_id=user.agency_id).filter(child_id=OuterRef("pk"))
    granted = ChildUserObjectPermission.objects.filter(
        user_id=user.pk, content_object_id=OuterRef("pk"), permission__codename="view_child"
    )
    return Child.objects.filter(Exists(involved) | Exists(granted))


def children_visible(user, shape: str):
    from django.db.models import Exists, OuterRef, Q

    from casework import access
    from casework.models import Child

    if shape == "original":
        return children_visible_original(user)
    if shape == "union":
        return Child.objects.filter(pk__in=visible_ids(user))
    involved = Exists(access.current_involvements(agency_id=user.agency_id).filter(child_id=OuterRef("pk")))
    grants = granted_ids(user)
    return Child.objects.filter(involved | Q(pk__in=grants) if grants else involved)


def app_search(*, user, query: str):
    """The application's own selector, whatever it does today (and its list count, if it has one)."""
    from casework import selectors

    children, search = selectors.child_search(user=user, query=query)
    if hasattr(selectors, "child_list_count"):
        total = selectors.child_list_count
        children.count = types.MethodType(
            lambda _self: total(user=user, search=search, children=children.all()), children
        )
    return children, search


def scratch_search(*, user, query: str, shape: str):
    """casework.selectors.child_search with the visible set and name order of `shape`."""
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast, Upper

    from casework import selectors

    if shape == "app":
        return app_search(user=user, query=query)
    search = selectors.parse_child_query(query)
    children = children_visible(user, shape)
    if search.kind == "nhs_number":
        children = children.filter(nhs_number=search.text)
    elif search.kind == "date_of_birth":
        children = children.filter(date_of_birth=search.text)
    elif search.kind == "case_number":
        children = children.filter(case_number__iexact=search.text)
    elif search.kind == "name":
        for token in search.text.split(" ")[:4]:
            children = children.filter(
                Q(family_name__istartswith=token)
                | Q(given_name__istartswith=token)
                | Q(preferred_name__istartswith=token)
            )
    order = ["family_name", "given_name", "id"]
    if shape.endswith("+sort") and search.kind == "name":
        order = [Upper(Cast("family_name", TextField())), Upper(Cast("given_name", TextField())), "id"]
    return children.select_related("allocated_social_worker", "allocated_team").order_by(*order), search


def proposed_child_search(*, user, query: str = ""):
    """The proposal as the list view would get it: exists+sort, and the unsearched list counted
    from the visible ids (the Paginator calls .count(), so it is replaced on this queryset)."""
    children, search = scratch_search(user=user, query=query, shape="exists+sort")
    if search.kind == "all":
        # Bound, so Paginator recognises it as a count() method (a bare lambda makes it fall back
        # to len(), which loads every visible child).
        children.count = types.MethodType(lambda _self: visible_ids(user).count(), children)
    return children, search


def window_paginator(original):
    """Stands in for the view's paginator class: a name search is counted with its page, in one
    query (COUNT(*) OVER ()); anything else goes to the original class. Scratch: page numbers past
    the end fall back to the original. Used only while the "proposed+window" page is timed."""
    from django.core.paginator import Paginator
    from django.db.models import Count, Window

    class WindowPaginator(Paginator):
        total = 0

        @property
        def count(self) -> int:
            return self.total

        def get_page(self, number):
            try:
                number = max(1, int(number or 1))
            except (TypeError, ValueError):
                number = 1
            bottom = (number - 1) * self.per_page
            rows = list(self.object_list.annotate(total=Window(Count("id")))[bottom : bottom + self.per_page])
            self.total = rows[0].total if rows else 0
            return self._get_page(rows, number, self)

    def make(object_list, per_page, **kwargs):
        if getattr(object_list, "count_with_page", False):
            return WindowPaginator(object_list, per_page)
        return original(object_list, per_page, **kwargs)

    return make


def proposed_window_child_search(*, user, query: str = ""):
    children, search = proposed_child_search(user=user, query=query)
    if search.kind == "name":
        children.count_with_page = True
    return children, search


def pick_user(kind: str, size: str):
    from casework.models import Role, User

    agency = pick_agency(kind, size)
    role = Role.HEALTH_ASSESSOR if kind == "icb" else Role.SOCIAL_WORKER
    user = User.objects.filter(agency=agency, roles__contains=[role], is_active=True).order_by("id").first()
    return agency, user


def run_agency(*, kind: str, size: str, names: list[str], shapes: list[str], pages: bool, runs) -> list[Row]:
    from django.test import Client
    from django.urls import reverse

    from casework import selectors, views

    agency, user = pick_user(kind, size)
    seen = children_visible_original(user).count()
    grants = len(granted_ids(user))
    print(f"\n## {agency.name} ({size} {kind}): {user.email} sees {seen:,} children, {grants} by grant")

    rows = []
    for shape in shapes:
        for query in ["", *names]:
            label = "list" if not query else f"name {query!r}"
            if shape.endswith("+sort") and not query:
                continue  # the unsearched list is the same as without +sort

            def page(query=query, shape=shape):
                return list(scratch_search(user=user, query=query, shape=shape)[0][:PAGE_SIZE])

            def count(query=query, shape=shape):
                return scratch_search(user=user, query=query, shape=shape)[0].count()

            rows.append(measure(f"{shape:<11} {label}: page of 25", page, **runs))
            rows.append(measure(f"{shape:<11} {label}: COUNT", count, **runs))
    rows.append(measure("ids         list: COUNT of visible ids", lambda: visible_ids(user).count(), **runs))
    if "exists+sort" in shapes:
        for query in names:

            def page_and_total(query=query):
                """One query instead of two: the sort reads every match anyway, so count them there."""
                from django.db.models import Count, Window

                children = scratch_search(user=user, query=query, shape="exists+sort")[0]
                found = list(children.annotate(total=Window(Count("id")))[:PAGE_SIZE])
                return found, found[0].total if found else 0

            rows.append(
                measure(f"exists+sort name {query!r}: page + COUNT(*) OVER ()", page_and_total, **runs)
            )

    if pages:
        client = Client()
        client.force_login(user)
        floor = measure("page floor: healthz", page_call(client, reverse("healthz"), "ok"), **runs)
        rows.append(floor)
        # The view builds its paginator from one of these names; the window variant replaces it.
        paginator_name = "CountedPaginator" if hasattr(views, "CountedPaginator") else "Paginator"
        original_search, original_paginator = selectors.child_search, getattr(views, paginator_name)
        original_count = getattr(selectors, "child_list_count", None)

        def count_unless_with_page(*, user, search, children):
            if getattr(children, "count_with_page", False):
                return 0  # the window paginator counts with the page
            return original_count(user=user, search=search, children=children)

        variants = {
            "app": (original_search, original_paginator, original_count, ["", *names]),
            "proposed": (proposed_child_search, original_paginator, original_count, ["", *names]),
            "proposed+window": (
                proposed_window_child_search,
                window_paginator(original_paginator),
                count_unless_with_page if original_count else None,
                names,
            ),
        }
        for variant, (search_function, paginator, count_function, queries) in variants.items():
            selectors.child_search = search_function
            setattr(views, paginator_name, paginator)
            if original_count:
                selectors.child_list_count = count_function
            try:
                for query in queries:
                    path = reverse("children:list") + (f"?q={query}" if query else "")
                    label = f"page {variant}: {'list' if not query else query!r}"
                    rows.append(measure(label, page_call(client, path, None), **runs))
            finally:
                selectors.child_search = original_search
                setattr(views, paginator_name, original_paginator)
                if original_count:
                    selectors.child_list_count = original_count

    for row in rows:
        if not row.available:
            print(f"  {row.label:<46} {row.note}")
            continue
        ratio = (
            f"  p95/floor {row.pct(95) / floor.pct(95):5.1f}x"
            if pages and row.label.startswith("page")
            else ""
        )
        print(
            f"  {row.label:<46} p50 {row.pct(50):8.1f}  p95 {row.pct(95):8.1f}  max {max(row.times_ms):8.1f} ms"
            f"  SQL p50 {statistics.median(row.sql_ms):6.1f}  queries {max(row.queries)}{ratio}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed runs per measurement (default 20)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--name", action="append", help="name prefix(es) to search (default Smi)")
    parser.add_argument(
        "--shapes", default="original,app,exists,exists+sort,union", help="comma-separated shapes to time"
    )
    parser.add_argument("--covering-index", action="store_true", help="try the covering involvement index")
    parser.add_argument("--statistics", type=int, help="try this statistics target on involvement.agency_id")
    parser.add_argument("--proposed", action="store_true", help="--covering-index --statistics 1000")
    parser.add_argument("--pages", action="store_true", help="also time the list page, app and proposed")
    parser.add_argument("--jit", choices=["default", "off"], default="default", help="JIT for this session")
    parser.add_argument("--no-parallel", action="store_true", help="max_parallel_workers_per_gather = 0")
    parser.add_argument(
        "--agencies",
        default="childrens_services:largest,childrens_services:median,childrens_services:smallest,icb:largest",
        help="comma-separated kind:size pairs",
    )
    args = parser.parse_args()
    if args.proposed:
        args.covering_index, args.statistics = True, args.statistics or 1000

    warnings.filterwarnings("ignore", message="No directory at")
    setup_django(bench_database_url())
    from django.conf import settings
    from django.db import connection, transaction

    settings.DEBUG = False
    runs = {"runs": args.requests, "warmup": args.warmup}
    with transaction.atomic():
        with connection.cursor() as cursor:
            if args.jit == "off":
                cursor.execute("SET LOCAL jit = off")
            if args.no_parallel:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            if args.covering_index:
                cursor.execute(COVERING_INDEX)
            if args.statistics:
                cursor.execute(
                    f"ALTER TABLE casework_involvement ALTER COLUMN agency_id SET STATISTICS {int(args.statistics)}"
                )
                cursor.execute("ANALYZE casework_involvement")
            cursor.execute("SHOW jit")
            jit = cursor.fetchone()[0]
            cursor.execute("SHOW max_parallel_workers_per_gather")
            parallel = cursor.fetchone()[0]
        print(
            f"Session: jit {jit}, max_parallel_workers_per_gather {parallel} (the app's connection options "
            f"and the flags); scratch covering index: {'yes' if args.covering_index else 'no'}; "
            f"scratch agency_id statistics target: {args.statistics or 'no'}; {machine()}"
        )
        for pair in args.agencies.split(","):
            kind, size = pair.split(":")
            run_agency(
                kind=kind,
                size=size,
                names=args.name or ["Smi"],
                shapes=[s for s in args.shapes.split(",") if s],
                pages=args.pages,
                runs=runs,
            )
        print(f"\nAfterwards: {machine()}")
        # Undo the scratch index and statistics (and the view-log rows of any page requests).
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
