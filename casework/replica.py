"""Which reads may go to the read replica: the read-heavy reports, and only while nothing was written.

When `DATABASE_REPLICA_URL` is set, settings add a database alias "replica" and config/db_router.py
routes reads there, but only inside a report (REPORT_VIEWS below: the tracker, commitments, their
exports and their API lists, marked by `ReportReadsMiddleware`). Everything else, and every write, uses "default".

Read your own writes: a replica applies the primary's changes a moment later, so a read that
follows a write in the same request could miss it. The rule is therefore:
- only a request that cannot write (GET, HEAD) is ever a report; a form post never is;
- the first write a report makes to anything it shows (not the read log, the audit trail, the
  session or an API token's last use: OUTSIDE_REPORTS) ends its replica reads: every later read
  in that request goes to "default" (the router tells `note_write` of every write);
- who is asking (the session, an API token) is always read from "default", so a sign-in the
  replica has not caught up with never looks signed out;
- a write never goes to the replica, even for a row that was read from it.
What a person changed in an earlier request shows once the replica has caught up (normally well
under a second; docs/adr/0014-scaling-out.md says how to watch the lag).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# What no report shows: the logs every page appends to, and who is asking (the session, an API
# token, whose last use is stamped). Always read from "default", and writing them does not end a
# report's replica reads.
OUTSIDE_REPORTS = frozenset(
    {
        "casework.ChildViewLog",
        "casework.ChildListViewLog",
        "casework.AuditEvent",
        "casework.ApiToken",
        "sessions.Session",
    }
)
# The read-heavy reports (URL names): the panel's tracker and the agency's commitments, their CSV and
# XLSX exports and their API lists. Only these ever read from the replica.
REPORT_VIEWS = frozenset(
    {
        "panels:tracker",
        "panels:tracker_csv",
        "panels:tracker_xlsx",
        "funding:commitments",
        "funding:export_csv",
        "funding:export_xlsx",
        "api-panel-tracker",
        "api-funding-commitments",
    }
)


@dataclass
class _Report:
    wrote: bool = False


_report: ContextVar[_Report | None] = ContextVar("casework_report", default=None)


def _label(model: type | None) -> str:
    return getattr(getattr(model, "_meta", None), "label", "")


def reads_from_replica(model: type | None) -> bool:
    """True for a read of `model` inside a report that has written nothing it shows."""
    current = _report.get()
    return current is not None and not current.wrote and _label(model) not in OUTSIDE_REPORTS


def note_write(model: type | None) -> None:
    """Called by the router for every write: one to anything a report shows ends its replica reads."""
    current = _report.get()
    if current is not None and _label(model) not in OUTSIDE_REPORTS:
        current.wrote = True


class ReportReadsMiddleware:
    """Marks a request for one of REPORT_VIEWS, on GET or HEAD, as a report: its reads may go to the
    replica (the router decides; without a replica nothing changes). A streamed answer keeps the
    mark while it is sent, since its rows are read then."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _report.set(None)
        try:
            response = self.get_response(request)
            state = _report.get()
        finally:
            _report.reset(token)
        if state is not None and getattr(response, "streaming", False):
            response.streaming_content = _within(state, response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        match = request.resolver_match
        if request.method in SAFE_METHODS and match is not None and match.view_name in REPORT_VIEWS:
            _report.set(_Report())


def _within(state: _Report, content: Iterator[bytes]) -> Iterator[bytes]:
    token = _report.set(state)
    try:
        yield from content
    finally:
        try:
            _report.reset(token)
        except ValueError:  # closed from another context, which never saw the mark
            pass
