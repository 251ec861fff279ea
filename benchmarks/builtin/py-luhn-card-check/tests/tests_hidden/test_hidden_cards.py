import pytest

from cards import brand, check_field, luhn_valid

VALID = [
    "4111111111111111",  # visa, 16
    "4012888888881881",  # visa, 16
    "4222222222222",  # visa, 13
    "378282246310005",  # amex, 15
    "371449635398431",  # amex, 15
    "30569309025904",  # diners, 14
    "6011111111111117",  # discover, 16
    "5555555555554444",  # mastercard, 16
    "4000000000000000006",  # 19 digits
]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_of_every_length(number):
    assert luhn_valid(number) is True


@pytest.mark.parametrize("number", ["378282246310006", "4222222222223", "30569309025905", "4111111111111112"])
def test_one_digit_off(number):
    assert luhn_valid(number) is False


def test_transposition_in_odd_length_number():
    assert luhn_valid("378282246310005")
    assert not luhn_valid("372882246310005")


@pytest.mark.parametrize("typed", ["4111 1111 1111 1111", "4111-1111-1111-1111", " 3782 822463 10005 ",
                                   "3782-822463-10005"])
def test_spaces_and_dashes_ignored(typed):
    assert luhn_valid(typed) is True


@pytest.mark.parametrize("bad", ["", "   ", "4111a", "4111 1111 1111 111x", "4111.1111.1111.1111",
                                 "0", "00000000000", "0" * 20])
def test_invalid_input_is_false_not_an_error(bad):
    assert luhn_valid(bad) is False


def test_shortest_and_longest():
    assert luhn_valid("000000000000")  # 12 zeros pass the checksum
    assert not luhn_valid("00000000000")


def test_form_messages():
    assert check_field("3782 822463 10005") == "OK (amex)"
    assert check_field("4111-1111-1111-1111") == "OK (visa)"
    assert check_field("") == "This card number looks mistyped."
    assert brand("6011-1111-1111-1117") == "discover"
