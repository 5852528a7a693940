"""The figures of a cycle's surveys, as staff read them.

Pure: counts in, table rows out. Shares are of the people who answered;
"answered" is of the people who were sent the survey.
"""

from dataclasses import dataclass, field, fields

ACHIEVED = [
    ("all", "All objectives achieved"),
    ("most", "Most achieved"),
    ("some", "Some achieved"),
    ("none", "None achieved"),
]


@dataclass(frozen=True)
class Figures:
    """One kind of survey, for one role (or both), in one cycle."""

    invited: int = 0
    answered: int = 0
    rating_sum: int = 0
    recommend: int = 0
    again: int = 0
    in_contact: int = 0
    achieved: dict = field(default_factory=dict)

    def __add__(self, other: "Figures") -> "Figures":
        counts = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name != "achieved"
        }
        achieved = {
            key: self.achieved.get(key, 0) + other.achieved.get(key, 0)
            for key in {*self.achieved, *other.achieved}
        }
        return Figures(**counts, achieved=achieved)

    @property
    def response_rate(self) -> "Cell":
        return _share(self.answered, self.invited)

    @property
    def average_rating(self) -> "Cell":
        if not self.answered:
            return Cell("—")
        return Cell(f"{self.rating_sum / self.answered:.1f}")

    def share(self, count: int) -> "Cell":
        return _share(count, self.answered)


@dataclass(frozen=True)
class Cell:
    """A figure, and the counts behind it: shown on two short lines, so the
    table fits a phone."""

    figure: str
    counts: str = ""

    def __str__(self):
        return f"{self.counts} ({self.figure})" if self.counts else self.figure


def _share(count: int, whole: int) -> Cell:
    if not whole:
        return Cell("—")
    return Cell(f"{round(100 * count / whole)}%", f"{count} of {whole}")


def columns(by_role: dict[str, Figures]) -> list[tuple[str, Figures]]:
    """The table's columns: each role, then both together."""
    mentee = by_role.get("mentee", Figures())
    mentor = by_role.get("mentor", Figures())
    return [("Mentees", mentee), ("Mentors", mentor), ("All", mentee + mentor)]


def closing_rows(by_role: dict[str, Figures]) -> list[tuple[str, list[Cell]]]:
    cols = [figures for _, figures in columns(by_role)]
    return [
        ("Answered, of those sent the survey", [f.response_rate for f in cols]),
        ("Average overall rating (1 to 5)", [f.average_rating for f in cols]),
        *(
            (label, [f.share(f.achieved.get(key, 0)) for f in cols])
            for key, label in ACHIEVED
        ),
        ("Would recommend the program", [f.share(f.recommend) for f in cols]),
        (
            "Would take part again (mentor again, be mentored again)",
            [f.share(f.again) for f in cols],
        ),
    ]


def follow_up_rows(by_role: dict[str, Figures]) -> list[tuple[str, list[Cell]]]:
    cols = [figures for _, figures in columns(by_role)]
    return [
        ("Answered, of those sent the survey", [f.response_rate for f in cols]),
        ("Still in contact", [f.share(f.in_contact) for f in cols]),
        ("Average lasting value (1 to 5)", [f.average_rating for f in cols]),
    ]
