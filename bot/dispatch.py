"""Which field team gets a complaint: the least loaded for its size, else the department queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from bot.catalogue import Catalogue, Team
from bot.complaint_record import Why


@dataclass(frozen=True)
class DispatchDecision:
    department: str
    team: str | None
    reason: str
    why: Why = field(default_factory=lambda: Why("lowest_load"), compare=False)


def choose_team(
    category: str,
    district: str | None,
    catalogue: Catalogue,
    open_workload: Mapping[str, int],
) -> DispatchDecision:
    """Lowest open load / daily capacity wins; ties go to the lower load, then the team code.

    `open_workload` maps team codes to open complaints (missing: none). A district of None
    (unknown) is served only by teams covering all districts.
    """
    teams = catalogue.teams_serving(category, district)
    if not teams:
        department = catalogue.category(category).department
        where = district if district is not None else "an unknown district"
        return DispatchDecision(
            department,
            None,
            f"no field team serves {category} in {where}; queued to department {department}",
            Why(
                "no_team",
                {"category": category, "district": district or "", "department": department},
            ),
        )

    def load(team: Team) -> int:
        return open_workload.get(team.code, 0)

    ranked = sorted(
        teams, key=lambda team: (Fraction(load(team), team.daily_capacity), load(team), team.code)
    )
    chosen = ranked[0]
    figures = ", ".join(f"{team.code} {load(team)}/{team.daily_capacity}" for team in ranked)
    return DispatchDecision(
        chosen.department,
        chosen.code,
        f"{chosen.code} has the lowest open load for its daily capacity ({figures})",
        Why("lowest_load", {"team": chosen.code}),
    )
