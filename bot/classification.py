"""Which category a free-text report belongs to, by keyword matches in Arabic and English.

Deliberately transparent: staff must be able to read why a report landed in a queue, and an
unclear report goes to a person (category None) rather than to a guessed department.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.arabic import find_phrases, tokens
from bot.catalogue import Catalogue
from bot.complaint_record import Why


@dataclass(frozen=True)
class Classification:
    """A category code, or None when nothing matched or the best categories tie."""

    category: str | None
    keywords: tuple[str, ...]
    candidates: tuple[str, ...]
    reason: str
    why: Why = field(default_factory=lambda: Why("no_keyword"), compare=False)


def classify(text: str, catalogue: Catalogue) -> Classification:
    """Score each category by its distinct matched keywords, one point per word of each."""
    matches: dict[str, list[str]] = {}
    scores: dict[str, int] = {}
    for code, category in catalogue.categories.items():
        found = find_phrases(text, category.keywords.all())
        if found:
            matches[code] = found
            scores[code] = sum(len(tokens(keyword)) for keyword in found)
    if not scores:
        return Classification(None, (), (), "no keyword matched")

    ranked = sorted(scores, key=lambda code: -scores[code])
    best = scores[ranked[0]]
    top = [code for code in ranked if scores[code] == best]
    if len(top) > 1:
        tied = ", ".join(f"{code} ({_quoted(matches[code])})" for code in top)
        return Classification(
            None,
            tuple(keyword for code in top for keyword in matches[code]),
            tuple(top),
            f"ambiguous: score {best} tie between {tied}",
            Why("ambiguous", {"categories": ",".join(top)}),
        )
    winner = ranked[0]
    runner_up = f", next {ranked[1]} {scores[ranked[1]]}" if len(ranked) > 1 else ""
    return Classification(
        winner,
        tuple(matches[winner]),
        (winner,),
        f"matched {_quoted(matches[winner])} → {winner} (score {best}{runner_up})",
        Why("classified", {"words": ", ".join(matches[winner]), "category": winner}),
    )


def _quoted(keywords: list[str]) -> str:
    return ", ".join(f"'{keyword}'" for keyword in keywords)
