"""The panel tracker's CSV and XLSX exports (seeds 002 section 4): TRACKER, the one list of their
columns and kinds, and the rows, written by the shared kit (casework.exports, issue 18). An
importer reads the same headings back (issue 19).

Columns, in this order (never renamed or reordered; new ones only appended), one line per agency
paying a share of the current decision (a referral without an agreed budget has one line with the
agency and money columns empty):

    Referral ID, Child initials, Pathway, Urgency, Referral status, Meeting date, Outcome,
    Decision status, Review date, Lead agency, Agency, Cost period, Weeks a year,
    Amount per period (GBP), Weekly (GBP), Annual (GBP), Agency's answer

Weeks a year is the decision's (38 for a term-time placement, 52 otherwise; empty for a one-off
cost): the weekly and annual figures count them (casework.money.share_equivalents).

Money is a number with two decimals (from Decimal, never float arithmetic; 0.00 in the XLSX);
dates are ISO (YYYY-MM-DD) in CSV and real dates in XLSX; text is made safe from formula injection.
The CSV is UTF-8 with a byte-order mark (so Excel reads the £ and accents right).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from casework.exports import Column, ExportSpec, Kind

if TYPE_CHECKING:
    from panels.selectors.actions import TrackerRow

MONEY, DATE, WHOLE = Kind.MONEY, Kind.DATE, Kind.WHOLE

TRACKER = ExportSpec(
    columns=(
        Column("Referral ID", WHOLE),
        Column("Child initials"),
        Column("Pathway"),
        Column("Urgency"),
        Column("Referral status"),
        Column("Meeting date", DATE),
        Column("Outcome"),
        Column("Decision status"),
        Column("Review date", DATE),
        Column("Lead agency"),
        Column("Agency"),
        Column("Cost period"),
        Column("Weeks a year", WHOLE),
        Column("Amount per period (GBP)", MONEY),
        Column("Weekly (GBP)", MONEY),
        Column("Annual (GBP)", MONEY),
        Column("Agency's answer"),
    ),
    sheet="Tracker",
)


def tracker_lines(rows: Iterable[TrackerRow]) -> Iterator[dict[str, object]]:
    """Each row as dicts keyed by TRACKER's headings: one per agency share (or one with none)."""
    for row in rows:
        decision = row.decision
        base = {
            "Referral ID": row.referral.pk,
            "Child initials": row.child_initials,
            "Pathway": row.pathway_label,
            "Urgency": row.urgency_label,
            "Referral status": row.status_label,
            "Meeting date": row.meeting_date,
            "Outcome": row.outcome_label,
            "Decision status": row.decision_status_label,
            "Review date": decision.review_date if decision else None,
            "Lead agency": decision.lead_agency.name if decision and decision.lead_agency else "",
        }
        if not row.lines:
            yield {**base, "Agency": "", "Cost period": ""}
        for line in row.lines:
            yield {
                **base,
                "Agency": line.agency_name,
                "Cost period": line.period_label,
                "Weeks a year": line.weeks_per_year if line.annual is not None else None,
                "Amount per period (GBP)": line.per_period,
                "Weekly (GBP)": line.weekly,
                "Annual (GBP)": line.annual,
                "Agency's answer": line.standing_label,
            }
