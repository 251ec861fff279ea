from cards import brand, check_field, luhn_valid


def test_visa_test_number():
    assert luhn_valid("4111111111111111")
    assert brand("4111111111111111") == "visa"


def test_typo_is_caught():
    assert not luhn_valid("4111111111111121")
    assert check_field("4111111111111121") == "This card number looks mistyped."
