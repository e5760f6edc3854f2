"""How urgent a complaint is: the category's default, raised by urgency words in the report."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.arabic import find_phrases
from bot.catalogue import Catalogue, UrgencyRule
from bot.complaint_record import Why
from bot.types import PRIORITIES, Priority


@dataclass(frozen=True)
class PriorityDecision:
    priority: Priority
    reason: str
    why: Why = field(default_factory=lambda: Why("priority_default"), compare=False)


def assess_priority(text: str, category_code: str, catalogue: Catalogue) -> PriorityDecision:
    """The most urgent matching rule may raise the default; nothing ever lowers it.

    Among rules of equal priority the first in the catalogue names the reason.
    """
    default = catalogue.category(category_code).default_priority
    strongest: tuple[UrgencyRule, list[str]] | None = None
    for rule in catalogue.urgency:
        words = find_phrases(text, rule.words.all())
        if words and (strongest is None or _rank(rule.priority) < _rank(strongest[0].priority)):
            strongest = (rule, words)
    if strongest is None:
        return PriorityDecision(
            default, f"category default {default}", Why("priority_default", {"priority": default})
        )

    rule, words = strongest
    matched = f"urgency '{rule.reason}' ({', '.join(words)})"
    values = {"words": ", ".join(words), "from": default, "to": rule.priority}
    if _rank(rule.priority) < _rank(default):
        return PriorityDecision(
            rule.priority,
            f"{matched} raised {default} → {rule.priority}",
            Why("priority_raised", values),
        )
    return PriorityDecision(
        default,
        f"category default {default} kept; {matched} is only {rule.priority}",
        Why("priority_kept", values),
    )


def _rank(priority: Priority) -> int:
    return PRIORITIES.index(priority)
