import pytest

from bot.reference import (
    _DAMM,
    REFERENCE_LENGTH,
    InvalidReference,
    ReferenceKey,
    damm_digit,
    legacy_sequence_of,
    parse_reference,
)

EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
KEY = ReferenceKey("a-municipality's-own-secret-key-of-48-characters!")
reference_for_sequence = KEY.reference
sequence_of = KEY.sequence
REFERENCE = reference_for_sequence(42)


def test_references_are_ten_keypad_digits_never_starting_with_zero():
    for sequence in (1, 2, 999, 123_456, 899_999_999, 900_000_000):
        reference = reference_for_sequence(sequence)
        assert len(reference) == REFERENCE_LENGTH
        assert reference.isdigit()
        assert reference[0] != "0"


def test_distinct_sequences_give_distinct_non_consecutive_references():
    references = [reference_for_sequence(n) for n in range(1, 100_001)]
    assert len(set(references)) == len(references)
    assert abs(int(references[1]) - int(references[0])) > 1000


def test_the_body_permutation_is_a_bijection():
    # The inverse exists for every sequence, so distinct sequences never share a reference.
    for sequence in (1, 2, 99_999_999, 100_000_001, 450_000_000, 899_999_999, 900_000_000):
        assert sequence_of(reference_for_sequence(sequence)) == sequence


def test_references_depend_on_the_secret_key():
    """Knowing the code and one's own reference says nothing of the next one's."""
    other = ReferenceKey("another-municipality-another-secret-key-of-48-chars")
    mine = [reference_for_sequence(n) for n in range(1, 1001)]
    theirs = [other.reference(n) for n in range(1, 1001)]
    assert sum(a == b for a, b in zip(mine, theirs, strict=True)) == 0
    # neither the sequence nor its neighbours can be read back without the key
    assert other.sequence(mine[41]) != 42
    assert legacy_sequence_of(mine[41]) != 42
    steps = {int(mine[n + 1]) - int(mine[n]) for n in range(100)}
    assert len(steps) == 100  # no constant stride (the old affine map had one)


def test_references_made_before_they_were_keyed_still_decode():
    assert legacy_sequence_of("5059320380") == 1  # the old affine map's first reference


def test_references_checked_with_the_old_table_are_still_read():
    """The 8th reference ever issued got its check digit from the uncorrected table."""
    assert damm_digit("683258781") == 1  # the corrected table's digit
    assert parse_reference("6832587812") == "6832587812"


def test_the_check_table_is_a_quasigroup():
    """Every row and column a permutation: what makes every single-digit error show."""
    for line in range(10):
        assert sorted(_DAMM[line]) == list(range(10))
        assert sorted(row[line] for row in _DAMM) == list(range(10))


def test_sequences_a_span_ninth_apart_differ():
    assert reference_for_sequence(1) != reference_for_sequence(100_000_001)


def test_sequence_outside_the_space_is_refused():
    with pytest.raises(ValueError, match="outside"):
        reference_for_sequence(0)
    with pytest.raises(ValueError, match="outside"):
        reference_for_sequence(900_000_001)


def test_damm_known_value():
    # Worked example from the Damm algorithm's description: 572 → check digit 4.
    assert damm_digit("572") == 4
    assert damm_digit("5724") == 0


@pytest.mark.parametrize(
    "typed",
    [
        REFERENCE,
        REFERENCE.translate(EASTERN),
        REFERENCE.translate(PERSIAN),
        f"{REFERENCE[:3]} {REFERENCE[3:6]} {REFERENCE[6:]}",
        f"{REFERENCE[:4]}-{REFERENCE[4:]}",
        f" {REFERENCE[:5].translate(EASTERN)}-{REFERENCE[5:]} ",
    ],
)
def test_lookup_accepts_every_way_of_typing(typed):
    assert parse_reference(typed) == REFERENCE


def test_every_single_digit_error_is_caught():
    for position in range(REFERENCE_LENGTH):
        for digit in "0123456789":
            if digit == REFERENCE[position]:
                continue
            typo = REFERENCE[:position] + digit + REFERENCE[position + 1 :]
            with pytest.raises(InvalidReference) as error:
                parse_reference(typo)
            assert error.value.code == "reference_check_digit"


def test_every_adjacent_transposition_is_caught():
    for position in range(REFERENCE_LENGTH - 1):
        swapped = (
            REFERENCE[:position]
            + REFERENCE[position + 1]
            + REFERENCE[position]
            + REFERENCE[position + 2 :]
        )
        if swapped == REFERENCE:
            continue
        with pytest.raises(InvalidReference):
            parse_reference(swapped)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12345", "reference_length"),
        ("", "reference_length"),
        ("12345678901", "reference_length"),
        ("12345abcde", "reference_not_digits"),
        ('{"$ne": ""}', "reference_not_digits"),
    ],
)
def test_bad_references_are_refused_with_a_code(typed, code):
    with pytest.raises(InvalidReference) as error:
        parse_reference(typed)
    assert error.value.code == code


def test_refusal_speaks_both_languages():
    bad = REFERENCE[:-1] + str((int(REFERENCE[-1]) + 1) % 10)
    with pytest.raises(InvalidReference) as error:
        parse_reference(bad)
    assert "رقم البلاغ" in error.value.message("ar")
    assert "reference number" in error.value.message("en")
