"""The fields a children's file can fill, the headings trackers use for them, and how a cell's
text becomes a value (dates as text in the formats trackers hold, yes and no, the choices' labels).

The names are the child's own (casework.services.children.CHILD_FIELDS) plus `agencies`, the other
agencies involved, so a row becomes exactly what the child pages would have written."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from casework.models import Gender, LegalStatus


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False
    hint: str = ""


FIELDS = (
    Field("nhs_number", "NHS number", ("nhs number", "nhs no", "nhs", "nhs num")),
    Field(
        "case_number",
        "Council case number",
        (
            "case number",
            "case no",
            "case ref",
            "lcs id",
            "mosaic id",
            "council case number",
            "case id",
            "client id",
        ),
    ),
    Field(
        "given_name",
        "Given name",
        ("given name", "first name", "forename", "forenames", "first names"),
        required=True,
    ),
    Field("family_name", "Family name", ("family name", "surname", "last name"), required=True),
    Field("preferred_name", "Preferred name", ("preferred name", "known as")),
    Field(
        "date_of_birth",
        "Date of birth",
        ("date of birth", "dob", "d.o.b", "d o b", "birth date", "birthdate"),
        required=True,
    ),
    Field("gender", "Gender", ("gender", "sex")),
    Field("legal_status", "Legal status", ("legal status", "status", "cla status")),
    Field(
        "has_ehc_plan", "Has an EHC plan", ("ehcp", "ehc plan", "has ehcp", "has an ehc plan", "ehcp yes/no")
    ),
    Field("school_name", "School", ("school", "school name", "education setting", "setting")),
    Field("learning_disability", "Learning disability", ("learning disability", "ld")),
    Field("autism", "Autism", ("autism", "asd", "autistic")),
    Field("mental_health_needs", "Mental health needs", ("mental health", "mental health needs", "camhs")),
    Field(
        "agencies",
        "Other agencies involved",
        ("agencies", "agencies involved", "other agencies", "involved agencies", "partners involved"),
        hint="Agency names or ODS codes, separated by ; or ,",
    ),
)
BY_NAME = {field.name: field for field in FIELDS}
CHILD_FIELD_NAMES = tuple(f.name for f in FIELDS if f.name != "agencies")
BOOLEAN_FIELDS = {"has_ehc_plan", "learning_disability", "autism", "mental_health_needs"}
REQUIRED = tuple(f.name for f in FIELDS if f.required)


def normalise_heading(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9/]+", " ", text.lower()).split())


_ALIASES = {normalise_heading(alias): field.name for field in FIELDS for alias in field.aliases}


def heading_field(text: str) -> str | None:
    return _ALIASES.get(normalise_heading(text))


def find_header_row(rows: list[list[str]]) -> int:
    """The index of the row of headings among the first ten: the one naming most of our fields
    (a tracker has a title row, a merged "Children known to the partnership" row, a blank line)."""
    best, best_hits = 0, 0
    for index, row in enumerate(rows[:10]):
        hits = sum(1 for cell in row if heading_field(cell))
        if hits > best_hits:
            best, best_hits = index, hits
    return best


def guess_mapping(headings: list[str], remembered: dict[str, str]) -> dict[str, int]:
    """Our field -> the index of their column: what this partnership chose last time (by heading
    text) first, then the headings' usual names."""
    by_heading = {normalise_heading(h): i for i, h in enumerate(headings) if h}
    mapping: dict[str, int] = {}
    for name, heading in remembered.items():
        index = by_heading.get(normalise_heading(heading))
        if name in BY_NAME and index is not None and index not in mapping.values():
            mapping[name] = index
    for index, heading in enumerate(headings):
        found = heading_field(heading)
        if found and found not in mapping and index not in mapping.values():
            mapping[found] = index
    return mapping


# --- Cell values -----------------------------------------------------------------------------------

DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d.%m.%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %B %y",
    "%d %b %y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%Y/%m/%d",
    "%Y%m%d",
)
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
# Excel's day 0 (its 1900 leap-year bug included): a date column saved as numbers.
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(text: str) -> dt.date | None:
    """A date in the formats UK trackers hold, day before month ("04/03/2012" is 4 March); None
    when it is none of them. A two-digit year is 19xx or 20xx as strptime decides (69 and later
    are 19xx), which holds for children's dates of birth."""
    value = _ORDINAL.sub(r"\1", " ".join(text.replace(",", " ").split())).strip()
    if value.startswith("'"):
        value = value[1:]
    for fmt in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a date, no time of day
        except ValueError:
            continue
        if parsed.year >= 1900:  # %Y reads "12" as the year 12: the two-digit format comes later
            return parsed
    if value.isdigit() and 20000 <= int(value) <= 80000:  # an Excel serial date number
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    return None


YES = {"yes", "y", "true", "1", "x", "✓"}
NO = {"no", "n", "false", "0", ""}


def parse_bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def _choices(choices) -> dict[str, str]:
    found = {}
    for value, label in choices:
        found[normalise_heading(value.replace("_", " "))] = value
        found[normalise_heading(label)] = value
    return found


GENDERS = {
    **_choices(Gender.choices),
    "f": Gender.FEMALE,
    "m": Gender.MALE,
    "girl": Gender.FEMALE,
    "boy": Gender.MALE,
}
LEGAL_STATUSES = {
    **_choices(LegalStatus.choices),
    "s31": LegalStatus.CARE_ORDER,
    "care order": LegalStatus.CARE_ORDER,
    "s20": LegalStatus.ACCOMMODATED,
    "section 20": LegalStatus.ACCOMMODATED,
    "cp": LegalStatus.CHILD_PROTECTION,
    "cpp": LegalStatus.CHILD_PROTECTION,
    "cin": LegalStatus.CHILD_IN_NEED,
}


def parse_choice(name: str, text: str) -> str | None:
    table = GENDERS if name == "gender" else LEGAL_STATUSES
    return table.get(normalise_heading(text))


def split_agencies(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()]
