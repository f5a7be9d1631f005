"""The dry run: what each row of the file would do, worked out without writing a child.

A row is refused (with every reason, in plain English), matched to a child the importer's agency
can see (by NHS number, then council case number, then name and date of birth), ambiguous (more
than one child could be it: a person decides), or new. A matched row updates only what the file
fills in and differs; a blank cell never erases what the record holds.

The same functions run again, row by row, when the confirmed import writes (moving_in.services),
so a change made between the dry run and the import is seen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from casework import access
from casework.models import Agency, Child, Involvement, User
from casework.nhs import nhs_number_problem, normalise_nhs_number
from moving_in import fields as F
from moving_in.models import RowPlan

MAX_LENGTHS = {
    "given_name": 100,
    "family_name": 100,
    "preferred_name": 100,
    "case_number": 30,
    "school_name": 200,
}


@dataclass
class Parsed:
    """A row's values as the child services take them, or the reasons it cannot be imported."""

    child: dict[str, Any] = field(default_factory=dict)
    agencies: list[Agency] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Planned:
    plan: str
    reasons: list[str] = field(default_factory=list)
    child: Child | None = None
    matched_by: str = ""
    candidates: list[Child] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)
    updates: dict[str, Any] = field(default_factory=dict)
    new_agencies: list[Agency] = field(default_factory=list)
    parsed: Parsed | None = None


class AgencyDirectory:
    """The partnership's agencies by name and ODS code (case and spacing ignored)."""

    def __init__(self, *, partnership: str) -> None:
        self.by_key: dict[str, Agency] = {}
        for agency in Agency.objects.filter(partnership=partnership):
            self.by_key[F.normalise_heading(agency.name)] = agency
            if agency.ods_code:
                self.by_key[F.normalise_heading(agency.ods_code)] = agency
        self.partnership = partnership

    def find(self, text: str) -> Agency | None:
        return self.by_key.get(F.normalise_heading(text))


def _label(name: str) -> str:
    return F.BY_NAME[name].label


def parse_row(raw: dict[str, str], *, agencies: AgencyDirectory, today: dt.date) -> Parsed:
    """The row's cells (by our field) as values, with a plain-English reason for each problem."""
    out = Parsed()
    reasons = out.reasons
    for name in ("given_name", "family_name"):
        if not raw.get(name):
            reasons.append(f"The {_label(name).lower()} is missing")
    for name, limit in MAX_LENGTHS.items():
        value = raw.get(name, "")
        if len(value) > limit:
            reasons.append(f"The {_label(name).lower()} is longer than {limit} characters")
        elif value:
            out.child[name] = value
    nhs = normalise_nhs_number(raw.get("nhs_number", ""))
    if nhs:
        problem = nhs_number_problem(nhs)
        if problem is None:
            out.child["nhs_number"] = nhs
        elif "check digit" in problem:
            reasons.append(f"The NHS number {raw['nhs_number']} is not valid: its check digit does not match")
        elif "10 digits" in problem:
            reasons.append(f"The NHS number {raw['nhs_number']} is not valid: an NHS number has 10 digits")
        else:
            reasons.append(
                f"The NHS number {raw['nhs_number']} is not valid: {problem[0].lower()}{problem[1:]}"
            )
    text = raw.get("date_of_birth", "")
    if not text:
        reasons.append("The date of birth is missing")
    else:
        born = F.parse_date(text)
        if born is None:
            reasons.append(f"The date of birth “{text}” is not a date: write it like 14/03/2012")
        elif born > today:
            reasons.append(f"The date of birth {born:%-d %B %Y} is in the future")
        elif born < today.replace(year=today.year - 26):
            reasons.append(
                f"The date of birth {born:%-d %B %Y} is more than 25 years ago: this service is for "
                "children and young people"
            )
        else:
            out.child["date_of_birth"] = born
    for name in ("gender", "legal_status"):
        text = raw.get(name, "")
        if text:
            choice = F.parse_choice(name, text)
            if choice is None:
                reasons.append(f"The {_label(name).lower()} “{text}” is not one the service records")
            else:
                out.child[name] = choice
    for name in sorted(F.BOOLEAN_FIELDS):
        text = raw.get(name, "")
        if text:
            flag = F.parse_bool(text)
            if flag is None:
                reasons.append(f"“{text}” under {_label(name)} is not yes or no")
            else:
                out.child[name] = flag
    for name in F.split_agencies(raw.get("agencies", "")):
        agency = agencies.find(name)
        if agency is None:
            reasons.append(f"The agency “{name}” is not one of {agencies.partnership}'s agencies")
        elif agency not in out.agencies:
            out.agencies.append(agency)
    return out


def raw_values(row: list[str], mapping: dict[str, int]) -> dict[str, str]:
    return {name: (row[index] if index < len(row) else "") for name, index in mapping.items()}


