import pytest

from bot.types import Role, Status
from bot.workflow import TRANSITIONS, TransitionRefused, allowed_next, check_transition


def test_the_main_path_is_open_to_the_right_roles():
    check_transition(Status.NEW, Status.ASSIGNED, "system")
    check_transition(Status.ASSIGNED, Status.IN_PROGRESS, Role.FIELD)
    check_transition(Status.IN_PROGRESS, Status.RESOLVED, Role.FIELD)
    check_transition(Status.RESOLVED, Status.CLOSED, "citizen")
    check_transition(Status.RESOLVED, Status.IN_PROGRESS, "citizen")


@pytest.mark.parametrize(
    ("current", "requested", "actor"),
    [
        (Status.NEW, Status.RESOLVED, Role.ADMIN),
        (Status.CLOSED, Status.IN_PROGRESS, Role.SUPERVISOR),
        (Status.ASSIGNED, Status.IN_PROGRESS, Role.AGENT),
        (Status.IN_PROGRESS, Status.RESOLVED, "citizen"),
        (Status.NEW, Status.REJECTED, Role.FIELD),
        (Status.RESOLVED, Status.CLOSED, Role.AGENT),
    ],
)
def test_moves_outside_the_table_are_refused(current, requested, actor):
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, requested, actor)
    assert refused.value.current == current
    assert refused.value.allowed == allowed_next(current, actor)


def test_refusal_names_the_current_state_and_the_allowed_ones():
    with pytest.raises(TransitionRefused) as refused:
        check_transition(Status.RESOLVED, Status.REJECTED, Role.SUPERVISOR)
    message = str(refused.value)
    assert "'resolved'" in message
    assert "closed" in message
    assert "in_progress" in message


def test_terminal_states_lead_nowhere():
    for terminal in (Status.CLOSED, Status.REJECTED, Status.DUPLICATE):
        assert not [pair for pair in TRANSITIONS if pair[0] == terminal]
