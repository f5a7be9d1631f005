"""NHS number rules: Modulus 11 check digit, England and Wales range, synthetic test range.

Pitfall (DESIGN.md): the `nhs-number` package's `is_valid` accepts 0000000000 and 9999999999, so
those are refused here, and only England/Wales numbers (and the 999 range reserved for synthetic
test patients, used by demo and test data) are accepted.
"""

from __future__ import annotations

import random
import re

from django.core.exceptions import ValidationError
from nhs_number import REGION_ENGLAND_WALES_IOM, REGION_SYNTHETIC, calculate_checksum

_SEPARATORS = re.compile(r"[\s-]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")


def normalise_nhs_number(value: str | None) -> str:
    """Strip spaces and hyphens ("943 476 5919" -> "9434765919"); empty stays empty."""
    return _SEPARATORS.sub("", value or "")


def nhs_number_problem(value: str) -> str | None:
    """Why a normalised NHS number is not acceptable, in plain English, or None when it is."""
    if not _TEN_DIGITS.fullmatch(value):
        return "Enter an NHS number with 10 digits, like 943 476 5919"
    if value in {"0000000000", "9999999999"} or len(set(value)) == 1:
        return "Enter a real NHS number: this one is a placeholder"
    checksum = calculate_checksum(value[:9])
    if checksum is None or checksum != int(value[9]):
        return "Enter a valid NHS number: the check digit does not match"
    if not (REGION_ENGLAND_WALES_IOM.contains_number(value) or REGION_SYNTHETIC.contains_number(value)):
        return "Enter an NHS number issued in England or Wales"
    return None


def validate_nhs_number(value: str | None) -> None:
    if not value:
        return
    problem = nhs_number_problem(normalise_nhs_number(value))
    if problem:
        raise ValidationError(problem, code="invalid_nhs_number")


def synthetic_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the 999 range reserved for synthetic patients (demo and test data)."""
    while True:
        body = "999" + f"{rng.randrange(0, 1_000_000):06d}"
        check = calculate_checksum(body)
        if check is not None and check < 10 and body + str(check) != "9999999999":
            return body + str(check)