def _display(name: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return f"{value:%-d %B %Y}"
    if name == "gender":
        return dict(F.Gender.choices).get(value, value)
    if name == "legal_status":
        return dict(F.LegalStatus.choices).get(value, value)
    return str(value)


def name_key(given: str, family: str, born: dt.date) -> tuple[str, str, dt.date]:
    return (" ".join(given.lower().split()), " ".join(family.lower().split()), born)


class Matcher:
    """The children the importer's agency can see that a set of rows may name, read in one query,
    with their agencies involved now in a second."""

    def __init__(self, *, actor: User, parsed: Iterable[Parsed]) -> None:
        nhs, cases, born = set(), set(), set()
        for row in parsed:
            if row.child.get("nhs_number"):
                nhs.add(row.child["nhs_number"])
            if row.child.get("case_number"):
                cases.add(row.child["case_number"].upper())
            if row.child.get("date_of_birth"):
                born.add(row.child["date_of_birth"])
        self.children: list[Child] = []
        if nhs or cases or born:
            self.children = list(
                access.children_visible_to(user=actor)
                .annotate(case_upper=Upper("case_number"))
                .filter(Q(nhs_number__in=nhs) | Q(case_upper__in=cases) | Q(date_of_birth__in=born))
                .order_by("pk")
            )
        self.by_nhs = {c.nhs_number: c for c in self.children if c.nhs_number}
        self.by_case: dict[str, list[Child]] = {}
        self.by_name: dict[tuple, list[Child]] = {}
        for c in self.children:
            if c.case_number:
                self.by_case.setdefault(c.case_number.upper(), []).append(c)
            self.by_name.setdefault(name_key(c.given_name, c.family_name, c.date_of_birth), []).append(c)
        self.involved: dict[int, set[int]] = {}
        for child_id, agency_id in Involvement.objects.filter(
            child_id__in=[c.pk for c in self.children], ended_on__isnull=True
        ).values_list("child_id", "agency_id"):
            self.involved.setdefault(child_id, set()).add(agency_id)

    def candidates(self, parsed: Parsed) -> tuple[list[Child], str]:
        values = parsed.child
        nhs = values.get("nhs_number")
        if nhs and nhs in self.by_nhs:
            return [self.by_nhs[nhs]], "NHS number"
        found: dict[int, Child] = {}
        how = []
        case = values.get("case_number", "").upper()
        if case and self.by_case.get(case):
            found.update({c.pk: c for c in self.by_case[case]})
            how.append("case number")
        if values.get("given_name") and values.get("family_name") and values.get("date_of_birth"):
            key = name_key(values["given_name"], values["family_name"], values["date_of_birth"])
            if self.by_name.get(key):
                found.update({c.pk: c for c in self.by_name[key]})
                how.append("name and date of birth")
        # A child with another NHS number is another child, whatever its name or case number.
        same = [c for c in found.values() if not (nhs and c.nhs_number and c.nhs_number != nhs)]
        return same, ", ".join(how)


def plan_for_child(
    *, parsed: Parsed, child: Child, matcher: Matcher, actor: User, matched_by: str
) -> Planned:
    updates: dict[str, Any] = {}
    changes: dict[str, list[str]] = {}
    for name, value in parsed.child.items():
        now = getattr(child, name)
        if isinstance(value, str) and isinstance(now, str):
            # "amelia" in a tracker is not a reason to change "Amelia" on the record.
            same = " ".join(now.split()).casefold() == " ".join(value.split()).casefold()
        else:
            same = now == value
        if not same:
            updates[name] = value
            changes[name] = [_display(name, now), _display(name, value)]
    involved = matcher.involved.get(child.pk, set())
    new_agencies = [a for a in parsed.agencies if a.pk not in involved and a.pk != actor.agency_id]
    for agency in new_agencies:
        changes.setdefault("agencies", ["", ""])
        changes["agencies"][1] = ", ".join(filter(None, [changes["agencies"][1], agency.name]))
    plan = RowPlan.UPDATE if updates or new_agencies else RowPlan.UNCHANGED
    return Planned(
        plan=plan,
        child=child,
        matched_by=matched_by,
        changes=changes,
        updates=updates,
        new_agencies=new_agencies,
        parsed=parsed,
    )


def plan_row(
    *, parsed: Parsed, matcher: Matcher, actor: User, file_reasons: list[str] | None = None
) -> Planned:
    reasons = [*parsed.reasons, *(file_reasons or [])]
    if reasons:
        return Planned(plan=RowPlan.REFUSE, reasons=reasons, parsed=parsed)
    found, how = matcher.candidates(parsed)
    if len(found) > 1:
        return Planned(plan=RowPlan.AMBIGUOUS, candidates=found, matched_by=how, parsed=parsed)
    if len(found) == 1:
        return plan_for_child(parsed=parsed, child=found[0], matcher=matcher, actor=actor, matched_by=how)
    new_agencies = [a for a in parsed.agencies if a.pk != actor.agency_id]
    changes = {name: ["", _display(name, value)] for name, value in parsed.child.items()}
    if new_agencies:
        changes["agencies"] = ["", ", ".join(a.name for a in new_agencies)]
    return Planned(
        plan=RowPlan.CREATE,
        changes=changes,
        updates=dict(parsed.child),
        new_agencies=new_agencies,
        parsed=parsed,
    )


def file_duplicates(parsed: list[Parsed], numbers: list[int]) -> list[list[str]]:
    """Per row, why it repeats an earlier row of the same file (same NHS or case number): the
    first is imported, the later ones are refused rather than guessed between."""
    seen_nhs: dict[str, int] = {}
    seen_case: dict[str, int] = {}
    out: list[list[str]] = []
    for index, row in enumerate(parsed):
        reasons = []
        nhs = row.child.get("nhs_number")
        case = (row.child.get("case_number") or "").upper()
        if nhs and nhs in seen_nhs:
            reasons.append(f"Row {seen_nhs[nhs]} has the same NHS number: only the first is imported")
        elif case and case in seen_case:
            reasons.append(f"Row {seen_case[case]} has the same case number: only the first is imported")
        if nhs:
            seen_nhs.setdefault(nhs, numbers[index])
        if case:
            seen_case.setdefault(case, numbers[index])
        out.append(reasons)
    return out


def today() -> dt.date:
    return timezone.localdate()
