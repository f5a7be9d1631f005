from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from nhs_number import calculate_checksum

from casework.nhs import nhs_number_problem, normalise_nhs_number, validate_nhs_number


@pytest.mark.parametrize("raw", ["943 476 5919", "943-476-5919", " 9434765919 "])
def test_known_good_number_in_any_common_format(raw):
    assert normalise_nhs_number(raw) == "9434765919"
    validate_nhs_number(raw)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("9434765918", "check digit"),
        ("0000000000", "placeholder"),
        ("9999999999", "placeholder"),
        ("123", "10 digits"),
        ("94347659190", "10 digits"),
        ("943476591x", "10 digits"),
        ("٩٤٣٤٧٦٥٩١٩", "10 digits"),  # Arabic-Indic digits are not NHS numbers
        ("0101011237", "England or Wales"),  # a valid Scottish CHI number
        ("3200000007", "England or Wales"),  # Northern Ireland
    ],
)
def test_bad_numbers_say_why(raw, why):
    with pytest.raises(ValidationError) as excinfo:
        validate_nhs_number(raw)
    assert why in excinfo.value.messages[0]


def _with_check_digit(body: str) -> str | None:
    check = calculate_checksum(body)
    return None if check is None or check == 10 else body + str(check)


@given(st.integers(min_value=0, max_value=999_999))
def test_every_synthetic_number_with_a_correct_check_digit_is_accepted(n):
    number = _with_check_digit(f"999{n:06d}")
    if number is None or number == "9999999999":
        return
    assert nhs_number_problem(number) is None


@given(st.integers(min_value=400_000_000, max_value=499_999_999), st.integers(min_value=1, max_value=9))
def test_changing_any_one_digit_breaks_the_check(n, delta):
    number = _with_check_digit(str(n))
    if number is None:
        return
    for position in range(10):
        digits = list(number)
        digits[position] = str((int(digits[position]) + delta) % 10)
        mutated = "".join(digits)
        # Modulus 11 detects every single-digit error.
        assert nhs_number_problem(mutated) is not None


@given(st.text(max_size=30))
def test_no_input_crashes_the_validator(text):
    problem = nhs_number_problem(normalise_nhs_number(text))
    assert problem is None or isinstance(problem, str)
