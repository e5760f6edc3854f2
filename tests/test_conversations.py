"""The agent inbox's figures and the expected wait a resident is told, from conversations."""

from datetime import UTC, datetime, timedelta

from bot.conversations import Contact, Conversation, Desk, desk_figures, expected_wait

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def conversation(n: int, desk: Desk, wrote: datetime = T0) -> Conversation:
    contact = Contact(key=f"telegram:{n}", channel="telegram", user=str(n), last_resident_at=wrote)
    return Conversation(id=str(n), contact=contact, desk=desk, created_at=T0, updated_at=T0)


def handled(n: int, agent: str, first: int, handling: int, rating: int | None) -> Conversation:
    desk = Desk(
        state="closed",
        assignee=agent,
        queued_at=T0,
        assigned_at=T0 + MINUTE,
        first_response_at=T0 + first * MINUTE,
        closed_at=T0 + (1 + handling) * MINUTE,
        rating=rating,
    )
    return conversation(n, desk)


def test_desk_figures_count_the_conversations_that_needed_an_employee_and_how_they_went():
    conversations = [
        handled(1, "amal", first=2, handling=10, rating=5),
        handled(2, "amal", first=4, handling=20, rating=3),
        handled(3, "badr", first=9, handling=30, rating=None),
        conversation(4, Desk()),  # the bot answered alone
        conversation(5, Desk(), wrote=T0 + timedelta(days=2)),  # outside the period
    ]
    figures = desk_figures(conversations, T0, T0 + timedelta(days=1))
    assert (figures.conversations, figures.needed_employee) == (4, 3)
    assert figures.employee_share == 0.75
    assert (figures.first_response_minutes, figures.handling_minutes) == (4, 20)
    assert figures.per_agent == {"amal": 2, "badr": 1}
    assert (figures.rating, figures.ratings) == (4, 2)
    empty = desk_figures([], T0, T0 + MINUTE)
    assert (empty.employee_share, empty.rating, empty.first_response_minutes) == (None, None, None)


def test_the_expected_wait_grows_with_the_place_in_line():
    assert expected_wait([], 1) == 2 * MINUTE  # no history yet
    waits = [3 * MINUTE, MINUTE, 5 * MINUTE]
    assert expected_wait(waits, 1) == 3 * MINUTE
    assert expected_wait(waits, 3) == 9 * MINUTE
    assert expected_wait([timedelta(seconds=5)], 1) == MINUTE  # never less than a minute
