import pytest

from bot.phone import InvalidPhone, mask_phone, normalise_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0501234567",
        "٠٥٠١٢٣٤٥٦٧",
        "۰۵۰۱۲۳۴۵۶۷",
        "+966 50 123 4567",
        "00966501234567",
        "966501234567",
    ],
)
def test_saudi_numbers_in_any_form_become_e164(typed):
    assert normalise_phone(typed) == "+966501234567"


def test_foreign_numbers_keep_their_country():
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("typed", ["12", "hello", "0501", "+966 11"])
def test_invalid_numbers_are_refused(typed):
    with pytest.raises(InvalidPhone):
        normalise_phone(typed)


def test_mask_keeps_only_country_code_and_last_two_digits():
    masked = mask_phone("+966501234567")
    assert masked.startswith("+966")
    assert masked.endswith("67")
    assert "1234" not in masked
    assert len(masked) == len("+966501234567")


def test_mask_of_nothing_is_empty():
    assert mask_phone(None) == ""
