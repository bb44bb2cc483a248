"""ID and phone number validation: every defect is named, and the number is never echoed."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.training.idnumber import (
    PROVINCE_CODES,
    InvalidIdNumber,
    InvalidPhoneNumber,
    compute_check_digit,
    validate_id_number,
    validate_phone,
)

TODAY = date(2025, 6, 1)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]  # GB 11643-1999 table


def reference_check(first17: str) -> str:
    """Independent implementation from the published weight table."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(region: str = "330203", birth: str = "19900307", seq: str = "123") -> str:
    body = region + birth + seq
    return body + reference_check(body)


def assert_not_echoed(error: Exception, number: str) -> None:
    text = str(error)
    assert number not in text
    # no run of 4+ consecutive characters of the number appears either
    for i in range(len(number) - 3):
        assert number[i : i + 4] not in text


def test_valid_number_is_returned_normalised():
    number = make_id()
    assert validate_id_number(number, today=TODAY) == number


def test_known_published_example_validates():
    # The example from GB 11643-1999 appendix: 11010519491231002X.
    assert validate_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"


def test_lowercase_x_whitespace_and_fullwidth_are_normalised():
    body = "33020319900307"
    # find a sequence whose check digit is X
    seq = next(f"{n:03d}" for n in range(1000) if reference_check(body + f"{n:03d}") == "X")
    number = body + seq + "X"
    assert validate_id_number(f"  {number.lower()} ", today=TODAY) == number
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert validate_id_number(fullwidth, today=TODAY) == number


@pytest.mark.parametrize(
    ("mutate", "code", "word"),
    [
        (lambda n: n[:-1], "id_number_length", "18 characters"),
        (lambda n: n + "1", "id_number_length", "18 characters"),
        (lambda n: n[:5] + "A" + n[6:], "id_number_characters", "digits"),
        (lambda n: n[:10] + " " + n[11:], "id_number_characters", "digits"),
        (lambda n: n[:17] + "Y", "id_number_characters", "digit or X"),
    ],
)
def test_length_and_character_errors_name_the_problem(mutate, code, word):
    number = make_id()
    bad = mutate(number)
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(bad, today=TODAY)
    assert info.value.code == code
    assert word in info.value.message
    assert_not_echoed(info.value, bad)


def test_unknown_province_is_a_region_error():
    bad = make_id(region="990203")
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(bad, today=TODAY)
    assert info.value.code == "id_number_region"
    assert "region" in str(info.value)
    assert_not_echoed(info.value, bad)


@pytest.mark.parametrize(
    ("birth", "word"),
    [
        ("19900230", "calendar date"),
        ("19901301", "calendar date"),
        ("18991231", "1900"),
        ("20250602", "future"),
    ],
)
def test_birth_date_errors(birth, word):
    bad = make_id(birth=birth)
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(bad, today=TODAY)
    assert info.value.code == "id_number_birth_date"
    assert word in info.value.message
    assert_not_echoed(info.value, bad)


def test_leap_day_and_today_are_accepted():
    assert validate_id_number(make_id(birth="20000229"), today=TODAY)
    assert validate_id_number(make_id(birth="20250601"), today=TODAY)


def test_wrong_check_digit_is_named():
    number = make_id()
    wrong = "0" if number[-1] != "0" else "1"
    bad = number[:-1] + wrong
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(bad, today=TODAY)
    assert info.value.code == "id_number_check_digit"
    assert "check digit" in info.value.message
    assert_not_echoed(info.value, bad)


birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    rest=st.from_regex(r"\A[0-9]{4}\Z"),
    born=birth_dates,
    seq=st.from_regex(r"\A[0-9]{3}\Z"),
)
def test_generated_numbers_validate_and_match_reference(province, rest, born, seq):
    body = province + rest + born.strftime("%Y%m%d") + seq
    assert compute_check_digit(body) == reference_check(body)
    number = body + compute_check_digit(body)
    assert validate_id_number(number, today=TODAY) == number


@given(born=birth_dates, seq=st.from_regex(r"\A[0-9]{3}\Z"), wrong=st.sampled_from("0123456789X"))
def test_any_other_check_character_is_rejected(born, seq, wrong):
    body = "330212" + born.strftime("%Y%m%d") + seq
    if wrong == compute_check_digit(body):
        return
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(body + wrong, today=TODAY)
    assert info.value.code == "id_number_check_digit"


@given(position=st.integers(0, 16), born=birth_dates)
def test_single_digit_error_is_always_detected(position, born):
    number = make_id(birth=born.strftime("%Y%m%d"))
    digit = str((int(number[position]) + 1) % 10)
    bad = number[:position] + digit + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        validate_id_number(bad, today=TODAY)


def test_non_string_is_rejected():
    with pytest.raises(InvalidIdNumber):
        validate_id_number(330203199003071234, today=TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_valid_phones(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1381234567", "phone_length"),
        ("138123456789", "phone_length"),
        ("12812345678", "phone_prefix"),
        ("02812345678", "phone_prefix"),
        ("1381234567a", "phone_characters"),
    ],
)
def test_invalid_phones_name_the_problem_without_echo(raw, code):
    with pytest.raises(InvalidPhoneNumber) as info:
        validate_phone(raw)
    assert info.value.code == code
    assert_not_echoed(info.value, raw)
